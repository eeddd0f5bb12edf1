"""Incremental tree-sitter parsing per file path: an edit re-parses only around the changed bytes."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from tree_sitter import Language, Parser, Tree

from nd_lsp.frontends.recent import remembering
from nd_lsp.frozen_dataclass import frozen_dataclass

DEFAULT_MAX_PATHS = 8


@frozen_dataclass
class Edit:
    """The single changed region between two texts, in bytes: old[start:old_end] became new[start:new_end]."""

    start: int
    old_end: int
    new_end: int


def changed_region(old: bytes, new: bytes) -> Edit:
    """The region outside the common prefix and suffix of old and new, on UTF-8 character boundaries."""
    limit = min(len(old), len(new))
    start = _common_prefix_length(old, new, limit)
    suffix = _common_suffix_length(old, new, limit - start)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    # tree-sitter lexes characters: never let the edit begin or end inside one.
    while start > 0 and _is_continuation(old, start):
        start -= 1
    while old_end < len(old) and _is_continuation(old, old_end):
        old_end += 1
        new_end += 1
    return Edit(start, old_end, new_end)


def _is_continuation(data: bytes, index: int) -> bool:
    return index < len(data) and data[index] & 0xC0 == 0x80


def _common_prefix_length(old: bytes, new: bytes, limit: int) -> int:
    """Binary search on slice equality: each comparison is a memcmp in C, not a Python loop per byte."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix_length(old: bytes, new: bytes, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def point_at(source: bytes, offset: int) -> tuple[int, int]:
    """tree-sitter's (row, byte column) of a byte offset: rows end at `\\n` (a `\\r` stays in the column)."""
    row = source.count(b"\n", 0, offset)
    line_start = source.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start


class IncrementalParser:
    """Parses sources of one language, keeping the last (source, tree) of the most recent paths.

    A path seen before is re-parsed incrementally from its previous tree; the first parse of a path
    (all `nd-lsp check` does) is a plain parse. tree-sitter's error recovery can differ between an
    incremental and a fresh parse of the same half-written text (rare, but seen for Go), so by default
    a tree with errors is parsed again from scratch: the facts of a text never depend on how the editor
    got there.

    The language server allows provisional trees instead (`allow_provisional_trees`): the incremental
    tree with errors is used as it is (a fresh parse of a 3,000-line file costs ~8 ms, most of a
    keystroke's analysis), its path is remembered as provisional, and the server `settle`s it with a
    fresh parse once typing pauses.
    """

    def __init__(self, language: Language, max_paths: int = DEFAULT_MAX_PATHS) -> None:
        self._parser = Parser(language)
        self._max_paths = max_paths
        self._last: OrderedDict[Path, tuple[bytes, Tree]] = OrderedDict()
        self._provisional: set[Path] = set()  # paths whose last tree is an incremental one with errors
        self._lock = threading.Lock()  # a Parser is not safe to share between threads
        _PARSERS.add(self)

    def parse(self, path: Path, source: bytes) -> Tree:
        with self._lock:
            previous = self._last.pop(path, None)
            tree, provisional = self._parse(previous, source)
            if provisional:
                self._provisional.add(path)
            elif previous is None or previous[0] != source:  # the same text keeps its tree and its state
                self._provisional.discard(path)
            if remembering():
                self._last[path] = (source, tree)
            while len(self._last) > self._max_paths:
                dropped, _ = self._last.popitem(last=False)
                self._provisional.discard(dropped)
            return tree

    def cached_paths(self) -> list[Path]:
        """The paths whose last tree is kept, least recently parsed first."""
        with self._lock:
            return list(self._last)

    def provisional_paths(self) -> set[Path]:
        with self._lock:
            return set(self._provisional)

    def forget(self, path: Path) -> None:
        with self._lock:
            self._last.pop(path, None)
            self._provisional.discard(path)

    def _parse(self, previous: tuple[bytes, Tree] | None, source: bytes) -> tuple[Tree, bool]:
        """The tree of source, and whether it is provisional."""
        if previous is None:
            return self._parser.parse(source), False
        old_source, old_tree = previous
        if old_source == source:
            return old_tree, False
        edit = changed_region(old_source, source)
        edited = old_tree.copy()  # trees handed out before stay as they were
        edited.edit(
            start_byte=edit.start,
            old_end_byte=edit.old_end,
            new_end_byte=edit.new_end,
            start_point=point_at(old_source, edit.start),
            old_end_point=point_at(old_source, edit.old_end),
            new_end_point=point_at(source, edit.new_end),
        )
        tree = self._parser.parse(source, edited)
        if not tree.root_node.has_error:
            return tree, False
        if _provisional_trees_allowed.is_set():
            return tree, True
        return self._parser.parse(source), False


# Every parser of the process, so the server can settle a path whichever language parsed it.
_PARSERS: weakref.WeakSet[IncrementalParser] = weakref.WeakSet()
_provisional_trees_allowed = threading.Event()


def allow_provisional_trees(allowed: bool = True) -> None:
    """Let every IncrementalParser keep an incremental tree with errors (the language server does)."""
    if allowed:
        _provisional_trees_allowed.set()
    else:
        _provisional_trees_allowed.clear()


def provisional_paths() -> set[Path]:
    """Paths whose last tree, in any language, is a provisional one."""
    return set().union(*(parser.provisional_paths() for parser in list(_PARSERS)))


def settle(paths: Iterable[Path]) -> None:
    """Forget the provisional trees of these paths: their next parse is a fresh one."""
    wanted = set(paths)
    for parser in list(_PARSERS):
        for path in parser.provisional_paths() & wanted:
            parser.forget(path)
