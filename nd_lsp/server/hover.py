"""Hover: what the API item under the cursor is, from the target version's spec (jedi for plain Python)."""

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
    go_imports,
    json_key_under_cursor,
    json_path_at,
    rust_capability_modules,
    rust_host_modules,
    unclosed_opener,
)
from nd_lsp.specs.model import Spec

log = logging.getLogger(__name__)


def hover(ctx: RequestContext | None, position: types.Position) -> types.Hover | None:
    if ctx is None:
        return None
    cursor = ctx.cursor(position)
    if cursor is None:
        return None
    if ctx.language == "manifest":
        return _manifest(ctx, cursor)
    if not cursor.word():
        return None
    text = _describe(ctx, cursor)
    if not text:
        return None
    start, end = cursor.word_bounds()
    return types.Hover(
        contents=ctx.markup(text),
        range=ctx.client_range(cursor.line, start, end),
    )


def _describe(ctx: RequestContext, cursor: Cursor) -> str | None:
    exports = ctx.spec.all_exports()
    if cursor.word() in exports and ctx.language in ("rust", "go"):  # #[plugin_fn] fn / //go:wasmexport
        capability, method = exports[cursor.word()]
        return api_docs.describe_method(capability, method, ctx.language, ctx.spec)
    if ctx.language == "rust":
        return _rust(ctx.spec, cursor) or _field(ctx, cursor)
    if ctx.language == "go":
        return _go(ctx, cursor) or _field(ctx, cursor)
    if ctx.language == "python":
        return _python(ctx, cursor)
    return None


# ---- Rust


def _rust(spec: Spec, cursor: Cursor) -> str | None:
    word, qualifier = cursor.word(), cursor.qualifier("::")
    layout = spec.layout
    for cap in spec.capabilities:
        for macro in cap.rust_macros:
            if macro.name == word:
                return api_docs.describe_macro(cap, macro, spec)
    host_modules = rust_host_modules(spec)
    if qualifier and qualifier[-1] in host_modules:
        service = spec.host_service(host_modules[qualifier[-1]])
        function = next((f for f in service.functions if f.rust_function == word), None) if service else None
        if service and function:
            return api_docs.describe_host_function(service, function, "rust")
    if word in host_modules and qualifier[-1:] == [layout.rust_host_module]:
        service = spec.host_service(host_modules[word])
        return api_docs.describe_host_service(service) if service else None
    for cap in spec.capabilities:
        for trait in cap.rust_traits:
            if trait.name == word:
                return api_docs.describe_trait(cap, trait, spec)
    method = _rust_method(spec, cursor)
    if method:
        return method
    return _rust_type(spec, word, qualifier)


def _rust_method(spec: Spec, cursor: Cursor) -> str | None:
    start, _ = cursor.word_bounds()
    if not re.search(r"\bfn\s+$", cursor.line_text[:start]):
        return None
    before = cursor.before[: len(cursor.before) - (cursor.column - start)]
    brace = unclosed_opener(before, "{", "}")
    header = re.search(r"\bimpl(?:<[^>]*>)?\s+(?:[\w:]+::)?(\w+)(?:<[^>]*>)?\s+for\s+[^{;]+$", before[: brace or 0])
    if brace is None or header is None:
        return None
    for cap in spec.capabilities:
        for method in cap.methods:
            if method.rust_trait == header.group(1) and method.rust_method == cursor.word():
                return api_docs.describe_method(cap, method, "rust", spec)
    return None


def _rust_type(spec: Spec, word: str, qualifier: list[str]) -> str | None:
    modules = rust_capability_modules(spec)
    for cap in spec.capabilities:
        if qualifier and qualifier[-1] in modules and cap.rust_module != qualifier[-1]:
            continue
        typ = cap.type_by_name(word)
        if typ is not None:
            return api_docs.describe_type(typ, "rust", cap.rust_module)
        if word == cap.rust_module and qualifier[-1:] == [spec.layout.rust_crate]:
            return api_docs.describe_capability(cap, spec)
    shared = next((t for t in spec.shared_types if t.name == word), None)
    if shared is not None:
        return api_docs.describe_type(shared, "rust", "")
    for service in spec.host_services:
        typ = next((t for t in service.types if t.name == word), None)
        if typ is not None:
            return api_docs.describe_type(typ, "rust", service.rust_module)
    return None


# ---- Go


def _go(ctx: RequestContext, cursor: Cursor) -> str | None:
    spec, word, qualifier = ctx.spec, cursor.word(), cursor.qualifier(".")
    if len(qualifier) == 1:
        path = go_imports(ctx.text).get(qualifier[0])
        if path is not None:
            return _go_package_item(spec, path, word)
    start, _ = cursor.word_bounds()
    if re.search(r"\bfunc\s*\([^)]*\)\s*$", cursor.line_text[:start]):
        for cap in spec.capabilities:
            for method in cap.methods:
                if method.name == word:
                    return api_docs.describe_method(cap, method, "go", spec)
    return None


def _go_package_item(spec: Spec, path: str, word: str) -> str | None:
    layout = spec.layout
    if path == layout.go_host_package:
        for service in spec.host_services:
            for function in service.functions:
                if function.go_function == word:
                    return api_docs.describe_host_function(service, function, "go")
            typ = next((t for t in service.types if t.name == word), None)
            if typ is not None:
                return api_docs.describe_type(typ, "go", "host")
        return None
    if path == layout.go_types_package:
        shared = next((t for t in spec.shared_types if t.name == word), None)
        return api_docs.describe_type(shared, "go", "types") if shared else None
    cap = next((c for c in spec.capabilities if c.go_package == path), None)
    if cap is None:
        return None
    if word in {cap.go_register, cap.go_agent}:
        return api_docs.describe_capability(cap, spec)
    iface = next((i for i in cap.go_interfaces if i.name == word), None)
    if iface is not None:
        methods = [m for m in cap.methods if m.name in iface.methods]
        signatures = "\n".join(f"    {m.go_signature}" for m in methods)
        return f"```go\ntype {iface.name} interface {{\n{signatures}\n}}\n```\n\n{iface.doc}".strip()
    typ = cap.type_by_name(word)
    return api_docs.describe_type(typ, "go", cap.name) if typ else None


# ---- fields of PDK types (Rust and Go), when the type is named in the file


def _field(ctx: RequestContext, cursor: Cursor) -> str | None:
    word = cursor.word()
    language = ctx.language
    if language not in ("rust", "go"):
        return None
    named = set(re.findall(r"\b[A-Z]\w*", ctx.text))
    types_in_file = [t for cap in ctx.spec.capabilities for t in cap.types if t.name in named]
    types_in_file += [t for t in ctx.spec.shared_types if t.name in named]
    for typ in types_in_file:
        for field in typ.fields:
            if (field.rust_name if language == "rust" else field.name) == word:
                return api_docs.describe_field(typ, field, language)
    return None


# ---- Python


def _python(ctx: RequestContext, cursor: Cursor) -> str | None:
    spec, word = ctx.spec, cursor.word()
    start, _ = cursor.word_bounds()
    if re.search(r"\bdef\s+$", cursor.line_text[:start]) and word in spec.all_exports():
        cap, method = spec.all_exports()[word]
        return api_docs.describe_method(cap, method, "python", spec)
    if "import_fn" in cursor.line_text and word in spec.all_host_functions():
        service, function = spec.all_host_functions()[word]
        return api_docs.describe_host_function(service, function, "python")
    return _jedi_help(ctx, cursor)


def _jedi_help(ctx: RequestContext, cursor: Cursor) -> str | None:
    from nd_lsp.server import jedi_script

    try:
        names = jedi_script.script(ctx.text, ctx.path).help(cursor.line + 1, cursor.column)
    except Exception:  # jedi has bugs on half-written code
        log.debug("jedi help failed", exc_info=True)
        return None
    parts = []
    for name in names[:3]:
        doc = name.docstring()
        if doc:
            signature, _, body = doc.partition("\n\n")
            parts.append(f"```python\n{signature}\n```\n\n{body}".strip())
    return "\n\n---\n\n".join(parts) or None


# ---- manifest.json


def _manifest(ctx: RequestContext, cursor: Cursor) -> types.Hover | None:
    found = json_key_under_cursor(cursor.line_text, cursor.column)
    if found is None:
        return None
    key, key_start = found
    before = cursor.before[: len(cursor.before) - (cursor.column - key_start)]
    keys, _, _ = json_path_at(before)
    node = _schema_at(ctx.spec, [*keys, key])
    if node is None:
        return None
    return types.Hover(
        contents=ctx.markup(api_docs.describe_schema_node(key, node)),
        range=ctx.client_range(cursor.line, key_start + 1, key_start + 1 + len(key)),
    )


def _schema_at(spec: Spec, keys: list[str]) -> Mapping[str, Any] | None:
    node: Mapping[str, Any] = spec.manifest_schema
    for key in keys:
        props = node.get("properties")
        child = props.get(key) if isinstance(props, Mapping) else None
        if not isinstance(child, Mapping):
            return None
        node = spec.schema_node(child)
    return node
