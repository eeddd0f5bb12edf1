"""Completions from the target version's spec, per language; jedi for ordinary Python code."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from lsprotocol import types

from nd_lsp.server import api_docs
from nd_lsp.server.cursor import (
    Cursor,
    RequestContext,
    enclosing_call,
    go_imports,
    json_path_at,
    python_host_stubs,
    rust_capability_modules,
    rust_host_modules,
    unclosed_opener,
)
from nd_lsp.specs.model import Capability, Spec, TypeDef

log = logging.getLogger(__name__)

Kind = types.CompletionItemKind


def complete(ctx: RequestContext | None, position: types.Position) -> types.CompletionList | None:
    if ctx is None:
        return None
    cursor = ctx.cursor(position)
    if cursor is None:
        return None
    items = _items(ctx, cursor)
    if items is None:
        return None
    return types.CompletionList(is_incomplete=False, items=items)


def _items(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    if ctx.language == "rust":
        return _rust(ctx, cursor)
    if ctx.language == "go":
        return _go(ctx, cursor)
    if ctx.language == "python":
        return _python(ctx, cursor)
    if ctx.language == "manifest":
        return _manifest(ctx, cursor)
    return None


def _item(
    ctx: RequestContext,
    label: str,
    kind: types.CompletionItemKind,
    detail: str = "",
    doc: str = "",
    snippet: str = "",
) -> types.CompletionItem:
    use_snippet = bool(snippet) and ctx.snippets
    return types.CompletionItem(
        label=label,
        kind=kind,
        detail=detail or None,
        documentation=ctx.markup(doc) if doc else None,
        insert_text=snippet if use_snippet else None,
        insert_text_format=types.InsertTextFormat.Snippet if use_snippet else None,
        sort_text=f"0{label}",
    )


# ---- Rust


def _rust(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    layout = ctx.spec.layout
    crate = re.escape(layout.rust_crate)
    before = cursor.before
    use_group = re.search(rf"\buse\s+{crate}::(\w+)::\{{[^{{}};]*$", before)
    if use_group:
        return _rust_module_items(ctx, use_group.group(1))
    qualifier = cursor.qualifier("::")
    if qualifier:
        return _rust_path(ctx, qualifier)
    if re.search(r"\bimpl(?:<[^>]*>)?\s+(?:[\w:]+::)?\w*$", cursor.prefix):
        return _rust_traits(ctx)
    block = _impl_block(before)
    if block is not None and re.fullmatch(r"\s*(?:fn\s+)?\w*", cursor.prefix):
        trait, written = block
        return _missing_methods(ctx, trait, written)
    return _struct_fields(ctx, cursor)


def _rust_path(ctx: RequestContext, qualifier: list[str]) -> list[types.CompletionItem] | None:
    spec, layout = ctx.spec, ctx.spec.layout
    host_modules = rust_host_modules(spec)
    path = qualifier[1:] if qualifier[0] == layout.rust_crate else qualifier
    if qualifier == [layout.rust_crate]:
        return _rust_crate_items(ctx)
    if path == [layout.rust_host_module]:
        return [
            _item(ctx, s.rust_module, Kind.Module, f"{s.name} host service", api_docs.describe_host_service(s))
            for s in spec.host_services
            if s.rust_module
        ]
    module = path[-1] if path else ""
    if module in host_modules and (len(path) == 1 or path[-2] == layout.rust_host_module):
        return _rust_host_functions(ctx, host_modules[module])
    if module in rust_capability_modules(spec) and len(qualifier) > 1:
        return _rust_module_items(ctx, module)
    return None


def _rust_crate_items(ctx: RequestContext) -> list[types.CompletionItem]:
    spec, layout = ctx.spec, ctx.spec.layout
    items = []
    for cap in spec.capabilities:
        for macro in cap.rust_macros:
            items.append(
                _item(
                    ctx,
                    f"{macro.name}!",
                    Kind.Function,
                    f"needs {macro.trait}",
                    api_docs.describe_macro(cap, macro, spec),
                    f"{macro.name}!(${{1:Plugin}});",
                )
            )
        if cap.rust_module:
            items.append(
                _item(
                    ctx, cap.rust_module, Kind.Module, f"{cap.name} capability", api_docs.describe_capability(cap, spec)
                )
            )
    for name in (layout.rust_host_module, layout.rust_types_module):
        if name:
            items.append(_item(ctx, name, Kind.Module))
    return items


def _rust_host_functions(ctx: RequestContext, service_name: str) -> list[types.CompletionItem]:
    service = ctx.spec.host_service(service_name)
    if service is None:
        return []
    items = []
    for fn in service.functions:
        if not fn.rust_function:
            continue
        args = ", ".join(f"${{{i}:{p.rust_name or p.name}}}" for i, p in enumerate(fn.params, 1))
        items.append(
            _item(
                ctx,
                fn.rust_function,
                Kind.Function,
                fn.rust_signature,
                api_docs.describe_host_function(service, fn, "rust"),
                f"{fn.rust_function}({args})",
            )
        )
    return items


def _rust_module_items(ctx: RequestContext, module: str) -> list[types.CompletionItem]:
    spec = ctx.spec
    cap = next((c for c in spec.capabilities if c.rust_module == module), None)
    if cap is None:
        if module == spec.layout.rust_types_module:
            return [
                _item(ctx, t.name, Kind.Struct, "", api_docs.describe_type(t, "rust", "")) for t in spec.shared_types
            ]
        return []
    items = [
        _item(ctx, t.name, Kind.Interface, f"trait for {t.macro}!", api_docs.describe_trait(cap, t, spec))
        for t in cap.rust_traits
    ]
    items += [
        _item(
            ctx, t.name, Kind.Struct, t.deprecated and "deprecated", api_docs.describe_type(t, "rust", cap.rust_module)
        )
        for t in cap.types
    ]
    items += [_item(ctx, c.rust_name, Kind.Constant, c.value, c.doc) for c in cap.constants if c.rust_name]
    return items


def _rust_traits(ctx: RequestContext) -> list[types.CompletionItem]:
    spec = ctx.spec
    return [
        _item(ctx, trait.name, Kind.Interface, f"{cap.name} capability", api_docs.describe_trait(cap, trait, spec))
        for cap in spec.capabilities
        for trait in cap.rust_traits
    ]


def _impl_block(before: str) -> tuple[str, set[str]] | None:
    """The trait of the `impl Trait for T {` whose body (not a method body) holds the cursor, and the
    methods already written in it."""
    brace = unclosed_opener(before, "{", "}")
    if brace is None:
        return None
    header = re.search(r"\bimpl(?:<[^>]*>)?\s+(?:[\w:]+::)?(\w+)(?:<[^>]*>)?\s+for\s+[^{;]+$", before[:brace])
    if header is None:
        return None
    return header.group(1), set(re.findall(r"\bfn\s+(\w+)", before[brace:]))


def _missing_methods(ctx: RequestContext, trait: str, written: set[str]) -> list[types.CompletionItem]:
    items = []
    for cap in ctx.spec.capabilities:
        for method in cap.methods:
            if method.rust_trait != trait or not method.rust_signature or method.rust_method in written:
                continue
            body = f"{method.rust_signature} {{\n    ${{0:todo!()}}\n}}"
            items.append(
                _item(
                    ctx,
                    method.rust_method,
                    Kind.Method,
                    method.rust_signature,
                    api_docs.describe_method(cap, method, "rust", ctx.spec),
                    body,
                )
            )
    return items


def _struct_fields(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    """Fields of a PDK type in a struct literal: `ArtistBiographyResponse { bio` or `md.ArtistRequest{Na`."""
    brace = unclosed_opener(cursor.before, "{", "}")
    if brace is None or not re.search(r"(?:\{|,)\s*\w*$", cursor.before[brace:]):
        return None
    literal = re.search(r"\b(\w+)\s*$", cursor.before[:brace])
    typ = _pdk_type(ctx.spec, literal.group(1)) if literal else None
    if typ is None:
        return None
    rust = ctx.language == "rust"
    written = set(re.findall(r"(\w+)\s*:", cursor.before[brace:]))
    items = []
    for field in typ.fields:
        name = (field.rust_name or field.name) if rust else field.name
        if name in written:
            continue
        kind_text = (field.rust_type or field.type) if rust else field.type
        items.append(
            _item(
                ctx,
                name,
                Kind.Field,
                kind_text,
                api_docs.describe_field(typ, field, ctx.language or "rust"),
                f"{name}: $1",
            )
        )
    return items


def _pdk_type(spec: Spec, name: str) -> TypeDef | None:
    for cap in spec.capabilities:
        found = cap.type_by_name(name)
        if found is not None:
            return found
    for service in spec.host_services:
        found = next((t for t in service.types if t.name == name), None)
        if found is not None:
            return found
    return next((t for t in spec.shared_types if t.name == name), None)


# ---- Go


def _go(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    qualifier = cursor.qualifier(".")
    if len(qualifier) != 1:
        return _struct_fields(ctx, cursor)
    path = go_imports(ctx.text).get(qualifier[0])
    if path is None:
        return _struct_fields(ctx, cursor)
    spec, layout = ctx.spec, ctx.spec.layout
    if path == layout.go_host_package:
        return _go_host_functions(ctx)
    if path == layout.go_types_package:
        return [_item(ctx, t.name, Kind.Struct, "", api_docs.describe_type(t, "go", "")) for t in spec.shared_types]
    cap = next((c for c in spec.capabilities if c.go_package == path), None)
    return _go_package_items(ctx, cap) if cap else None


def _go_host_functions(ctx: RequestContext) -> list[types.CompletionItem]:
    items = []
    for service in ctx.spec.host_services:
        for fn in service.functions:
            if not fn.go_function:
                continue
            args = ", ".join(f"${{{i}:{p.name}}}" for i, p in enumerate(fn.params, 1))
            items.append(
                _item(
                    ctx,
                    fn.go_function,
                    Kind.Function,
                    fn.go_signature,
                    api_docs.describe_host_function(service, fn, "go"),
                    f"{fn.go_function}({args})",
                )
            )
    return items


def _go_package_items(ctx: RequestContext, cap: Capability) -> list[types.CompletionItem]:
    spec = ctx.spec
    items = [_item(ctx, i.name, Kind.Interface, "", i.doc) for i in cap.go_interfaces]
    items += [_item(ctx, t.name, Kind.Struct, "", api_docs.describe_type(t, "go", cap.name)) for t in cap.types]
    items += [_item(ctx, c.name, Kind.Constant, c.value, c.doc) for c in cap.constants]
    if cap.go_register:
        items.append(
            _item(
                ctx,
                cap.go_register,
                Kind.Function,
                f"func {cap.go_register}(impl {cap.go_agent})",
                api_docs.describe_capability(cap, spec),
                f"{cap.go_register}(${{1:&plugin{{}}}})",
            )
        )
    return items


# ---- Python


def _python(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    spec = ctx.spec
    if re.fullmatch(r"\s*def\s+\w*", cursor.prefix) and _after_plugin_fn_decorator(ctx, cursor.line):
        exports = spec.all_exports()
        return [
            _item(
                ctx,
                name,
                Kind.Function,
                f"{cap.name} capability",
                api_docs.describe_method(cap, m, "python", spec),
                f"{name}():\n    ${{0:pass}}",
            )
            for name, (cap, m) in sorted(exports.items())
        ]
    if re.search(r"import_fn\(\s*[\"'][^\"']*[\"']\s*,\s*[\"']\w*$", cursor.prefix):
        return [
            _item(
                ctx,
                fn.import_name,
                Kind.Function,
                f"{service.name}.{fn.name}",
                api_docs.describe_host_function(service, fn, "python"),
            )
            for service in spec.host_services
            for fn in service.functions
        ]
    keys = _request_keys(ctx, cursor)
    if keys is not None:
        return keys
    return _jedi_completions(ctx, cursor)


def _after_plugin_fn_decorator(ctx: RequestContext, line: int) -> bool:
    for previous in reversed(ctx.lines[:line]):
        stripped = previous.strip()
        if not stripped:
            continue
        return bool(re.match(r"@[\w.]*plugin_fn\b", stripped))
    return False


def _request_keys(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    """Keys of the request dict of a raw host call: `_kvstore_set(json.dumps({"` offers `key`, `value`."""
    before = cursor.before
    brace = unclosed_opener(before, "{", "}")
    if brace is None or not re.search(r"(?:[{,]\s*[\"']?\w*)$", before[brace:]):
        return None
    stubs = python_host_stubs(ctx.text)
    functions = ctx.spec.all_host_functions()
    text = before[:brace]
    while True:
        call = enclosing_call(text)
        if call is None:
            return None
        callee = call[0].rsplit(".", 1)[-1]
        if callee in stubs and stubs[callee] in functions:
            _, fn = functions[stubs[callee]]
            quoted = bool(re.search(r"[\"']\w*$", before))
            return [
                _item(
                    ctx,
                    p.json,
                    Kind.Field,
                    p.python_type or p.type,
                    f"`{p.json}`: {p.type}",
                    p.json if quoted else f'"{p.json}": ${{1}}',
                )
                for p in fn.params
            ]
        paren = unclosed_opener(text, "(", ")")
        if paren is None:
            return None
        text = text[:paren]


def _jedi_completions(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    from nd_lsp.server import jedi_script

    try:
        found = jedi_script.script(ctx.text, ctx.path).complete(cursor.line + 1, cursor.column)
    except Exception:  # jedi has bugs on half-written code; completion is a convenience
        log.debug("jedi completion failed", exc_info=True)
        return None
    return [
        types.CompletionItem(
            label=c.name, kind=_JEDI_KINDS.get(c.type, Kind.Text), detail=c.description or None, sort_text=f"1{c.name}"
        )
        for c in found[:500]
    ]


_JEDI_KINDS = {
    "module": Kind.Module,
    "class": Kind.Class,
    "instance": Kind.Variable,
    "function": Kind.Function,
    "param": Kind.Variable,
    "path": Kind.File,
    "keyword": Kind.Keyword,
    "property": Kind.Property,
    "statement": Kind.Variable,
}


# ---- manifest.json


def _manifest(ctx: RequestContext, cursor: Cursor) -> list[types.CompletionItem] | None:
    keys, expecting_key, partial = json_path_at(cursor.before)
    if not expecting_key:
        return None
    schema = ctx.spec.manifest_schema
    node: Mapping[str, Any] = schema
    for key in keys:
        props = node.get("properties", {})
        child = props.get(key) if isinstance(props, Mapping) else None
        if not isinstance(child, Mapping):
            return []
        node = ctx.spec.schema_node(child)
    props = node.get("properties", {})
    if not isinstance(props, Mapping):
        return []
    in_string = cursor.before.endswith(f'"{partial}')
    items = []
    for key, child in props.items():
        resolved = ctx.spec.schema_node(child) if isinstance(child, Mapping) else {}
        value = _json_value_snippet(resolved)
        snippet = f'{key}": {value}' if in_string else f'"{key}": {value}'
        if in_string and cursor.line_text[cursor.column : cursor.column + 1] == '"':
            snippet = key
        items.append(
            _item(
                ctx,
                key,
                Kind.Property,
                str(resolved.get("type", "")),
                api_docs.describe_schema_node(key, resolved),
                snippet,
            )
        )
    return items


def _json_value_snippet(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind == "object":
        return "{$1}"
    if kind == "array":
        return "[$1]"
    if kind == "string":
        return '"$1"'
    return "$1"
