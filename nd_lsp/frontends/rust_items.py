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
    def start(self, node: Node, offset: int = 0) -> Position:
        """Where a node starts; `offset` shifts nodes of a fragment re-parsed out of the file's text."""
        return self.smap.node_start(node, offset)

    def end(self, node: Node, offset: int = 0) -> Position:
        return self.smap.node_end(node, offset)

    def span(self, node: Node, offset: int = 0) -> Span:
        return self.smap.node_span(node, offset)

    def between(self, first: Node, last: Node, offset: int = 0) -> Span:
        """From the start of `first` to the end of `last`."""
        return self.smap.between(first, last, offset)

    def is_pdk_path(self, resolved: tuple[str, ...]) -> bool:
        return bool(self.crate) and len(resolved) >= 2 and resolved[0] == self.crate


def impl_block(node: Node, ctx: RustFileContext, offset: int = 0) -> ImplBlock | None:
    type_node = node.child_by_field_name("type")
    if type_node is None:
        return None
    trait_node = node.child_by_field_name("trait")
    written_trait = path_of(trait_node)
    type_path = path_of(type_node)
    header_end = trait_node if trait_node is not None and trait_node.end_byte > type_node.end_byte else type_node
    body = node.child_by_field_name("body")
    functions = [c for c in body.named_children if c.type == "function_item"] if body is not None else []
    methods = []
    for function in functions:
        name = function.child_by_field_name("name")
        if name is not None:  # half-written functions have none
            methods.append(method_def(function, name, ctx, offset))
    insert_at, indent = _stub_insertion(node, body, functions, ctx, offset)
    return ImplBlock(
        language="rust",
        type_name=type_path[-1] if type_path else "",
        trait=written_trait[-1] if written_trait else "",
        trait_path=ctx.scope.resolve(written_trait),
        methods=tuple(methods),
        span=ctx.between(node, header_end, offset),
        trait_span=ctx.span(last_segment_node(trait_node), offset) if trait_node is not None else None,
        type_span=ctx.span(last_segment_node(type_node), offset),
        insert_at=insert_at,
        indent=indent,
    )


def _stub_insertion(
    impl: Node, body: Node | None, functions: list[Node], ctx: RustFileContext, offset: int
) -> tuple[Position | None, str]:
    """Where method stubs go: the start of the closing brace's line when the brace stands alone on
    it (column 0), else the brace itself; and the indentation of the impl's methods (its functions)."""
    closing = body.children[-1] if body is not None and body.children else None
    if body is None or closing is None or closing.type != "}" or closing.is_missing:
        return None, ctx.smap.line_indent(impl.start_byte + offset) + "    "
    if functions:
        indent = ctx.smap.line_indent(functions[0].start_byte + offset)
    else:
        indent = ctx.smap.line_indent(impl.start_byte + offset) + "    "
    brace = ctx.start(closing, offset)
    if ctx.smap.only_whitespace_before(closing.start_byte + offset) and brace.line > ctx.start(body, offset).line:
        return Position(brace.line, 0), indent
    return brace, indent


def method_def(node: Node, name: Node, ctx: RustFileContext, offset: int = 0) -> MethodDef:
    """The function `node` named `name`, as a method of an impl block."""
    parameters = node.child_by_field_name("parameters")
    param_types = [
        t
        for p in (parameters.named_children if parameters is not None else [])
        if p.type == "parameter" and (t := p.child_by_field_name("type")) is not None
    ]
    result = node.child_by_field_name("return_type")
    name_span = ctx.span(name, offset)
    result_span = ctx.span(result, offset) if result is not None else None
    if result_span is not None:
        signature_end = result_span.end
    else:
        signature_end = ctx.end(parameters, offset) if parameters is not None else name_span.end
    return MethodDef(
        name=text(name),
        span=name_span,
        params=tuple([text(t) for t in param_types]),
        results=(text(result),) if result is not None else (),
        param_spans=tuple([ctx.span(t, offset) for t in param_types]),
        result_spans=(result_span,) if result_span is not None else (),
        signature_span=Span(ctx.smap.path, name_span.start, signature_end),
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
                derive_end = ctx.start(closing, offset)
    return TypeDecl(
        language="rust",
        name=text(name),
        span=ctx.span(name, offset),
        derives=frozenset(derives),
        attribute_insert_at=Position(ctx.start(node, offset).line, 0),
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
        span=ctx.between(node, header_end, offset),
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
