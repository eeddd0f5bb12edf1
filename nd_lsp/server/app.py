"""The pygls language server: document events, analysis scheduling and the wiring of every feature.

The engine, the rules, the front-ends and the feature modules are imported on first use (and warmed up
in the background once the client is initialized): the answer to `initialize` waits only for pygls,
lsprotocol and the settings.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import socket
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcContentModified, JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from nd_lsp import __version__
from nd_lsp.server.collector import IDLE_COLLECTION_S, collect_when_idle, freeze_start_up
from nd_lsp.server.documents import Debouncer, OpenDocuments, Snapshot, path_of, uri_of
from nd_lsp.server.protocol import NdProtocol
from nd_lsp.server.settings import (
    SECTION_NAMES,
    ServerOptions,
    has_settings,
    options_from_json,
    settings_for_root,
)
from nd_lsp.server.stream import ChunkReader, serve_stream

if TYPE_CHECKING:
    from nd_lsp.check.engine import Analyzer, CheckResult
    from nd_lsp.server.cursor import RequestContext
    from nd_lsp.specs.model import Spec

log = logging.getLogger(__name__)

R = TypeVar("R")

TARGET_VERSION_REQUEST = "nd-lsp/targetVersion"  # custom request: the target Navidrome version of a file
PULL_ATTEMPTS = 3  # a pulled document edited during its analysis is analysed again, this often
# What the first analysis and the first requests need, imported once the client is initialized.
WARM_UP_MODULES = (
    "nd_lsp.check.engine",
    "nd_lsp.rules.registry",
    "nd_lsp.server.diagnostics",
    "nd_lsp.server.completion",
    "nd_lsp.server.hover",
    "nd_lsp.server.signature_help",
    "nd_lsp.server.symbols",
    "nd_lsp.server.code_actions",
)


def watched_globs() -> tuple[str, ...]:
    """Files whose change can change the findings of a plugin without being one of its sources."""
    from nd_lsp.check.discovery import ROOT_MARKERS

    return ("**/*.rs", "**/*.go", "**/*.py", *(f"**/{m}" for m in ROOT_MARKERS), "**/nd-lsp.toml", "**/pyproject.toml")


class NdLanguageServer(LanguageServer):
    """Keeps the open documents analysed; every request handler answers even when analysis fails."""

    protocol: NdProtocol

    def __init__(self) -> None:
        super().__init__(
            "nd-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=NdProtocol,
        )
        self.options = ServerOptions()
        self.exit_code = 0
        # One analysis at a time, off the event loop: requests stay answered while a plugin is analysed,
        # and the Analyzer's cache is never used by two threads.
        self.analysis_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nd-lsp-analysis")
        self.documents = OpenDocuments(lambda: self.workspace)
        self.debouncer = Debouncer(self.options.debounce_ms / 1000, self.publish_for_document)
        # Per plugin root: the fresh re-parse of files last read from a provisional tree (see `settle`).
        self.settler = Debouncer(self.options.settle_ms / 1000, self.settle)
        self.idle_collector = Debouncer(IDLE_COLLECTION_S, collect_when_idle)
        self.target_versions: dict[Path, tuple[str, str]] = {}  # plugin root -> (version, where it came from)
        self.analysed_roots: set[Path] = set()
        self.published: dict[Path, set[str]] = {}
        self.version_errors_shown: set[str] = set()

    def use_options(self, options: ServerOptions) -> None:
        """The editor's settings, with the pauses they set for re-checking and settling."""
        self.options = options
        self.debouncer.delay = options.debounce_ms / 1000
        self.settler.delay = options.settle_ms / 1000

    @functools.cached_property
    def analyzer(self) -> Analyzer:
        from nd_lsp.check.engine import Analyzer
        from nd_lsp.frontends.incremental_parse import allow_provisional_trees

        allow_provisional_trees()  # a keystroke in half-written code skips the fresh re-parse until `settle`
        return Analyzer()

    # ---- transport

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio with our own frame reader (see stream.py), which survives broken frames."""
        self._serve(ChunkReader.of_fd((stdin or sys.stdin.buffer).fileno()), stdout or sys.stdout.buffer)

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one client connecting over TCP (for debugging), with the same reader as stdio."""
        with socket.create_server((host, port)) as listener:
            log.info("waiting for a client on %s:%d", host, port)
            connection, _ = listener.accept()
        with connection, connection.makefile("wb") as output:
            self._serve(ChunkReader(connection.recv), cast(BinaryIO, output))

    def _serve(self, source: ChunkReader, output: BinaryIO) -> None:
        self.protocol.set_writer(StdoutWriter(output))
        try:
            asyncio.run(serve_stream(source, self.protocol.receive))
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
        except SystemExit as exc:  # the client's `exit`: 0 after a shutdown request, 1 without (LSP)
            self.exit_code = exc.code if isinstance(exc.code, int) else 0
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log only: a popup about a client's protocol slip or a server bug is nothing a user can act on."""
        if source is FeatureRequestError:  # already answered with an error response, and logged by pygls
            log.debug("request failed: %s", error)
        elif isinstance(error, JsonRpcException):
            log.warning("%s: %s", getattr(source, "__name__", source), error)
        else:
            log.error("%s: %s", getattr(source, "__name__", source), error, exc_info=error)

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
        """Run the engine on one plugin with its open buffers; None when the analysis failed.

        Every open buffer is passed, even a huge one: the engine reports it (a ReadProblem) rather than
        analyse it, and the file on disk must not be analysed in its place.
        """
        from nd_lsp.specs.loader import UnknownVersionError

        snapshots = {snap.uri: snap for snap in self.documents.in_plugin(root)}
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
        self.target_versions[root] = (result.version, result.version_source)
        self.idle_collector.schedule("heap")
        if self.analyzer.provisional_files(root):
            self.settler.schedule(str(root))
        return result, snapshots

    async def settle(self, key: str) -> None:
        """Typing paused: re-read the plugin's files whose last tree was provisional from a fresh parse,
        and publish again (or, with pull diagnostics, ask the client to pull again)."""
        root = Path(key)
        paths = self.analyzer.provisional_files(root)
        if not paths:
            return
        # On the analysis thread: the Analyzer's cache is never used by two threads.
        await asyncio.get_running_loop().run_in_executor(self.analysis_pool, self.analyzer.settle, paths)
        if self.pull_diagnostics:
            self.request_diagnostic_refresh()
        else:
            await self.publish_plugin(root)

    def diagnostics(self, result: CheckResult, snapshots: dict[str, Snapshot]) -> dict[Path, list[types.Diagnostic]]:
        """The findings per file, plus one Information diagnostic for each open file that was not analysed."""
        from nd_lsp.server.diagnostics import RangeConverter, Texts, diagnostics_by_path, read_problem_diagnostic

        by_path = {snap.path: snap for snap in snapshots.values()}
        convert = RangeConverter(self.workspace.position_codec, Texts({p: s.text for p, s in by_path.items()}))

        def version_of(path: Path) -> int | None:
            snap = by_path.get(path)
            return snap.version if snap else None

        found = diagnostics_by_path(result.findings, convert, version_of)
        for problem in result.problems:
            if problem.path in by_path:
                found.setdefault(problem.path, []).insert(0, read_problem_diagnostic(problem.reason))
        return found

    async def publish_for_document(self, uri: str) -> None:
        from nd_lsp.check.discovery import plugin_root_for

        path = path_of(uri)
        if path is None or self.pull_diagnostics:
            return
        await self.publish_plugin(plugin_root_for(path))

    async def publish_plugin(self, root: Path) -> None:
        """Publish the findings of every open file of a plugin, of its manifest and of its build files.

        A document edited while it was analysed is skipped: its newer edit has scheduled another
        analysis, and results for a stale version are never published.
        """
        from nd_lsp.check.discovery import MANIFEST, ROOT_MARKERS

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
        from nd_lsp.check.discovery import plugin_root_for

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
        from nd_lsp.check.discovery import MANIFEST

        if self.pull_diagnostics:
            self.request_diagnostic_refresh()
            return
        open_docs = self.documents.in_plugin(root)
        if open_docs:
            self.debouncer.schedule(open_docs[0].uri)
        elif root in self.published:
            self.debouncer.schedule(uri_of(root / MANIFEST))

    def schedule_everything(self) -> None:
        from nd_lsp.check.discovery import plugin_root_for

        roots = {
            plugin_root_for(snap.path)
            for uri in self.documents.all_uris()
            if (snap := self.documents.snapshot(uri)) is not None
        }
        for root in sorted(roots):
            self.schedule_plugin(root)

    # ---- spec of the target version, for completion, hover and signature help

    def spec_for(self, uri: str) -> Spec | None:
        from nd_lsp.check.discovery import plugin_root_for
        from nd_lsp.specs.loader import UnknownVersionError, load_spec

        path = path_of(uri)
        if path is None:
            return None
        target = self.target_of(plugin_root_for(path))
        try:
            return load_spec(target[0]) if target else None
        except (UnknownVersionError, OSError, ValueError):
            log.warning("no spec for Navidrome %s", target[0] if target else "?")
            return None

    def target_of(self, root: Path) -> tuple[str, str] | None:
        """(version, where it came from) of a plugin: its last analysis', else resolved as one would."""
        from nd_lsp.specs.loader import UnknownVersionError

        known = self.target_versions.get(root)
        if known is not None:
            return known
        overlays = {snap.path: snap.text for snap in self.documents.in_plugin(root)}
        try:
            target = self.analyzer.target(root, settings_for_root(root, self.options), overlays)
        except (UnknownVersionError, OSError, ValueError):
            log.warning("no target version for %s", root)
            return None
        return target.spec.version, target.source

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
        server.use_options(options_from_json(params.initialization_options))

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
        if server.documents.get(params.text_document.uri) is None:
            log.debug("didSave of %s, which is not open: ignored", params.text_document.uri)
            return
        _document_changed(server, params.text_document.uri, immediately=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(_nothing)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        from nd_lsp.check.discovery import MANIFEST, plugin_root_for

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
    from nd_lsp.check.discovery import ROOT_MARKERS, plugin_root_for

    path = path_of(uri)
    if path is None:
        return
    server.settler.cancel(str(plugin_root_for(path)))  # the analysis of this edit decides about settling
    if server.pull_diagnostics:
        if path.name in ROOT_MARKERS:  # the other files' findings depend on it
            server.request_diagnostic_refresh()
        return
    server.debouncer.schedule(uri, immediately=immediately)


def _wire_workspace(server: NdLanguageServer) -> None:
    @server.feature(types.INITIALIZED)
    @guarded(_nothing)
    async def initialized(params: types.InitializedParams) -> None:
        server.protocol.warm_up()
        asyncio.get_running_loop().run_in_executor(server.analysis_pool, _warm_up)
        await _watch_files(server)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded(_nothing)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        from nd_lsp.check.discovery import plugin_root_for

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
        server.use_options(options_from_json(raw, server.options))
        server.schedule_everything()


def _warm_up() -> None:
    """Import what the first analysis and requests need, off the event loop, after `initialize` is answered."""
    import importlib

    for name in WARM_UP_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the first real use reports it
            log.debug("warming up %s failed", name, exc_info=True)
    freeze_start_up()


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
        watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in watched_globs()]
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
        from nd_lsp.server import code_actions

        if server.documents.get(params.text_document.uri) is None:
            return []
        return code_actions.quick_fixes(params, server.documents.version(params.text_document.uri))

    # No space or comma: completion popping up after every word would drown the editor's own.
    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[":", ".", "{", '"']))
    @guarded(_nothing)
    def complete(params: types.CompletionParams) -> types.CompletionList | None:
        from nd_lsp.server import completion

        return completion.complete(_request_context(server, params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(_nothing)
    def hover_at(params: types.HoverParams) -> types.Hover | None:
        from nd_lsp.server import hover

        return hover.hover(_request_context(server, params.text_document.uri), params.position)

    @server.feature(
        types.TEXT_DOCUMENT_SIGNATURE_HELP,
        types.SignatureHelpOptions(trigger_characters=["(", ","], retrigger_characters=[","]),
    )
    @guarded(_nothing)
    def signature(params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        from nd_lsp.server import signature_help

        return signature_help.signature_help(_request_context(server, params.text_document.uri), params.position)

    @server.feature(TARGET_VERSION_REQUEST)
    @guarded(_nothing)
    def target_version(*args: object) -> dict[str, str] | None:
        """nd-lsp/targetVersion {textDocument: {uri}} -> {version, source}: for the editor's status bar.

        pygls hands a custom request's handler (server, params), unlike the typed LSP features.
        """
        from nd_lsp.check.discovery import plugin_root_for

        uri = _uri_of(args[-1]) if args else None
        path = path_of(uri) if uri else None
        target = server.target_of(plugin_root_for(path)) if path else None
        return {"version": target[0], "source": target[1]} if target else None

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(_empty_list)
    async def document_symbols(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        from nd_lsp.server import symbols

        ctx = _request_context(server, params.text_document.uri)
        if ctx is None:
            return []
        loop = asyncio.get_running_loop()
        reader = functools.partial(symbols.document_symbols, ctx, server.analyzer)
        return await loop.run_in_executor(server.analysis_pool, reader)


def _uri_of(params: object) -> str | None:
    """The textDocument.uri of a custom request's params, whether pygls gives an object or a dict."""
    document = params.get("textDocument") if isinstance(params, dict) else getattr(params, "textDocument", None)
    uri = document.get("uri") if isinstance(document, dict) else getattr(document, "uri", None)
    return uri if isinstance(uri, str) else None


def _request_context(server: NdLanguageServer, uri: str) -> RequestContext | None:
    """What a request handler needs about one open document; None for an unopened or a too large one."""
    from nd_lsp.check.engine import is_too_large
    from nd_lsp.server.cursor import RequestContext

    doc = server.documents.get(uri)
    path = path_of(uri)
    if doc is None or path is None or is_too_large(doc.source):
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
