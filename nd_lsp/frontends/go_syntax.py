"""Tree-sitter plumbing for the Go front-end: parsing, node text and byte-offset spans."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from pathlib import Path

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Tree

from nd_lsp.frontends.facts import Position, Span


@functools.lru_cache(maxsize=1)
def go_parser() -> Parser:
    return Parser(Language(tree_sitter_go.language()))


def parse_go(source: bytes) -> Tree:
    return go_parser().parse(source)


class GoSourceMap:
    """Turns byte offsets of one UTF-8 Go source into 0-based line / code-point column positions."""

    def __init__(self, path: Path, source: bytes) -> None:
        self.path = path
        self.source = source
        self._line_starts = [0]
        self._line_starts.extend(i + 1 for i, byte in enumerate(source) if byte == 0x0A)

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.source)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        prefix = self.source[self._line_starts[line] : offset]
        column = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", errors="replace"))
        return Position(line, column)

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, self.position(start), self.position(end))

    def node_span(self, node: Node) -> Span:
        return self.span(node.start_byte, node.end_byte)

    def between(self, first: Node, last: Node) -> Span:
        return self.span(first.start_byte, last.end_byte)

    def end_of_source(self) -> Position:
        return self.position(len(self.source))


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def child(node: Node | None, field_name: str) -> Node | None:
    return None if node is None else node.child_by_field_name(field_name)


def children(node: Node | None, field_name: str) -> list[Node]:
    return [] if node is None else node.children_by_field_name(field_name)


def named_children(node: Node | None) -> list[Node]:
    return [] if node is None else [c for c in node.children if c.is_named and c.type != "comment"]


def descendants(node: Node) -> Iterator[Node]:
    """Every node below `node` in source order, without recursion (deeply nested code is fine)."""
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def unwrap_parens(node: Node | None) -> Node | None:
    while node is not None and node.type == "parenthesized_expression":
        inner = named_children(node)
        node = inner[0] if inner else None
    return node


def specs_of(declaration: Node, spec_type: str) -> list[Node]:
    """`const (A = 1; B = 2)` and `const A = 1` alike: the spec nodes of a declaration."""
    found = []
    for item in declaration.named_children:
        if item.type == spec_type:
            found.append(item)
        elif item.type.endswith("_spec_list"):
            found.extend(c for c in item.named_children if c.type == spec_type)
    return found
