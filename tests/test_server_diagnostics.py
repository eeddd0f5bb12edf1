"""Diagnostics published by `nd-lsp serve`: they follow the text, the manifest and the settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_server_support import (  # noqa: F401
    client_fixture,
    codes,
    diagnostics_after,
    open_file,
    record_published,
    registrations,
    replace_all,
    start,
    wait_for,
    write_plugin,
)

CARGO = """[package]
name = "p"
version = "0.1.0"

[lib]
crate-type = ["cdylib"]

[dependencies]
extism-pdk = "1"
nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.63.2" }
"""
MANIFEST = '{"name": "p", "author": "a", "version": "1.0.0", "permissions": {"kvstore": {"reason": "cache"}}}\n'
GOOD_RS = """use nd_pdk::host::kvstore;

pub fn remember() {
    let _ = kvstore::set("k", vec![1]);
}
"""
BAD_MACRO_RS = """use nd_pdk::host::kvstore;

#[derive(Default)]
struct Plugin;

pub fn remember() {
    let _ = kvstore::set("k", vec![1]);
}

nd_pdk::register_artist_biography!(Plugin);
"""


def rust_plugin(root: Path, lib: str = GOOD_RS, manifest: str = MANIFEST) -> Path:
    return write_plugin(root, {"manifest.json": manifest, "Cargo.toml": CARGO, "src/lib.rs": lib})


@pytest.mark.asyncio
async def test_a_rust_mistake_appears_then_disappears_when_fixed(client: LanguageClient, tmp_path: Path) -> None:
    rust_plugin(tmp_path, BAD_MACRO_RS)
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "src/lib.rs")
    found = await diagnostics_after(client, uri, lambda d: "ND103" in codes(d))
    macro = next(d for d in found if d.code == "ND103")
    line = BAD_MACRO_RS.split("\n")[macro.range.start.line]
    assert line[macro.range.start.character : macro.range.end.character] == "register_artist_biography"
    assert macro.source == "nd-lsp"
    assert macro.severity == types.DiagnosticSeverity.Error
    assert macro.code_description is not None and "nd103" in macro.code_description.href

    fixed = BAD_MACRO_RS.replace("register_artist_biography", "register_metadata_artist_biography")
    fixed = fixed.replace(
        "struct Plugin;", "struct Plugin;\nimpl nd_pdk::metadata::ArtistBiographyProvider for Plugin {}"
    )
    replace_all(client, uri, BAD_MACRO_RS, fixed, version=2)
    await diagnostics_after(client, uri, lambda d: "ND103" not in codes(d))


@pytest.mark.asyncio
async def test_broken_manifest_json_is_reported_at_the_error_and_cleared(
    client: LanguageClient, tmp_path: Path
) -> None:
    rust_plugin(tmp_path)
    await start(client, tmp_path)
    broken = '{"name": "p", "author": "a",, "version": "1.0.0"}\n'
    uri = open_file(client, tmp_path / "manifest.json", broken)
    found = await diagnostics_after(client, uri, lambda d: "ND301" in codes(d))
    syntax = next(d for d in found if d.code == "ND301")
    assert syntax.range.start.line == 0 and syntax.range.start.character == broken.index(",,") + 1
    replace_all(client, uri, broken, MANIFEST, version=2)
    await diagnostics_after(client, uri, lambda d: "ND301" not in codes(d))


@pytest.mark.asyncio
async def test_a_burst_of_300_edits_publishes_the_findings_of_the_final_text(
    client: LanguageClient, tmp_path: Path
) -> None:
    rust_plugin(tmp_path, GOOD_RS)
    await start(client, tmp_path, {"debounceMs": 50})
    uri = open_file(client, tmp_path / "src/lib.rs")
    await diagnostics_after(client, uri, lambda d: True)
    published = record_published(client)

    texts = [GOOD_RS, BAD_MACRO_RS]
    previous = GOOD_RS
    for version in range(2, 302):
        text = texts[version % 2]  # the last edit (version 301) leaves BAD_MACRO_RS
        replace_all(client, uri, previous, text, version)
        previous = text
        if version % 50 == 0:
            await asyncio.sleep(0)  # let the client flush, as an editor would between keystrokes
    await wait_for(lambda: any(p.uri == uri and p.version == 301 for p in published))
    await asyncio.sleep(0.5)  # nothing older may arrive after the final result
    final = [p for p in published if p.uri == uri]
    assert final[-1].version == 301
    assert "ND103" in codes(final[-1].diagnostics)
    assert len(final) < 100, "every edit was analysed: the debounce did not coalesce the burst"
    assert all(p.version is not None and p.version <= 301 for p in final)
    versions = [p.version for p in final if p.version is not None]
    assert versions == sorted(versions), "a result for an older version was published after a newer one"


@pytest.mark.asyncio
async def test_editing_the_manifest_republishes_the_open_code_files(client: LanguageClient, tmp_path: Path) -> None:
    without_kvstore = '{"name": "p", "author": "a", "version": "1.0.0"}\n'
    rust_plugin(tmp_path, GOOD_RS, without_kvstore)
    await start(client, tmp_path)
    lib = open_file(client, tmp_path / "src/lib.rs")
    found = await diagnostics_after(client, lib, lambda d: "ND303" in codes(d))
    missing = next(d for d in found if d.code == "ND303")
    assert missing.related_information
    assert missing.related_information[0].location.uri == (tmp_path / "manifest.json").as_uri()
    manifest = open_file(client, tmp_path / "manifest.json")
    replace_all(client, manifest, without_kvstore, MANIFEST, version=2)
    await diagnostics_after(client, lib, lambda d: "ND303" not in codes(d))


@pytest.mark.asyncio
async def test_a_code_change_republishes_the_findings_of_the_closed_manifest(
    client: LanguageClient, tmp_path: Path
) -> None:
    unused = "pub fn nothing() {}\n"
    rust_plugin(tmp_path, unused)
    await start(client, tmp_path)
    lib = open_file(client, tmp_path / "src/lib.rs")
    manifest_uri = (tmp_path / "manifest.json").as_uri()
    found = await diagnostics_after(client, manifest_uri, lambda d: "ND304" in codes(d))
    unused_permission = next(d for d in found if d.code == "ND304")
    assert list(unused_permission.tags or []) == [types.DiagnosticTag.Unnecessary]
    replace_all(client, lib, unused, GOOD_RS, version=2)
    await diagnostics_after(client, manifest_uri, lambda d: "ND304" not in codes(d))


@pytest.mark.asyncio
async def test_a_manifest_changed_on_disk_is_picked_up_through_the_file_watcher(
    client: LanguageClient, tmp_path: Path
) -> None:
    without_kvstore = '{"name": "p", "author": "a", "version": "1.0.0"}\n'
    rust_plugin(tmp_path, GOOD_RS, without_kvstore)
    await start(client, tmp_path)
    await wait_for(lambda: bool(registrations(client)))
    watchers = registrations(client)[0].register_options
    assert registrations(client)[0].method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert watchers is not None
    lib = open_file(client, tmp_path / "src/lib.rs")
    await diagnostics_after(client, lib, lambda d: "ND303" in codes(d))
    (tmp_path / "manifest.json").write_text(MANIFEST, encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(tmp_path / "manifest.json").as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await diagnostics_after(client, lib, lambda d: "ND303" not in codes(d))


@pytest.mark.asyncio
async def test_a_configuration_change_republishes_with_the_new_selection(
    client: LanguageClient, tmp_path: Path
) -> None:
    rust_plugin(tmp_path, BAD_MACRO_RS)
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "src/lib.rs")
    await diagnostics_after(client, uri, lambda d: "ND103" in codes(d))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"nd-lsp": {"ignore": ["ND103"]}})
    )
    await diagnostics_after(client, uri, lambda d: "ND103" not in codes(d))


@pytest.mark.asyncio
async def test_initialization_options_pick_the_target_version(client: LanguageClient, tmp_path: Path) -> None:
    # playback_report only exists since 0.62.0: a scrobbler without it is complete for 0.61.0.
    lib = GOOD_RS.replace("kvstore::set", "kvstore::set_with_ttl").replace("vec![1])", "vec![1], 60)")
    rust_plugin(tmp_path, lib)
    await start(client, tmp_path, {"navidromeVersion": "0.60.0"})
    uri = open_file(client, tmp_path / "src/lib.rs")
    found = await diagnostics_after(client, uri, lambda d: "ND111" in codes(d))
    assert any("0.60.0" in d.message for d in found if d.code == "ND111")


@pytest.mark.asyncio
async def test_utf16_columns_are_used_after_characters_outside_the_bmp(client: LanguageClient, tmp_path: Path) -> None:
    text = BAD_MACRO_RS.replace("nd_pdk::register", "/* \U0001f3b5 */ nd_pdk::register")
    rust_plugin(tmp_path, text)
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "src/lib.rs")
    found = await diagnostics_after(client, uri, lambda d: "ND103" in codes(d))
    macro = next(d for d in found if d.code == "ND103")
    line = text.split("\n")[macro.range.start.line]
    utf16 = line.encode("utf-16-le")
    start_unit, end_unit = macro.range.start.character, macro.range.end.character
    assert utf16[start_unit * 2 : end_unit * 2].decode("utf-16-le") == "register_artist_biography"


@pytest.mark.asyncio
async def test_pull_diagnostics_are_answered_and_nothing_is_pushed(client: LanguageClient, tmp_path: Path) -> None:
    rust_plugin(tmp_path, BAD_MACRO_RS)
    result = await start(client, tmp_path, pull=True)
    assert result.capabilities.diagnostic_provider is not None
    uri = open_file(client, tmp_path / "src/lib.rs")
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert "ND103" in codes(report.items)
    await asyncio.sleep(0.3)
    assert uri not in client.diagnostics


@pytest.mark.asyncio
async def test_the_first_analysis_reports_progress(client: LanguageClient, tmp_path: Path) -> None:
    rust_plugin(tmp_path, GOOD_RS)
    await start(client, tmp_path, progress=True)
    uri = open_file(client, tmp_path / "src/lib.rs")
    await diagnostics_after(client, uri, lambda d: True)
    await wait_for(lambda: any(len(r) >= 2 for r in client.progress_reports.values()))
    kinds = [type(v).__name__ for r in client.progress_reports.values() for v in r]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


@pytest.mark.asyncio
async def test_closing_a_code_file_clears_its_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    rust_plugin(tmp_path, BAD_MACRO_RS)
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "src/lib.rs")
    await diagnostics_after(client, uri, lambda d: "ND103" in codes(d))
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await diagnostics_after(client, uri, lambda d: not d)


GO_MOD = "module example.com/p\n\ngo 1.24\n"
GO_MAIN = """package main

import "github.com/navidrome/navidrome/plugins/pdk/go/host"

func clear() {
\t_, _ = host.KVStoreDeleteByPrefix("")
}

func main() {}
"""
PYTHON_PLUGIN = """import extism


@extism.plugin_fn
def nd_get_artist_bio():
    extism.output_str("")
"""


@pytest.mark.asyncio
async def test_a_go_mistake_appears_then_disappears(client: LanguageClient, tmp_path: Path) -> None:
    write_plugin(tmp_path, {"manifest.json": MANIFEST, "go.mod": GO_MOD, "main.go": GO_MAIN})
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "main.go")
    found = await diagnostics_after(client, uri, lambda d: "ND201" in codes(d))
    empty = next(d for d in found if d.code == "ND201")
    assert GO_MAIN.split("\n")[empty.range.start.line][empty.range.start.character : empty.range.end.character] == '""'
    replace_all(client, uri, GO_MAIN, GO_MAIN.replace('Prefix("")', 'Prefix("cache/")'), version=2)
    await diagnostics_after(client, uri, lambda d: "ND201" not in codes(d))


@pytest.mark.asyncio
async def test_a_python_export_typo_appears_then_disappears(client: LanguageClient, tmp_path: Path) -> None:
    manifest = '{"name": "p", "author": "a", "version": "1.0.0"}\n'
    write_plugin(tmp_path, {"manifest.json": manifest, "plugin/__init__.py": PYTHON_PLUGIN})
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "plugin/__init__.py")
    found = await diagnostics_after(client, uri, lambda d: "ND107" in codes(d))
    typo = next(d for d in found if d.code == "ND107")
    assert typo.range.start.line == 4
    fixed = PYTHON_PLUGIN.replace("nd_get_artist_bio(", "nd_get_artist_biography(")
    replace_all(client, uri, PYTHON_PLUGIN, fixed, version=2)
    await diagnostics_after(client, uri, lambda d: "ND107" not in codes(d))


@pytest.mark.asyncio
async def test_a_plugin_in_a_folder_with_spaces_and_accents_gets_its_diagnostics(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = tmp_path / "my plugin é"
    rust_plugin(root, BAD_MACRO_RS)
    await start(client, root)
    published = record_published(client)
    uri = open_file(client, root / "src/lib.rs")
    assert "%20" in uri
    await diagnostics_after(client, uri, lambda d: "ND103" in codes(d))
    assert {p.uri for p in published} <= {uri, (root / "manifest.json").as_uri()}


@pytest.mark.asyncio
async def test_build_file_findings_are_published_and_follow_the_open_cargo_toml(
    client: LanguageClient, tmp_path: Path
) -> None:
    without_extism = CARGO.replace('extism-pdk = "1"\n', "")
    lib = "#[derive(Default)]\nstruct Plugin;\nimpl nd_pdk::lifecycle::InitProvider for Plugin {\n"
    lib += "    fn on_init(&self) -> Result<(), nd_pdk::lifecycle::Error> { Ok(()) }\n}\n"
    lib += "nd_pdk::register_lifecycle_init!(Plugin);\n"
    write_plugin(tmp_path, {"manifest.json": MANIFEST.replace(', "permissions": {"kvstore": {"reason": "cache"}}', "")})
    write_plugin(tmp_path, {"Cargo.toml": without_extism, "src/lib.rs": lib})
    await start(client, tmp_path)
    open_file(client, tmp_path / "src/lib.rs")
    cargo_uri = (tmp_path / "Cargo.toml").as_uri()
    await diagnostics_after(client, cargo_uri, lambda d: "ND110" in codes(d))
    open_file(client, tmp_path / "Cargo.toml")
    replace_all(client, cargo_uri, without_extism, CARGO, version=2)
    await diagnostics_after(client, cargo_uri, lambda d: "ND110" not in codes(d))
