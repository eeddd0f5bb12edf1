"""Tree-sitter plumbing for the Go front-end: parsing (incremental per file), one-pass node queries, fields."""

from __future__ import annotations

import functools
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from operator import itemgetter
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
    walk), optionally narrowed to the part of the tree inside another node.

    The query runs when nodes are first asked for (a reader that can tell from the text that a
    declaration holds nothing it looks for never scans it); each kind is put in source order when first
    asked for (most kinds are looked at in few declarations)."""

    def __init__(self, nodes: _QueriedNodes, start: int, end: int) -> None:
        self._nodes = nodes
        self._start = start
        self._end = end

    @classmethod
    def under(cls, node: Node) -> Captures:
        """The node itself and every node below it."""
        return cls(_QueriedNodes(node), node.start_byte, node.end_byte)

    def within(self, node: Node) -> Captures:
        return Captures(self._nodes, node.start_byte, node.end_byte)

    @property
    def bounds(self) -> tuple[int, int]:
        """The range's start and end byte."""
        return self._start, self._end

    def holds(self, node: Node) -> bool:
        return self._start <= node.start_byte and node.end_byte <= self._end

    def has(self, kind: str) -> bool:
        """Whether the range holds a node of this kind."""
        return bool(self.any_order(kind))

    def of(self, *kinds: str) -> list[Node]:
        """The nodes of these kinds in the range, in source order (a node before the nodes inside it)."""
        found = self.any_order(*kinds)
        return in_source_order(found) if len(kinds) > 1 and len(found) > 1 else found

    def calls(self, source: bytes) -> list[Node]:
        """The call_expression nodes in the range, in source order, found from the `(` that opens each
        one's argument list rather than by the query (a body holds far fewer parentheses than nodes).
        Only for a tree without syntax errors: error recovery may make up a call without a `(`."""
        root = self._nodes.node
        start, end = self._start, self._end
        found: list[tuple[int, int, Node]] = []
        position = source.find(b"(", start, end)
        while position >= 0:
            token = root.descendant_for_byte_range(position, position + 1)
            arguments = token.parent if token is not None and token.type == "(" else None
            call = arguments.parent if arguments is not None and arguments.type == "argument_list" else None
            if call is not None and call.type == "call_expression":
                call_start, call_end = call.start_byte, call.end_byte
                if start <= call_start and call_end <= end:
                    found.append((call_start, -call_end, call))
            position = source.find(b"(", position + 1, end)
        return _sorted_spans(found)

    def of_starting(self, where: Callable[[int], bool], *kinds: str) -> list[Node]:
        """The nodes of these kinds in the range whose start byte passes `where`, in source order (the
        test runs before the sort, on the start bytes the query found: most nodes are never sorted)."""
        start, end = self._start, self._end
        found: list[tuple[int, int, Node]] = []
        for kind in kinds:
            starts, ends, nodes = self._nodes.of(kind)
            first, last = bisect_left(starts, start), bisect_right(starts, end)
            for index in range(first, last):
                if ends[index] <= end and where(starts[index]):
                    found.append((starts[index], -ends[index], nodes[index]))
        return _sorted_spans(found) if len(kinds) > 1 else [n for _, _, n in found]

    def any_order(self, *kinds: str) -> list[Node]:
        """The nodes of these kinds in the range, in source order per kind."""
        start, end = self._start, self._end
        found: list[Node] = []
        for kind in kinds:
            starts, ends, nodes = self._nodes.of(kind)
            first, last = bisect_left(starts, start), bisect_right(starts, end)
            if first < last:
                found += [n for n, e in zip(nodes[first:last], ends[first:last], strict=True) if e <= end]
        return found


class _QueriedNodes:
    """The captures of one query under a node, run when first needed, each kind sorted when first needed."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._found: dict[str, list[Node]] | None = None
        self._sorted: dict[str, _Found] = {}

    def of(self, kind: str) -> _Found:
        known = self._sorted.get(kind)
        if known is None:
            if self._found is None:
                self._found = QueryCursor(_capture_query()).captures(self.node)
            known = self._sorted[kind] = _in_walk_order(self._found.get(kind, []))
        return known


def _sorted_spans(found: list[tuple[int, int, Node]]) -> list[Node]:
    """The nodes of (start byte, -end byte, node) triples in source order."""
    if len(found) > 1:
        found.sort(key=itemgetter(0, 1))
        if any(a[0] == b[0] and a[1] == b[1] for a, b in itertools.pairwise(found)):
            return in_source_order([n for _, _, n in found])  # a node and its only child: the parent first
    return [n for _, _, n in found]


def _in_walk_order(nodes: list[Node]) -> _Found:
    """Start bytes, end bytes and the nodes, in source order (the query gives a kind's nodes in another)."""
    spans = sorted([((n.start_byte, -n.end_byte), n) for n in nodes], key=itemgetter(0))
    starts, ends = [s[0][0] for s in spans], [-s[0][1] for s in spans]
    ordered = [s[1] for s in spans]
    if any(starts[i] == starts[i + 1] and ends[i] == ends[i + 1] for i in range(len(ordered) - 1)):
        ordered = in_source_order(ordered)  # a node and its only child: the parent first
    return starts, ends, ordered


# The nodes of one kind in source order: their start bytes, end bytes and the nodes.
_Found = tuple[list[int], list[int], list[Node]]


def child(node: Node | None, field_name: str) -> Node | None:
    return None if node is None else node.child_by_field_name(field_name)


def children(node: Node | None, field_name: str) -> list[Node]:
    return [] if node is None else node.children_by_field_name(field_name)


def named_children(node: Node | None) -> list[Node]:
    return [] if node is None else [c for c in node.named_children if c.type != "comment"]


def unwrap_parens(node: Node | None) -> Node | None:
    while node is not None and node.type == "parenthesized_expression":
        inner = named_children(node)
        node = inner[0] if inner else None
    return node


def unwrapped(node: Node | None) -> tuple[Node | None, str]:
    """The expression inside any parentheses around `node`, and its kind ("" for none)."""
    while node is not None:
        kind = node.type
        if kind != "parenthesized_expression":
            return node, kind
        inner = named_children(node)
        node = inner[0] if inner else None
    return None, ""


def specs_of(declaration: Node, spec_type: str) -> list[Node]:
    """`const (A = 1; B = 2)` and `const A = 1` alike: the spec nodes of a declaration."""
    found = []
    for item in declaration.named_children:
        if item.type == spec_type:
            found.append(item)
        elif item.type.endswith("_spec_list"):
            found.extend(c for c in item.named_children if c.type == spec_type)
    return found
