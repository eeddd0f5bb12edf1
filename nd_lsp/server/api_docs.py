"""Markdown for API items of a spec: signature, doc, JSON shapes, permission, since/deprecation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nd_lsp.frontends.facts import Language
from nd_lsp.specs.history import ApiHistory
from nd_lsp.specs.model import (
    Capability,
    CapabilityMethod,
    Field,
    HostFunction,
    HostService,
    Param,
    RustMacro,
    RustTrait,
    Spec,
    TypeDef,
)

FENCE = {"rust": "rust", "go": "go", "python": "python", "manifest": "json"}


def since(kind: str, name: str) -> str:
    """The "since Navidrome 0.61.0" text of an item, from every spec nd-lsp ships."""
    try:
        history = ApiHistory.load().of_item(kind, name)
    except Exception:  # history is a bonus; a broken spec elsewhere must not break hover
        return ""
    return history.describe() if history.versions else ""


def _block(code: str, language: str) -> str:
    return f"```{language}\n{code}\n```" if code else ""


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def json_shape(fields: Iterable[Field | Param], extra: Iterable[tuple[str, str]] = ()) -> str:
    lines = [f'  "{f.json}": {f.type}{"  (optional)" if getattr(f, "omitempty", False) else ""}' for f in fields]
    lines += [f'  "{key}": {kind}' for key, kind in extra]
    return "{\n" + ",\n".join(lines) + "\n}" if lines else "{}"


def host_function_signature(service: HostService, function: HostFunction, language: Language) -> str:
    if language == "rust" and function.rust_signature:
        return function.rust_signature
    if language == "go" and function.go_signature:
        return function.go_signature
    if language == "python" and function.python_function:
        return f"{function.python_function}(...)  # host import {function.import_name}"
    return f"{function.import_name}(request) -> response"


def describe_host_function(service: HostService, function: HostFunction, language: Language) -> str:
    response_extra = [("error", "string  (when the call failed)")] if function.has_error else []
    permission = (
        f"Requires the `{service.permission}` permission in manifest.json."
        if service.permission
        else "Needs no permission."
    )
    return _join(
        _block(host_function_signature(service, function, language), FENCE[language]),
        function.doc,
        f"Host import `{function.import_name}` of the {service.name} service. {permission}",
        "Request:\n" + _block(json_shape(function.params), "json"),
        "Response:\n" + _block(json_shape(function.results, response_extra), "json"),
        _since_line("import", function.import_name),
    )


def describe_host_service(service: HostService) -> str:
    names = ", ".join(f"`{f.rust_function or f.name}`" for f in service.functions)
    permission = f"Requires the `{service.permission}` permission." if service.permission else ""
    return _join(
        f"**{service.name}** host service",
        service.doc,
        permission,
        f"Functions: {names}",
        _since_line("host_service", service.name),
    )


def method_signature(method: CapabilityMethod, language: Language) -> str:
    if language == "rust":
        return method.rust_signature
    if language == "go":
        return method.go_signature
    return f"@extism.plugin_fn\ndef {method.export}(): ..."


def describe_method(capability: Capability, method: CapabilityMethod, language: Language, spec: Spec) -> str:
    needs = (
        f"Implemented through `{method.rust_trait}`, exported by `{method.rust_macro}!`."
        if (language == "rust" and method.rust_macro)
        else ""
    )
    if language == "go" and method.go_provider:
        needs = f"Provider interface `{capability.name}.{method.go_provider}`."
    return _join(
        _block(method_signature(method, language), FENCE[language]),
        method.doc,
        f"Export `{method.export}` of the {capability.name} capability"
        f"{' (every method is required)' if capability.required else ''}. {needs}".strip(),
        _shape_of(capability, spec, method.input, "Input"),
        _shape_of(capability, spec, method.output, "Output"),
        _permission_note(spec, capability),
        _since_line("export", method.export),
    )


def describe_capability(capability: Capability, spec: Spec) -> str:
    methods = "\n".join(f"- `{m.export}`: {m.rust_method or m.name}" for m in capability.methods)
    return _join(
        f"**{capability.name}** capability",
        capability.doc,
        methods,
        _permission_note(spec, capability),
        _since_line("capability", capability.name),
    )


def describe_trait(capability: Capability, trait: RustTrait, spec: Spec) -> str:
    methods = [m for m in capability.methods if m.rust_trait == trait.name]
    signatures = "\n".join(m.rust_signature for m in methods if m.rust_signature)
    return _join(
        _block(f"pub trait {trait.name} {{\n" + _indent(signatures) + "\n}", "rust"),
        trait.doc or capability.doc,
        f"Register it with `{trait.macro}!(YourType)`; the type must implement `Default`.",
        _permission_note(spec, capability),
        _since_line("rust_item", f"{capability.rust_module}::{trait.name}"),
    )


def describe_macro(capability: Capability, macro: RustMacro, spec: Spec) -> str:
    exports = ", ".join(f"`{e}`" for e in macro.exports)
    return _join(
        _block(f"{macro.name}!(YourType)", "rust"),
        macro.doc,
        f"Needs `YourType: {macro.trait} + Default`. Generates the export(s) {exports}.",
        _permission_note(spec, capability),
        _since_line("macro", macro.name),
    )


def describe_type(typ: TypeDef, language: Language, owner: str) -> str:
    deprecated = f"**Deprecated**: {typ.deprecated}" if typ.deprecated else ""
    alias = f"Alias of `{typ.alias_of}`." if typ.alias_of else ""
    rows = [
        f"- `{_field_name(f, language)}`: `{_field_type(f, language)}` (JSON `{f.json}`)"
        + (f" — {f.doc}" if f.doc else "")
        for f in typ.fields
    ]
    return _join(
        f"**{owner}.{typ.name}**" if owner else f"**{typ.name}**",
        deprecated,
        typ.doc,
        alias,
        "\n".join(rows),
        _since_line("shared_type", typ.name) if not owner else "",
    )


def describe_field(typ: TypeDef, field: Field, language: Language) -> str:
    return _join(
        _block(f"{_field_name(field, language)}: {_field_type(field, language)}", FENCE[language]),
        field.doc,
        f"Field of `{typ.name}`, JSON key `{field.json}`{' (omitted when empty)' if field.omitempty else ''}.",
    )


def describe_schema_node(key: str, node: Mapping[str, Any]) -> str:
    kind = node.get("type", "")
    kind_text = f"`{kind}`" if isinstance(kind, str) and kind else ""
    description = node.get("description", "")
    props = node.get("properties")
    keys = ", ".join(f"`{k}`" for k in props) if isinstance(props, Mapping) else ""
    required = node.get("required")
    required_text = ", ".join(f"`{k}`" for k in required) if isinstance(required, list) else ""
    return _join(
        f"**{key}** {kind_text}".strip(),
        description if isinstance(description, str) else "",
        f"Keys: {keys}" if keys else "",
        f"Required: {required_text}" if required_text else "",
        _since_line("permission", key),
    )


def _shape_of(capability: Capability, spec: Spec, type_name: str, label: str) -> str:
    if not type_name:
        return ""
    typ = capability.type_by_name(type_name) or next((t for t in spec.shared_types if t.name == type_name), None)
    if typ is None:
        return f"{label}: `{type_name}`"
    return f"{label} `{type_name}`:\n" + _block(json_shape(typ.fields), "json")


def _permission_note(spec: Spec, capability: Capability) -> str:
    needed = [p.permission for p in spec.capability_permissions if p.capability == capability.name]
    return f"Needs the `{'`, `'.join(needed)}` permission in manifest.json." if needed else ""


def _since_line(kind: str, name: str) -> str:
    text = since(kind, name)
    return f"_{text[0].upper()}{text[1:]}._" if text else ""


def _field_name(field: Field, language: Language) -> str:
    return field.rust_name or field.name if language == "rust" else field.name if language == "go" else field.json


def _field_type(field: Field, language: Language) -> str:
    return field.rust_type or field.type if language == "rust" else field.type


def _indent(text: str) -> str:
    return "\n".join(f"    {line};" for line in text.splitlines())
