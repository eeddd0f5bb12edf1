"""Read the generated Rust PDK crates with tree-sitter-rust: traits, register macros, host wrappers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter_rust
from tree_sitter import Language, Node, Parser

from nd_lsp.frontends.source_order import walk
from nd_lsp.specs.go_source import node_text, squash

RUST_LANGUAGE = Language(tree_sitter_rust.language())


@dataclass(frozen=True)
class RustField:
    name: str
    type: str
    json: str  # the key serde reads and writes
    doc: str


@dataclass(frozen=True)
class RustStruct:
    name: str
    public: bool
    fields: tuple[RustField, ...]


@dataclass(frozen=True)
class RustAlias:
    name: str
    target: str
    deprecated: str  # the #[deprecated(note = ...)] text


@dataclass(frozen=True)
class RustConst:
    name: str
    type: str
    value: str  # string literals unquoted


@dataclass(frozen=True)
class RustTraitMethod:
    name: str
    signature: str  # "fn get_album_info(&self, req: AlbumRequest) -> Result<AlbumInfoResponse, Error>"
    input: str  # type of the request parameter, empty without one
    output: str  # the Ok type of the Result


@dataclass(frozen=True)
class RustTraitDef:
    name: str
    doc: str
    methods: tuple[RustTraitMethod, ...]


@dataclass(frozen=True)
class MacroExport:
    export: str  # the `pub fn nd_*` the macro generates
    trait: str  # the trait whose method it calls
    method: str


@dataclass(frozen=True)
class RustMacroDef:
    name: str
    doc: str
    exports: tuple[MacroExport, ...]


@dataclass(frozen=True)
class RustFunction:
    name: str
    signature: str  # "pub fn delete_by_prefix(prefix: &str) -> Result<i64, Error>"
    params: tuple[tuple[str, str], ...]  # (name, type)
    calls: frozenset[str]
    returns: tuple[str, ...] = ()  # the Ok type, split when it is a tuple


@dataclass(frozen=True)
class RustImport:
    name: str  # the wasm import name
    namespace: str  # from #[link(wasm_import_module)]; empty for #[host_fn] (extism's default)
    request: str  # the Json<...> request type, empty for raw imports
    response: str


@dataclass(frozen=True)
class RustModule:
    path: str
    structs: dict[str, RustStruct]
    aliases: dict[str, RustAlias]
    consts: tuple[RustConst, ...]
    traits: dict[str, RustTraitDef]
    macros: tuple[RustMacroDef, ...]
    functions: tuple[RustFunction, ...]
    imports: tuple[RustImport, ...]


def parse_rust(text: str) -> Node:
    return Parser(RUST_LANGUAGE).parse(text.encode("utf-8")).root_node


def camel_case(snake: str) -> str:
    """serde's rename_all = "camelCase" for a snake_case field."""
    head, *rest = snake.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _string_value(node: Node) -> str:
    content = next((c for c in node.children if c.type == "string_content"), None)
    return node_text(content)


def _attributes(node: Node) -> Iterator[Node]:
    """The attribute nodes (`#[...]`) written above an item, nearest first."""
    prev = node.prev_sibling
    while prev is not None and prev.type in ("attribute_item", "line_comment"):
        if prev.type == "attribute_item":
            yield from (c for c in prev.named_children if c.type == "attribute")
        prev = prev.prev_sibling


def _attribute_args(node: Node, name: str) -> dict[str, str] | None:
    """`key = "value"` pairs (and bare words, value "") of the first `#[name(...)]` above `node`."""
    for attr in _attributes(node):
        if node_text(attr.named_children[0]) != name:
            continue
        args: dict[str, str] = {}
        tree = attr.child_by_field_name("arguments")
        tokens = tree.children if tree is not None else []
        for i, tok in enumerate(tokens):
            if tok.type in ("identifier", "default") and i + 2 < len(tokens) and tokens[i + 1].type == "=":
                args[node_text(tok)] = _string_value(tokens[i + 2])
            elif tok.type in ("identifier", "default"):
                args.setdefault(node_text(tok), "")
        return args
    return None


def _doc(node: Node) -> str:
    lines: list[str] = []
    prev = node.prev_sibling
    while prev is not None and prev.type in ("attribute_item", "line_comment"):
        doc = prev.child_by_field_name("doc") if prev.type == "line_comment" else None
        if doc is not None:
            line = node_text(doc).rstrip("\n")
            lines.append(line[1:] if line.startswith(" ") else line)
        prev = prev.prev_sibling
    return "\n".join(reversed(lines)).strip()


def is_pub(node: Node) -> bool:
    return any(c.type == "visibility_modifier" for c in node.children)


def _struct(node: Node) -> RustStruct:
    serde = _attribute_args(node, "serde") or {}
    camel = serde.get("rename_all") == "camelCase"
    body = node.child_by_field_name("body")
    fields = []
    for field in body.named_children if body is not None else []:
        if field.type != "field_declaration":
            continue
        name = node_text(field.child_by_field_name("name"))
        rename = (_attribute_args(field, "serde") or {}).get("rename", "")
        json = rename or (camel_case(name) if camel else name)
        fields.append(RustField(name, squash(node_text(field.child_by_field_name("type"))), json, _doc(field)))
    return RustStruct(node_text(node.child_by_field_name("name")), is_pub(node), tuple(fields))


def _result_ok_node(node: Node | None) -> Node | None:
    if node is not None and node.type == "generic_type" and node_text(node.child_by_field_name("type")) == "Result":
        args = node.child_by_field_name("type_arguments")
        if args is not None and args.named_children:
            return args.named_children[0]
    return node


def _result_ok_type(node: Node | None) -> str:
    ok = _result_ok_node(node)
    return squash(node_text(ok)) if ok is not None else "()"


def _result_ok_parts(node: Node | None) -> tuple[str, ...]:
    ok = _result_ok_node(node)
    if ok is None or ok.type == "unit_type":
        return ()
    if ok.type == "tuple_type":
        return tuple(squash(node_text(n)) for n in ok.named_children)
    return (squash(node_text(ok)),)


def _params(node: Node | None) -> tuple[tuple[str, str], ...]:
    params = node.named_children if node is not None else []
    return tuple(
        (node_text(p.child_by_field_name("pattern")), squash(node_text(p.child_by_field_name("type"))))
        for p in params
        if p.type == "parameter"
    )


def _trait(node: Node) -> RustTraitDef:
    methods = []
    body = node.child_by_field_name("body")
    for item in body.named_children if body is not None else []:
        if item.type != "function_signature_item":
            continue
        params = _params(item.child_by_field_name("parameters"))
        methods.append(
            RustTraitMethod(
                name=node_text(item.child_by_field_name("name")),
                signature=squash(node_text(item)).rstrip(";").rstrip(),
                input=params[0][1] if params else "",
                output=_result_ok_type(item.child_by_field_name("return_type")),
            )
        )
    return RustTraitDef(node_text(node.child_by_field_name("name")), _doc(node), tuple(methods))


def _macro_exports(node: Node) -> tuple[MacroExport, ...]:
    """Each `pub fn nd_*` in a macro body with the `$crate::<mod>::<Trait>::<method>` it calls."""
    leaves = [n for n in walk(node) if n.child_count == 0]
    texts = [node_text(n) for n in leaves]
    starts = [i for i in range(len(texts) - 2) if texts[i] == "pub" and texts[i + 1] == "fn"]
    exports = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(texts)
        body = texts[start:end]
        path = next(
            (body[j : j + 7] for j in range(len(body) - 6) if body[j] == "$crate" and body[j + 5] == "::"),
            None,
        )
        trait, method = (path[4], path[6]) if path else ("", "")
        exports.append(MacroExport(texts[start + 2], trait, method))
    return tuple(exports)


def _macro(node: Node) -> RustMacroDef | None:
    if _attribute_args(node, "macro_export") is None:
        return None
    return RustMacroDef(node_text(node.child_by_field_name("name")), _doc(node), _macro_exports(node))


def _json_arg(node: Node | None) -> str:
    # `Json<Request>` -> "Request"; a raw `u64` import has none.
    if node is None or node.type != "generic_type":
        return ""
    args = node.child_by_field_name("type_arguments")
    return squash(node_text(args.named_children[0])) if args is not None and args.named_children else ""


def _imports(node: Node) -> list[RustImport]:
    link = _attribute_args(node, "link")
    host_fn = _attribute_args(node, "host_fn")
    if link is None and host_fn is None:
        return []
    namespace = (link or {}).get("wasm_import_module", "")
    body = node.child_by_field_name("body")
    found = []
    for item in body.named_children if body is not None else []:
        if item.type == "function_signature_item":
            request = _json_arg(_first_param_type(item))
            response = _json_arg(item.child_by_field_name("return_type"))
            found.append(RustImport(node_text(item.child_by_field_name("name")), namespace, request, response))
    return found


def _first_param_type(item: Node) -> Node | None:
    params = item.child_by_field_name("parameters")
    first = next((p for p in params.named_children if p.type == "parameter"), None) if params else None
    return first.child_by_field_name("type") if first is not None else None


def _function(node: Node, source: bytes) -> RustFunction:
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None else node.end_byte
    calls = set()
    for n in walk(body) if body is not None else iter(()):
        target = n.child_by_field_name("function") if n.type == "call_expression" else None
        if target is not None and target.type == "identifier":
            calls.add(node_text(target))
    return RustFunction(
        name=node_text(node.child_by_field_name("name")),
        signature=squash(source[node.start_byte : end].decode("utf-8")),
        params=_params(node.child_by_field_name("parameters")),
        calls=frozenset(calls),
        returns=_result_ok_parts(node.child_by_field_name("return_type")),
    )


def _alias(node: Node) -> RustAlias:
    deprecated = (_attribute_args(node, "deprecated") or {}).get("note", "")
    target = squash(node_text(node.child_by_field_name("type")))
    return RustAlias(node_text(node.child_by_field_name("name")), target, deprecated)


def _const(node: Node) -> RustConst:
    value = node.child_by_field_name("value")
    text = _string_value(value) if value is not None and value.type == "string_literal" else node_text(value)
    typ = squash(node_text(node.child_by_field_name("type")))
    return RustConst(node_text(node.child_by_field_name("name")), typ, text)


def parse_rust_module(path: str, text: str) -> RustModule:
    """The items of one generated PDK source file that nd-lsp needs."""
    source = text.encode("utf-8")
    root = Parser(RUST_LANGUAGE).parse(source).root_node
    module = RustModule(path, {}, {}, (), {}, (), (), ())
    consts, macros, functions, imports = [], [], [], []
    for item in root.named_children:
        if item.type == "struct_item":
            struct = _struct(item)
            module.structs[struct.name] = struct
        elif item.type == "type_item" and is_pub(item):
            alias = _alias(item)
            module.aliases[alias.name] = alias
        elif item.type == "const_item" and is_pub(item):
            consts.append(_const(item))
        elif item.type == "trait_item":
            trait = _trait(item)
            module.traits[trait.name] = trait
        elif item.type == "macro_definition" and (macro := _macro(item)) is not None:
            macros.append(macro)
        elif item.type == "function_item" and is_pub(item):
            functions.append(_function(item, source))
        elif item.type == "foreign_mod_item":
            imports.extend(_imports(item))
    return RustModule(
        path,
        module.structs,
        module.aliases,
        tuple(consts),
        module.traits,
        tuple(macros),
        tuple(functions),
        tuple(imports),
    )
