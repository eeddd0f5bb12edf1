"""Load capability specs shipped with nd-lsp into the typed model, cached per process."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from nd_lsp.specs.model import SPEC_FORMAT, Spec

T = TypeVar("T")

SPEC_PACKAGE = "nd_lsp.capability_specs"
MASTER = "master"


class UnknownVersionError(LookupError):
    """A Navidrome version nd-lsp has no spec for."""

    def __init__(self, requested: str, known: tuple[str, ...]) -> None:
        self.requested = requested
        self.known = known
        super().__init__(
            f"unknown Navidrome version {requested!r}; known versions: {', '.join(known)}"
        )


class SpecFormatError(ValueError):
    """A spec file that does not match the model."""


def normalize_version(text: str) -> str:
    """`v0.63.2` and `0.63.2` name the same release; `master`/`HEAD` name the newest commit."""
    text = text.strip()
    if text.lower() in {MASTER, "head", "main"}:
        return MASTER
    return text[1:] if text[:1] in {"v", "V"} else text


def version_key(version: str) -> tuple[int, ...]:
    """Sort key: releases by number, master after every release."""
    if version == MASTER:
        return (1_000_000,)
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def spec_dir() -> Path:
    # The specs ship as plain files in the package's folder; find_spec locates it without importing
    # importlib.resources, which costs more than a whole check of a small plugin.
    found = importlib.util.find_spec(SPEC_PACKAGE)
    folders = list(found.submodule_search_locations or []) if found else []
    # Run from a source checkout without installing: the specs sit at the top of the repository.
    return Path(folders[0]) if folders else Path(__file__).resolve().parents[2] / "capability_specs"


@functools.lru_cache(maxsize=1)
def available_versions() -> tuple[str, ...]:
    """Versions with a spec file, oldest first (master last)."""
    names = [p.stem for p in spec_dir().glob("*.json") if not p.name.startswith("_")]
    return tuple(sorted(names, key=version_key))


def released_versions() -> tuple[str, ...]:
    return tuple(v for v in available_versions() if v != MASTER)


def newest_release() -> str:
    releases = released_versions()
    if not releases:
        raise UnknownVersionError("newest release", available_versions())
    return releases[-1]


@functools.cache
def load_spec(version: str) -> Spec:
    """The spec of one Navidrome version (`0.63.2`, `v0.63.2` or `master`)."""
    name = normalize_version(version)
    if name not in available_versions():
        raise UnknownVersionError(version, available_versions())
    return load_spec_file(spec_dir() / f"{name}.json")


def load_spec_file(path: Path) -> Spec:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return spec_from_dict(raw)


def spec_from_dict(raw: Mapping[str, Any]) -> Spec:
    if raw.get("format") != SPEC_FORMAT:
        raise SpecFormatError(f"spec format {raw.get('format')!r} is not {SPEC_FORMAT}")
    return _build(Spec, raw)


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    return typing.cast(dict[str, Any], _to_plain(spec))


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _to_plain(v) for k, v in value.items()}
    return value


Converter = Callable[[Any], Any]


class _Misfit(Exception):
    """A value that does not match the model, with the field names from the value up to the spec.

    Converters raise it without a location; each object on the way up adds its field. The location is
    only spelled out for a bad file, so a good one costs no strings per field.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fields: list[str] = []


def _build(cls: type[T], raw: Mapping[str, Any]) -> T:
    try:
        return typing.cast(T, _builder(typing.cast(type, cls))(raw))
    except _Misfit as misfit:
        where = ".".join([cls.__name__, *reversed(misfit.fields)])
        raise SpecFormatError(f"{where}: {misfit.problem}") from None


@functools.cache
def _builder(cls: type) -> Converter:
    """A converter for one dataclass, planned once per class: loading a spec stays fast.

    A spec holds ~600 objects and ~4,000 scalars, and every release's spec is loaded by a check of many
    plugins, so scalars are checked in the loop (a call each would cost a third of the build) and a
    JSON object is told by its type before the slower Mapping test.
    """
    hints = typing.get_type_hints(cls)
    plan = [(f.name, _scalar(hints[f.name]), _converter(hints[f.name])) for f in dataclasses.fields(cls)]

    def build(raw: Any) -> Any:
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise _Misfit(f"expected an object, got {type(raw).__name__}")
        kwargs = {}
        for name, scalar, convert in plan:
            if name in raw:
                value = raw[name]
                if scalar is not None and isinstance(value, scalar):
                    kwargs[name] = value
                    continue
                try:
                    kwargs[name] = convert(value)
                except _Misfit as misfit:
                    misfit.fields.append(name)
                    raise
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise _Misfit(str(exc)) from exc

    return build


def _scalar(hint: Any) -> type | None:
    return hint if hint in (str, int, bool) else None


def _converter(hint: Any) -> Converter:
    if dataclasses.is_dataclass(hint):
        return lambda value: _builder(typing.cast(type, hint))(value)
    origin = typing.get_origin(hint)
    if origin is tuple:
        convert_item = _converter(typing.get_args(hint)[0])

        def convert_tuple(value: Any) -> Any:
            if not isinstance(value, list):
                raise _Misfit("expected a list")
            return tuple([convert_item(v) for v in value])

        return convert_tuple
    if _scalar(hint) is not None:

        def convert_scalar(value: Any) -> Any:
            if not isinstance(value, hint):
                raise _Misfit(f"expected {hint.__name__}, got {type(value).__name__}")
            return value

        return convert_scalar
    return lambda value: value  # unions, mappings: taken as they are
