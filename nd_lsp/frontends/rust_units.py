"""A Rust file cut into top-level units, with what each unit says cached by its text across edits."""

# A keystroke changes one top-level item; the others keep their text and only move by whole lines. So
# facts are kept per unit (an item with the attributes and comments written before it), keyed by the
# unit's bytes from the start of its first line, and moved to the unit's new line when reused.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import FileFacts
from nd_lsp.frontends.moved_facts import shifted
from nd_lsp.frontends.recent import Recent
from nd_lsp.frontends.rust_syntax import SUMMARY_KINDS, path_of, queried_nodes
from nd_lsp.frontends.rust_values import is_mutable_static
from nd_lsp.frontends.source_order import in_source_order
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.specs.model import PdkLayout

# Siblings an item reads back to (its attributes): they belong to the unit of the item after them.
_LEADING = frozenset({"attribute_item", "line_comment", "block_comment"})
# The fact lists the walk of a unit fills, in the order FileFacts holds them.
VISITED_LISTS = ("impls", "types", "exports", "registrations", "calls", "host_calls", "global_writes", "pdk_uses")
MAX_FILES = 8

T = TypeVar("T")


@frozen_dataclass
class Unit:
    """Consecutive top-level nodes: leading attributes / comments, then one item."""

    nodes: tuple[Node, ...]
    key: bytes  # the unit's text from the start of its first line, then its column and nodes' shape
    start_line: int
    has_error: bool  # broken code: its facts are read afresh every time


@frozen_dataclass
class Summary:
    """What a unit says that needs nothing from the rest of the file."""

    kinds: frozenset[str]  # the SUMMARY_KINDS found under the unit
    function_names: tuple[str, ...] = ()
    invoked_macros: tuple[str, ...] = ()  # `name!(..)` with a bare name
    mutable_statics: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # `type A = m::B<T>;` -> (A, B)
    impl_traits: tuple[tuple[str, ...], ...] = ()  # the trait paths of `impl Trait for T` as written


@dataclass
class Visited:
    """The facts the walk of one unit produced, valid while the file context is `context`."""

    context: object
    start_line: int
    function_lookups: dict[str, bool]  # names asked "does the file declare this function?" -> answer
    facts: FileFacts


@dataclass
class FileCache:
    """The units of the last read of one file."""

    layout: PdkLayout
    summaries: dict[bytes, Summary] = field(default_factory=dict)
    visited: dict[bytes, Visited] = field(default_factory=dict)


class FileCaches:
    """FileCache per path, for the most recently read paths (bounded memory)."""

    def __init__(self, max_files: int = MAX_FILES) -> None:
        self._caches: Recent[Path, FileCache] = Recent(max_files)

    def take(self, path: Path, layout: PdkLayout) -> FileCache:
        """The cache of path, removed while a reader fills it (another thread then starts afresh)."""
        cache = self._caches.take(path)
        return cache if cache is not None and cache.layout == layout else FileCache(layout)

    def put(self, path: Path, cache: FileCache) -> None:
        self._caches.put(path, cache)


def units_of(root: Node, source: bytes) -> list[Unit]:
    units: list[Unit] = []
    pending: list[Node] = []
    for node in root.children:
        pending.append(node)
        if node.type not in _LEADING:
            units.append(_unit(pending, source))
            pending = []
    if pending:
        units.append(_unit(pending, source))
    return units


def _unit(nodes: list[Node], source: bytes) -> Unit:
    first = nodes[0]
    line_start = first.start_byte - first.start_point.column
    # The same text can parse differently after broken code (`x.\nnd_pdk::m!(T);` gives part of the
    # line to an ERROR): the key holds where the unit starts in its line and the shape of its nodes.
    shape = ",".join(f"{n.type}:{n.descendant_count}" for n in nodes)
    key = source[line_start : nodes[-1].end_byte] + f"\0{first.start_point.column}\0{shape}".encode()
    return Unit(tuple(nodes), key, first.start_point.row, any(n.has_error for n in nodes))


def summarize(unit: Unit) -> Summary:
    found = _summary_nodes(unit)
    invoked = []
    for invocation in found.get("macro_invocation", ()):
        macro = invocation.child_by_field_name("macro")
        if macro is not None and macro.type == "identifier":
            invoked.append(text(macro))
    statics = [s for s in found.get("static_item", ()) if is_mutable_static(s)]
    return Summary(
        kinds=frozenset(kind for kind, nodes in found.items() if nodes),
        function_names=tuple(text(f.child_by_field_name("name")) for f in found.get("function_item", ())),
        invoked_macros=tuple(invoked),
        mutable_statics=tuple(text(s.child_by_field_name("name")) for s in statics),
        aliases=tuple(alias for item in found.get("type_item", ()) if (alias := _alias(item)) is not None),
        impl_traits=tuple(path_of(impl.child_by_field_name("trait")) for impl in found.get("impl_item", ())),
    )


def _summary_nodes(unit: Unit) -> dict[str, list[Node]]:
    """The unit's nodes of the SUMMARY_KINDS by kind, each kind in source order."""
    found: dict[str, list[Node]] = {}
    for root in unit.nodes:
        for node in queried_nodes(root):
            if node.type in SUMMARY_KINDS:
                found.setdefault(node.type, []).append(node)
    return {kind: in_source_order(nodes) for kind, nodes in found.items()}


def _alias(item: Node) -> tuple[str, str] | None:
    name, aliased = item.child_by_field_name("name"), item.child_by_field_name("type")
    if name is None or aliased is None:
        return None
    if aliased.type == "generic_type":
        aliased = aliased.child_by_field_name("type") or aliased
    written = path_of(aliased) if aliased.type != "type_identifier" else (text(aliased),)
    return (text(name), written[-1]) if written else None


def nodes_with(units: Iterable[Unit], summaries: dict[bytes, Summary], kinds: frozenset[str]) -> list[Node]:
    """The top-level nodes of the units holding a node of one of the kinds (in source order)."""
    return [node for unit in units if summaries[unit.key].kinds & kinds for node in unit.nodes]


# -- moving facts to another line -------------------------------------------------------------------


def moved(facts: FileFacts, lines: int) -> FileFacts:
    """A copy of the walk's facts with every position `lines` further down."""
    copy = FileFacts(path=facts.path, language=facts.language)
    for name in VISITED_LISTS:
        setattr(copy, name, [shifted(item, lines) for item in getattr(facts, name)])
    return copy
