"""Rust items the rules reason about: impl blocks, type declarations, register macros, exports, imports."""

from __future__ import annotations

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import ByteSourceMap
from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import (
    ExportDef,
    HostImport,
    ImplBlock,
    MethodDef,
    Position,
    Registration,
    Span,
    TypeDecl,
)
from nd_lsp.frontends.rust_scope import UseScope
from nd_lsp.frontends.rust_syntax import attribute_arguments, attribute_path, attributes_of, last_segment_node, path_of
from nd_lsp.frontends.rust_values import literal_value
from nd_lsp.frozen_dataclass import frozen_dataclass

# extism-pdk attribute names (the Wasm runtime's, not Navidrome's API)
PLUGIN_FN_ATTRIBUTE = "plugin_fn"
HOST_FN_ATTRIBUTE = "host_fn"
DEFAULT_IMPORT_NAMESPACE = "extism:host/user"  # what `#[host_fn]` uses without an argument
DEFAULT_TRAIT = "Default"


@frozen_dataclass
class RustFileContext:
    """What every extractor of one file needs: positions, `use` bindings and the PDK crate name."""

    smap: ByteSourceMap
    scope: UseScope
    crate: str  # the PDK crate, e.g. layout.rust_crate
    import_namespace: str

    def span(self, node: Node, offset: int = 0) -> Span:
        return self.smap.node_span(node, offset)

    def is_pdk_path(self, resolved: tuple[str, ...]) -> bool:
        return bool(self.crate) and len(resolved) >= 2 and resolved[0] == self.crate


def impl_block(node: Node, ctx: RustFileContext, offset: int = 0) -> ImplBlock | None:
    type_node = node.child_by_field_name("type")
    if type_node is None:
        return None
    trait_node = node.child_by_field_name("trait")
    written_trait = path_of(trait_node)
    type_path = path_of(type_node)
    header_end = max(type_node.end_byte, trait_node.end_byte if trait_node is not None else 0)
    body = node.child_by_field_name("body")
    methods = tuple(
        method_def(child, ctx, offset)
        for child in (body.named_children if body is not None else [])
        if child.type == "function_item" and child.child_by_field_name("name") is not None
    )
    insert_at, indent = _stub_insertion(node, body, ctx, offset)
    return ImplBlock(
        language="rust",
        type_name=type_path[-1] if type_path else "",
        trait=written_trait[-1] if written_trait else "",
        trait_path=ctx.scope.resolve(written_trait),
        methods=methods,
        span=ctx.smap.span(node.start_byte + offset, header_end + offset),
        trait_span=ctx.span(last_segment_node(trait_node), offset) if trait_node is not None else None,
        type_span=ctx.span(last_segment_node(type_node), offset),
        insert_at=insert_at,
        indent=indent,
    )


def _stub_insertion(impl: Node, body: Node | None, ctx: RustFileContext, offset: int) -> tuple[Position | None, str]:
    """Where method stubs go: the start of the closing brace's line when the brace stands alone on
    it (column 0), else the brace itself; and the indentation of the impl's methods."""
    impl_indent = ctx.smap.line_indent(impl.start_byte + offset)
    if body is None or not body.children or body.children[-1].type != "}" or body.children[-1].is_missing:
        return None, impl_indent + "    "
    brace = body.children[-1].start_byte + offset
    functions = [c for c in body.named_children if c.type == "function_item"]
    indent = ctx.smap.line_indent(functions[0].start_byte + offset) if functions else impl_indent + "    "
    if (
        ctx.smap.only_whitespace_before(brace)
        and ctx.smap.position(brace).line > ctx.smap.position(body.start_byte + offset).line
    ):
        return Position(ctx.smap.position(brace).line, 0), indent
    return ctx.smap.position(brace), indent


def method_def(node: Node, ctx: RustFileContext, offset: int = 0) -> MethodDef:
    name = node.child_by_field_name("name")
    assert name is not None  # callers filter nameless (half-written) functions
    parameters = node.child_by_field_name("parameters")
    param_types = [
        t
        for p in (parameters.named_children if parameters is not None else [])
        if p.type == "parameter" and (t := p.child_by_field_name("type")) is not None
    ]
    result = node.child_by_field_name("return_type")
    signature_end = result or parameters or name
    return MethodDef(
        name=text(name),
        span=ctx.span(name, offset),
        params=tuple(text(t) for t in param_types),
        results=(text(result),) if result is not None else (),
        param_spans=tuple(ctx.span(t, offset) for t in param_types),
        result_spans=(ctx.span(result, offset),) if result is not None else (),
        signature_span=ctx.smap.span(name.start_byte + offset, signature_end.end_byte + offset),
    )


def type_decl(node: Node, ctx: RustFileContext, offset: int = 0) -> TypeDecl | None:
    name = node.child_by_field_name("name")
    if name is None:
        return None
    derives: set[str] = set()
    derive_end: Position | None = None
    for attribute in attributes_of(node):
        arguments = attribute_arguments(attribute)
        if attribute_path(attribute)[-1:] == ("derive",) and arguments is not None:
            derives.update(_derive_names(arguments))
            closing = arguments.children[-1] if arguments.children else None
            if closing is not None and closing.type == ")":
                derive_end = ctx.smap.position(closing.start_byte + offset)
    return TypeDecl(
        language="rust",
        name=text(name),
        span=ctx.span(name, offset),
        derives=frozenset(derives),
        attribute_insert_at=Position(ctx.smap.position(node.start_byte + offset).line, 0),
        derive_insert_at=derive_end,
    )


def _derive_names(arguments: Node) -> list[str]:
    """`(Default, serde::Serialize)` -> [Default, Serialize]: the last identifier of each path."""
    names: list[str] = []
    current = ""
    for token in arguments.children:
        if token.type == "identifier":
            current = text(token)
        elif token.type in {",", ")"} and current:
            names.append(current)
            current = ""
    return names


def registration(node: Node, ctx: RustFileContext, offset: int = 0) -> Registration | None:
    """A macro of the PDK crate: `nd_pdk::register_x!(T)`, or bare `register_x!(T)` imported from it.

    A bare macro that only a glob `use nd_pdk::*` may provide gets package "" (its origin is unsure).
    """
    macro = node.child_by_field_name("macro")
    written = path_of(macro)
    if macro is None or not written or not ctx.crate:
        return None
    resolved = ctx.scope.resolve(written)
    if ctx.is_pdk_path(resolved):
        package = "::".join(resolved[:-1])
    elif len(written) == 1 and ctx.scope.glob_imports_from((ctx.crate,)):
        package = ""
    else:
        return None
    target, target_node = _macro_target(node)
    return Registration(
        language="rust",
        name=resolved[-1],
        span=ctx.span(node, offset),
        name_span=ctx.span(last_segment_node(macro), offset),
        package=package,
        target=target,
        target_span=ctx.span(target_node, offset) if target_node is not None else None,
        path_segments=written,
    )


def _macro_target(invocation: Node) -> tuple[str, Node | None]:
    """The type named by `(T)` / `(crate::m::T)` / `(T<X>)`: its last path segment."""
    tree = next((c for c in invocation.children if c.type == "token_tree"), None)
    if tree is None:
        return "", None
    last: Node | None = None
    for token in tree.children[1:]:
        if token.type == "identifier":
            last = token
        elif token.type not in {"::", "crate", "self", "super"}:
            break
    return (text(last), last) if last is not None else ("", None)


def has_attribute(node: Node, name: str) -> bool:
    return any(attribute_path(a)[-1:] == (name,) for a in attributes_of(node))


def export_def(node: Node, ctx: RustFileContext, offset: int = 0) -> ExportDef | None:
    """A function marked `#[plugin_fn]` (or `#[extism_pdk::plugin_fn]`): a Wasm export of its name."""
    name = node.child_by_field_name("name")
    if name is None or not has_attribute(node, PLUGIN_FN_ATTRIBUTE):
        return None
    header_end = node.child_by_field_name("return_type") or node.child_by_field_name("parameters") or name
    return ExportDef(
        language="rust",
        name=text(name),
        span=ctx.smap.span(node.start_byte + offset, header_end.end_byte + offset),
        name_span=ctx.span(name, offset),
        kind="plugin_fn",
    )


def host_imports(node: Node, ctx: RustFileContext, offset: int = 0) -> list[HostImport]:
    """`#[host_fn("ns")] extern "ExtismHost" { fn name(..) -> ..; }`: one import per function."""
    attribute = next((a for a in attributes_of(node) if attribute_path(a)[-1:] == (HOST_FN_ATTRIBUTE,)), None)
    body = node.child_by_field_name("body")
    if attribute is None or body is None:
        return []
    namespace, namespace_node = ctx.import_namespace or DEFAULT_IMPORT_NAMESPACE, None
    arguments = attribute_arguments(attribute)
    for token in arguments.named_children if arguments is not None else []:
        value, known = literal_value(token)
        if known and isinstance(value, str):
            namespace, namespace_node = value, token
            break
    found = []
    for function in body.named_children:
        name = function.child_by_field_name("name")
        if function.type != "function_signature_item" or name is None:
            continue
        found.append(
            HostImport(
                language="rust",
                namespace=namespace,
                name=text(name),
                local_name=text(name),
                span=ctx.span(function, offset),
                name_span=ctx.span(name, offset),
                namespace_span=ctx.span(namespace_node, offset) if namespace_node is not None else None,
            )
        )
    return found
