"""The names a Rust file brings into scope with `use`, and how written paths resolve through them."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.rust_syntax import PATH_NODES, path_of, walk_all
from nd_lsp.frozen_dataclass import frozen_dataclass


@frozen_dataclass
class UseItem:
    """One leaf of a use tree: `use a::b::{C as D}` binds D to (a, b, C)."""

    local_name: str  # "" for a glob
    path: tuple[str, ...]  # the full path, leading `::` dropped
    node: Node  # the token naming the item (the last path segment as written)
    is_glob: bool = False


class UseScope:
    """The `use` declarations of one file, flattened: Rust scoping inside blocks is not modelled,
    which is right for plugin crates where uses sit at the top of the file."""

    def __init__(self) -> None:
        self.items: list[UseItem] = []
        self.by_name: dict[str, tuple[str, ...]] = {}
        self.globs: list[tuple[str, ...]] = []

    def add(self, item: UseItem) -> None:
        self.items.append(item)
        if item.is_glob:
            self.globs.append(item.path)
        elif item.local_name and item.local_name != "_":
            self.by_name[item.local_name] = item.path

    def resolve(self, written: tuple[str, ...]) -> tuple[str, ...]:
        """The full path of a written path: its first segment is replaced by what `use` bound to it."""
        if not written:
            return written
        bound = self.by_name.get(written[0])
        return (*bound, *written[1:]) if bound else written

    def glob_imports_from(self, prefix: tuple[str, ...]) -> bool:
        return prefix in self.globs


def read_use_scope(roots: Iterable[Node]) -> UseScope:
    """The `use` declarations anywhere under the given nodes, in source order."""
    scope = UseScope()
    for node in walk_all(roots):
        if node.type == "use_declaration":
            argument = node.child_by_field_name("argument")
            if argument is not None:
                for item in _use_tree_items(argument, ()):
                    scope.add(item)
    return scope


def _use_tree_items(node: Node, prefix: tuple[str, ...]) -> list[UseItem]:
    kind = node.type
    if kind == "use_as_clause":
        target, alias = node.child_by_field_name("path"), node.child_by_field_name("alias")
        full = (*prefix, *path_of(target))
        if target is None or not full:
            return []
        return [UseItem(text(alias) if alias is not None else full[-1], full, _last_token(target))]
    if kind == "use_list":
        return [item for child in node.named_children for item in _use_tree_items(child, prefix)]
    if kind == "scoped_use_list":
        head = node.child_by_field_name("path")
        inner = node.child_by_field_name("list")
        full = (*prefix, *path_of(head))
        return _use_tree_items(inner, full) if inner is not None else []
    if kind == "use_wildcard":
        base = next((c for c in node.named_children if c.type in PATH_NODES), None)
        token = _last_token(base) if base is not None else node
        return [UseItem("", (*prefix, *path_of(base)), token, is_glob=True)]
    if kind == "self" and prefix:
        return [UseItem(prefix[-1], prefix, node)]
    if kind in PATH_NODES:
        full = (*prefix, *path_of(node))
        if full and full[-1] == "self":  # `use a::b::{self}` written as a scoped path
            full = full[:-1]
        return [UseItem(full[-1], full, _last_token(node))] if full else []
    return []


def _last_token(node: Node) -> Node:
    if node.type in {"scoped_identifier", "scoped_type_identifier"}:
        name = node.child_by_field_name("name")
        return name if name is not None else node
    return node
