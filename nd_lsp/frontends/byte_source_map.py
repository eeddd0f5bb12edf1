"""Positions in a UTF-8 source parsed by tree-sitter: byte offsets to 0-based line / code-point column."""

from __future__ import annotations

import bisect
import itertools
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

    def _line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._line_starts, offset) - 1

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.source)))
        line = self._line_of(offset)
        prefix = self.source[self._line_starts[line] : offset]
        column = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", errors="replace"))
        return Position(line, column)

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, self.position(start), self.position(end))

    def node_span(self, node: Node, offset: int = 0) -> Span:
        """The span of a node; `offset` shifts nodes of a fragment re-parsed out of a larger text."""
        return self.span(node.start_byte + offset, node.end_byte + offset)

    def between(self, first: Node, last: Node) -> Span:
        return self.span(first.start_byte, last.end_byte)

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
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")
