"""`frozen_dataclass` behaves as `dataclass(frozen=True)`: equality, hash, repr, ordering, fields, replace."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mypy import api as mypy_api

from nd_lsp.frozen_dataclass import frozen_dataclass


@dataclass(frozen=True, order=True)
class StandardPoint:
    line: int
    column: int
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@frozen_dataclass(order=True)
class Point:
    line: int
    column: int
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@frozen_dataclass
class Single:
    value: float


@frozen_dataclass
class Empty:
    pass


@frozen_dataclass
class Nested:
    items: tuple[object, ...]
    children: list[Nested] = field(default_factory=list, hash=False)


def _pairs() -> list[tuple[StandardPoint, Point]]:
    values = [(1, 2, "", ""), (1, 2, "other note", ""), (1, 3, "", "s"), (0, 9, "", ""), (2, 0, "n", "x")]
    return [(StandardPoint(*v), Point(*v)) for v in values]


def test_equality_hash_and_ordering_match_the_standard_dataclass() -> None:
    pairs = _pairs()
    for standard_a, ours_a in pairs:
        for standard_b, ours_b in pairs:
            assert (ours_a == ours_b) == (standard_a == standard_b)
            assert (ours_a != ours_b) == (standard_a != standard_b)
            assert (ours_a < ours_b) == (standard_a < standard_b)
            assert (ours_a <= ours_b) == (standard_a <= standard_b)
            assert (ours_a > ours_b) == (standard_a > standard_b)
            assert (ours_a >= ours_b) == (standard_a >= standard_b)
        assert hash(ours_a) == hash(standard_a)


def test_repr_is_the_standard_text() -> None:
    for standard, ours in _pairs():
        assert repr(ours) == repr(standard).replace("StandardPoint", "Point")
    assert repr(Single(1.5)) == "Single(value=1.5)"
    assert repr(Empty()) == "Empty()"


def test_a_recursive_reference_is_shown_as_an_ellipsis() -> None:
    outer = Nested(items=())
    outer.children.append(outer)
    assert repr(outer) == "Nested(items=(), children=[...])"


def test_other_classes_are_never_equal_and_cannot_be_ordered() -> None:
    assert Point(1, 2) != StandardPoint(1, 2)  # type: ignore[comparison-overlap]
    assert Point(1, 2) != (1, 2)  # type: ignore[comparison-overlap]
    with pytest.raises(TypeError):
        _ = Point(1, 2) < StandardPoint(1, 2)  # type: ignore[operator]


def test_one_field_compares_as_a_one_element_tuple() -> None:
    nan = float("nan")
    assert Single(nan) == Single(nan)  # (nan,) == (nan,): identity first, as in the generated method
    assert hash(Single(2.0)) == hash((2.0,))


def test_replace_and_fields_work() -> None:
    point = Point(1, 2)
    assert dataclasses.replace(point, line=5) == Point(5, 2)
    assert [f.name for f in dataclasses.fields(Point)] == ["line", "column", "note", "secret"]
    assert dataclasses.is_dataclass(point)


def _with_defaults(decorate: Callable[[type[Any]], type[Any]]) -> type[Any]:
    """One class body with every kind of field `__init__` handles, made a dataclass by `decorate`."""

    class WithDefaults:
        name: str
        size: int = 3
        tags: list[str] = field(default_factory=list)
        seen: list[str] = field(default_factory=list, init=False)
        label: str = field(default="x", init=False)

        def __post_init__(self) -> None:
            self.seen.append(self.name)

    return decorate(WithDefaults)


def test_construction_matches_the_standard_dataclass() -> None:
    standard, ours = _with_defaults(dataclass), _with_defaults(frozen_dataclass)
    for args, kwargs in [(("a",), {}), (("a", 5), {}), ((), {"name": "b", "tags": ["t"]}), (("c",), {"size": 1})]:
        assert vars(ours(*args, **kwargs)) == vars(standard(*args, **kwargs))
    assert ours("a").tags is not ours("a").tags  # a fresh default from the factory each time
    for args, kwargs in [((), {}), (("a",), {"colour": 1}), (("a", 1, [], 4), {}), (("a",), {"label": "y"})]:
        with pytest.raises(TypeError):
            standard(*args, **kwargs)
        with pytest.raises(TypeError):
            ours(*args, **kwargs)
    assert ours.__init__.__qualname__.endswith("WithDefaults.__init__")


def test_methods_of_the_class_body_are_kept() -> None:
    @frozen_dataclass
    class CaseInsensitive:
        name: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, CaseInsensitive) and self.name.lower() == other.name.lower()

        def __hash__(self) -> int:
            return hash(self.name.lower())

    assert CaseInsensitive("A") == CaseInsensitive("a")
    assert hash(CaseInsensitive("A")) == hash(CaseInsensitive("a"))
    assert repr(CaseInsensitive("A")).endswith(".CaseInsensitive(name='A')")  # a local class: qualified name


def test_a_body_with_only_eq_still_gets_the_field_hash() -> None:
    @frozen_dataclass
    class OnlyEq:
        name: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, OnlyEq) and self.name == other.name

    assert hash(OnlyEq("a")) == hash(("a",))


def test_mypy_rejects_assigning_a_field(tmp_path: Path) -> None:
    """The classes are frozen for the type checker (CI runs mypy strict), not at run time."""
    source = tmp_path / "assigns.py"
    source.write_text(
        "from nd_lsp.frozen_dataclass import frozen_dataclass\n\n\n"
        "@frozen_dataclass\nclass Point:\n    line: int\n\n\n"
        "point = Point(1)\npoint.line = 2\nprint(Point(line=3).line)\n",
        encoding="utf-8",
    )
    stdout, _, status = mypy_api.run(["--strict", "--no-incremental", "--follow-imports=silent", str(source)])
    assert status == 1
    assert 'assigns.py:10: error: Property "line" defined in "Point" is read-only' in stdout
    assert stdout.count("error:") == 1
