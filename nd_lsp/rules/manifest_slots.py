"""Manifest values with a grammar of their own, found in the spec's manifest schema, and that grammar.

The schema states them only in prose: the config schema slot is "JSON Schema (draft-07) ..." and the
kvstore size is "Maximum storage size (e.g., '1MB', '500KB')". Both are read from those descriptions,
so no manifest key is written here; tests assert they are found in every spec.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.specs.model import Spec

SchemaPath = tuple[str, ...]

# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_QUOTED_EXAMPLE = r"'([^']+)'"
_JSON_SCHEMA_WORDS = "JSON Schema"

# dustin/go-humanize ParseBytes (v1.0.1), which Navidrome uses for sizes: decimal SI and binary IEC
# units, with or without the trailing "b", in any case.
_SIZE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "ki": 1024,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mi": 1024**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gi": 1024**3,
    "gib": 1024**3,
    "t": 1000**4,
    "tb": 1000**4,
    "ti": 1024**4,
    "tib": 1024**4,
    "p": 1000**5,
    "pb": 1000**5,
    "pi": 1024**5,
    "pib": 1024**5,
    "e": 1000**6,
    "eb": 1000**6,
    "ei": 1024**6,
    "eib": 1024**6,
}
# unicode.IsSpace, which strings.TrimSpace uses (Python's str.strip() also strips \x1c-\x1f).
_GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
_GO_FLOAT = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
MAX_UINT64 = 2**64


@frozen_dataclass
class ByteSize:
    """The outcome of Navidrome's size parser: bytes, or the error it reports."""

    value: int = 0
    error: str = ""


def parse_byte_size(text: str) -> ByteSize:
    """Parse a size the way go-humanize's ParseBytes does (Navidrome rejects the plugin on an error)."""
    numeric = 0
    for char in text:
        if not (char.isdigit() or char in ".,"):
            break
        numeric += 1
    number = text[:numeric].replace(",", "")
    # Go's unicode.IsDigit also accepts non-ASCII digits, which strconv.ParseFloat then rejects.
    if not number.isascii() or re.fullmatch(_GO_FLOAT, number) is None:
        return ByteSize(error=f'"{text[:numeric]}" is not a number')
    amount = float(number)
    if math.isinf(amount):
        return ByteSize(error=f'"{text[:numeric]}" is out of range')
    unit = text[numeric:].strip(_GO_SPACE).lower()
    if unit not in _SIZE_UNITS:
        return ByteSize(error=f'unhandled size name: "{unit}"')
    total = amount * _SIZE_UNITS[unit]
    if total >= MAX_UINT64:
        return ByteSize(error="too large")
    return ByteSize(int(total))


@frozen_dataclass
class ManifestSlots:
    """Paths (keys from the manifest root) of values with their own grammar."""

    json_schemas: frozenset[SchemaPath]  # values that must be JSON Schemas (the config schema)
    byte_sizes: frozenset[SchemaPath]  # strings in go-humanize's size format (the kvstore limit)


_CACHE: dict[tuple[str, str], ManifestSlots] = {}


def manifest_slots(spec: Spec) -> ManifestSlots:
    key = (spec.version, spec.navidrome.commit)
    if key not in _CACHE:
        schemas: set[SchemaPath] = set()
        sizes: set[SchemaPath] = set()
        for path, node in _schema_properties(spec, spec.manifest_schema, (), set()):
            description = str(node.get("description", ""))
            if _describes_json_schema(node, description):
                schemas.add(path)
            elif node.get("type") == "string" and _describes_byte_size(description):
                sizes.add(path)
        _CACHE[key] = ManifestSlots(frozenset(schemas), frozenset(sizes))
    return _CACHE[key]


def _describes_json_schema(node: Mapping[str, Any], description: str) -> bool:
    return node.get("type") == "object" and "properties" not in node and description.startswith(_JSON_SCHEMA_WORDS)


def _describes_byte_size(description: str) -> bool:
    examples = re.findall(_QUOTED_EXAMPLE, description)
    return (
        "size" in description.lower()
        and bool(examples)
        and all(not parse_byte_size(e).error and not e.isdigit() for e in examples)
    )


def _schema_properties(
    spec: Spec, node: Mapping[str, Any], path: SchemaPath, seen: set[str]
) -> Iterator[tuple[SchemaPath, Mapping[str, Any]]]:
    """Every property schema (resolved) under `node`, with its path; each $ref is followed once."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return
        seen = seen | {ref}
    node = spec.schema_node(node)
    for key, child in node.get("properties", {}).items():
        if isinstance(child, Mapping):
            resolved = spec.schema_node(child)
            yield (*path, str(key)), resolved
            yield from _schema_properties(spec, child, (*path, str(key)), seen)
    items = node.get("items")
    if isinstance(items, Mapping):
        yield from _schema_properties(spec, items, path, seen)
