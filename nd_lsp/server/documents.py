"""Open documents: their paths, plugin roots and texts, and the per-document debounce of analyses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument, Workspace

from nd_lsp.check.discovery import ROOT_MARKERS, language_of, plugin_root_for

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
    return language_of(path) is not None or path.name in ROOT_MARKERS


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
        if previous is not None and not previous.done():
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
