"""Top-level Go declarations: imports, constants, package variables, types, methods and directives."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import ByteSourceMap
from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import (
    ExportDef,
    HostImport,
    ImplBlock,
    LiteralValue,
    MethodDef,
    PackageImport,
    Position,
    Span,
    TypeDecl,
)
from nd_lsp.frontends.go_syntax import child, children, named_children, specs_of
from nd_lsp.frontends.go_values import ConstantEvaluator, go_string_value
from nd_lsp.frozen_dataclass import frozen_dataclass

_DIRECTIVE = re.compile(r"^//go:(wasmexport|wasmimport)[ \t]+(.*)$")
_DIRECTIVE_START = b"//go:wasm"
_MAJOR_VERSION = re.compile(r"^v\d+$")


def default_local_name(import_path: str) -> str:
    """The name a Go import binds without an alias: the last element, skipping a `/vN` suffix."""
    parts = [p for p in import_path.split("/") if p]
    if len(parts) > 1 and _MAJOR_VERSION.match(parts[-1]):
        parts = parts[:-1]
    last = parts[-1] if parts else import_path
    # Best effort for names the package clause decides: `gopkg.in/yaml.v3` -> yaml, `go-isatty` -> isatty.
    last = last.removeprefix("go-").split(".")[0]
    return last.replace("-", "_")


def read_imports(declarations: list[Node], source: ByteSourceMap) -> list[PackageImport]:
    """The imports of a file's `import` declarations (the readers of a file's declarations each take
    those of their kind, sorted out once per file)."""
    found = []
    for declaration in declarations:
        for spec in specs_of(declaration, "import_spec"):
            path_node = child(spec, "path")
            if path_node is None:
                continue
            path = go_string_value(path_node)
            alias = child(spec, "name")
            local = text(alias) if alias is not None else default_local_name(path)
            found.append(PackageImport("go", path, local, source.node_span(spec)))
    return found


def read_constants(scope: Node, known: dict[str, LiteralValue]) -> dict[str, LiteralValue]:
    """Constants declared directly in `scope` (a file or a block) whose value is a constant expression.

    Later constants may use earlier ones; `iota` and implicit repetition are left unresolved.
    """
    return constants_of([d for d in scope.named_children if d.type == "const_declaration"], known)


def constants_of(declarations: list[Node], known: dict[str, LiteralValue]) -> dict[str, LiteralValue]:
    """The constants of these `const` declarations of one scope, as `read_constants`."""
    constants = dict(known)
    evaluator = ConstantEvaluator(constants)
    found: dict[str, LiteralValue] = {}
    for declaration in declarations:
        for spec in specs_of(declaration, "const_spec"):
            names = children(spec, "name")
            values = named_children(child(spec, "value"))
            for name, value_node in zip(names, values, strict=False):
                value, resolved = evaluator.value(value_node)
                if resolved and text(name) != "_":
                    constants[text(name)] = value
                    found[text(name)] = value
    return found


@frozen_dataclass
class VarDecl:
    """One package-level variable with its initialiser (when it has one)."""

    name: str
    name_node: Node
    type_node: Node | None
    value: Node | None
    spec: Node


def read_package_vars(declarations: list[Node]) -> list[VarDecl]:
    """The variables of a file's `var` declarations."""
    return [var for declaration in declarations for var in declared_vars(declaration)]


def declared_vars(declaration: Node) -> list[VarDecl]:
    """The variables of one `var` declaration (none for any other node)."""
    if declaration.type != "var_declaration":
        return []
    found = []
    for spec in specs_of(declaration, "var_spec"):
        values = named_children(child(spec, "value"))
        for index, name in enumerate(children(spec, "name")):
            value = values[index] if index < len(values) else None
            found.append(VarDecl(text(name), name, child(spec, "type"), value, spec))
    return found


def read_types(declarations: list[Node], source: ByteSourceMap) -> list[TypeDecl]:
    """The types of a file's `type` declarations."""
    found = []
    for declaration in declarations:
        for spec in declaration.named_children:
            name = child(spec, "name")
            if spec.type in {"type_spec", "type_alias"} and name is not None:
                found.append(TypeDecl("go", text(name), source.node_span(name), embeds=_embedded_types(spec)))
    return found


def _embedded_types(spec: Node) -> tuple[str, ...]:
    """`struct { base; *cache }` -> ("base", "*cache"): the package's types whose methods are promoted."""
    body = child(spec, "type")
    fields = (
        named_children(body)[0] if body is not None and body.type == "struct_type" and body.named_children else None
    )
    embedded: list[str] = []
    for declaration in named_children(fields):
        type_node = child(declaration, "type")
        if declaration.type != "field_declaration" or child(declaration, "name") is not None or type_node is None:
            continue
        if type_node.type == "generic_type":
            type_node = child(type_node, "type")
        if type_node is not None and type_node.type == "type_identifier":
            pointer = any(c.type == "*" for c in declaration.children)
            embedded.append(("*" if pointer else "") + text(type_node))
    return tuple(embedded)


def read_function_results(root: Node) -> dict[str, str]:
    """Package functions whose first result is a named type: `func newPlugin() *plugin` -> {"newPlugin": "*plugin"}."""
    return dict(result for declaration in root.named_children if (result := function_result(declaration)) is not None)


def function_result(declaration: Node) -> tuple[str, str] | None:
    """(name, "*plugin") of `func newPlugin() *plugin`; None for anything else (generic functions too)."""
    if declaration.type != "function_declaration":
        return None
    name = declaration.child_by_field_name("name")
    result = result_type(declaration) if name is not None else None
    return (text(name), result) if result is not None else None


def result_type(declaration: Node) -> str | None:
    """The first result of a function declaration that is not generic, when it is a named type or a
    pointer to one (`func newPlugin() *plugin` -> "*plugin"); None for anything else. (Called for every
    function of a file: it asks the tree for as few nodes as it can.)"""
    result = declaration.child_by_field_name("result")
    if result is None:
        return None
    if declaration.child_by_field_name("type_parameters") is not None:
        return None
    kind = result.type
    if kind == "parameter_list":
        first = _first_named(result)
        result = first.child_by_field_name("type") if first is not None else None
        if result is None:
            return None
        kind = result.type
    if kind == "pointer_type":
        result = _first_named(result)
        if result is not None and result.type == "type_identifier":
            return "*" + text(result)
        return None
    return text(result) if kind == "type_identifier" else None


def _first_named(node: Node) -> Node | None:
    """The first named child that is not a comment."""
    if node.named_child_count == 0:
        return None  # (`named_child` raises IndexError past the end)
    first = node.named_child(0)
    if first is None or first.type != "comment":
        return first
    return next((item for item in node.named_children if item.type != "comment"), None)


def receiver_type(method: Node) -> tuple[str, Node | None, bool]:
    """(type name, its token, pointer receiver) of `func (p *T[K]) M()`."""
    receiver = child(method, "receiver")
    declarations = [c for c in named_children(receiver) if c.type == "parameter_declaration"]
    if not declarations:
        return "", None, False
    type_node = child(declarations[0], "type")
    pointer = False
    while type_node is not None and type_node.type in {"pointer_type", "parenthesized_type", "generic_type"}:
        pointer = pointer or type_node.type == "pointer_type"
        inner = child(type_node, "type") if type_node.type == "generic_type" else None
        type_node = inner or (named_children(type_node)[0] if named_children(type_node) else None)
    if type_node is None or type_node.type != "type_identifier":
        return "", None, pointer
    return text(type_node), type_node, pointer


def _typed_slots(parameters: Node | None) -> Iterator[Node]:
    """The type node of each parameter/result, once per declared name (`a, b int` gives two)."""
    if parameters is None:
        return
    if parameters.type != "parameter_list":
        yield parameters  # a single unnamed result type: `func f() error`
        return
    for declaration in named_children(parameters):
        type_node = child(declaration, "type")
        if type_node is None:
            continue
        count = max(1, len(children(declaration, "name")))
        for _ in range(count):
            yield type_node


def method_def(method: Node, source: ByteSourceMap) -> MethodDef | None:
    name = child(method, "name")
    parameters = child(method, "parameters")
    if name is None or parameters is None:
        return None
    param_types = list(_typed_slots(parameters))
    result = child(method, "result")
    result_types = list(_typed_slots(result))
    _, _, pointer = receiver_type(method)
    return MethodDef(
        name=text(name),
        span=source.node_span(name),
        params=tuple(text(t) for t in param_types),
        results=tuple(text(t) for t in result_types),
        param_spans=tuple(source.node_span(t) for t in param_types),
        result_spans=tuple(source.node_span(t) for t in result_types),
        signature_span=source.between(name, result if result is not None else parameters),
        pointer_receiver=pointer,
    )


def read_impls(declarations: list[Node], source: ByteSourceMap, types: list[TypeDecl]) -> list[ImplBlock]:
    """One block per receiver type with the methods this file declares for it (`declarations`: its
    method declarations)."""
    methods: dict[str, list[tuple[MethodDef, Node, Node]]] = {}
    for declaration in declarations:
        type_name, type_token, _ = receiver_type(declaration)
        definition = method_def(declaration, source)
        if type_name and type_token is not None and definition is not None:
            methods.setdefault(type_name, []).append((definition, type_token, declaration))
    declared = {t.name: t.span for t in types}
    blocks = []
    for type_name, items in methods.items():
        first_token = items[0][1]
        span = declared.get(type_name) or source.node_span(first_token)
        last_end: Position = source.position(items[-1][2].end_byte)
        blocks.append(
            ImplBlock(
                language="go",
                type_name=type_name,
                trait="",
                trait_path=(),
                methods=tuple(item[0] for item in items),
                span=span,
                type_span=span,
                insert_at=last_end,
                indent="",
            )
        )
    return blocks


@frozen_dataclass
class Directive:
    """One `//go:wasmexport` or `//go:wasmimport` line."""

    kind: str  # "wasmexport" | "wasmimport"
    words: tuple[tuple[str, Span], ...]  # each argument with its span


def _directives(function: Node, source: ByteSourceMap) -> list[Directive]:
    """`//go:wasmexport name` / `//go:wasmimport ns name` comments right above a function."""
    found = []
    comment = function.prev_sibling
    expected_row = function.start_point.row - 1
    while comment is not None and comment.type == "comment" and comment.end_point.row == expected_row:
        match = _DIRECTIVE.match(text(comment).rstrip())
        if match is not None:
            found.append(Directive(match.group(1), _words(comment, match.start(2), match.group(2), source)))
        expected_row = comment.start_point.row - 1
        comment = comment.prev_sibling
    return found


def _words(comment: Node, start: int, rest: str, source: ByteSourceMap) -> tuple[tuple[str, Span], ...]:
    prefix_bytes = len(text(comment)[:start].encode("utf-8"))
    words = []
    for word in re.finditer(r"\S+", rest):
        begin = comment.start_byte + prefix_bytes + len(rest[: word.start()].encode("utf-8"))
        words.append((word.group(0), source.span(begin, begin + len(word.group(0).encode("utf-8")))))
    return tuple(words)


def read_directives(functions: list[Node], source: ByteSourceMap) -> tuple[list[ExportDef], list[HostImport]]:
    """The exports and host imports the directives above a file's function declarations declare."""
    exports: list[ExportDef] = []
    imports: list[HostImport] = []
    if _DIRECTIVE_START not in source.source:
        return exports, imports  # most files have none: no function to look above
    for function in functions:
        directives = _directives(function, source)
        name = child(function, "name")
        if not directives or name is None:
            continue
        header_end = child(function, "result") or child(function, "parameters") or name
        header = source.between(function, header_end)
        for directive in directives:
            if directive.kind == "wasmexport" and directive.words:
                export_name, export_span = directive.words[0]
                exports.append(ExportDef("go", export_name, header, export_span, "wasmexport"))
            elif directive.kind == "wasmimport" and len(directive.words) >= 2:
                (namespace, namespace_span), (import_name, import_span) = directive.words[:2]
                imports.append(
                    HostImport("go", namespace, import_name, text(name), header, import_span, namespace_span)
                )
    return exports, imports
