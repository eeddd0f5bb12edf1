"""The server answers every request, whatever the user typed or asked about."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_server_support import client_fixture, open_file, start, write_plugin  # noqa: F401

RUST_PLUGIN = {
    "manifest.json": '{"name": "p", "author": "a", "version": "1.0.0"}\n',
    "Cargo.toml": '[package]\nname = "p"\nversion = "0.1.0"\n\n[lib]\ncrate-type = ["cdylib"]\n',
    "src/lib.rs": 'use nd_pdk::host::kvstore;\n\nfn f() {\n    let _ = kvstore::set("k", b"v");\n}\n',
}
REQUESTS = ("completion", "hover", "signature", "symbols", "code_action")


async def _ask(lsp: LanguageClient, what: str, uri: str, position: types.Position) -> object:
    doc = types.TextDocumentIdentifier(uri=uri)
    if what == "completion":
        return await lsp.text_document_completion_async(types.CompletionParams(text_document=doc, position=position))
    if what == "hover":
        return await lsp.text_document_hover_async(types.HoverParams(text_document=doc, position=position))
    if what == "signature":
        return await lsp.text_document_signature_help_async(
            types.SignatureHelpParams(text_document=doc, position=position)
        )
    if what == "symbols":
        return await lsp.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))
    rng = types.Range(start=position, end=position)
    return await lsp.text_document_code_action_async(
        types.CodeActionParams(text_document=doc, range=rng, context=types.CodeActionContext(diagnostics=[]))
    )


def _empty(answer: object) -> bool:
    if answer is None or (isinstance(answer, list | tuple) and not answer):
        return True
    return isinstance(answer, types.CompletionList) and not answer.items


@pytest.mark.asyncio
@pytest.mark.parametrize("what", REQUESTS)
async def test_requests_for_unopened_documents_answer_empty(client: LanguageClient, tmp_path: Path, what: str) -> None:
    write_plugin(tmp_path, RUST_PLUGIN)
    await start(client, tmp_path)
    answer = await _ask(client, what, (tmp_path / "src/lib.rs").as_uri(), types.Position(line=3, character=20))
    assert _empty(answer)


@pytest.mark.asyncio
@pytest.mark.parametrize("what", ("completion", "hover", "signature", "code_action"))
async def test_positions_past_the_end_answer_empty(client: LanguageClient, tmp_path: Path, what: str) -> None:
    write_plugin(tmp_path, RUST_PLUGIN)
    await start(client, tmp_path)
    uri = open_file(client, tmp_path / "src/lib.rs")
    for position in (types.Position(line=400, character=0), types.Position(line=0, character=500)):
        assert _empty(await _ask(client, what, uri, position))


@pytest.mark.asyncio
async def test_garbage_text_and_non_file_uris_do_not_stop_the_server(client: LanguageClient, tmp_path: Path) -> None:
    write_plugin(tmp_path, RUST_PLUGIN)
    await start(client, tmp_path)
    garbage = "impl {{{ fn (((( \u0000 \ud83d\ude00 nd_pdk::host::kvstore::\n" * 50
    uri = open_file(client, tmp_path / "src/lib.rs", garbage)
    untitled = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=untitled, language_id="rust", version=1, text="fn x() {}")
        )
    )
    for target in (uri, untitled):
        for what in REQUESTS:
            await _ask(client, what, target, types.Position(line=3, character=30))
    # Still alive and answering:
    hover = await _ask(client, "hover", uri, types.Position(line=0, character=0))
    assert hover is None or isinstance(hover, types.Hover)


@pytest.mark.asyncio
async def test_clients_without_snippet_support_get_plain_completions(client: LanguageClient, tmp_path: Path) -> None:
    text = "fn f() {\n    nd_pdk::register_\n}\n"
    write_plugin(tmp_path, {**RUST_PLUGIN, "src/lib.rs": text})
    await start(client, tmp_path, snippets=False)
    uri = open_file(client, tmp_path / "src/lib.rs")
    answer = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=21)
        )
    )
    assert isinstance(answer, types.CompletionList) and answer.items
    assert all(item.insert_text_format != types.InsertTextFormat.Snippet for item in answer.items)


def test_serve_prints_its_version_and_rejects_a_bad_tcp_address() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "nd_lsp.server", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert version.returncode == 0 and version.stdout.startswith("nd-lsp ")
    bad = subprocess.run(
        [sys.executable, "-m", "nd_lsp.server", "--tcp", "localhost"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr
