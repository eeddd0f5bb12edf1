"""The Cargo.toml front-end: a plugin crate's dependencies, crate types and nd-lsp settings, with spans."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nd_lsp.frontends.facts import BuildFacts, Dependency, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.toml_reader import tomllib

# Cargo's own names (not Navidrome's): crate names of the Extism PDK and of Navidrome's Rust PDK are
# build-system names a plugin's Cargo.toml spells this way.
EXTISM_PDK_CRATE = "extism-pdk"
ND_PDK_CRATE = "nd-pdk"
SETTINGS_TABLE = ("package", "metadata", "nd-lsp")
_DEPENDENCY_TABLES = ("dependencies",)
_KEY = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*""")
_SOURCE_FIELDS = ("version", "git", "tag", "rev", "branch", "path")
_WORKSPACE_TABLE = ("workspace", "dependencies")
_MAX_WORKSPACE_DEPTH = 6  # folders above the crate searched for the workspace's Cargo.toml


@frozen_dataclass
class _KeyLine:
    """A `key = value` line (or a table header) of the file, with the table it belongs to."""

    table: tuple[str, ...]
    key: str
    line: int
    start: int
    end: int
    value_start: int = -1  # column of the value after `=`, -1 for headers


def read_cargo(path: Path, text: str) -> BuildFacts:
    """Best-effort facts of a Cargo.toml; a TOML syntax error gives BuildFacts with `error` set."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return BuildFacts(path=path, kind="cargo", error=f"Cargo.toml is not valid TOML: {exc}")
    keys = list(_key_lines(text))
    lib = _table(document, ("lib",))
    crate_types = lib.get("crate-type", ())
    return BuildFacts(
        path=path,
        kind="cargo",
        dependencies=tuple(_dependencies(path, document, keys)),
        crate_types=tuple(str(t) for t in crate_types) if isinstance(crate_types, list) else (),
        crate_types_span=_value_span(path, text, keys, ("lib",), "crate-type"),
        lib_span=_header_span(path, keys, ("lib",)) or _header_span(path, keys, ("package",)),
        settings=tuple(_table(document, SETTINGS_TABLE).items()),
    )


def _table(document: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    current: Any = document
    for name in names:
        current = current.get(name) if isinstance(current, Mapping) else None
    return dict(current) if isinstance(current, Mapping) else {}


def _dependency_tables(document: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """[dependencies] and every [target.<cfg>.dependencies], with their table paths."""
    for name in _DEPENDENCY_TABLES:
        yield (name,), _table(document, (name,))
    for target, tables in _table(document, ("target",)).items():
        for name in _DEPENDENCY_TABLES:
            yield ("target", target, name), _table(tables, (name,)) if isinstance(tables, Mapping) else {}


def _dependencies(path: Path, document: Mapping[str, Any], keys: list[_KeyLine]) -> Iterator[Dependency]:
    for table, entries in _dependency_tables(document):
        for name, spec in entries.items():
            fields = spec if isinstance(spec, Mapping) else {"version": spec}
            if fields.get("workspace") is True:
                fields = {**_workspace_dependency(path, document, name), **fields}
            values = {f: str(fields.get(f, "")) for f in _SOURCE_FIELDS}
            yield Dependency(name=name, span=_dependency_span(path, keys, table, name), **values)


def _workspace_dependency(path: Path, document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """`nd-pdk.workspace = true`: the dependency as the workspace's `[workspace.dependencies]` declares it
    (the crate's own Cargo.toml may be the workspace root; else the nearest one above it)."""
    roots = [document] if _table(document, ("workspace",)) else []
    roots += (_workspace_document(folder) for folder in list(path.parent.parents)[:_MAX_WORKSPACE_DEPTH])
    for root in roots:
        spec = _table(root, _WORKSPACE_TABLE).get(name)
        if spec is not None:
            return spec if isinstance(spec, Mapping) else {"version": spec}
        if _table(root, ("workspace",)):
            return {}  # the nearest workspace decides, even when it lacks the dependency
    return {}


def _workspace_document(folder: Path) -> Mapping[str, Any]:
    try:
        document: dict[str, Any] = tomllib.loads((folder / "Cargo.toml").read_text(encoding="utf-8"))
        return document
    except (OSError, UnicodeDecodeError, ValueError):  # TOMLDecodeError is a ValueError
        return {}


def _dependency_span(path: Path, keys: list[_KeyLine], table: tuple[str, ...], name: str) -> Span:
    """The dependency's key: `nd-pdk = {...}` in the table, or the `[dependencies.nd-pdk]` header."""
    for key in keys:
        inline = key.table == table and key.key == name
        header = key.value_start < 0 and key.table == (*table, name)
        if inline or header:
            return Span.at(path, key.line, key.start, key.line, key.end)
    return Span.at(path, 0, 0, 0, 0)


def _header_span(path: Path, keys: list[_KeyLine], table: tuple[str, ...]) -> Span | None:
    for key in keys:
        if key.value_start < 0 and key.table == table:
            return Span.at(path, key.line, key.start, key.line, key.end)
    return None


def _value_span(path: Path, text: str, keys: list[_KeyLine], table: tuple[str, ...], name: str) -> Span | None:
    """The span of a key's value; an array may run over several lines up to its closing bracket."""
    key = next((k for k in keys if k.table == table and k.key == name and k.value_start >= 0), None)
    if key is None:
        return None
    lines = text.splitlines()
    first = lines[key.line]
    if first[key.value_start : key.value_start + 1] != "[":
        end = len(first.split("#", 1)[0].rstrip())
        return Span.at(path, key.line, key.value_start, key.line, max(end, key.value_start))
    depth = 0
    for number in range(key.line, len(lines)):
        start = key.value_start if number == key.line else 0
        for column in range(start, len(lines[number])):
            char = lines[number][column]
            depth += {"[": 1, "]": -1}.get(char, 0)
            if depth == 0:
                return Span.at(path, key.line, key.value_start, number, column + 1)
    return Span.at(path, key.line, key.value_start, key.line, len(first))


def _key_lines(text: str) -> Iterator[_KeyLine]:
    """Table headers and `key = value` lines, each with the table it sits in."""
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines()):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith("[") and not stripped.startswith("[["):
            parts = _dotted_key(stripped[1:])
            table = tuple(name for name, _, _ in parts)
            if parts:
                _, start, end = parts[-1]
                yield _KeyLine(table, parts[-1][0], number, indent + 1 + start, indent + 1 + end)
            continue
        parts = _dotted_key(line)
        if parts:
            name, start, end = parts[0]
            after = line.find("=", parts[-1][2])
            if after >= 0:
                value_start = after + 1 + (len(line[after + 1 :]) - len(line[after + 1 :].lstrip()))
                yield _KeyLine(table, name, number, start, end, value_start)


def _dotted_key(line: str) -> list[tuple[str, int, int]]:
    """`a."b.c".d` -> [(a, ..), (b.c, ..), (d, ..)] with each part's start/end column in `line`."""
    parts: list[tuple[str, int, int]] = []
    position = 0
    while True:
        match = _KEY.match(line, position)
        if match is None:
            return []
        raw = match.group(1)
        name = raw[1:-1] if raw[:1] in {'"', "'"} else raw
        parts.append((name, match.start(1), match.end(1)))
        position = match.end()
        if line[position : position + 1] != ".":
            return parts if line[position : position + 1] in {"=", "]"} else []
        position += 1
