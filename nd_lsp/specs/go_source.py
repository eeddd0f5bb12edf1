"""Read Go files with tree-sitter-go: declarations, doc comments, `//nd:` annotations, names."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import tree_sitter_go
from tree_sitter import Language, Node, Parser

from nd_lsp.frontends.source_order import walk

GO_LANGUAGE = Language(tree_sitter_go.language())

# Navidrome's own annotation grammar (plugins/cmd/ndpgen/internal/parser.go): the patterns are
# searched anywhere in one trimmed comment line; `hostfunc` alone may carry no arguments.
ANNOTATION_PATTERNS = {
    "hostservice": re.compile(r"//nd:hostservice\s+(.*)"),
    "hostfunc": re.compile(r"//nd:hostfunc(?:\s+(.*))?"),
    "capability": re.compile(r"//nd:capability\s+(.*)"),
    "export": re.compile(r"//nd:export\s+(.*)"),
}
_KEY_VALUE = re.compile(r"(\w+)=(\S+)")
# go/ast CommentGroup.Text() drops directive lines such as //nd:export or //go:build.
_DIRECTIVE = re.compile(r"^//[a-z0-9]+:[a-z0-9]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class GoParam:
    name: str  # empty when the parameter or result is anonymous
    type: str


@dataclass(frozen=True)
class GoField:
    name: str
    type: str
    tag: str  # struct tag without backticks
    doc: str


@dataclass(frozen=True)
class GoStruct:
    name: str
    doc: str
    fields: tuple[GoField, ...]
    path: str


@dataclass(frozen=True)
class GoNamedType:
    """`type X = Y` (alias) or `type X Y` for a Y that is neither struct nor interface."""

    name: str
    type: str
    doc: str
    is_alias: bool
    path: str


@dataclass(frozen=True)
class GoConst:
    name: str
    type: str  # the first explicit type of its const group, as ndpgen reads it
    value: str  # string literals unquoted
    doc: str
    path: str


@dataclass(frozen=True)
class GoMethod:
    name: str
    params: tuple[GoParam, ...]
    results: tuple[GoParam, ...]
    doc: str
    comments: tuple[str, ...]  # raw comment lines of the doc group, annotations included
    signature: str  # e.g. "GetAlbumInfo(AlbumRequest) (*AlbumInfoResponse, error)"


@dataclass(frozen=True)
class GoInterface:
    name: str
    doc: str
    comments: tuple[str, ...]
    methods: tuple[GoMethod, ...]
    path: str


@dataclass(frozen=True)
class GoFunc:
    name: str
    params: tuple[GoParam, ...]
    results: tuple[GoParam, ...]
    doc: str
    comments: tuple[str, ...]
    signature: str  # the declaration up to its body, e.g. "func Register(impl Scrobbler)"
    calls: frozenset[str]  # plain identifiers called in the body
    path: str


@dataclass(frozen=True)
class GoFile:
    path: str
    package: str
    structs: tuple[GoStruct, ...]
    named_types: tuple[GoNamedType, ...]
    consts: tuple[GoConst, ...]
    interfaces: tuple[GoInterface, ...]
    funcs: tuple[GoFunc, ...]
    imports: tuple[str, ...] = ()  # import paths


def parse_tree(text: str) -> Node:
    return Parser(GO_LANGUAGE).parse(text.encode("utf-8")).root_node


def node_text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8")


def squash(text: str) -> str:
    """One line with single spaces, as signatures are shown in hovers."""
    return _WHITESPACE.sub(" ", text).strip()


# --- comments and annotations --------------------------------------------------------------


def leading_comments(node: Node) -> tuple[str, ...]:
    """The comment group ending on the line right above `node` (Go's doc comment rule)."""
    lines: list[str] = []
    row = node.start_point.row
    prev = node.prev_sibling
    while prev is not None and prev.type == "comment" and prev.end_point.row == row - 1:
        before = prev.prev_sibling
        if before is not None and before.type != "comment" and before.end_point.row == prev.start_point.row:
            break  # a trailing comment of the code on that line, not a doc comment
        lines.append(node_text(prev))
        row = prev.start_point.row
        prev = before
    return tuple(reversed(lines))


def comment_text(comments: tuple[str, ...]) -> str:
    """go/ast CommentGroup.Text() followed by ndpgen's cleanDoc: markers, directives dropped."""
    lines: list[str] = []
    for comment in comments:
        if _DIRECTIVE.match(comment):
            continue
        body = comment[2:-2] if comment.startswith("/*") else comment[2:]
        if body.startswith(" ") and not comment.startswith("/*"):
            body = body[1:]
        lines.extend(line.rstrip() for line in body.split("\n"))
    kept: list[str] = []
    for line in lines:
        if line.strip().startswith("//nd:") or (not line and (not kept or not kept[-1])):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def annotation(comments: tuple[str, ...], kind: str) -> dict[str, str] | None:
    """The key=value pairs of the first `//nd:<kind>` line; None when absent or without pairs."""
    pattern = ANNOTATION_PATTERNS[kind]
    for comment in comments:
        match = pattern.search(comment.strip())
        if match is None:
            continue
        pairs = {key: value for key, value in _KEY_VALUE.findall(match.group(1) or "")}
        # ndpgen skips a capability/export/service whose annotation has no key=value pair,
        # while a bare //nd:hostfunc is valid.
        if not pairs and kind != "hostfunc":
            return None
        return pairs
    return None


# --- types -----------------------------------------------------------------------------------


def type_string(node: Node | None) -> str:
    """A Go type as ndpgen's typeToString writes it (no spaces: `map[string][]byte`)."""
    if node is None:
        return ""
    kind = node.type
    if kind == "pointer_type":
        return "*" + type_string(node.named_children[-1])
    if kind == "slice_type":
        return "[]" + type_string(node.child_by_field_name("element"))
    if kind == "array_type":
        length = node_text(node.child_by_field_name("length"))
        return f"[{length}]" + type_string(node.child_by_field_name("element"))
    if kind == "map_type":
        key = type_string(node.child_by_field_name("key"))
        return f"map[{key}]" + type_string(node.child_by_field_name("value"))
    if kind == "interface_type":
        return "any"
    if kind == "parenthesized_type":
        return type_string(node.named_children[0])
    return squash(node_text(node))


def _params(node: Node | None) -> tuple[GoParam, ...]:
    if node is None:
        return ()
    if node.type != "parameter_list":
        return (GoParam("", type_string(node)),)
    params: list[GoParam] = []
    for decl in node.named_children:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        typ = type_string(decl.child_by_field_name("type"))
        if decl.type == "variadic_parameter_declaration":
            typ = "..." + typ
        names = decl.children_by_field_name("name")
        params.extend(GoParam(node_text(n), typ) for n in names) if names else params.append(GoParam("", typ))
    return tuple(params)


def _unquote(node: Node) -> str:
    text = node_text(node)
    if node.type == "raw_string_literal":
        return text[1:-1]
    if node.type == "interpreted_string_literal":
        try:
            value = json.loads(text)
        except ValueError:
            return text[1:-1]
        return value if isinstance(value, str) else text[1:-1]
    return text


def string_literals(text: str) -> tuple[str, ...]:
    """Every string literal of a Go file, unquoted."""
    kinds = ("interpreted_string_literal", "raw_string_literal")
    return tuple(_unquote(n) for n in walk(parse_tree(text)) if n.type in kinds)


# --- declarations ----------------------------------------------------------------------------


def _spec_doc(spec: Node, decl: Node) -> tuple[str, ...]:
    # ndpgen: the spec's own doc inside `type ( ... )`, else the doc of the whole declaration.
    own = leading_comments(spec) if spec.parent is decl and _is_grouped(decl) else ()
    return own or leading_comments(decl)


def _is_grouped(decl: Node) -> bool:
    return any(child.type == "(" for child in decl.children)


def _struct(spec: Node, body: Node, comments: tuple[str, ...], path: str) -> GoStruct:
    fields: list[GoField] = []
    for child in body.named_children:
        if child.type != "field_declaration":
            continue
        names = child.children_by_field_name("name")
        tag = child.child_by_field_name("tag")
        doc = comment_text(leading_comments(child))
        typ = type_string(child.child_by_field_name("type"))
        raw_tag = node_text(tag)[1:-1] if tag is not None else ""
        fields.extend(GoField(node_text(n), typ, raw_tag, doc) for n in names)
    name = node_text(spec.child_by_field_name("name"))
    return GoStruct(name, comment_text(comments), tuple(fields), path)


def _method(node: Node) -> GoMethod:
    comments = leading_comments(node)
    return GoMethod(
        name=node_text(node.child_by_field_name("name")),
        params=_params(node.child_by_field_name("parameters")),
        results=_params(node.child_by_field_name("result")),
        doc=comment_text(comments),
        comments=comments,
        signature=squash(node_text(node)),
    )


def _interface(spec: Node, body: Node, comments: tuple[str, ...], path: str) -> GoInterface:
    methods = tuple(_method(n) for n in body.named_children if n.type == "method_elem")
    name = node_text(spec.child_by_field_name("name"))
    return GoInterface(name, comment_text(comments), comments, methods, path)


def _calls(body: Node | None) -> frozenset[str]:
    if body is None:
        return frozenset()
    names = set()
    for node in walk(body):
        target = node.child_by_field_name("function") if node.type == "call_expression" else None
        if target is not None and target.type == "identifier":
            names.add(node_text(target))
    return frozenset(names)


def _func(node: Node, text: bytes, path: str) -> GoFunc:
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None else node.end_byte
    comments = leading_comments(node)
    return GoFunc(
        name=node_text(node.child_by_field_name("name")),
        params=_params(node.child_by_field_name("parameters")),
        results=_params(node.child_by_field_name("result")),
        doc=comment_text(comments),
        comments=comments,
        signature=squash(text[node.start_byte : end].decode("utf-8")),
        calls=_calls(body),
        path=path,
    )


def _consts(decl: Node, path: str) -> list[GoConst]:
    consts: list[GoConst] = []
    group_type = ""
    for spec in decl.named_children:
        if spec.type != "const_spec":
            continue
        typ = type_string(spec.child_by_field_name("type"))
        group_type = group_type or typ
        values = spec.child_by_field_name("value")
        exprs = values.named_children if values is not None else []
        doc = comment_text(leading_comments(spec) if _is_grouped(decl) else ())
        for i, name in enumerate(spec.children_by_field_name("name")):
            value = _unquote(exprs[i]) if i < len(exprs) else ""
            consts.append(GoConst(node_text(name), group_type, value, doc, path))
    return consts


@dataclass
class _FileBuilder:
    path: str
    structs: list[GoStruct]
    named: list[GoNamedType]
    interfaces: list[GoInterface]

    def add_type_spec(self, spec: Node, decl: Node) -> None:
        comments = _spec_doc(spec, decl)
        body = spec.child_by_field_name("type")
        if body is None:
            return
        name = node_text(spec.child_by_field_name("name"))
        if spec.type == "type_spec" and body.type == "struct_type":
            fields = next((c for c in body.named_children if c.type == "field_declaration_list"), body)
            self.structs.append(_struct(spec, fields, comments, self.path))
        elif spec.type == "type_spec" and body.type == "interface_type":
            self.interfaces.append(_interface(spec, body, comments, self.path))
        else:
            alias = spec.type == "type_alias"
            self.named.append(GoNamedType(name, type_string(body), comment_text(comments), alias, self.path))


def parse_go_file(path: str, text: str) -> GoFile:
    """All top-level declarations of one Go file."""
    source = text.encode("utf-8")
    root = Parser(GO_LANGUAGE).parse(source).root_node
    builder = _FileBuilder(path, [], [], [])
    imports: list[str] = []
    consts: list[GoConst] = []
    funcs: list[GoFunc] = []
    package = ""
    for decl in root.named_children:
        if decl.type == "import_declaration":
            imports.extend(_unquote(n) for n in walk(decl) if n.type == "interpreted_string_literal")
        elif decl.type == "package_clause":
            package = node_text(decl.named_children[0]) if decl.named_children else ""
        elif decl.type == "type_declaration":
            for spec in decl.named_children:
                if spec.type in ("type_spec", "type_alias"):
                    builder.add_type_spec(spec, decl)
        elif decl.type == "const_declaration":
            consts.extend(_consts(decl, path))
        elif decl.type == "function_declaration":
            funcs.append(_func(decl, source, path))
    return GoFile(
        path=path,
        package=package,
        structs=tuple(builder.structs),
        named_types=tuple(builder.named),
        consts=tuple(consts),
        interfaces=tuple(builder.interfaces),
        funcs=tuple(funcs),
        imports=tuple(imports),
    )
