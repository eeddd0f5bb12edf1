"""ND302: manifest.json values that break the target version's manifest schema, and keys it ignores."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from nd_lsp.frontends.facts import JsonMember, JsonNode, Position, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity
from nd_lsp.rules.manifest_edits import remove_member, rename_key
from nd_lsp.rules.manifest_slots import SchemaPath, manifest_slots, parse_byte_size
from nd_lsp.rules.permissions import canonical_key, permissions_key
from nd_lsp.rules.plugin_api import suggest
from nd_lsp.specs.loader import MASTER, available_versions, load_spec, version_key
from nd_lsp.specs.model import Spec

# JSON Schema's own keywords, allowed at the top of a manifest so that editors can validate it.
SCHEMA_KEYWORDS = frozenset({"$schema", "$id", "$comment"})
INT64 = (-(2**63), 2**63 - 1)
REFUSED = "Navidrome refuses to load the plugin"
_JSON_TYPES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "bool": "a boolean",
    "null": "null",
}
_SCHEMA_TYPES = {"boolean": "a boolean", "integer": "an integer", "number": "a number"}


def _kind_name(node: JsonNode) -> str:
    if node.kind == "number" and isinstance(node.value, float):
        return "a number with a fraction or exponent"
    return _JSON_TYPES[node.kind]


def _type_name(schema_type: str) -> str:
    return _SCHEMA_TYPES.get(schema_type) or _JSON_TYPES.get(schema_type, schema_type)


def _matches_type(node: JsonNode, schema_type: str) -> bool:
    """Go's decoder: an integer field takes only an integer literal that fits in int64."""
    if schema_type == "integer":
        value = node.value
        return node.kind == "number" and isinstance(value, int) and INT64[0] <= value <= INT64[1]
    if schema_type == "boolean":
        return node.kind == "bool"
    return node.kind == schema_type


def _anchor(node: JsonNode) -> Span:
    """A scalar's whole span; only the opening bracket of an object or array."""
    if node.kind in ("object", "array"):
        start = node.span.start
        return Span(node.span.path, start, Position(start.line, start.column + 1))
    return node.span


def _dotted(path: SchemaPath) -> str:
    return ".".join(path) if path else "the manifest"


@frozen_dataclass
class KeyHistory:
    """In which versions the manifest schema has a key at a path."""

    versions: tuple[str, ...]

    def describe(self, target: str) -> str:
        if not self.versions:
            return ""
        if self.versions[-1] != MASTER and version_key(self.versions[-1]) < version_key(target):
            return f"it was removed from the manifest after Navidrome {self.versions[-1]}"
        if self.versions[0] == MASTER:
            return "it exists only on Navidrome's master branch (unreleased)"
        return f"it exists since Navidrome {self.versions[0]}"


@functools.lru_cache(maxsize=256)
def key_history(path: SchemaPath) -> KeyHistory:
    found = [v for v in available_versions() if _schema_at(load_spec(v), path) is not None]
    return KeyHistory(tuple(found))


def _schema_at(spec: Spec, path: SchemaPath) -> Mapping[str, Any] | None:
    node: Mapping[str, Any] = spec.manifest_schema
    for key in path:
        node = spec.schema_node(node)
        child = node.get("properties", {}).get(key)
        if not isinstance(child, Mapping):
            return None
        node = child
    return spec.schema_node(node)


class ManifestSchema(Rule):
    """manifest.json breaks the manifest schema of the target Navidrome version.

    ## What it does
    Checks manifest.json against the schema Navidrome ships for the target version: `name`, `author`
    and `version` present and non-empty, every value of the right type, `taskqueue.maxConcurrency` at
    least 1, a `kvstore.maxSize` that Navidrome's size parser accepts ("1MB", "500KiB"). It warns about
    keys the schema does not know (with a did-you-mean), about permission keys spelled in another
    case, about repeated keys, and about permissions set to `null`.

    ## Why is this bad?
    A missing field, a wrong type or a bad size makes Navidrome refuse to load the plugin. An unknown
    key is worse: Navidrome ignores it silently, so a misspelled `"permisions"` leaves the plugin
    without any permission, and its host calls fail to link.

    ## Example
    ```json
    {
      "name": "my-plugin",
      "author": "",
      "version": "1.0.0",
      "permisions": {
        "taskqueue": { "maxConcurrency": 0 },
        "kvstore": { "maxSize": "1 megabyte" }
      }
    }
    ```

    ## Use instead
    ```json
    {
      "name": "my-plugin",
      "author": "Jane Doe",
      "version": "1.0.0",
      "permissions": {
        "taskqueue": { "maxConcurrency": 1 },
        "kvstore": { "maxSize": "1MB" }
      }
    }
    ```
    """

    code = "ND302"
    name = "manifest-schema"
    severity = Severity.ERROR
    languages = ("manifest",)

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        manifest = ctx.plugin.manifest
        if manifest is None or manifest.root is None or not ctx.spec.manifest_schema:
            return
        yield from _SchemaWalk(self, ctx).value(manifest.root, ctx.spec.manifest_schema, (), None)


class _SchemaWalk:
    """Validates a manifest against the subset of JSON Schema the manifest schema uses (type,
    required, properties, additionalProperties, minLength, minimum, items, enum, $ref), the way
    Navidrome's Go decoder reads it."""

    def __init__(self, rule: Rule, ctx: RuleContext) -> None:
        self.rule = rule
        self.ctx = ctx
        self.spec = ctx.spec
        self.slots = manifest_slots(ctx.spec)
        self.permissions_path: SchemaPath = (permissions_key(ctx.spec),)

    def value(
        self, node: JsonNode, schema: Mapping[str, Any], path: SchemaPath, member: JsonMember | None
    ) -> Iterator[Finding]:
        schema = self.spec.schema_node(schema)
        expected = schema.get("type")
        if isinstance(expected, str) and not _matches_type(node, expected):
            where = f'"{path[-1]}"' if path else "manifest.json"
            yield self.rule.finding(
                _anchor(node),
                f"{where} must be {_type_name(expected)}, not {_kind_name(node)}: Navidrome's JSON decoder "
                f"fails on it and {REFUSED}.",
            )
            return
        yield from self._constraints(node, schema, path)
        if node.kind == "array" and isinstance(schema.get("items"), Mapping):
            for item in node.items:
                yield from self.value(item, schema["items"], path, None)
        if node.kind == "object":
            yield from self._object(node, schema, path, member)

    def _constraints(self, node: JsonNode, schema: Mapping[str, Any], path: SchemaPath) -> Iterator[Finding]:
        value = node.value
        name = f'"{path[-1]}"' if path else "the value"
        if node.kind == "string" and isinstance(value, str):
            minimum = schema.get("minLength")
            if isinstance(minimum, int) and len(value) < minimum:
                yield self.rule.finding(node.span, f"{name} must not be empty: {REFUSED}.")
            if path in self.slots.byte_sizes:
                yield from self._byte_size(node, value, name)
        minimum_value = schema.get("minimum")
        numbers = isinstance(minimum_value, int | float) and isinstance(value, int | float)
        if node.kind == "number" and numbers and value < minimum_value:  # type: ignore[operator]
            yield self.rule.finding(node.span, f"{name} must be at least {minimum_value}: {REFUSED}.")
        enum = schema.get("enum")
        if isinstance(enum, list) and node.kind not in ("object", "array") and value not in enum:
            allowed = ", ".join(f'"{e}"' if isinstance(e, str) else str(e) for e in enum)
            yield self.rule.finding(node.span, f"{name} must be one of {allowed}: {REFUSED}.")

    def _byte_size(self, node: JsonNode, value: str, name: str) -> Iterator[Finding]:
        if value == "":  # Navidrome uses its default for an empty size
            return
        parsed = parse_byte_size(value)
        if parsed.error:
            yield self.rule.finding(
                node.span,
                f'{name} "{value}" is not a size Navidrome can read ({parsed.error}): {REFUSED}. '
                'Write a number and a unit, e.g. "1MB", "500KB" or "10MiB".',
            )
        elif parsed.value == 0:
            yield self.rule.finding(
                node.span,
                f'{name} "{value}" is zero bytes: every write to the store fails with "storage limit exceeded".',
                severity=Severity.WARNING,
            )

    def _object(
        self, node: JsonNode, schema: Mapping[str, Any], path: SchemaPath, member: JsonMember | None
    ) -> Iterator[Finding]:
        properties: Mapping[str, Any] = schema.get("properties", {})
        closed = schema.get("additionalProperties") is False
        yield from self._duplicates(node, properties, path)
        for entry in node.members:
            if not path and entry.key in SCHEMA_KEYWORDS:
                continue
            canonical = canonical_key(properties, entry.key)
            if canonical is None:
                # A permission of another release is ND111's (not-in-target-version): one finding a token.
                if closed and not self._permission_of_another_release(entry.key, path):
                    yield self._unknown_key(node, entry, properties, path)
                continue
            child_path = (*path, canonical)
            if canonical != entry.key:
                yield self._other_case(entry, canonical, node, schema, child_path)
            if child_path in self.slots.json_schemas:
                continue  # ND307 reads JSON Schemas
            if entry.value.kind == "null":
                yield from self._null(entry, canonical, properties[canonical], path)
                continue
            yield from self.value(entry.value, properties[canonical], child_path, entry)
        yield from self._required(node, schema, path, member)

    def _duplicates(self, node: JsonNode, properties: Mapping[str, Any], path: SchemaPath) -> Iterator[Finding]:
        last: dict[str, JsonMember] = {}
        for entry in node.members:
            last[canonical_key(properties, entry.key) or entry.key] = entry
        for index, entry in enumerate(node.members):
            winner = last[canonical_key(properties, entry.key) or entry.key]
            if winner is entry:
                continue
            again = "again below" if winner.key == entry.key else f'again below as "{winner.key}"'
            yield self.rule.finding(
                entry.key_span,
                f'"{entry.key}" appears {again}: Navidrome keeps only the last one and ignores this one. '
                "Remove one of them.",
                severity=Severity.WARNING,
                related=[Related(winner.key_span, "the value Navidrome uses")],
                fixes=[Fix("Remove the ignored duplicate", (remove_member(node, index),))],
            )

    def _unknown_key(
        self, node: JsonNode, entry: JsonMember, properties: Mapping[str, Any], path: SchemaPath
    ) -> Finding:
        version = self.spec.version
        is_permission = path == self.permissions_path and bool(path[0])
        kind = "permission" if is_permission else "key"
        message = f'unknown {kind} "{entry.key}" in {_dotted(path)}: Navidrome {version} ignores it silently'
        history = self._history(entry.key, path, is_permission)
        if history:
            message += f"; {history}"
        fixes: list[Fix] = []
        # A key of another release is no typo: suggest a rename only for keys no release knows.
        suggestion = [] if history else suggest(entry.key, properties)
        if suggestion and not any(m.key == suggestion[0] for m in node.members):
            message += f'. Did you mean "{suggestion[0]}"?'
            fixes.append(Fix(f'Rename to "{suggestion[0]}"', (rename_key(entry, suggestion[0]),), preferred=True))
        elif not history:
            message += "; remove it"
        return self.rule.finding(
            entry.key_span,
            message + ("." if not message.endswith("?") else ""),
            severity=Severity.WARNING,
            fixes=fixes,
        )

    def _permission_of_another_release(self, key: str, path: SchemaPath) -> bool:
        if path != self.permissions_path or not path[0]:
            return False
        return bool(self.ctx.history.of_item("permission", key).versions)

    def _history(self, key: str, path: SchemaPath, is_permission: bool) -> str:
        if is_permission:
            history = self.ctx.history
            known = [n for kind, n in history.index if kind == "permission" and canonical_key((n,), key)]
            versions = history.of_item("permission", known[0]).versions if known else ()
            return KeyHistory(versions).describe(self.spec.version)
        return key_history((*path, key)).describe(self.spec.version)

    def _other_case(
        self, entry: JsonMember, canonical: str, node: JsonNode, schema: Mapping[str, Any], path: SchemaPath
    ) -> Finding:
        required = canonical in schema.get("required", ())
        if required:
            message = (
                f'"{entry.key}" must be spelled "{canonical}": Navidrome checks this required key by its exact '
                f"name, so it is missing and {REFUSED}."
            )
        else:
            message = (
                f'"{entry.key}" is spelled differently from "{canonical}": Navidrome matches it ignoring case '
                f'and reads it as "{canonical}", but other tools do not. Rename it to "{canonical}".'
            )
        fixes = []
        if not any(m.key == canonical for m in node.members):
            fixes.append(Fix(f'Rename to "{canonical}"', (rename_key(entry, canonical),), preferred=True))
        return self.rule.finding(
            entry.key_span, message, severity=Severity.ERROR if required else Severity.WARNING, fixes=fixes
        )

    def _null(
        self, entry: JsonMember, canonical: str, schema: Mapping[str, Any], path: SchemaPath
    ) -> Iterator[Finding]:
        """Go reads null as the zero value: harmless, except where the zero value is refused."""
        if self.spec.schema_node(schema).get("minLength"):
            yield self.rule.finding(entry.value.span, f'"{canonical}" must not be null: {REFUSED}.')
        elif path == self.permissions_path:
            yield self.rule.finding(
                entry.value.span,
                f'"{canonical}": null does not declare the permission: Navidrome treats it as absent. '
                "Write an object (with a reason) to declare it, or remove the key.",
                severity=Severity.WARNING,
            )

    def _required(
        self, node: JsonNode, schema: Mapping[str, Any], path: SchemaPath, member: JsonMember | None
    ) -> Iterator[Finding]:
        required = schema.get("required", ())
        properties: Mapping[str, Any] = schema.get("properties", {})
        for key in required if isinstance(required, list) else ():
            if any(m.key == key for m in node.members) or (*path, key) in self.slots.json_schemas:
                continue
            if any(canonical_key(properties, m.key) == key for m in node.members):
                continue  # reported as a spelling error on the key itself
            where = member.key_span if member is not None else _anchor(node)
            owner = f'"{path[-1]}"' if path else "manifest.json"
            yield self.rule.finding(where, f'{owner} has no "{key}": {REFUSED}. Add "{key}".')
