"""Values of Rust expressions the analysis can know: literals, crate constants and struct literals."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import ByteSourceMap
from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import Argument, Entry, LiteralValue
from nd_lsp.frontends.rust_syntax import path_of, walk_all

_INTEGER_SUFFIX = re.compile(r"(?:[iu](?:8|16|32|64|128|size))$")
_FLOAT_SUFFIX = re.compile(r"f(?:32|64)$")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}
# Conversions that keep a literal's value: "x".to_string(), String::from("x"), 5.into(), &x.
_VALUE_KEEPING_METHODS = frozenset({"to_string", "to_owned", "into", "as_str", "as_ref", "clone"})
_VALUE_KEEPING_FUNCTIONS = frozenset({"from", "new"})
# extism's JSON wrapper around a request value: `Json(req)` holds the request itself.
_TRANSPARENT_WRAPPERS = frozenset({"Json", "Some", "Box"})

Locals = Mapping[str, Node]  # `let` bindings in scope at a call: name -> the bound expression
# `format!("template", args...)` as written (a leading `&` allowed); raw-string templates are not read.
_FORMAT_CALL = re.compile(r'^&?\s*format!\s*[(\[{]\s*"((?:[^"\\]|\\.)*)"\s*(.*?)[)\]}]$', re.DOTALL)
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*$")


class ValueReader:
    """Reads arguments of calls: literal values, constants of the file, struct literal entries."""

    def __init__(self, smap: ByteSourceMap, constants: Mapping[str, LiteralValue]) -> None:
        self.smap = smap
        self.constants = constants

    def argument(self, node: Node, offset: int = 0, locals_: Locals | None = None) -> Argument:
        locals_ = locals_ or {}
        value, resolved = self.value(node, locals_)
        return Argument(
            span=self.smap.node_span(node, offset),
            text=text(node),
            value=value,
            resolved=resolved,
            entries=self.entries(node, offset, locals_),
            prefix="" if resolved else format_prefix(text(node), self.constants),
        )

    def value(self, node: Node, locals_: Locals) -> tuple[LiteralValue, bool]:
        return expression_value(node, self.constants, locals_)

    def entries(self, node: Node, offset: int, locals_: Locals, depth: int = 0) -> tuple[Entry, ...]:
        """The fields of a struct literal (seen through `&`, `Json(..)`, a `let` binding)."""
        target = _struct_literal(node, locals_, depth)
        if target is None:
            return ()
        body = target.child_by_field_name("body")
        found: list[Entry] = []
        for child in body.named_children if body is not None else ():
            if child.type == "field_initializer":
                key, value = child.child_by_field_name("field"), child.child_by_field_name("value")
                if key is not None and value is not None:
                    found.append(Entry(text(key), self.smap.node_span(key, offset), self.argument(value, offset)))
            elif child.type == "shorthand_field_initializer" and child.named_children:
                name = child.named_children[0]
                found.append(Entry(text(name), self.smap.node_span(name, offset), self.argument(name, offset, locals_)))
        return tuple(found)


def expression_value(
    node: Node, constants: Mapping[str, LiteralValue], locals_: Locals, depth: int = 0
) -> tuple[LiteralValue, bool]:
    """The value of an expression when it is a literal, a known constant or a conversion of one."""
    if depth > 8:
        return None, False
    literal = literal_value(node)
    if literal[1]:
        return literal
    inner = _value_keeping_inner(node)
    if inner is not None:
        return expression_value(inner, constants, locals_, depth + 1)
    written = path_of(node) if node.type in {"identifier", "scoped_identifier"} else ()
    if not written:
        return None, False
    if len(written) == 1 and written[0] in locals_:
        return expression_value(locals_[written[0]], constants, {}, depth + 1)
    if written[-1] in constants:
        return constants[written[-1]], True
    return None, False


def _struct_literal(node: Node, locals_: Locals, depth: int) -> Node | None:
    if depth > 8:
        return None
    if node.type == "struct_expression":
        return node
    inner = _value_keeping_inner(node) or _wrapped_value(node)
    if inner is not None:
        return _struct_literal(inner, locals_, depth + 1)
    if node.type == "identifier" and text(node) in locals_:
        return _struct_literal(locals_[text(node)], {}, depth + 1)
    return None


def _wrapped_value(node: Node) -> Node | None:
    """`Json(x)` / `Some(x)`: x."""
    if node.type != "call_expression":
        return None
    written = path_of(node.child_by_field_name("function"))
    args = _call_arguments(node)
    if written and written[-1] in _TRANSPARENT_WRAPPERS and len(args) == 1:
        return args[0]
    return None


def _value_keeping_inner(node: Node) -> Node | None:
    """The expression inside `&x`, `(x)`, `x as i64`, `x.to_string()`, `String::from(x)`."""
    kind = node.type
    if kind == "reference_expression":
        return node.child_by_field_name("value")
    if kind == "parenthesized_expression" and node.named_children:
        return node.named_children[0]
    if kind == "type_cast_expression":
        return node.child_by_field_name("value")
    if kind == "call_expression":
        function = node.child_by_field_name("function")
        args = _call_arguments(node)
        if function is not None and function.type == "field_expression" and not args:
            method = function.child_by_field_name("field")
            if text(method) in _VALUE_KEEPING_METHODS:
                return function.child_by_field_name("value")
        written = path_of(function)
        if len(written) == 2 and written[-1] in _VALUE_KEEPING_FUNCTIONS and written[0] == "String" and args:
            return args[0] if len(args) == 1 else None
    return None


def _call_arguments(node: Node) -> list[Node]:
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [c for c in arguments.named_children if c.type not in {"line_comment", "block_comment"}]


def literal_value(node: Node) -> tuple[LiteralValue, bool]:
    """The value of a literal node, with whether it is one (`-5`, `1_000i64`, `r#"x"#`, `true`)."""
    kind = node.type
    if kind == "string_literal":
        return _string_value(node), True
    if kind == "raw_string_literal":
        content = next((c for c in node.named_children if c.type == "string_content"), None)
        return text(content), True
    if kind == "boolean_literal":
        return text(node) == "true", True
    if kind == "integer_literal":
        number = _integer(text(node))
        return number, number is not None
    if kind == "float_literal":
        real = _float(text(node))
        return real, real is not None
    if kind == "unary_expression" and text(node).startswith("-") and node.named_children:
        value, known = literal_value(node.named_children[-1])
        if known and isinstance(value, int | float) and not isinstance(value, bool):
            return -value, True
    if kind == "parenthesized_expression" and node.named_children:
        return literal_value(node.named_children[0])
    return None, False


def _integer(written: str) -> int | None:
    digits = written.replace("_", "")
    if not digits.lower().startswith(("0x", "0o", "0b")):
        digits = _INTEGER_SUFFIX.sub("", digits)
    else:
        digits = re.sub(r"(?<=[0-9a-fA-F])[iu](?:8|16|32|64|128|size)$", "", digits)
    try:
        return int(digits, 0) if digits[:2].lower() in {"0x", "0o", "0b"} else int(digits)
    except ValueError:
        return None


def _float(written: str) -> float | None:
    try:
        return float(_FLOAT_SUFFIX.sub("", written.replace("_", "")))
    except ValueError:
        return None


def _string_value(node: Node) -> str:
    raw = text(node)
    start, end = raw.find('"'), raw.rfind('"')
    if start < 0 or end <= start:
        return ""
    return unescape(raw[start + 1 : end])


def unescape(body: str) -> str:
    """Rust string escapes: \\n, \\x41, \\u{1F600}, and a backslash before a newline (line continuation)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 >= len(body):
            out.append(char)
            i += 1
            continue
        code = body[i + 1]
        if code in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[code])
            i += 2
        elif code == "x" and i + 4 <= len(body):
            out.append(chr(int(body[i + 2 : i + 4], 16)) if _is_hex(body[i + 2 : i + 4]) else body[i : i + 4])
            i += 4
        elif code == "u" and body[i + 2 : i + 3] == "{":
            close = body.find("}", i)
            digits = body[i + 3 : close].replace("_", "") if close > 0 else ""
            out.append(chr(int(digits, 16)) if _is_hex(digits) and int(digits, 16) < 0x110000 else "")
            i = close + 1 if close > 0 else len(body)
        elif code == "\n":
            i += 2
            while i < len(body) and body[i] in " \t\n\r":
                i += 1
        else:
            out.append(body[i : i + 2])
            i += 2
    return "".join(out)


def format_prefix(written: str, constants: Mapping[str, LiteralValue]) -> str:
    """The constant start of `format!("https://{HOST}/x/{}", id)`: the template up to its first
    placeholder that is not a string constant shown plainly ("https://api.example.com/x/" when HOST is one)."""
    match = _FORMAT_CALL.match(written.strip())
    if match is None:
        return ""
    template = unescape(match.group(1))
    rest = match.group(2).strip().removeprefix(",")
    # Only simple paths before the first unknown placeholder matter, so a naive split is enough.
    positional = [a.strip() for a in rest.split(",")] if rest.strip() else []
    out: list[str] = []
    next_positional = 0
    i = 0
    while i < len(template):
        if template.startswith(("{{", "}}"), i):
            out.append(template[i])
            i += 2
            continue
        if template[i] != "{":
            out.append(template[i])
            i += 1
            continue
        end = template.find("}", i)
        spec = template[i + 1 : end] if end > 0 else ":"
        if ":" in spec:  # a format spec (`{:?}`, `{:>5}`) changes how the value is shown
            break
        if not spec:
            spec = positional[next_positional] if next_positional < len(positional) else ""
            next_positional += 1
        elif spec.isdigit():
            spec = positional[int(spec)] if int(spec) < len(positional) else ""
        value = constants.get(spec.split("::")[-1]) if _PATH.match(spec) else None
        if not isinstance(value, str):
            break
        out.append(value)
        i = end + 1
    return "".join(out)


def _is_hex(digits: str) -> bool:
    return bool(digits) and all(c in "0123456789abcdefABCDEF" for c in digits)


def read_constants(roots: Iterable[Node]) -> dict[str, LiteralValue]:
    """`const`/`static` items under the given nodes with a literal value (or the value of an earlier constant)."""
    pending: list[tuple[str, Node]] = []
    for node in walk_all(roots):
        if node.type == "const_item" or (node.type == "static_item" and not is_mutable_static(node)):
            name_node, value_node = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name_node is not None and value_node is not None:
                pending.append((text(name_node), value_node))
    constants: dict[str, LiteralValue] = {}
    for _ in range(3):  # constants defined from other constants, in any order
        for name, expression in pending:
            if name not in constants:
                value, known = expression_value(expression, constants, {})
                if known:
                    constants[name] = value
    return constants


def is_mutable_static(node: Node) -> bool:
    return node.type == "static_item" and any(c.type == "mutable_specifier" for c in node.children)
