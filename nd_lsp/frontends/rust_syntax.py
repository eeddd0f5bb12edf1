"""Tree-sitter plumbing for the Rust front-end: parsing, node text, paths and byte-offset spans."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from pathlib import Path

import tree_sitter_rust
from tree_sitter import Language, Node, Parser, Tree

from nd_lsp.frontends.facts import Position, Span

# Nodes that spell a path: `a::b::C`, `C`, `a::b::C<T>` (generics are dropped by `path_of`).
PATH_NODES = frozenset(
    {"identifier", "type_identifier", "scoped_identifier", "scoped_type_identifier", "crate", "self", "super"}
)


@functools.lru_cache(maxsize=1)
def rust_parser() -> Parser:
    return Parser(Language(tree_sitter_rust.language()))


def parse_rust(source: bytes) -> Tree:
    return rust_parser().parse(source)


class SourceMap:
    """Turns byte offsets of one UTF-8 source into 0-based line / code-point column positions."""

    def __init__(self, path: Path, source: bytes) -> None:
        self.path = path
        self.source = source
        self._line_starts = [0]
        self._line_starts.extend(i + 1 for i, byte in enumerate(source) if byte == 0x0A)

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.source)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[line]
        prefix = self.source[start:offset]
        column = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", errors="replace"))
        return Position(line, column)

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, self.position(start), self.position(end))

    def node_span(self, node: Node, offset: int = 0) -> Span:
        """The span of a node; `offset` shifts nodes of a fragment re-parsed out of a macro body."""
        return self.span(node.start_byte + offset, node.end_byte + offset)

    def line_indent(self, offset: int) -> str:
        """The leading whitespace of the line holding `offset`."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[line]
        end = start
        while end < len(self.source) and self.source[end] in b" \t":
            end += 1
        return self.source[start:end].decode("ascii")

    def only_whitespace_before(self, offset: int) -> bool:
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return not self.source[self._line_starts[line] : offset].strip()


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def path_of(node: Node | None) -> tuple[str, ...]:
    """The segments of a path node as written: `nd_pdk::host::kvstore::set` -> (nd_pdk, host, kvstore, set).

    Generic arguments are dropped (`Vec<T>` -> (Vec,)); anything that is not a path gives ().
    """
    if node is None:
        return ()
    if node.type == "generic_type":
        return path_of(node.child_by_field_name("type"))
    if node.type == "generic_function":
        return path_of(node.child_by_field_name("function"))
    if node.type in {"scoped_identifier", "scoped_type_identifier"}:
        head = path_of(node.child_by_field_name("path")) if node.child_by_field_name("path") else ()
        name = node.child_by_field_name("name")
        if name is None or (node.child_by_field_name("path") is not None and not head):
            return ()
        return (*head, text(name))
    if node.type in PATH_NODES:
        return (text(node),)
    return ()


def last_segment_node(node: Node) -> Node:
    """The node of the last segment of a path (the token a finding about the item should underline)."""
    if node.type in {"generic_type", "generic_function"}:
        inner = node.child_by_field_name("type") or node.child_by_field_name("function")
        return last_segment_node(inner) if inner is not None else node
    if node.type in {"scoped_identifier", "scoped_type_identifier"}:
        name = node.child_by_field_name("name")
        return name if name is not None else node
    return node


def walk(node: Node) -> Iterator[Node]:
    """Every descendant of node (node first), depth first, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def attributes_of(item: Node) -> list[Node]:
    """The `attribute` nodes written right before an item (`#[derive(...)]`, `#[plugin_fn]`)."""
    found: list[Node] = []
    sibling = item.prev_named_sibling
    while sibling is not None and sibling.type in {"attribute_item", "line_comment", "block_comment"}:
        if sibling.type == "attribute_item":
            found.extend(c for c in sibling.named_children if c.type == "attribute")
        sibling = sibling.prev_named_sibling
    found.reverse()
    return found


def first_attribute_start(item: Node) -> int:
    """The byte offset where an item's attributes start (the item itself when it has none)."""
    start = item.start_byte
    sibling = item.prev_named_sibling
    while sibling is not None and sibling.type == "attribute_item":
        start = sibling.start_byte
        sibling = sibling.prev_named_sibling
    return start


def attribute_path(attribute: Node) -> tuple[str, ...]:
    for child in attribute.named_children:
        if child.type in PATH_NODES:
            return path_of(child)
    return ()


def attribute_arguments(attribute: Node) -> Node | None:
    return attribute.child_by_field_name("arguments")
