"""Positions in a UTF-8 source parsed by tree-sitter: byte offsets to 0-based line / code-point column."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from pathlib import Path

from tree_sitter import Node

from nd_lsp.frontends.facts import Position, Span


class ByteSourceMap:
    """Turns byte offsets of one UTF-8 source into 0-based line / code-point column positions."""

    def __init__(self, path: Path, source: bytes) -> None:
        self.path = path
        self.source = source
        # Built from split lengths: a Python loop over every byte costs more than the incremental parse.
        self._line_starts = list(itertools.accumulate((len(line) + 1 for line in source.split(b"\n")[:-1]), initial=0))
        # In an all-ASCII source (most are) a column is a byte count: no slice to look at.
        self._ascii = source.isascii()

    def _line_of(self, offset: int) -> int:
        return bisect_right(self._line_starts, offset) - 1

    def position(self, offset: int) -> Position:
        source = self.source
        if offset < 0:
            offset = 0
        elif offset > len(source):
            offset = len(source)
        starts = self._line_starts
        line = bisect_right(starts, offset) - 1
        if self._ascii:
            return Position(line, offset - starts[line])
        prefix = source[starts[line] : offset]
        column = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", errors="replace"))
        return Position(line, column)

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, self.position(start), self.position(end))

    def node_start(self, node: Node, offset: int = 0) -> Position:
        """Where a node starts; `offset` shifts nodes of a fragment re-parsed out of a larger text. In an
        all-ASCII source a node of its own tree knows its position: tree-sitter's byte column is the
        code-point column (rows end at `\\n` in both)."""
        if offset or not self._ascii:
            return self.position(node.start_byte + offset)
        row, column = node.start_point
        return Position(row, column)

    def node_end(self, node: Node, offset: int = 0) -> Position:
        if offset or not self._ascii:
            return self.position(node.end_byte + offset)
        row, column = node.end_point
        return Position(row, column)

    def node_span(self, node: Node, offset: int = 0) -> Span:
        """The span of a node; `offset` shifts nodes of a fragment re-parsed out of a larger text."""
        return Span(self.path, self.node_start(node, offset), self.node_end(node, offset))

    def between(self, first: Node, last: Node, offset: int = 0) -> Span:
        """From the start of `first` to the end of `last`."""
        return Span(self.path, self.node_start(first, offset), self.node_end(last, offset))

    def end_of_source(self) -> Position:
        return self.position(len(self.source))

    def line_indent(self, offset: int) -> str:
        """The leading whitespace of the line holding `offset`."""
        start = self._line_starts[self._line_of(offset)]
        end = start
        while end < len(self.source) and self.source[end] in b" \t":
            end += 1
        return self.source[start:end].decode("ascii")

    def only_whitespace_before(self, offset: int) -> bool:
        line = self._line_of(offset)
        return not self.source[self._line_starts[line] : offset].strip()


def node_text(node: Node | None) -> str:
    if node is None:
        return ""
    text = node.text  # each read of the property copies the bytes out of the source
    return "" if text is None else text.decode("utf-8", errors="replace")
