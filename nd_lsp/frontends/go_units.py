"""What each top-level Go declaration contributes to its file's facts, cached by its text across edits.

A keystroke changes one declaration; the others keep their text and at most move by whole lines. So
the facts read from a declaration are kept, keyed by its bytes from the start of its first line to the
first character after it, and moved to the declaration's new line when reused (a declaration next to a
syntax error is always read afresh). What a declaration's facts need from the rest of the file is
either part of the file context (imports, constants, package variables: a change of any of them drops
the cached facts of the file) or recorded as a lookup and checked before reuse.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from nd_lsp.frontends.facts import (
    Argument,
    Call,
    GlobalWrite,
    HostCall,
    InterfaceAssertion,
    PdkItemUse,
    Registration,
    Span,
)
from nd_lsp.frontends.moved_facts import shifted
from nd_lsp.frontends.recent import Recent
from nd_lsp.frozen_dataclass import frozen_dataclass

MAX_FILES = 8
_KEPT_PER_FILE = 256  # declarations kept beyond those of the last read
T = TypeVar("T")

# A package variable's type as seen by a declaration: (type name, pointer, constructor, token span).
TargetLookup = tuple[str, bool, str, Span] | None


@frozen_dataclass
class LocalCallSite:
    """A call of a package function by its bare name (`helper(x)`): a wrapper of a host function, or a
    function of another file of the package, may be behind it."""

    callee: str
    span: Span
    name_span: Span
    args: tuple[Argument, ...]  # left empty for builtins the file does not redeclare (never wrappers)
    has_arguments: bool
    enclosing_function: str
    in_init: bool


@dataclass
class UnitFacts:
    """The facts of one top-level declaration and what they were read with from outside it."""

    start_line: int
    calls: list[Call] = field(default_factory=list)
    host_calls: list[HostCall] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    global_writes: list[GlobalWrite] = field(default_factory=list)
    interface_assertions: list[InterfaceAssertion] = field(default_factory=list)
    pdk_uses: list[PdkItemUse] = field(default_factory=list)
    local_calls: list[LocalCallSite] = field(default_factory=list)
    # Lookups of other declarations: constructor -> its result type, package variable -> its type.
    constructors: dict[str, str] = field(default_factory=dict)
    targets: dict[str, TargetLookup] = field(default_factory=dict)


# The facts of every declaration that has none (most): shared, never changed, never moved.
NO_FACTS = UnitFacts(0)

_MOVED_LISTS = (
    "calls",
    "host_calls",
    "registrations",
    "global_writes",
    "interface_assertions",
    "pdk_uses",
    "local_calls",
)


@frozen_dataclass
class FunctionSummary:
    """What a function declaration says of itself without positions: its name, parameters and result."""

    name: str  # "" when it has none yet
    params: tuple[str, ...]
    result: tuple[str, str] | None  # (name, "*T") when the first result is a named type


@dataclass
class FileUnits:
    """The declarations of the last read of one file; their facts hold while the file context does."""

    context: object = None
    units: dict[bytes, UnitFacts] = field(default_factory=dict)
    summaries: dict[bytes, FunctionSummary] = field(default_factory=dict)


class UnitReads:
    """One read of a file: takes the declarations the last read left and keeps the ones this read uses."""

    def __init__(self, previous: FileUnits | None) -> None:
        self._previous = previous or FileUnits()
        self.current = FileUnits()

    def summary(self, key: bytes) -> FunctionSummary | None:
        """The summary of the declaration with this key from the last read (b"": one never cached)."""
        summary = self._previous.summaries.get(key) if key else None
        if summary is not None:
            self.current.summaries[key] = summary
        return summary

    def keep_summary(self, key: bytes, summary: FunctionSummary) -> FunctionSummary:
        if key:
            self.current.summaries[key] = summary
        return summary

    def use_context(self, context: object) -> None:
        """The file context of this read: the last read's declaration facts are used only if it is the same."""
        if self._previous.context != context:
            self._previous.units = {}
        self.current.context = context

    def reuse(
        self,
        key: bytes,
        start_line: int,
        constructors: dict[str, str],
        targets: dict[str, TargetLookup],
    ) -> UnitFacts | None:
        """The facts of a declaration with this text, moved to start_line, if what they looked up holds."""
        unit = self._previous.units.get(key) if key else None
        if unit is NO_FACTS:
            self.keep(key, unit)
            return unit
        if unit is None or not _lookups_hold(unit, constructors, targets):
            return None
        lines = start_line - unit.start_line
        if lines and any(target is not None for target in unit.targets.values()):
            return None  # its facts may point at another declaration, which did not move with it
        if lines:
            unit = moved(unit, lines, start_line)
        self.keep(key, unit)
        return unit

    def keep(self, key: bytes, unit: UnitFacts) -> None:
        if key:
            self.current.units[key] = unit

    def finished(self) -> FileUnits:
        """This read's declarations, then the last reads' others (newest first, a bounded number): the
        declarations a half-written one swallowed while its brace was open come back when it closes."""
        kept = self.current
        limit = _KEPT_PER_FILE + 2 * len(kept.units)
        _add_older(kept.units, self._previous.units, limit)
        _add_older(kept.summaries, self._previous.summaries, limit)
        return kept


def _add_older(mine: dict[bytes, T], older: dict[bytes, T], limit: int) -> None:
    for key in itertools.islice((k for k in older if k not in mine), max(0, limit - len(mine))):
        mine[key] = older[key]


def _lookups_hold(unit: UnitFacts, constructors: dict[str, str], targets: dict[str, TargetLookup]) -> bool:
    return all(constructors.get(name, "") == result for name, result in unit.constructors.items()) and all(
        targets.get(name) == target for name, target in unit.targets.items()
    )


class UnitCaches:
    """FileUnits per path, for the most recently read paths (bounded memory)."""

    def __init__(self, max_files: int = MAX_FILES) -> None:
        self._files: Recent[Path, FileUnits] = Recent(max_files)

    def start(self, path: Path) -> UnitReads:
        """Take the units of path (another thread reading it meanwhile starts afresh)."""
        return UnitReads(self._files.take(path))

    def finish(self, path: Path, reads: UnitReads) -> None:
        self._files.put(path, reads.finished())


# -- moving facts to another line -------------------------------------------------------------------


def moved(unit: UnitFacts, lines: int, start_line: int) -> UnitFacts:
    """A copy of a declaration's facts with every position `lines` further down."""
    copy = UnitFacts(start_line, constructors=unit.constructors, targets=unit.targets)
    for name in _MOVED_LISTS:
        setattr(copy, name, [shifted(item, lines) for item in getattr(unit, name)])
    return copy
