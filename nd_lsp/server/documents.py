"""Open documents: their paths, plugin roots and texts, and the per-document debounce of analyses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument, Workspace

from nd_lsp.server.lines import LineIndex, split_lines

log = logging.getLogger(__name__)


def path_of(uri: str) -> Path | None:
    """The file a `file:` URI names; None for other schemes (untitled buffers, remote files)."""
    if not uri.startswith("file:"):
        return None
    fs_path = to_fs_path(uri)
    return Path(fs_path) if fs_path else None


def uri_of(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def is_plugin_file(path: Path) -> bool:
    """A file the engine reads: a source, manifest.json, or a build file (Cargo.toml, go.mod)."""
    from nd_lsp.check.discovery import ROOT_MARKERS, language_of

    return language_of(path) is not None or path.name in ROOT_MARKERS


class LspTextDocument(TextDocument):
    """A pygls document whose lines end where an editor's do (\\r\\n, \\r, \\n), and whose edits clamp
    positions past a line, past the text or inside a surrogate pair instead of misplacing the text."""

    _line_cache: tuple[str, tuple[str, ...]] | None = None

    @property
    def lines(self) -> tuple[str, ...]:
        source = self.source
        if self._line_cache is None or self._line_cache[0] is not source:
            self._line_cache = (source, tuple(split_lines(source)))
        return self._line_cache[1]

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        source = self.source
        index = LineIndex(source, self.position_codec)
        start = index.offset(change.range.start)
        end = index.offset(change.range.end)
        if end < start:  # a reversed range from a sloppy client: still the text between the two
            start, end = end, start
        self._source = source[:start] + change.text + source[end:]


class LspWorkspace(Workspace):
    """pygls' workspace with documents that follow the LSP line model."""

    @classmethod
    def like(cls, workspace: Workspace, sync_kind: types.TextDocumentSyncKind) -> LspWorkspace:
        return cls(
            workspace.root_uri,
            sync_kind,
            list(workspace.folders.values()),
            workspace.position_encoding,
        )

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )


@dataclass(frozen=True)
class Snapshot:
    """One open document at one version, as an analysis saw it."""

    uri: str
    path: Path
    version: int | None
    text: str


class OpenDocuments:
    """A view of the documents the client has open, keyed the way the engine needs them."""

    def __init__(self, workspace: Callable[[], Workspace]) -> None:
        self._workspace = workspace

    def get(self, uri: str) -> TextDocument | None:
        """The open document, or None: a request for an unopened document answers empty."""
        doc: TextDocument | None = self._workspace().text_documents.get(unquote(uri))
        return doc

    def snapshot(self, uri: str) -> Snapshot | None:
        """The document as it is now, under the URI the client spelled (so diagnostics match its buffer)."""
        doc = self.get(uri)
        path = path_of(doc.uri) if doc is not None else None
        if doc is None or path is None:
            return None
        return Snapshot(doc.uri, path, doc.version, doc.source)

    def all_uris(self) -> list[str]:
        return [doc.uri for doc in self._workspace().text_documents.values()]

    def in_plugin(self, root: Path) -> list[Snapshot]:
        """Open documents the analysis of the plugin at `root` reads: sources, manifest and build files."""
        from nd_lsp.check.discovery import plugin_root_for

        found = []
        for uri in self.all_uris():
            snap = self.snapshot(uri)
            if snap is not None and is_plugin_file(snap.path) and plugin_root_for(snap.path) == root:
                found.append(snap)
        return found

    def version(self, uri: str) -> int | None:
        doc = self.get(uri)
        return doc.version if doc is not None else None


class Debouncer:
    """Runs `action(key)` once edits to `key` pause for `delay` seconds; a newer edit cancels a wait."""

    def __init__(self, delay: float, action: Callable[[str], Awaitable[None]]) -> None:
        self.delay = delay
        self._action = action
        self._pending: dict[str, asyncio.Task[None]] = {}

    def schedule(self, key: str, *, immediately: bool = False) -> None:
        previous = self._pending.pop(key, None)
        # An action may schedule its own key again: the running task is not cancelled by that.
        if previous is not None and not previous.done() and previous is not asyncio.current_task():
            previous.cancel()
        self._pending[key] = asyncio.ensure_future(self._run(key, 0.0 if immediately else self.delay))

    def cancel(self, key: str) -> None:
        task = self._pending.pop(key, None)
        if task is not None:
            task.cancel()

    async def _run(self, key: str, delay: float) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            await self._action(key)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed analysis must not stop later ones
            log.exception("analysis of %s failed", key)
        finally:
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]
