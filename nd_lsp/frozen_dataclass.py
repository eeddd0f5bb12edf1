"""`frozen_dataclass`: a frozen dataclass whose `__eq__`, `__hash__`, `__repr__` and ordering are shared code.

Why: before Python 3.13, `dataclasses.dataclass` compiles generated source with `exec()` for every
method it adds; a frozen class with `eq` gets six (`__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__`, `__delattr__`), ten with `order=True`. Measured on Python 3.11: ~0.5 ms per class,
~50 ms for the ~100 facts, spec, rule and report classes `nd-lsp check` defines at start-up. Here
`dataclasses.dataclass` records the fields and writes no method (so `dataclasses.fields` and
`dataclasses.replace` are the standard ones). `__init__` is the dataclass one, compiled when the class
makes its first object: a run makes objects of only some classes. The comparison methods are closures
over an `operator.attrgetter` of the field names, built without compiling anything: ~0.05 ms per class.
Those closures cost ~0.1 µs more per `==`, `hash` or `<` than the generated methods.

Immutability is checked where it costs nothing at run time: `dataclass_transform(frozen_default=True)`
makes mypy (strict, in CI) reject any assignment to a field. The generated `__setattr__`/`__delattr__`
that would refuse it at run time cost another ~14 ms of start-up and slow every object's `__init__`.

Behaviour is the dataclass one: equality and ordering by exact class and then field values (fields with
`compare=False` left out), the hash of the same values (`field(hash=...)` respected), and the same repr
text (`Name(a=1, b='x')`, fields with `repr=False` left out, `...` for a recursive reference). Methods the
class body defines itself are kept, as dataclasses keeps them. `__dataclass_params__` records
`eq=False, repr=False`, as those methods are not the generated ones.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar, overload

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # typing_extensions comes with cattrs, a dependency of lsprotocol
    from typing_extensions import dataclass_transform

T = TypeVar("T")
Key = Callable[[Any], tuple[Any, ...]]

_ORDERINGS = {"__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt, "__ge__": operator.ge}


@overload
def frozen_dataclass(cls: type[T], /) -> type[T]: ...


@overload
def frozen_dataclass(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen_dataclass(cls: type[T] | None = None, /, *, order: bool = False) -> Any:
    """`@dataclass(frozen=True)` (or `frozen=True, order=True`), defined without compiling six methods."""
    if cls is None:
        return lambda c: _define(c, order)
    return _define(cls, order)


def _define(cls: type[T], order: bool) -> type[T]:
    own_init = "__init__" in cls.__dict__
    cls = dataclasses.dataclass(init=False, eq=False, repr=False)(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # a dataclass from the line above
    if not own_init:
        _add(cls, "__init__", _lazy_init(cls, fields))
    compared = _key([f.name for f in fields if f.compare])
    hashed = _key([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    _add(cls, "__eq__", _eq_method(compared))
    _add(cls, "__hash__", _hash_method(hashed))
    _add(cls, "__repr__", _repr_method([f.name for f in fields if f.repr]))
    if order:
        for name, compare in _ORDERINGS.items():
            if name in cls.__dict__:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            _add(cls, name, _order_method(name, compare, compared))
    return cls


def _lazy_init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """An `__init__` that compiles the dataclass one on its first call and puts it in its own place: most
    runs make objects of only some of the classes (a check of a Python plugin, of 58 of 86), and each
    compiled `__init__` costs ~0.1 ms."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init = _compiled_init(cls, fields)
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        type.__setattr__(cls, "__init__", init)
        init(self, *args, **kwargs)

    return __init__


def _compiled_init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """The `__init__` `dataclasses.dataclass` writes for these fields (defaults, default factories, fields
    left out of `__init__`, `__post_init__`), without the frozen checks (see the module's docstring)."""
    names: dict[str, Any] = {"_nd_missing": dataclasses.MISSING}
    params = ["_nd_self"]
    body = []
    for f in fields:
        factory = f.default_factory is not dataclasses.MISSING
        names[f"_nd_factory_{f.name}"] = f.default_factory
        names[f"_nd_default_{f.name}"] = f.default
        if not f.init:
            if factory:  # a plain default stays the class attribute, as in the dataclass `__init__`
                body.append(f"_nd_self.{f.name} = _nd_factory_{f.name}()")
            continue
        if factory:
            params.append(f"{f.name}=_nd_missing")
            body.append(f"_nd_self.{f.name} = _nd_factory_{f.name}() if {f.name} is _nd_missing else {f.name}")
        else:
            params.append(f.name if f.default is dataclasses.MISSING else f"{f.name}=_nd_default_{f.name}")
            body.append(f"_nd_self.{f.name} = {f.name}")
    if hasattr(cls, "__post_init__"):
        body.append("_nd_self.__post_init__()")
    source = f"def __init__({', '.join(params)}) -> None:\n    " + "\n    ".join(body or ["pass"])
    exec(source, names)  # generated from the class's own field names, as dataclasses does
    init: Callable[..., None] = names["__init__"]
    return init


def _key(names: list[str]) -> Key:
    """The values compared: a tuple, as the generated methods compare `(self.a, self.b)`."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        value = operator.attrgetter(names[0])
        return lambda obj: (value(obj),)
    return lambda obj: ()


def _add(cls: type, name: str, method: Callable[..., Any]) -> None:
    # A method of the class body wins; defining __eq__ in a body leaves `__hash__ = None` in it,
    # which dataclasses does not count as an explicit hash.
    own = cls.__dict__.get(name, dataclasses.MISSING)
    if own is not dataclasses.MISSING and not (name == "__hash__" and own is None and "__eq__" in cls.__dict__):
        return
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, method)


def _eq_method(key: Key) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash_method(key: Key) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _order_method(name: str, compare: Callable[[Any, Any], Any], key: Key) -> Callable[[Any, object], Any]:
    def method(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return compare(key(self), key(other))
        return NotImplemented

    method.__name__ = name
    return method


def _repr_method(names: list[str]) -> Callable[[Any], str]:
    values = _key(names)
    template = "({})".format(", ".join(f"{name}={{!r}}" for name in names))  # "(a={!r}, b={!r})"

    @reprlib.recursive_repr()
    def __repr__(self: object) -> str:
        return self.__class__.__qualname__ + template.format(*values(self))

    return __repr__
