"""Shift cached facts by whole lines: an item that moved down or up in its file keeps its facts."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from nd_lsp.frontends.facts import Position, Span

T = TypeVar("T")

# Annotations of fact fields that can hold no position, so moving a fact need not look into them.
_PLAIN = frozenset(
    {"str", "bool", "int", "Language", "LiteralValue", "frozenset[str]", "tuple[str, ...]", "tuple[str, str]"}
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def shifted(value: T, lines: int) -> T:
    """`value` with every Position and Span in it (fact dataclasses, tuples) `lines` further down."""
    result: Any
    if isinstance(value, Position):
        result = Position(value.line + lines, value.column)
    elif isinstance(value, Span):
        result = Span(value.path, shifted(value.start, lines), shifted(value.end, lines))
    elif isinstance(value, tuple):
        result = tuple(shifted(v, lines) for v in value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {name: shifted(getattr(value, name), lines) for name in _positional_fields(type(value))}
        result = dataclasses.replace(value, **changes)
    else:
        result = value
    return result  # type: ignore[no-any-return]


def _positional_fields(cls: type) -> tuple[str, ...]:
    """The fields of a fact class that may hold positions (plain strings, flags and numbers do not)."""
    if cls not in _FIELDS:
        kinds = ((f.name, str(f.type)) for f in dataclasses.fields(cls))
        _FIELDS[cls] = tuple(name for name, kind in kinds if kind not in _PLAIN and not kind.startswith("Literal"))
    return _FIELDS[cls]
