"""A bounded memory of the most recently used entries, shared safely between threads, and the switch that
turns every memory of earlier reads off for a run that reads each file once."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Up to `capacity` entries: storing one more forgets the one used least recently."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The entry of `key`, now the most recently used one."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def take(self, key: K) -> V | None:
        """The entry of `key`, removed: a reader holds it while it works on it, and `put`s back what it made
        (another thread reading the same key meanwhile starts afresh)."""
        with self._lock:
            return self._entries.pop(key, None)

    def put(self, key: K, value: V) -> None:
        if not _remembering:
            return
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = value
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)


_remembering = True


def remembering() -> bool:
    """Whether the front-ends keep what a read found for the next read of the same file (see `reading_once`)."""
    return _remembering


@contextlib.contextmanager
def reading_once() -> Iterator[None]:
    """While inside, nothing is kept for a later read: no tree, no per-item record, no memory of damage.

    The language server reads a file again on every keystroke and reuses all of that; `nd-lsp check` reads
    each file once, so keeping it only costs: freeing what drops out of the memories and working in a larger
    heap made ~7% of checking 200 plugins (and 13 MB). What a read computes does not depend on it.
    """
    global _remembering
    before, _remembering = _remembering, False
    try:
        yield
    finally:
        _remembering = before
