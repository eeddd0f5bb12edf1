"""Completion, hover, signature help and document symbols, as an editor asks for them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_server_support import at, open_file, shared_client_fixture, write_plugin  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="module")

CARGO = '[package]\nname = "p"\nversion = "0.1.0"\n\n[lib]\ncrate-type = ["cdylib"]\n'
MANIFEST = '{"name": "p", "author": "a", "version": "1.0.0", "permissions": {"kvstore": {"reason": "x"}}}\n'
GO_MOD = "module example.com/p\n\ngo 1.24\n"
GO_IMPORTS = """package main

import (
\t"github.com/navidrome/navidrome/plugins/pdk/go/host"
\tmd "github.com/navidrome/navidrome/plugins/pdk/go/metadata"
)

type Plugin struct{}

func (p *Plugin) GetArtistBiography(r md.ArtistRequest) (*md.ArtistBiographyResponse, error) {
\treturn nil, nil
}

func init() { md.Register(&Plugin{}) }

func main() {}

func f() {
\t_ = host.KVStoreSet("k", nil)
\thost.
\tmd.
}
"""
PYTHON = """import json

import extism


@extism.import_fn("extism:host/user", "kvstore_set")
def _kv_set(offset: int) -> int: ...


@extism.plugin_fn
def nd_on_init():
    _kv_set(json.dumps({"k
    json.du


@extism.plugin_fn
def nd_
"""


def _plugin(root: Path, name: str, text: str) -> Path:
    build = {"Cargo.toml": CARGO} if name.endswith(".rs") else {"go.mod": GO_MOD} if name.endswith(".go") else {}
    write_plugin(root, {"manifest.json": MANIFEST, **build, name: text})
    return root / name


async def _complete(
    lsp: LanguageClient,
    root: Path,
    name: str,
    text: str,
    needle: str,
    after: int | None = None,
) -> list[types.CompletionItem]:
    """Completions with the cursor `after` characters into the first `needle` (default: at its end)."""
    path = _plugin(root, name, text)
    uri = open_file(lsp, path)
    answer = await lsp.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=at(text, needle, len(needle) if after is None else after),
        )
    )
    if answer is None:
        return []
    return list(answer.items if isinstance(answer, types.CompletionList) else answer)


async def _hover(lsp: LanguageClient, root: Path, name: str, text: str, needle: str) -> str:
    path = _plugin(root, name, text)
    uri = open_file(lsp, path)
    answer = await lsp.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=at(text, needle, 1))
    )
    assert answer is not None, f"no hover on {needle!r}"
    assert isinstance(answer.contents, types.MarkupContent)
    return answer.contents.value


def _labels(items: list[types.CompletionItem]) -> set[str]:
    return {item.label for item in items}


# ---- completion


async def test_register_macros_complete_with_the_trait_they_need(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = "fn f() {\n    nd_pdk::register_\n}\n"
    items = await _complete(shared_client, tmp_path, "src/lib.rs", text, "nd_pdk::register_")
    macro = next(i for i in items if i.label == "register_metadata_artist_biography!")
    assert macro.detail == "needs ArtistBiographyProvider"
    assert macro.insert_text_format == types.InsertTextFormat.Snippet
    assert macro.insert_text is not None and macro.insert_text.startswith("register_metadata_artist_biography!(")
    assert "register_scrobbler!" in _labels(items)


async def test_missing_trait_methods_complete_as_full_signatures(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = (
        "use nd_pdk::scrobbler::*;\n\nstruct P;\n\nimpl Scrobbler for P {\n"
        "    fn is_authorized(&self, _r: IsAuthorizedRequest) -> Result<bool, Error> { Ok(true) }\n    fn \n}\n"
    )
    items = await _complete(shared_client, tmp_path, "src/lib.rs", text, "    fn \n", after=len("    fn "))
    assert _labels(items) == {"now_playing", "scrobble", "playback_report"}
    report = next(i for i in items if i.label == "playback_report")
    assert report.insert_text is not None
    assert report.insert_text.startswith("fn playback_report(&self, req: PlaybackReportRequest) -> Result<(), Error> {")


async def test_host_services_and_their_functions_complete(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = "fn f() {\n    nd_pdk::host::\n}\n"
    assert {"kvstore", "scheduler", "http"} <= _labels(
        await _complete(shared_client, tmp_path, "src/lib.rs", text, "nd_pdk::host::")
    )


async def test_host_module_functions_complete_with_signatures(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = "use nd_pdk::host::kvstore;\n\nfn f() {\n    kvstore::\n}\n"
    items = await _complete(shared_client, tmp_path, "src/lib.rs", text, "    kvstore::")
    delete = next(i for i in items if i.label == "delete_by_prefix")
    assert delete.detail == "pub fn delete_by_prefix(prefix: &str) -> Result<i64, Error>"


async def test_use_groups_complete_the_module_items(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = "use nd_pdk::scrobbler::{Scrobbler, \n"
    items = await _complete(shared_client, tmp_path, "src/lib.rs", text, "{Scrobbler, ")
    assert {"Scrobbler", "ScrobbleRequest", "PlaybackReportRequest"} <= _labels(items)


async def test_impl_completes_capability_traits(shared_client: LanguageClient, tmp_path: Path) -> None:
    items = await _complete(shared_client, tmp_path, "src/lib.rs", "struct P;\nimpl Art\n", "impl Art")
    assert {"ArtistBiographyProvider", "Scrobbler", "Lyrics"} <= _labels(items)


async def test_struct_literals_of_pdk_types_complete_their_remaining_fields(
    shared_client: LanguageClient, tmp_path: Path
) -> None:
    text = "use nd_pdk::metadata::ArtistRequest;\n\nfn f() {\n    let _ = ArtistRequest { id: x, \n}\n"
    items = await _complete(shared_client, tmp_path, "src/lib.rs", text, "id: x, ")
    assert _labels(items) == {"name", "mbid"}


async def test_go_host_package_completes_host_functions(shared_client: LanguageClient, tmp_path: Path) -> None:
    items = await _complete(shared_client, tmp_path, "main.go", GO_IMPORTS, "\thost.")
    kv = next(i for i in items if i.label == "KVStoreSet")
    assert kv.detail == "func KVStoreSet(key string, value []byte) error"


async def test_go_capability_package_completes_under_its_import_name(
    shared_client: LanguageClient, tmp_path: Path
) -> None:
    items = await _complete(shared_client, tmp_path, "main.go", GO_IMPORTS, "\tmd.")
    assert {"Register", "ArtistBiographyProvider", "ArtistRequest"} <= _labels(items)


async def test_python_export_names_complete_after_plugin_fn(shared_client: LanguageClient, tmp_path: Path) -> None:
    items = await _complete(shared_client, tmp_path, "plugin/__init__.py", PYTHON, "def nd_")
    assert {"nd_on_init", "nd_scrobbler_scrobble", "nd_get_artist_biography"} <= _labels(items)


async def test_python_import_fn_names_complete(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = 'import extism\n\n@extism.import_fn("extism:host/user", "kvs\n'
    items = await _complete(shared_client, tmp_path, "plugin/__init__.py", text, '"kvs')
    assert {"kvstore_set", "kvstore_deletebyprefix", "scheduler_schedulerecurring"} <= _labels(items)


async def test_python_request_keys_complete_for_a_known_host_import(
    shared_client: LanguageClient, tmp_path: Path
) -> None:
    items = await _complete(shared_client, tmp_path, "plugin/__init__.py", PYTHON, '({"k')
    assert _labels(items) == {"key", "value"}


async def test_ordinary_python_completes_through_jedi(shared_client: LanguageClient, tmp_path: Path) -> None:
    items = await _complete(shared_client, tmp_path, "plugin/__init__.py", PYTHON, "json.du")
    assert {"dump", "dumps"} <= _labels(items)


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        ('{\n  "na\n}\n', '"na', {"name", "author", "version", "permissions", "config"}),
        ('{\n  "permissions": {\n    "\n  }\n}\n', '    "', {"kvstore", "http", "scheduler", "users"}),
        ('{\n  "permissions": {\n    "http": {\n      \n    }\n  }\n}\n', "{\n      ", {"reason", "requiredHosts"}),
    ],
)
async def test_manifest_keys_complete_with_schema_descriptions(
    shared_client: LanguageClient, tmp_path: Path, text: str, needle: str, expected: set[str]
) -> None:
    items = await _complete(shared_client, tmp_path, "manifest.json", text, needle)
    assert expected <= _labels(items)
    assert all(isinstance(i.documentation, types.MarkupContent) for i in items if i.label in expected)


# ---- hover


async def test_hover_on_a_host_function_shows_signature_shapes_permission_and_since(
    shared_client: LanguageClient, tmp_path: Path
) -> None:
    text = 'fn f() {\n    let _ = nd_pdk::host::kvstore::delete_by_prefix("a");\n}\n'
    value = await _hover(shared_client, tmp_path, "src/lib.rs", text, "delete_by_prefix")
    assert "pub fn delete_by_prefix(prefix: &str) -> Result<i64, Error>" in value
    assert '"prefix": string' in value
    assert "`kvstore` permission" in value
    assert re.search(r"Since Navidrome 0\.\d+\.\d+", value)


async def test_hover_on_a_register_macro_names_the_trait_and_exports(
    shared_client: LanguageClient, tmp_path: Path
) -> None:
    text = "nd_pdk::register_scrobbler!(Plugin);\n"
    value = await _hover(shared_client, tmp_path, "src/lib.rs", text, "register_scrobbler")
    assert "Scrobbler + Default" in value and "nd_scrobbler_playback_report" in value


async def test_hover_on_a_trait_method_shows_the_export_and_json_input(
    shared_client: LanguageClient, tmp_path: Path
) -> None:
    text = "impl ArtistBiographyProvider for P {\n    fn get_artist_biography(&self, r: ArtistRequest) {}\n}\n"
    value = await _hover(shared_client, tmp_path, "src/lib.rs", text, "get_artist_biography")
    assert "nd_get_artist_biography" in value and '"mbid"' in value


async def test_hover_on_a_version_dependent_method_says_since_when(
    shared_client: LanguageClient, tmp_path: Path
) -> None:
    text = "impl Scrobbler for P {\n    fn playback_report(&self) {}\n}\n"
    value = await _hover(shared_client, tmp_path, "src/lib.rs", text, "playback_report")
    assert "Since Navidrome 0.62.0" in value


async def test_hover_on_a_go_host_function(shared_client: LanguageClient, tmp_path: Path) -> None:
    value = await _hover(shared_client, tmp_path, "main.go", GO_IMPORTS, "KVStoreSet")
    assert "func KVStoreSet(key string, value []byte) error" in value and "`kvstore` permission" in value


async def test_hover_on_a_deprecated_type_says_so(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = "use nd_pdk::scrobbler::ArtistRef;\n"
    value = await _hover(shared_client, tmp_path, "src/lib.rs", text, "ArtistRef")
    assert "Deprecated" in value


async def test_hover_on_a_python_export(shared_client: LanguageClient, tmp_path: Path) -> None:
    value = await _hover(shared_client, tmp_path, "plugin/__init__.py", PYTHON, "nd_on_init")
    assert "lifecycle" in value


async def test_hover_on_ordinary_python_comes_from_jedi(shared_client: LanguageClient, tmp_path: Path) -> None:
    value = await _hover(shared_client, tmp_path, "plugin/__init__.py", PYTHON, "dumps")
    assert "dumps(obj" in value


async def test_hover_on_a_manifest_permission(shared_client: LanguageClient, tmp_path: Path) -> None:
    value = await _hover(shared_client, tmp_path, "manifest.json", MANIFEST, "kvstore")
    assert "**kvstore**" in value and "maxSize" in value


# ---- signature help and symbols


async def test_signature_help_tracks_the_active_parameter(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = 'fn f() {\n    nd_pdk::host::kvstore::set("k", \n}\n'
    path = _plugin(tmp_path, "src/lib.rs", text)
    uri = open_file(shared_client, path)
    answer = await shared_client.text_document_signature_help_async(
        types.SignatureHelpParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=at(text, '"k", ', len('"k", '))
        )
    )
    assert answer is not None
    assert answer.signatures[0].label == "pub fn set(key: &str, value: Vec<u8>) -> Result<(), Error>"
    assert answer.active_parameter == 1


async def test_document_symbols_list_capabilities_and_exports(shared_client: LanguageClient, tmp_path: Path) -> None:
    text = (
        "use nd_pdk::scrobbler::*;\n\n#[derive(Default)]\nstruct P;\n\nimpl Scrobbler for P {\n"
        "    fn is_authorized(&self, _r: IsAuthorizedRequest) -> Result<bool, Error> { Ok(true) }\n}\n\n"
        "nd_pdk::register_scrobbler!(P);\n"
    )
    path = _plugin(tmp_path, "src/lib.rs", text)
    uri = open_file(shared_client, path)
    answer = await shared_client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert answer is not None
    by_name = {s.name: s for s in answer if isinstance(s, types.DocumentSymbol)}
    assert [c.name for c in by_name["impl Scrobbler for P"].children or []] == ["is_authorized"]
    exports = {c.name for c in by_name["register_scrobbler!(P)"].children or []}
    assert "nd_scrobbler_playback_report" in exports

