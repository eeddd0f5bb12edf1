"""Source order in a tree-sitter tree: a walk of every node, and the nodes a query found put in the order
that walk meets them."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node


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
