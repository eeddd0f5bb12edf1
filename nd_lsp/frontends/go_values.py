"""Constant values of Go expressions: literals, package constants, conversions and composite literals."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import ByteSourceMap
from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import Argument, Entry, LiteralValue
from nd_lsp.frontends.go_syntax import child, named_children, unwrap_parens, unwrapped

# Conversions that keep a constant a constant: `int64(0)`, `string("x")`.
_BASIC_TYPES = frozenset(
    {
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float32",
        "float64",
        "string",
        "byte",
        "rune",
        "uintptr",
    }
)
_UNRESOLVED: tuple[LiteralValue, bool] = (None, False)
_SPRINTF = "fmt.Sprintf"
_MAX_PREFIX_DEPTH = 32  # `a + b + c + ...` nests to the left; deeper chains keep no prefix
_ESCAPE = re.compile(r"\\(?:[abfnrtv\\'\"]|[0-7]{3}|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")


def go_string_value(node: Node) -> str:
    """The value of a Go string literal: raw strings verbatim (without carriage returns), escapes decoded."""
    return _string_value(text(node), node.type == "raw_string_literal")


def _string_value(body: str, raw: bool) -> str:
    if raw:
        return body[1:-1].replace("\r", "")
    return _ESCAPE.sub(_decode_escape, body[1:-1] if len(body) >= 2 else "")


def _decode_escape(match: re.Match[str]) -> str:
    try:
        decoded = ast.literal_eval(f'"{match.group(0)}"')
    except (ValueError, SyntaxError):
        return match.group(0)
    return decoded if isinstance(decoded, str) else match.group(0)


def go_int_value(literal: str) -> int | None:
    cleaned = literal.replace("_", "")
    try:
        if len(cleaned) > 1 and cleaned[0] == "0" and cleaned[1].isdigit():
            return int(cleaned, 8)  # legacy octal: 0755
        return int(cleaned, 0)
    except ValueError:
        return None


def go_float_value(literal: str) -> float | None:
    try:
        return float(literal.replace("_", ""))
    except ValueError:
        return None


class ConstantEvaluator:
    """Evaluates expressions to constant values, looking names up in the constants it is given."""

    def __init__(self, constants: Mapping[str, LiteralValue]) -> None:
        self.constants = constants

    def value(self, node: Node | None) -> tuple[LiteralValue, bool]:
        """(value, resolved). Anything the evaluator does not understand is unresolved."""
        node, kind = unwrapped(node)
        return _UNRESOLVED if node is None else self.value_of(node, kind)

    def value_of(self, node: Node, kind: str) -> tuple[LiteralValue, bool]:
        """The value of an expression not in parentheses, of this kind."""
        if kind == "interpreted_string_literal" or kind == "raw_string_literal":
            return _string_value(text(node), kind == "raw_string_literal"), True
        if kind == "int_literal":
            number = go_int_value(text(node))
            return (number, True) if number is not None else _UNRESOLVED
        if kind == "float_literal":
            real = go_float_value(text(node))
            return (real, True) if real is not None else _UNRESOLVED
        if kind in {"true", "false"}:
            return kind == "true", True
        if kind == "identifier":
            return self._named(text(node))
        if kind == "unary_expression":
            return self._unary(node)
        if kind == "binary_expression":
            return self._binary(node)
        if kind == "call_expression":
            return self._conversion(node)
        return _UNRESOLVED

    def _named(self, name: str) -> tuple[LiteralValue, bool]:
        if name in self.constants:
            return self.constants[name], True
        return _UNRESOLVED

    def _unary(self, node: Node) -> tuple[LiteralValue, bool]:
        operator = text(child(node, "operator"))
        value, resolved = self.value(child(node, "operand"))
        if not resolved or isinstance(value, bool):
            return _UNRESOLVED
        if operator == "-" and isinstance(value, int | float):
            return -value, True
        if operator == "+" and isinstance(value, int | float):
            return value, True
        return _UNRESOLVED

    def _binary(self, node: Node) -> tuple[LiteralValue, bool]:
        operator = text(child(node, "operator"))
        left, left_known = self.value(child(node, "left"))
        right, right_known = self.value(child(node, "right"))
        if not (left_known and right_known) or isinstance(left, bool) or isinstance(right, bool):
            return _UNRESOLVED
        if operator == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right, True
        if isinstance(left, int | float) and isinstance(right, int | float):
            return _arithmetic(operator, left, right)
        return _UNRESOLVED

    def prefix(self, node: Node | None, depth: int = 0) -> str:
        """The constant start of a string built at run time: `base + "/" + id`, `fmt.Sprintf("https://h/%s", id)`."""
        node = unwrap_parens(node)
        if node is None or depth > _MAX_PREFIX_DEPTH:
            return ""
        value, resolved = self.value(node)
        if resolved:
            return value if isinstance(value, str) else ""
        return self.unresolved_prefix(node, node.type, depth)

    def unresolved_prefix(self, node: Node, kind: str, depth: int = 0) -> str:
        """The prefix of an expression (not in parentheses, of this kind) whose value is known to be unresolved."""
        if kind == "binary_expression" and text(child(node, "operator")) == "+":
            left, left_known = self.value(child(node, "left"))
            if left_known and isinstance(left, str):
                return left + self.prefix(child(node, "right"), depth + 1)
            return self.prefix(child(node, "left"), depth + 1)
        if kind == "call_expression" and text(child(node, "function")) == _SPRINTF:
            arguments = named_children(child(node, "arguments"))
            layout, known = self.value(arguments[0]) if arguments else _UNRESOLVED
            if known and isinstance(layout, str):
                return layout.split("%", 1)[0]  # up to the first verb (or "%%")
        return ""

    def _conversion(self, node: Node) -> tuple[LiteralValue, bool]:
        function = child(node, "function")
        arguments = named_children(child(node, "arguments"))
        if function is None or function.type != "identifier" or len(arguments) != 1:
            return _UNRESOLVED
        if text(function) not in _BASIC_TYPES:
            return _UNRESOLVED
        return self.value(arguments[0])


def _arithmetic(operator: str, left: int | float, right: int | float) -> tuple[LiteralValue, bool]:
    if operator == "+":
        return left + right, True
    if operator == "-":
        return left - right, True
    if operator == "*":
        return left * right, True
    if operator == "/" and right != 0:
        if isinstance(left, int) and isinstance(right, int):
            return int(left / right), True  # Go integer division truncates toward zero
        return left / right, True
    return _UNRESOLVED


def argument_of(node: Node, evaluator: ConstantEvaluator, source: ByteSourceMap) -> Argument:
    """An argument as written, with its value and, for a composite literal, its keyed entries."""
    inner, kind = unwrapped(node)
    value, resolved = _UNRESOLVED if inner is None else evaluator.value_of(inner, kind)
    literal_kind = _LITERAL_KINDS.get(kind, "")
    literal = inner if kind == "composite_literal" else None  # `T{Key: v}`, `&T{Key: v}`: its entries are read
    if kind == "unary_expression":
        operand, operand_kind = unwrapped(child(inner, "operand"))
        literal_kind = _LITERAL_KINDS.get(operand_kind, "")
        if operand_kind == "composite_literal" and text(child(inner, "operator")) == "&":
            literal = operand
    return Argument(
        # The value was looked for already: the prefix of an unresolved one does not look again.
        prefix="" if resolved or inner is None else evaluator.unresolved_prefix(inner, kind),
        span=source.node_span(node),
        text=text(node),
        value=value,
        resolved=resolved,
        entries=_literal_entries(literal, evaluator, source) if literal is not None else (),
        literal_kind=literal_kind,
    )


# What was written: "str", "int", ... ("-1" is an int; `&T{}` a composite literal).
_LITERAL_KINDS = {
    "interpreted_string_literal": "str",
    "raw_string_literal": "str",
    "int_literal": "int",
    "float_literal": "float",
    "true": "bool",
    "false": "bool",
    "nil": "none",
    "composite_literal": "dict",
}


def _literal_entries(literal: Node | None, evaluator: ConstantEvaluator, source: ByteSourceMap) -> tuple[Entry, ...]:
    if literal is None or literal.type != "composite_literal":
        return ()
    entries = []
    for element in named_children(child(literal, "body")):
        if element.type != "keyed_element":
            continue
        key_node, value_node = _keyed_parts(element)
        if key_node is None or value_node is None:
            continue
        entries.append(
            Entry(
                key=go_string_value(key_node) if key_node.type.endswith("string_literal") else text(key_node),
                key_span=source.node_span(key_node),
                value=argument_of(value_node, evaluator, source),
            )
        )
    return tuple(entries)


def _keyed_parts(element: Node) -> tuple[Node | None, Node | None]:
    """The key and value expressions of a keyed element (each wrapped in a literal_element)."""
    key = child(element, "key")
    value = child(element, "value")
    if key is None or value is None:
        parts = named_children(element)
        if len(parts) != 2:
            return None, None
        key, value = parts
    return _element_expression(key), _element_expression(value)


def _element_expression(node: Node) -> Node | None:
    if node.type == "literal_element":
        inner = named_children(node)
        return inner[0] if inner else None
    return node
