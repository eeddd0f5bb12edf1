"""The pygls language server: document events, analysis scheduling and the wiring of every feature."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcException
from pygls.lsp.server import LanguageServer

from nd_lsp import __version__
from nd_lsp.check.discovery import MANIFEST, ROOT_MARKERS, plugin_root_for
from nd_lsp.check.engine import MAX_FILE_BYTES, Analyzer, CheckResult
from nd_lsp.server import code_actions, completion, hover, signature_help, symbols
from nd_lsp.server.cursor import RequestContext
from nd_lsp.server.diagnostics import RangeConverter, Texts, diagnostics_by_path
from nd_lsp.server.documents import Debouncer, OpenDocuments, Snapshot, path_of, uri_of
from nd_lsp.server.settings import (
    SECTION_NAMES,
    ServerOptions,
    has_settings,
    options_from_json,
    settings_for_root,
)
from nd_lsp.specs.loader import UnknownVersionError, load_spec
from nd_lsp.specs.model import Spec

log = logging.getLogger(__name__)

R = TypeVar("R")

# Files whose change can change the findings of a plugin without being one of its sources.
WATCHED_GLOBS = (
    "**/*.rs",
    "**/*.go",
    "**/*.py",
    *(f"**/{m}" for m in ROOT_MARKERS),
    "**/nd-lsp.toml",
    "**/pyproject.toml",
)
PULL_ATTEMPTS = 3  # a pulled document edited during its analysis is analysed again, this often


class NdLanguageServer(LanguageServer):
    """Keeps the open documents analysed; every request handler answers even when analysis fails."""

    def __init__(self) -> None:
        super().__init__("nd-lsp", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.options = ServerOptions()
        self.analyzer = Analyzer()
        # One analysis at a time, off the event loop: requests stay answered while a plugin is analysed,
        # and the Analyzer's cache is never used by two threads.
        self.analysis_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nd-lsp-analysis")
        self.documents = OpenDocuments(lambda: self.workspace)
        self.debouncer = Debouncer(self.options.debounce_ms / 1000, self.publish_for_document)
        self.target_versions: dict[Path, str] = {}
        self.analysed_roots: set[Path] = set()
        self.published: dict[Path, set[str]] = {}
        self.version_errors_shown: set[str] = set()

    # ---- client capabilities

    @property
    def pull_diagnostics(self) -> bool:
        text_document = self.client_capabilities.text_document
        return text_document is not None and text_document.diagnostic is not None

    @property
    def progress_supported(self) -> bool:
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)

    # ---- analysis

    async def analyse(self, root: Path) -> tuple[CheckResult, dict[str, Snapshot]] | None:
        """Run the engine on one plugin with its open buffers; None when the analysis failed."""
        # A buffer larger than the engine reads from disk is left to it: it reports the size, not parse it.
        snapshots = {snap.uri: snap for snap in self.documents.in_plugin(root) if len(snap.text) <= MAX_FILE_BYTES}
        overlays = {snap.path: snap.text for snap in snapshots.values()}
        settings = settings_for_root(root, self.options)
        token = await self._begin_progress(root)
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.analysis_pool, self.analyzer.check, root, settings, overlays)
        except UnknownVersionError as exc:
            self._show_version_error(str(exc))
            return None
        except Exception:
            log.exception("analysis of %s failed", root)
            return None
        finally:
            self._end_progress(token)
        self.analysed_roots.add(root)
        self.target_versions[root] = result.version
        return result, snapshots

    def diagnostics(self, result: CheckResult, snapshots: dict[str, Snapshot]) -> dict[Path, list[types.Diagnostic]]:
        by_path = {snap.path: snap for snap in snapshots.values()}
        convert = RangeConverter(self.workspace.position_codec, Texts({p: s.text for p, s in by_path.items()}))

        def version_of(path: Path) -> int | None:
            snap = by_path.get(path)
            return snap.version if snap else None

        return diagnostics_by_path(result.findings, convert, version_of)

    async def publish_for_document(self, uri: str) -> None:
        path = path_of(uri)
        if path is None or self.pull_diagnostics:
            return
        await self.publish_plugin(plugin_root_for(path))

    async def publish_plugin(self, root: Path) -> None:
        """Publish the findings of every open file of a plugin, of its manifest and of its build files.

        A document edited while it was analysed is skipped: its newer edit has scheduled another
        analysis, and results for a stale version are never published.
        """
        analysed = await self.analyse(root)
        if analysed is None:
            return
        result, snapshots = analysed
        by_path = self.diagnostics(result, snapshots)
        # An open file under the URI the client spelled; a closed one under its own URI.
        uri_by_path = {snap.path: snap.uri for snap in snapshots.values()}
        for path in [root / MANIFEST, *by_path]:
            if path.parent == root and path.name in ROOT_MARKERS and path.is_file():
                uri_by_path.setdefault(path, uri_of(path))
        by_uri = {uri_by_path[path]: diags for path, diags in by_path.items() if path in uri_by_path}
        targets = set(uri_by_path.values()) | self.published.get(root, set())
        for uri in sorted(targets):
            snap = snapshots.get(uri)
            if snap is not None and self.documents.version(uri) != snap.version:
                continue
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=uri, diagnostics=by_uri.get(uri, []), version=snap.version if snap else None
                )
            )
        self.published[root] = {uri for uri, diags in by_uri.items() if diags}

    async def pull(self, params: types.DocumentDiagnosticParams) -> types.RelatedFullDocumentDiagnosticReport:
        uri = params.text_document.uri
        snap = self.documents.snapshot(uri)
        if snap is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        for _ in range(PULL_ATTEMPTS):
            analysed = await self.analyse(plugin_root_for(snap.path))
            if analysed is None:
                return types.RelatedFullDocumentDiagnosticReport(items=[])
            result, snapshots = analysed
            current = snapshots.get(snap.uri)
            if current is not None and self.documents.version(uri) == current.version:
                items = self.diagnostics(result, snapshots).get(snap.path, [])
                return types.RelatedFullDocumentDiagnosticReport(items=items)
        # Still being edited: the client asks again, and a stale result is never returned.
        raise JsonRpcContentModified("the document changed during its analysis")

    def schedule_plugin(self, root: Path) -> None:
        """Re-analyse a plugin (its manifest or a closed file changed) through one of its open documents."""
        if self.pull_diagnostics:
            self.request_diagnostic_refresh()
            return
        open_docs = self.documents.in_plugin(root)
        if open_docs:
            self.debouncer.schedule(open_docs[0].uri)
        elif root in self.published:
            self.debouncer.schedule(uri_of(root / MANIFEST))

    def schedule_everything(self) -> None:
        roots = {
            plugin_root_for(snap.path)
            for uri in self.documents.all_uris()
            if (snap := self.documents.snapshot(uri)) is not None
        }
        for root in sorted(roots):
            self.schedule_plugin(root)

    # ---- spec of the target version, for completion, hover and signature help

    def spec_for(self, uri: str) -> Spec | None:
        path = path_of(uri)
        if path is None:
            return None
        root = plugin_root_for(path)
        version = self.target_versions.get(root)
        try:
            if version is None:  # not analysed yet: resolve the target as the analysis will
                overlays = {snap.path: snap.text for snap in self.documents.in_plugin(root)}
                return self.analyzer.target(root, settings_for_root(root, self.options), overlays).spec
            return load_spec(version)
        except (UnknownVersionError, OSError, ValueError):
            log.warning("no spec for the target version of %s", root)
            return None

    # ---- helpers

    async def _begin_progress(self, root: Path) -> str | None:
        if root in self.analysed_roots or not self.progress_supported:
            return None
        token = f"nd-lsp/{uuid.uuid4()}"
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), timeout=2)
            self.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title="nd-lsp", message=f"Analysing {root.name}")
            )
        except Exception:  # a client that refuses the token still gets its diagnostics
            log.debug("work done progress refused", exc_info=True)
            return None
        return token

    def _end_progress(self, token: str | None) -> None:
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))

    def _show_version_error(self, message: str) -> None:
        if message in self.version_errors_shown:
            return
        self.version_errors_shown.add(message)
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    def request_diagnostic_refresh(self) -> None:
        workspace = self.client_capabilities.workspace
        if workspace and workspace.diagnostics and workspace.diagnostics.refresh_support:
            self.workspace_diagnostic_refresh(None)


def guarded(default: Callable[[], R]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a handler so that any exception is logged and answered with an empty result."""

    def wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(*args: Any) -> Any:
                try:
                    return await handler(*args)
                except JsonRpcException:  # a protocol answer, not a failure
                    raise
                except Exception:
                    log.exception("%s failed", handler.__name__)
                    return default()

            return run_async

        @functools.wraps(handler)
        def run(*args: Any) -> Any:
            try:
                return handler(*args)
            except Exception:
                log.exception("%s failed", handler.__name__)
                return default()

        return run

    return wrap


def _nothing() -> None:
    return None


def _empty_list() -> list[Any]:
    return []


def create_server() -> NdLanguageServer:
    server = NdLanguageServer()
    _wire_documents(server)
    _wire_workspace(server)
    _wire_language_features(server)
    return server


def _wire_documents(server: NdLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    @guarded(_nothing)
    def initialize(params: types.InitializeParams) -> None:
        server.options = options_from_json(params.initialization_options)
        server.debouncer.delay = server.options.debounce_ms / 1000

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(_nothing)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        _document_changed(server, params.text_document.uri, immediately=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(_nothing)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        _document_changed(server, params.text_document.uri, immediately=False)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded(_nothing)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        _document_changed(server, params.text_document.uri, immediately=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(_nothing)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.debouncer.cancel(uri)
        path = path_of(uri)
        if path is None or server.pull_diagnostics:
            return
        if path.name != MANIFEST:
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        # The file on disk now counts instead of the closed buffer.
        server.schedule_plugin(plugin_root_for(path))


def _document_changed(server: NdLanguageServer, uri: str, *, immediately: bool) -> None:
    path = path_of(uri)
    if path is None:
        return
    if server.pull_diagnostics:
        if path.name in ROOT_MARKERS:  # the other files' findings depend on it
            server.request_diagnostic_refresh()
        return
    server.debouncer.schedule(uri, immediately=immediately)


def _wire_workspace(server: NdLanguageServer) -> None:
    @server.feature(types.INITIALIZED)
    @guarded(_nothing)
    async def initialized(params: types.InitializedParams) -> None:
        await _watch_files(server)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded(_nothing)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        roots = set()
        for change in params.changes:
            path = path_of(change.uri)
            if path is not None and server.documents.get(change.uri) is None:  # open buffers win
                roots.add(plugin_root_for(path))
        for root in sorted(roots):
            server.schedule_plugin(root)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded(_nothing)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if not has_settings(raw) and _can_ask_configuration(server):
            answer = await server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION_NAMES[0])])
            )
            raw = {SECTION_NAMES[0]: answer[0]} if answer else None
        server.options = options_from_json(raw, server.options)
        server.debouncer.delay = server.options.debounce_ms / 1000
        server.schedule_everything()


def _can_ask_configuration(server: NdLanguageServer) -> bool:
    workspace = server.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def _watch_files(server: NdLanguageServer) -> None:
    """Register a watcher for manifest and source files when the client lets a server do so."""
    workspace = server.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
    )
    registration = types.Registration(
        id=f"nd-lsp-watch-{uuid.uuid4()}",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )
    await server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))


def _wire_language_features(server: NdLanguageServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="nd-lsp", inter_file_dependencies=True, workspace_diagnostics=False),
    )
    @guarded(lambda: types.RelatedFullDocumentDiagnosticReport(items=[]))
    async def document_diagnostic(params: types.DocumentDiagnosticParams) -> Any:
        return await server.pull(params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
    )
    @guarded(_empty_list)
    def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        if server.documents.get(params.text_document.uri) is None:
            return []
        return code_actions.quick_fixes(params, server.documents.version(params.text_document.uri))

    # No space or comma: completion popping up after every word would drown the editor's own.
    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[":", ".", "{", '"']))
    @guarded(_nothing)
    def complete(params: types.CompletionParams) -> types.CompletionList | None:
        return completion.complete(_request_context(server, params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(_nothing)
    def hover_at(params: types.HoverParams) -> types.Hover | None:
        return hover.hover(_request_context(server, params.text_document.uri), params.position)

    @server.feature(
        types.TEXT_DOCUMENT_SIGNATURE_HELP,
        types.SignatureHelpOptions(trigger_characters=["(", ","], retrigger_characters=[","]),
    )
    @guarded(_nothing)
    def signature(params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        return signature_help.signature_help(_request_context(server, params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(_empty_list)
    async def document_symbols(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        ctx = _request_context(server, params.text_document.uri)
        if ctx is None:
            return []
        loop = asyncio.get_running_loop()
        reader = functools.partial(symbols.document_symbols, ctx, server.analyzer)
        return await loop.run_in_executor(server.analysis_pool, reader)


def _request_context(server: NdLanguageServer, uri: str) -> RequestContext | None:
    """What a request handler needs about one open document; None for an unopened one."""
    doc = server.documents.get(uri)
    path = path_of(uri)
    if doc is None or path is None or len(doc.source) > MAX_FILE_BYTES:
        return None
    spec = server.spec_for(uri)
    if spec is None:
        return None
    return RequestContext(
        path=path,
        text=doc.source,
        lines=list(doc.lines),
        spec=spec,
        codec=server.workspace.position_codec,
        snippets=_snippets(server),
        markdown=_markdown(server),
    )


def _snippets(server: NdLanguageServer) -> bool:
    text_document = server.client_capabilities.text_document
    completion_caps = text_document.completion if text_document else None
    item = completion_caps.completion_item if completion_caps else None
    return bool(item and item.snippet_support)


def _markdown(server: NdLanguageServer) -> bool:
    """Markdown when the client lists it for hover or completion documentation (plain text otherwise)."""
    text_document = server.client_capabilities.text_document
    if text_document is None:
        return False
    formats: list[str] = []
    if text_document.hover and text_document.hover.content_format:
        formats += text_document.hover.content_format
    item = text_document.completion.completion_item if text_document.completion else None
    if item and item.documentation_format:
        formats += item.documentation_format
    return types.MarkupKind.Markdown in formats
