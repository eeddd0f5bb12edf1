"""Helpers for the language-server tests: a client fixture, plugin folders, waiting for diagnostics."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "nd_lsp.server"])
FAST = {"debounceMs": 20}


def capabilities(*, pull: bool = False, snippets: bool = True, progress: bool = False) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(
                    snippet_support=snippets, documentation_format=[types.MarkupKind.Markdown]
                )
            ),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            signature_help=types.SignatureHelpClientCapabilities(
                signature_information=types.ClientSignatureInformationOptions(
                    documentation_format=[types.MarkupKind.Markdown]
                )
            ),
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
        ),
        window=types.WindowClientCapabilities(work_done_progress=progress),
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            configuration=False,
        ),
    )


async def start(
    client: LanguageClient, root: Path, options: dict[str, object] | None = None, **caps: bool
) -> types.InitializeResult:
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(**caps),
            root_uri=root.as_uri(),
            initialization_options={**FAST, **(options or {})},
        )
    )


def write_plugin(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def open_file(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    language = {".rs": "rust", ".go": "go", ".py": "python", ".json": "json"}.get(path.suffix, "plaintext")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id=language,
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def replace_all(client: LanguageClient, uri: str, old_text: str, new_text: str, version: int) -> None:
    """An incremental change replacing the whole old text (as an editor sends for select-all + paste)."""
    lines = old_text.split("\n")
    end = types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=0, character=0), end=end), text=new_text
                )
            ],
        )
    )


async def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the server")
        await asyncio.sleep(0.02)


async def diagnostics_after(
    client: LanguageClient, uri: str, predicate: Callable[[Sequence[types.Diagnostic]], bool], timeout: float = 15.0
) -> Sequence[types.Diagnostic]:
    await wait_for(lambda: uri in client.diagnostics and predicate(client.diagnostics[uri]), timeout)
    return client.diagnostics[uri]


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def at(text: str, needle: str, delta: int = 0) -> types.Position:
    """The position of `needle` (plus delta characters) in text, in UTF-16 units."""
    index = text.index(needle) + delta
    line = text.count("\n", 0, index)
    column_text = text[text.rfind("\n", 0, index) + 1 : index]
    return types.Position(line=line, character=len(column_text.encode("utf-16-le")) // 2)


def apply_text_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP text edits (UTF-16 positions) to a text, last edit first."""

    def offset(pos: types.Position) -> int:
        lines = text.split("\n")
        start = sum(len(line) + 1 for line in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for index, char in enumerate(line):
            if units >= pos.character:
                return start + index
            units += len(char.encode("utf-16-le")) // 2
        return start + len(line)

    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    for edit in ordered:
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def record_published(client: LanguageClient) -> list[types.PublishDiagnosticsParams]:
    """From now on, keep every publishDiagnostics notification (the client keeps only the last)."""
    published: list[types.PublishDiagnosticsParams] = []

    def record(params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        published.append(params)

    client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    return published


REGISTRATIONS: dict[int, list[types.Registration]] = {}


def registrations(client: LanguageClient) -> list[types.Registration]:
    """What the server registered dynamically (e.g. its file watchers)."""
    return REGISTRATIONS.setdefault(id(client), [])


@pytest_lsp.fixture(config=SERVER, name="client")
async def client_fixture(lsp_client: LanguageClient) -> None:
    """A client connected to `python -m nd_lsp.server`; each test initializes it as it needs."""

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        registrations(lsp_client).extend(params.registrations)

    yield  # type: ignore[misc]
    await lsp_client.shutdown_session()
    REGISTRATIONS.pop(id(lsp_client), None)


@pytest_lsp.fixture(config=SERVER, name="shared_client", scope="module")
async def shared_client_fixture(lsp_client: LanguageClient) -> None:
    """One initialized server for a whole module of read-only requests (each test opens its own files)."""

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        registrations(lsp_client).extend(params.registrations)

    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities(), initialization_options=FAST)
    )
    yield  # type: ignore[misc]
    await lsp_client.shutdown_session()
