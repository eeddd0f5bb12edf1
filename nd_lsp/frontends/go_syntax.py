"""Tree-sitter plumbing for the Go front-end: parsing, node text and byte-offset spans."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Tree


@functools.lru_cache(maxsize=1)
def go_parser() -> Parser:
    return Parser(Language(tree_sitter_go.language()))


def parse_go(source: bytes) -> Tree:
    return go_parser().parse(source)


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
