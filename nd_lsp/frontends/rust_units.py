"""A Rust file cut into top-level units, with what each unit says cached by its text across edits."""

# A keystroke changes one top-level item; the others keep their text and only move by whole lines. So
# facts are kept per unit (an item with the attributes and comments written before it), keyed by the
# unit's bytes from the start of its first line, and moved to the unit's new line when reused.

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import (
    Call,
    ExportDef,
    FileFacts,
    GlobalWrite,
    HostCall,
    ImplBlock,
    PdkItemUse,
    Registration,
    TypeDecl,
)
from nd_lsp.frontends.moved_facts import shifted
from nd_lsp.frontends.recent import Recent
from nd_lsp.frontends.rust_syntax import SUMMARY_KINDS, Found, path_of, queried_nodes
from nd_lsp.frontends.rust_values import is_mutable_static
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.specs.model import PdkLayout

# Siblings an item reads back to (its attributes): they belong to the unit of the item after them.
_LEADING = frozenset({"attribute_item", "line_comment", "block_comment"})
MAX_FILES = 8

T = TypeVar("T")


@frozen_dataclass
class Unit:
    """Consecutive top-level nodes: leading attributes / comments, then one item."""

    nodes: tuple[Node, ...]
    key: bytes  # the unit's text from the start of its first line, then its column and nodes' shape
    start_line: int
    has_error: bool  # broken code: its facts are read afresh every time
    start_byte: int  # of its first node
    end_byte: int  # of its last node


@frozen_dataclass
class Summary:
    """What a unit says that needs nothing from the rest of the file."""

    kinds: frozenset[str]  # the SUMMARY_KINDS found under the unit
    function_names: tuple[str, ...] = ()
    invoked_macros: tuple[str, ...] = ()  # `name!(..)` with a bare name
    mutable_statics: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # `type A = m::B<T>;` -> (A, B)
    impl_traits: tuple[tuple[str, ...], ...] = ()  # the trait paths of `impl Trait for T` as written


class UnitFacts(NamedTuple):
    """The facts the walk of one unit adds to the lists of FileFacts of the same names."""

    impls: list[ImplBlock]
    types: list[TypeDecl]
    exports: list[ExportDef]
    registrations: list[Registration]
    calls: list[Call]
    host_calls: list[HostCall]
    global_writes: list[GlobalWrite]
    pdk_uses: list[PdkItemUse]


# The fact lists the walk of a unit fills.
VISITED_LISTS = UnitFacts._fields


def file_lists(facts: FileFacts) -> UnitFacts:
    """The whole file's lists the walk fills (the very lists: appending to one appends to the file's)."""
    return UnitFacts._make(getattr(facts, name) for name in VISITED_LISTS)


def new_unit_facts() -> UnitFacts:
    return UnitFacts([], [], [], [], [], [], [], [])


# The facts of a unit that has none (most: a `use`, a struct), shared: its lists are never appended to.
_NO_FACTS = new_unit_facts()


def fact_counts(lists: UnitFacts) -> list[int]:
    return [len(found) for found in _alike(lists)]


def facts_since(lists: UnitFacts, counts: list[int]) -> UnitFacts:
    """The facts appended to the lists since they held `counts` facts: a walk appends to the file's lists
    directly, and keeps its unit's share for the next read."""
    if fact_counts(lists) == counts:
        return _NO_FACTS
    return UnitFacts._make([found[count:] for found, count in zip(_alike(lists), counts, strict=True)])


def add(parts: UnitFacts, lists: UnitFacts) -> None:
    """Append each part to the list of the same name."""
    for part, target in zip(_alike(parts), _alike(lists), strict=True):
        if part:
            target.extend(part)


def _alike(facts: UnitFacts) -> tuple[list[Any], ...]:
    """The lists typed alike, to do the same to each."""
    return cast(tuple[list[Any], ...], facts)


@frozen_dataclass
class Visited:
    """The facts the walk of one unit produced, valid while the file context is `context`."""

    context: object
    start_line: int
    function_lookups: dict[str, bool]  # names asked "does the file declare this function?" -> answer
    facts: UnitFacts


class FileCache:
    """The units of the last read of one file (a plain class: a dataclass costs ~0.5 ms of start-up)."""

    def __init__(self, layout: PdkLayout) -> None:
        self.layout = layout
        self.summaries: dict[bytes, Summary] = {}
        self.visited: dict[bytes, Visited] = {}


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
    kinds: list[str] = []
    broken = root.has_error  # else no unit is: asking each node costs more than asking the root
    for node in root.children:
        kind = node.type
        pending.append(node)
        kinds.append(kind)
        if kind not in _LEADING:
            units.append(_unit(pending, kinds, source, broken))
            pending, kinds = [], []
    if pending:
        units.append(_unit(pending, kinds, source, broken))
    return units


def _unit(nodes: list[Node], kinds: list[str], source: bytes, broken: bool) -> Unit:
    first = nodes[0]
    row, column = first.start_point
    start, end = first.start_byte, nodes[-1].end_byte
    # The same text can parse differently after broken code (`x.\nnd_pdk::m!(T);` gives part of the
    # line to an ERROR): the key holds where the unit starts in its line and the shape of its nodes.
    shape = ",".join([f"{kind}:{node.descendant_count}" for kind, node in zip(kinds, nodes, strict=True)])
    key = b"%b\0%d\0%b" % (source[start - column : end], column, shape.encode())
    has_error = broken and any([node.has_error for node in nodes])
    return Unit(tuple(nodes), key, row, has_error, start, end)


def found_by_unit(root: Node, units: Sequence[Unit], wanted: Sequence[int]) -> dict[int, Found]:
    """The QUERIED_KINDS nodes of each wanted unit (an index into units, ascending), in source order.

    One query scans each run of consecutive wanted units: a first read scans the file once for the
    summaries, the walk and the `let` bindings alike, and a keystroke only the unit it changed.
    """
    found: dict[int, Found] = {index: [] for index in wanted}
    starts = [unit.start_byte for unit in units]
    for first, last in _runs(wanted):
        low, high = starts[first], units[last].end_byte
        whole = first == 0 and last == len(units) - 1
        index, bucket = first, found[first]
        following = starts[index + 1] if index < last else high  # where the unit after `index` starts
        for kind, node in queried_nodes(root) if whole else queried_nodes(root, low, high):
            start = node.start_byte
            if start >= following:
                if start >= high:  # a range query also gives the nodes touching its ends
                    continue
                # Units are top-level siblings: a node belongs to the last one starting at or before it.
                index = bisect_right(starts, start, first, last + 1) - 1
                following = starts[index + 1] if index < last else high
                bucket = found[index]
            elif start < low:
                continue
            bucket.append((kind, node))
    return found


def _runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending indices as runs of consecutive ones: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def summarize(found: Found) -> Summary:
    """The summary of a unit from its found nodes."""
    by_kind: dict[str, list[Node]] = {}
    for kind, node in found:
        if kind in SUMMARY_KINDS:
            by_kind.setdefault(kind, []).append(node)
    return _summary(by_kind) if by_kind else _NOTHING


def _summary(found: dict[str, list[Node]]) -> Summary:
    invoked = []
    for invocation in found.get("macro_invocation", ()):
        macro = invocation.child_by_field_name("macro")
        if macro is not None and macro.type == "identifier":
            invoked.append(text(macro))
    statics = [s for s in found.get("static_item", ()) if is_mutable_static(s)]
    return Summary(
        kinds=frozenset(found),
        function_names=tuple([text(f.child_by_field_name("name")) for f in found.get("function_item", ())]),
        invoked_macros=tuple(invoked),
        mutable_statics=tuple([text(s.child_by_field_name("name")) for s in statics]),
        aliases=tuple([alias for item in found.get("type_item", ()) if (alias := _alias(item)) is not None]),
        impl_traits=tuple([path_of(impl.child_by_field_name("trait")) for impl in found.get("impl_item", ())]),
    )


_NOTHING = Summary(frozenset())  # of a unit without a node of the SUMMARY_KINDS (a struct, a comment)


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


def moved(facts: UnitFacts, lines: int) -> UnitFacts:
    """A copy of the walk's facts with every position `lines` further down."""
    return UnitFacts._make([shifted(item, lines) for item in found] for found in _alike(facts))
