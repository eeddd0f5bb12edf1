"""Nodes a tree-sitter query found, put in the order a walk of the tree meets them."""

from __future__ import annotations

from tree_sitter import Node


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
