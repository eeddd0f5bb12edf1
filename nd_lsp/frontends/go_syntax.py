"""Tree-sitter plumbing for the Go front-end: parsing (incremental per file), one-pass node queries, fields."""

from __future__ import annotations

import functools
from pathlib import Path

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from nd_lsp.frontends.incremental_parse import IncrementalParser
from nd_lsp.frontends.source_order import in_source_order

# The node kinds the Go reader looks at inside declarations; `Captures` finds them all in one pass.
CAPTURED_KINDS = (
    "call_expression",
    "assignment_statement",
    "inc_statement",
    "dec_statement",
    "short_var_declaration",
    "range_clause",
    "var_spec",
    "const_spec",
    "const_declaration",
    "parameter_declaration",
    "qualified_type",
    "selector_expression",
    "func_literal",
)


@functools.lru_cache(maxsize=1)
def go_language() -> Language:
    return Language(tree_sitter_go.language())


@functools.lru_cache(maxsize=1)
def go_parser() -> Parser:
    return Parser(go_language())


def parse_go(source: bytes) -> Tree:
    return go_parser().parse(source)


@functools.lru_cache(maxsize=1)
def _file_parser() -> IncrementalParser:
    return IncrementalParser(go_language())


def parse_go_file(path: Path, source: bytes) -> Tree:
    """Parse a file's text, incrementally from its previous text when the same path was parsed lately."""
    return _file_parser().parse(path, source)


@functools.lru_cache(maxsize=1)
def _capture_query() -> Query:
    query: Query = Query(go_language(), " ".join(f"({kind}) @{kind}" for kind in CAPTURED_KINDS))
    return query


class Captures:
    """The nodes of the CAPTURED_KINDS under one node, found by a tree-sitter query (in C, not a Python
    walk), optionally narrowed to the part of the tree inside another node."""

    def __init__(self, found: dict[str, list[Node]], start: int, end: int) -> None:
        self._found = found
        self._start = start
        self._end = end

    @classmethod
    def under(cls, node: Node) -> Captures:
        """The node itself and every node below it."""
        return cls(QueryCursor(_capture_query()).captures(node), node.start_byte, node.end_byte)

    def within(self, node: Node) -> Captures:
        return Captures(self._found, node.start_byte, node.end_byte)

    def holds(self, node: Node) -> bool:
        return self._start <= node.start_byte and node.end_byte <= self._end

    def of(self, *kinds: str) -> list[Node]:
        """The nodes of these kinds in the range, in source order (a node before the nodes inside it)."""
        start, end = self._start, self._end
        found = [n for kind in kinds for n in self._found.get(kind, ()) if start <= n.start_byte and n.end_byte <= end]
        return in_source_order(found)


def child(node: Node | None, field_name: str) -> Node | None:
    return None if node is None else node.child_by_field_name(field_name)


def children(node: Node | None, field_name: str) -> list[Node]:
    return [] if node is None else node.children_by_field_name(field_name)


def named_children(node: Node | None) -> list[Node]:
    return [] if node is None else [c for c in node.children if c.is_named and c.type != "comment"]


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
