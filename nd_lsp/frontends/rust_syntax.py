"""Tree-sitter plumbing for the Rust front-end: parsing, node text, paths and byte-offset spans."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path

import tree_sitter_rust
from tree_sitter import Language, Node, Parser, Query, Tree

from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.incremental_parse import IncrementalParser
from nd_lsp.frontends.source_order import kinds_query, matches_in_order, walk

# Nodes that spell a path: `a::b::C`, `C`, `a::b::C<T>` (generics are dropped by `path_of`).
PATH_NODES = frozenset(
    {"identifier", "type_identifier", "scoped_identifier", "scoped_type_identifier", "crate", "self", "super"}
)


@functools.lru_cache(maxsize=1)
def rust_language() -> Language:
    return Language(tree_sitter_rust.language())


@functools.lru_cache(maxsize=1)
def rust_parser() -> Parser:
    return Parser(rust_language())


SCOPED_PATHS = frozenset({"scoped_identifier", "scoped_type_identifier"})
TYPE_ITEMS = frozenset({"struct_item", "enum_item", "union_item"})
# Node kinds a unit summary records (rust_units): the items the reader looks for before walking units,
# and those whose names the summary keeps.
SUMMARY_KINDS = frozenset(
    {
        "use_declaration",
        "const_item",
        "static_item",
        "foreign_mod_item",
        "macro_definition",
        "function_item",
        "macro_invocation",
        "type_item",
        "impl_item",
    }
)
# Node kinds the facts walk acts on (rust.py, `_RustReader._visit`).
VISITED_KINDS = frozenset(
    {"impl_item", "function_item", "macro_invocation", "call_expression", "assignment_expression"}
    | {"compound_assignment_expr"}
    | TYPE_ITEMS
    | SCOPED_PATHS
)
# Node kinds the reader of a function's `let` bindings looks for (`let_bindings`).
LOCALS_KINDS = frozenset({"let_declaration"})
# One query finds them all: compiling a tree-sitter query costs ~2 ms per process whatever its size, and
# finding the nodes in C is ~5 times faster than a Python walk of every node. Its scan of the tree costs
# about as much as the walk of a cursor, so a file is scanned once and the nodes are shared (rust_units).
QUERIED_KINDS = SUMMARY_KINDS | VISITED_KINDS | LOCALS_KINDS
# One pattern per kind: a match's pattern index tells its kind without asking the node.
_QUERY_ORDER = tuple(sorted(QUERIED_KINDS))

Found = list[tuple[str, Node]]  # nodes of QUERIED_KINDS with their kind, as a walk of the tree meets them


def queried_nodes(root: Node, start: int = 0, end: int | None = None) -> Found:
    """The nodes of QUERIED_KINDS in root, root included, in source order (pre-order, as a walk meets
    them), with their kind; only those meeting bytes start..end when end is given."""
    kinds = _QUERY_ORDER
    return [(kinds[index], node) for index, node in matches_in_order(_kinds_query(), root, start, end)]


@functools.lru_cache(maxsize=1)
def _kinds_query() -> Query:
    return kinds_query(rust_language(), _QUERY_ORDER)


def parse_rust(source: bytes) -> Tree:
    return rust_parser().parse(source)


@functools.lru_cache(maxsize=1)
def _file_parser() -> IncrementalParser:
    return IncrementalParser(rust_language())


def parse_rust_file(path: Path, source: bytes) -> Tree:
    """Parse a file's text, incrementally from its previous text when the same path was parsed lately."""
    return _file_parser().parse(path, source)


def path_of(node: Node | None) -> tuple[str, ...]:
    """The segments of a path node as written: `nd_pdk::host::kvstore::set` -> (nd_pdk, host, kvstore, set).

    Generic arguments are dropped (`Vec<T>` -> (Vec,)); anything that is not a path gives ().
    """
    if node is None:
        return ()
    kind = node.type
    if kind in SCOPED_PATHS:
        inner, name = node.child_by_field_name("path"), node.child_by_field_name("name")
        head = path_of(inner) if inner is not None else ()
        if name is None or (inner is not None and not head):
            return ()
        return (*head, text(name))
    if kind in PATH_NODES:
        return (text(node),)
    if kind == "generic_type":
        return path_of(node.child_by_field_name("type"))
    if kind == "generic_function":
        return path_of(node.child_by_field_name("function"))
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


def let_bindings(found: Found) -> list[tuple[int, str, Node]]:
    """`let name = value;` among found nodes, in source order: (start byte, name, value)."""
    bindings = []
    for kind, node in found:
        if kind in LOCALS_KINDS:
            pattern, value = node.child_by_field_name("pattern"), node.child_by_field_name("value")
            if pattern is not None and pattern.type == "identifier" and value is not None:
                bindings.append((node.start_byte, text(pattern), value))
    return bindings


def walk_all(roots: Iterable[Node]) -> Iterator[Node]:
    """`walk` of each root in turn."""
    for root in roots:
        yield from walk(root)


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
