"""Source order in a tree-sitter tree: a walk of every node, the nodes of chosen kinds as a query finds them
in that order, and nodes found otherwise put in the order that walk meets them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tree_sitter import Language, Node, Query, QueryCursor


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself included) in source order, without recursion. A cursor made from
    `node` never leaves it, and moves without making a Python object for each node it passes."""
    cursor = node.walk()
    while True:
        yield cursor.node  # type: ignore[misc]  # a cursor over a node always stands on one
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def kinds_query(language: Language, kinds: Iterable[str]) -> Query:
    """A query of the nodes of these kinds, one pattern per kind in the order given (a match's pattern index
    names its kind), each node captured as `@node`: what `matches_in_order` reads."""
    query: Query = Query(language, " ".join(f"({kind}) @node" for kind in kinds))
    return query


def matches_in_order(query: Query, node: Node, start: int = 0, end: int | None = None) -> list[tuple[int, Node]]:
    """(pattern index, node) of each match of a `kinds_query` under `node` (itself included), in the order a
    walk meets the nodes; with `end`, only the nodes meeting bytes start..end.

    A match of a one-node pattern is complete when the cursor enters the node, so matches come in the order
    of a walk: no sort (`captures` gathers each capture's nodes in a set first, which then needs one: the two
    cost a third of the query itself).
    """
    cursor = QueryCursor(query)
    if end is not None:
        cursor.set_byte_range(start, end)
    return [(index, captured["node"][0]) for index, captured in cursor.matches(node)]


def in_source_order(nodes: list[Node]) -> list[Node]:
    """Pre-order, as a walk of the tree meets them: by start, an enclosing node before the ones inside."""
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    for index in range(len(nodes) - 1):
        first, second = nodes[index], nodes[index + 1]
        if first.start_byte == second.start_byte and first.end_byte == second.end_byte:
            return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte, _depth(n)))  # a node and its only child
    return nodes


def _depth(node: Node) -> int:
    depth = 0
    parent = node.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth
