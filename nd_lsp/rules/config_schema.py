"""ND307: a plugin config definition without a schema, or with one that is no valid JSON Schema."""

from __future__ import annotations

from collections.abc import Iterator

from nd_lsp.frontends.facts import JsonMember, JsonNode, Position, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity
from nd_lsp.rules.manifest_slots import SchemaPath, manifest_slots
from nd_lsp.rules.permissions import canonical_key, last_member

REFUSED_LOAD = "Navidrome refuses to load the plugin"
REFUSED = f"{REFUSED_LOAD} (invalid config schema)"
SIMPLE_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
# JSON Schema keywords by what their value must be (draft-07 and 2020-12 agree on these).
SCHEMA_VALUED = frozenset(
    {
        "additionalItems",
        "additionalProperties",
        "contains",
        "else",
        "if",
        "not",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
COUNTS = frozenset(
    {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"}
)
NUMBERS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
STRINGS = frozenset({"title", "description", "pattern", "format", "$ref", "$id", "$schema", "$anchor", "$comment"})
BOOLEANS = frozenset({"uniqueItems", "readOnly", "writeOnly", "deprecated"})


@frozen_dataclass
class SchemaProblem:
    """A place where a config schema is not valid JSON Schema, and why."""

    span: Span
    message: str


def _first_char(node: JsonNode) -> Span:
    start = node.span.start
    return Span(node.span.path, start, Position(start.line, start.column + 1))


def _is_number(node: JsonNode) -> bool:
    return node.kind == "number" and isinstance(node.value, int | float)


def _is_integer(node: JsonNode) -> bool:
    value = node.value
    return node.kind == "number" and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))


class _SchemaCheck:
    """Checks a JSON Schema document the way a compiler validates it against its meta-schema, for the
    keywords whose shape is fixed. Unknown keywords are allowed, as JSON Schema allows them."""

    def __init__(self, document: JsonNode) -> None:
        self.document = document
        self.problems: list[SchemaProblem] = []

    def schema(self, node: JsonNode, where: str) -> None:
        if node.kind == "bool":
            return  # `true` / `false` are schemas too
        if node.kind != "object":
            self._problem(node, f"{where} must be a schema (an object), not {_describe(node)}")
            return
        for member in node.members:
            self._keyword(member, f'"{member.key}"')

    def _keyword(self, member: JsonMember, name: str) -> None:
        key, value = member.key, member.value
        if key == "type":
            self._type(value)
        elif key == "required":
            self._string_list(value, name)
        elif key == "items":
            self._items(value)
        elif key in SCHEMA_VALUED:
            self.schema(value, name)
        elif key in SCHEMA_MAPS:
            self._schema_map(value, name)
        elif key in SCHEMA_LISTS:
            self._schema_list(value, name)
        elif key in COUNTS and not (_is_integer(value) and isinstance(value.value, int | float) and value.value >= 0):
            self._problem(value, f"{name} must be a non-negative integer, not {_describe(value)}")
        elif key in NUMBERS and value.kind != "number":
            self._problem(value, f"{name} must be a number, not {_describe(value)}")
        elif key == "multipleOf" and not (_is_number(value) and float(str(value.value)) > 0):
            self._problem(value, f"{name} must be a number greater than 0")
        elif key in STRINGS and value.kind != "string":
            self._problem(value, f"{name} must be a string, not {_describe(value)}")
        elif key in BOOLEANS and value.kind != "bool":
            self._problem(value, f"{name} must be true or false, not {_describe(value)}")
        elif key in ("enum", "examples") and value.kind != "array":
            self._problem(value, f"{name} must be an array, not {_describe(value)}")
        elif key == "dependentRequired":
            self._dependent_required(value, name)
        if key == "$ref" and value.kind == "string":
            self._reference(value)

    def _type(self, node: JsonNode) -> None:
        names = node.items if node.kind == "array" else (node,)
        if node.kind == "array" and not node.items:
            self._problem(node, '"type" must name at least one type')
        seen: set[object] = set()
        for item in names:
            if item.kind != "string" or item.value not in SIMPLE_TYPES:
                shown = f'"{item.value}"' if item.kind == "string" else _describe(item)
                self._problem(item, f'"type" {shown} is not a JSON Schema type ({", ".join(SIMPLE_TYPES)})')
            elif item.value in seen:
                self._problem(item, f'"type" lists "{item.value}" twice')
            seen.add(item.value)

    def _string_list(self, node: JsonNode, name: str) -> None:
        if node.kind != "array":
            hint = " (the list of required property names belongs to the parent object)" if node.kind == "bool" else ""
            self._problem(node, f"{name} must be an array of property names, not {_describe(node)}{hint}")
            return
        seen: set[object] = set()
        for item in node.items:
            if item.kind != "string":
                self._problem(item, f"{name} must hold only strings, not {_describe(item)}")
            elif item.value in seen:
                self._problem(item, f'{name} lists "{item.value}" twice')
            seen.add(item.value)

    def _items(self, node: JsonNode) -> None:
        if node.kind == "array":  # draft-07 tuple form
            self._schema_list(node, '"items"', allow_empty=True)
        else:
            self.schema(node, '"items"')

    def _schema_map(self, node: JsonNode, name: str) -> None:
        if node.kind != "object":
            self._problem(node, f"{name} must be an object of schemas, not {_describe(node)}")
            return
        for member in node.members:
            self.schema(member.value, f'{name} "{member.key}"')

    def _schema_list(self, node: JsonNode, name: str, *, allow_empty: bool = False) -> None:
        if node.kind != "array" or (not node.items and not allow_empty):
            self._problem(node, f"{name} must be a non-empty array of schemas")
            return
        for item in node.items:
            self.schema(item, f"each item of {name}")

    def _dependent_required(self, node: JsonNode, name: str) -> None:
        if node.kind != "object":
            self._problem(node, f"{name} must be an object of string arrays")
            return
        for member in node.members:
            self._string_list(member.value, f'{name} "{member.key}"')

    def _reference(self, node: JsonNode) -> None:
        """A local `#/...` reference must point into the schema; remote ones are not judged."""
        ref = str(node.value)
        if not ref.startswith("#/"):
            return
        target: JsonNode | None = self.document
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if target is None:
                break
            if target.kind == "object":
                found = last_member(target, part)
                target = found.value if found is not None else None
            elif target.kind == "array" and part.isdigit() and int(part) < len(target.items):
                target = target.items[int(part)]
            else:
                target = None
        if target is None:
            self._problem(node, f'"$ref" "{ref}" points at nothing in the schema')

    def _problem(self, node: JsonNode, message: str) -> None:
        span = _first_char(node) if node.kind in ("object", "array") else node.span
        self.problems.append(SchemaProblem(span, message))


def _describe(node: JsonNode) -> str:
    if node.kind in ("object", "array"):
        return f"an {node.kind}"
    if node.kind == "string":
        return f'the string "{node.value}"'
    if node.kind == "null":
        return "null"
    return str(node.value).lower() if node.kind == "bool" else f"the number {node.value}"


class ConfigSchema(Rule):
    """The plugin's `config` has no `schema`, or its schema is not a valid JSON Schema.

    ## What it does
    Checks the `config` section of manifest.json: it must hold a `schema` object, and that schema
    must be a JSON Schema a compiler accepts: known `type` names, `required` as an array of property
    names, `properties` holding schemas, counts as non-negative integers, local `$ref`s that resolve.

    ## Why is this bad?
    Navidrome compiles the config schema while it parses the manifest. A `config` without `schema`,
    or a schema that does not compile, makes it refuse to load the plugin.

    ## Example
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
      "config": {
        "schema": {
          "type": "object",
          "properties": { "apiKey": { "type": "text", "required": true } }
        }
      }
    }
    ```

    ## Use instead
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
      "config": {
        "schema": {
          "type": "object",
          "properties": { "apiKey": { "type": "string" } },
          "required": ["apiKey"]
        }
      }
    }
    ```
    """

    code = "ND307"
    name = "config-schema"
    severity = Severity.ERROR
    languages = ("manifest",)

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        manifest = ctx.plugin.manifest
        if manifest is None or manifest.root is None or manifest.root.kind != "object":
            return
        for path in sorted(manifest_slots(ctx.spec).json_schemas):
            yield from self._check_slot(manifest.root, path)

    def _check_slot(self, root: JsonNode, path: SchemaPath) -> Iterator[Finding]:
        *parents, slot = path
        owner: JsonNode = root
        owner_member: JsonMember | None = None
        for key in parents:
            found = _member(owner, key)
            if found is None or found.value.kind != "object":
                return  # absent, null or of the wrong type: ND302's business
            owner, owner_member = found.value, found
        # Navidrome looks the slot up by its exact key; a case variant is ND302's spelling error.
        member = next((m for m in reversed(owner.members) if m.key == slot), None)
        if member is None:
            if owner_member is not None and _member(owner, slot) is None:
                yield self.finding(
                    owner_member.key_span,
                    f'"{owner_member.key}" has no "{slot}": {REFUSED_LOAD}. '
                    f'Add a "{slot}" object (a JSON Schema of the settings), or remove "{owner_member.key}".',
                )
            return
        if member.value.kind == "null":
            return  # Go reads null as "no schema" and skips compiling it
        if member.value.kind != "object":
            yield self.finding(
                _first_char(member.value) if member.value.kind == "array" else member.value.span,
                f'"{slot}" must be a JSON Schema object, not {_describe(member.value)}: {REFUSED_LOAD}.',
            )
            return
        check = _SchemaCheck(member.value)
        check.schema(member.value, f'"{slot}"')
        for problem in check.problems:
            message = f"the config schema is not valid JSON Schema: {problem.message}. {REFUSED}."
            yield self.finding(problem.span, message)


def _member(obj: JsonNode, key: str) -> JsonMember | None:
    """Go's decoder: the last member whose key matches, ignoring case."""
    return next((m for m in reversed(obj.members) if canonical_key((key,), m.key) == key), None)
