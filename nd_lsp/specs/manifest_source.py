"""The manifest side of Navidrome's source: the JSON schema and which permission unlocks each host service."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tree_sitter import Node

from nd_lsp.frontends.source_order import walk
from nd_lsp.specs.api_source import parse_json_tag
from nd_lsp.specs.go_source import node_text, parse_go_file, parse_tree, type_string
from nd_lsp.specs.source_tree import SourceTree

MANIFEST_SCHEMA = "plugins/manifest-schema.json"
MANIFEST_STRUCTS = "plugins/manifest_gen.go"  # go-jsonschema's output for the schema
HOST_SERVICE_TABLE = "plugins/manager_loader.go"


class ManifestSourceError(ValueError):
    """The manifest schema or the permission table cannot be read."""


def read_manifest_schema(source: SourceTree) -> dict[str, Any]:
    text = source.read_text(MANIFEST_SCHEMA)
    if text is None:
        raise ManifestSourceError(f"{MANIFEST_SCHEMA} is missing")
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise ManifestSourceError(f"{MANIFEST_SCHEMA} is not a JSON object")
    return schema


def _permissions_struct_name(schema: Mapping[str, Any]) -> str:
    # go-jsonschema names structs after the schema titles: the $defs entry of `permissions`.
    ref = schema.get("properties", {}).get("permissions", {}).get("$ref", "")
    return str(ref).rsplit("/", 1)[-1]


def _keyed_values(literal: Node) -> list[Node]:
    values = []
    for element in literal.named_children:
        if element.type == "keyed_element" and len(element.named_children) == 2:
            value = element.named_children[1]
            values.extend(value.named_children[:1] if value.type == "literal_element" else [value])
    return values


def _guarded_field(func: Node, struct_type: str) -> str | None:
    """The `p.Field` a `func(p *Permissions) bool` tests; "" when it tests none (always true)."""
    params = func.child_by_field_name("parameters")
    decls = [d for d in params.named_children if d.type == "parameter_declaration"] if params else []
    if len(decls) != 1 or type_string(decls[0].child_by_field_name("type")) != "*" + struct_type:
        return None
    names = decls[0].children_by_field_name("name")
    param = node_text(names[0]) if names else ""
    for node in walk(func):
        operand = node.child_by_field_name("operand") if node.type == "selector_expression" else None
        if operand is not None and node_text(operand) == param:
            return node_text(node.child_by_field_name("field"))
    return ""


def read_service_permissions(source: SourceTree, schema: Mapping[str, Any]) -> dict[str, str] | None:
    """Host service name -> the manifest permission that registers it ("" = always registered).

    Navidrome registers a service's host functions only when `hasPermission` holds
    (manager_loader.go); that table, not the `permission=` annotation, decides.
    None when the release has no such table.
    """
    table = source.read_text(HOST_SERVICE_TABLE)
    structs = source.read_text(MANIFEST_STRUCTS)
    if table is None or structs is None:
        return None
    struct_name = _permissions_struct_name(schema)
    struct = next((s for s in parse_go_file(MANIFEST_STRUCTS, structs).structs if s.name == struct_name), None)
    if struct is None:
        raise ManifestSourceError(f"{MANIFEST_STRUCTS} has no struct {struct_name}")
    keys = {f.name: parse_json_tag(f.tag)[0] for f in struct.fields}
    found: dict[str, str] = {}
    for literal in (n for n in walk(parse_tree(table)) if n.type == "literal_value"):
        values = _keyed_values(literal)
        names = [v for v in values if v.type == "interpreted_string_literal"]
        guards = [g for v in values if v.type == "func_literal" and (g := _guarded_field(v, struct_name)) is not None]
        if names and guards:
            found[json.loads(node_text(names[0]))] = keys.get(guards[0], guards[0])
    return found
