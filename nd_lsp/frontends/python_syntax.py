"""Tree-sitter plumbing for the Python front-end: parsing, positions, call and argument shapes, literals."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import tree_sitter_python
from tree_sitter import Language, Node, Query

from nd_lsp.frontends.byte_source_map import ByteSourceMap, node_text
from nd_lsp.frontends.facts import LiteralValue, Span
from nd_lsp.frontends.source_order import kinds_query, matches_in_order

_STRING_PREFIX = re.compile(r"^[A-Za-z]*")

# Nodes whose insides belong to no walk of the enclosing scope (a def's body is a scope of its own).
OWN_SCOPE = frozenset({"function_definition", "class_definition", "lambda"})
# A dotted name as an expression: `a`, `a.b.c`.
_NAME = "identifier"
_ATTRIBUTE = "attribute"
# Targets that unpack: `a, b = ...`, `(a, b) = ...`, `[a, b] = ...`.
UNPACKING = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "expression_list", "tuple", "list"})

# The immutable records of this module are named tuples, not frozen dataclasses: a named tuple is quicker
# to define at import and to make (a read makes a CallShape per call and a LiteralOf per literal it reads).


@functools.lru_cache(maxsize=1)
def python_language() -> Language:
    return Language(tree_sitter_python.language())


# The source text of a node (a name, an operator, a whole expression): `node_text` itself, not a call of it (a
# read calls it tens of thousands of times).
text_of = node_text


def field(node: Node, name: str) -> Node | None:
    return node.child_by_field_name(name)


def field_id(name: str) -> int:
    """The grammar's id of a field: `Node.child_by_field_id` skips the look-up of the name on each call."""
    found = python_language().field_id_for_name(name)
    if found is None:
        raise LookupError(f"no field {name!r} in the Python grammar")
    return found


class SourceMap:
    """Spans of one file's nodes: 0-based lines (ended by `\\n`), code-point columns."""

    def __init__(self, path: Path, source: bytes) -> None:
        self.path = path
        self.bytes = ByteSourceMap(path, source)

    def span(self, node: Node) -> Span:
        return self.bytes.span(node.start_byte, node.end_byte)

    def span_between(self, first: Node, last: Node) -> Span:
        return self.bytes.span(first.start_byte, last.end_byte)

    def string_content_span(self, node: Node) -> Span:
        """The text between the quotes of a one-line string literal (the whole node otherwise)."""
        if node.type != "string":
            return self.span(node)
        start = next((c for c in node.children if c.type == "string_start"), None)
        end = next((c for c in reversed(node.children) if c.type == "string_end"), None)
        code = text_of(node)
        if start is None or end is None or "\n" in code or end.start_byte < start.end_byte:
            return self.span(node)
        return self.bytes.span(start.end_byte, end.start_byte)


def walk_scope(node: Node) -> Iterator[Node]:
    """Like `source_order.walk`, but does not enter nested function or class definitions (and lambdas).
    (What `scope_nodes` finds faster; the tests hold the two equal.)"""
    stack: list[Node] = [node]
    first = True
    while stack:
        current = stack.pop()
        if not first and current.type in OWN_SCOPE:
            continue
        first = False
        yield current
        if current.child_count:
            stack.extend(reversed(current.children))


def scope_nodes(node: Node, kinds: frozenset[str]) -> list[Node]:
    """The nodes of `walk_scope(node)` whose type is one of `kinds`, in the same order, found by a query (in C)
    rather than by a walk of every node in Python."""
    found: list[Node] = []
    skip_before = -1  # the end byte of the nested definition being skipped
    for _, current in matches_in_order(_kinds_query(kinds | OWN_SCOPE), node):
        if current.start_byte < skip_before:
            continue
        kind = current.type
        if kind in OWN_SCOPE and current != node:
            skip_before = current.end_byte
            continue
        if kind in kinds:  # (the query also finds the nested definitions to skip, and `node` itself)
            found.append(current)
    return found


@functools.lru_cache(maxsize=8)
def _kinds_query(kinds: frozenset[str]) -> Query:
    return kinds_query(python_language(), sorted(kinds))


def unwrap(node: Node) -> Node:
    """The expression inside `await x`."""
    while node.type == "await" and node.named_child_count:
        node = node.named_children[-1]
    return node


class CallShape(NamedTuple):
    """`callee(args)` split into the dotted callee names and the argument nodes."""

    node: Node  # the `call` node
    callee: tuple[Node, ...]  # identifier nodes of the callee: `extism.memory.alloc` -> 3 identifiers
    positional: tuple[Node, ...]
    keywords: tuple[tuple[Node, Node], ...]  # (name identifier, value)
    has_star_args: bool
    open_paren: Node
    close_paren: Node


# How an expression chain (`a.b(x)[0].c`) goes inward: the field of each link that holds the rest of it.
CHAIN_LINKS = {"call": "function", _ATTRIBUTE: "object", "subscript": "value"}


def chain(node: Node) -> Iterator[Node]:
    """`node` and each link inside it of its expression chain: `a.b(x)[0]`, `a.b(x)`, `a.b`, `a`."""
    current: Node | None = node
    while current is not None:
        yield current
        link = CHAIN_LINKS.get(current.type)
        current = field(current, link) if link is not None else None


def head_call(node: Node) -> Node | None:
    """The first call of a chain: `json.dumps(x)` of `json.dumps(x).encode()`, `a.b(x)` of `a.b(x)[0].c()`.
    The call itself for a plain `f(x)`; None when the chain holds no call."""
    calls = [link for link in chain(unwrap(node)) if link.type == "call"]
    return calls[-1] if calls else None


def call_shapes(node: Node) -> Iterator[CallShape]:
    """The call at the head of an expression chain, when its callee is a plain dotted name.

    `json.dumps(x).encode()` yields `json.dumps(x)` only: `.encode` is called on a value, not a name.
    """
    head = head_call(node)
    shape = call_shape(head) if head is not None else None
    if shape is not None:
        yield shape


def call_shape(node: Node) -> CallShape | None:
    """The shape of a `call` node whose callee is a plain dotted name, or None."""
    if node.type != "call":
        return None
    function = field(node, "function")
    arguments = field(node, "arguments")
    if function is None or arguments is None:
        return None
    callee = dotted_names(function)
    if callee is None or function.type == "dotted_name":
        return None
    return _call_shape(node, callee, arguments)


_FUNCTION, _ARGUMENTS, _NAME_FIELD, _VALUE = (field_id(name) for name in ("function", "arguments", "name", "value"))


def call_names(node: Node) -> tuple[str, ...] | None:
    """The callee's names of a call that `call_shape` reads, None for any other: what a walk of the module keeps
    of every call, without making its shape."""
    function = node.child_by_field_id(_FUNCTION)
    if function is None:
        return None
    if node.has_error:  # without an error, the grammar gives a call arguments, opened with `(` in both kinds
        arguments = node.child_by_field_id(_ARGUMENTS)
        opening = arguments.child(0) if arguments is not None and arguments.child_count else None
        if opening is None or opening.type != "(":
            return None
    kind = function.type
    if kind == _NAME:  # most calls: `name(...)`, without the attribute walk of `dotted_names`
        return (text_of(function),)
    callee = dotted_names(function) if kind != "dotted_name" else None
    return None if callee is None else tuple([text_of(leaf) for leaf in callee])


def argument_names(node: Node) -> tuple[str, ...]:
    """The arguments of a call (one `call_names` reads) that are a bare name, positional then keyword."""
    arguments = node.child_by_field_id(_ARGUMENTS)
    if arguments is None or arguments.type == "generator_expression":
        return ()
    positional: list[str] = []
    keywords: list[str] = []
    for item in arguments.named_children:
        kind = item.type
        if kind == _NAME:
            positional.append(text_of(item))
        elif kind == "keyword_argument":
            name, value = item.child_by_field_id(_NAME_FIELD), item.child_by_field_id(_VALUE)
            if name is not None and value is not None and value.type == _NAME:
                keywords.append(text_of(value))
    return tuple(positional + keywords)


def _call_shape(node: Node, callee: tuple[Node, ...], arguments: Node) -> CallShape | None:
    children = arguments.children
    if not children or children[0].type != "(":
        return None
    if arguments.type == "generator_expression":  # `f(x for x in y)`: the generator is the one argument
        return CallShape(node, callee, (arguments,), (), False, children[0], children[-1])
    positional: list[Node] = []
    keywords: list[tuple[Node, Node]] = []
    star = False
    for item in arguments.named_children:
        kind = item.type
        if kind in ("list_splat", "dictionary_splat"):
            star = True
        elif kind == "keyword_argument":
            name, value = field(item, "name"), field(item, "value")
            if name is not None and value is not None:
                keywords.append((name, value))
        elif kind != "comment":
            positional.append(item)
    close = children[-1]
    return CallShape(node, callee, tuple(positional), tuple(keywords), star, children[0], close)


def value_of(node: Node | None) -> str:
    """The text of a name (an identifier); "" for any other node."""
    return text_of(node) if node is not None and node.type == _NAME else ""


def name_leaf(node: Node | None) -> Node | None:
    return node if node is not None and node.type == _NAME else None


def dotted_names(node: Node) -> tuple[Node, ...] | None:
    """`a.b.c` (an identifier, dotted_name, or attribute chain of identifiers) as its identifiers."""
    kind = node.type
    if kind == _NAME:
        return (node,)
    if kind == "dotted_name":
        found = [c for c in node.children if c.type == _NAME]
        return tuple(found) if found else None
    names: list[Node] = []
    while kind == _ATTRIBUTE:
        attribute = field(node, "attribute")
        inner = field(node, "object")
        if attribute is None or inner is None or attribute.type != _NAME:
            return None
        names.append(attribute)
        node, kind = inner, inner.type
    if kind != _NAME:
        return None
    names.append(node)
    return tuple(reversed(names))


class LiteralOf(NamedTuple):
    """The value of a literal expression and what kind of literal it is."""

    value: LiteralValue
    kind: str  # "str" | "bytes" | "int" | "float" | "bool" | "none" | "list" | "dict" | "set" | "fstring" | ""
    resolved: bool


UNKNOWN = LiteralOf(None, "", False)
_CONSTANTS = {"true": LiteralOf(True, "bool", True), "false": LiteralOf(False, "bool", True)}
_CONSTANTS["none"] = LiteralOf(None, "none", True)
_DISPLAYS = {"list": "list", "list_comprehension": "list", "set": "set", "set_comprehension": "set"}
_DISPLAYS |= {"dictionary": "dict", "dictionary_comprehension": "dict"}


def literal_of(node: Node) -> LiteralOf:
    """The value of a literal (a string, adjacent strings, a number, -number, True/False/None)."""
    kind = node.type
    if kind == "string":
        return _string_literal(text_of(node))
    if kind == "concatenated_string":
        parts = [literal_of(child) for child in node.named_children if child.type == "string"]
        if parts and all(p.resolved and p.kind == "str" for p in parts):
            return LiteralOf("".join(str(p.value) for p in parts), "str", True)
        if any(p.kind == "bytes" for p in parts):
            return LiteralOf(None, "bytes", False)
        return LiteralOf(None, "fstring" if any(p.kind == "fstring" for p in parts) else "str", False)
    if kind == "integer" or kind == "float":
        return _number_literal(text_of(node))
    constant = _CONSTANTS.get(kind)
    if constant is not None:
        return constant
    if kind == "unary_operator":
        sign, operand = field(node, "operator"), field(node, "argument")
        if sign is None or operand is None or sign.type not in ("-", "+", "~"):
            return UNKNOWN
        inner = literal_of(operand)
        if inner.kind in ("int", "float") and inner.resolved and isinstance(inner.value, int | float):
            value = -inner.value if sign.type == "-" else inner.value
            return LiteralOf(value, inner.kind, sign.type in ("-", "+"))
        return UNKNOWN
    display = _DISPLAYS.get(kind)
    if display is not None:
        return LiteralOf(None, display, False)
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return literal_of(node.named_children[0])
    return UNKNOWN


def _string_literal(code: str) -> LiteralOf:
    match = _STRING_PREFIX.match(code)
    prefix = match.group(0).lower() if match else ""
    if "f" in prefix or "t" in prefix:
        return LiteralOf(None, "fstring", False)
    if not prefix and _is_plain_string(code):
        return LiteralOf(code[1:-1], "str", True)
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return LiteralOf(None, "bytes" if "b" in prefix else "str", False)
    if isinstance(value, bytes):
        return LiteralOf(None, "bytes", False)
    return LiteralOf(value, "str", True) if isinstance(value, str) else UNKNOWN


def _is_plain_string(code: str) -> bool:
    """`"text"` or `'text'` on one line without escapes: its value is its text between the quotes, which
    `ast.literal_eval` (a parse of its own for each literal) would find too."""
    quote = code[:1]
    if quote not in ('"', "'") or len(code) < 2 or code[-1] != quote or code.startswith(quote * 3):
        return False
    body = code[1:-1]
    return body.isascii() and not (quote in body or "\\" in body or "\n" in body or "\r" in body or "\0" in body)


def _number_literal(code: str) -> LiteralOf:
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return UNKNOWN
    if isinstance(value, bool):
        return UNKNOWN
    if isinstance(value, int):
        return LiteralOf(value, "int", True)
    if isinstance(value, float):
        return LiteralOf(value, "float", True)
    return UNKNOWN  # complex numbers


class DictItem(NamedTuple):
    """One `key: value` of a dict display, or `**spread` (key None)."""

    key: Node | None
    value: Node


def dict_items(node: Node) -> list[DictItem] | None:
    """The items of a dict display `{...}`, or None when `node` is no dict display (a comprehension
    included: its keys are not known)."""
    if node.type != "dictionary":
        return None
    items: list[DictItem] = []
    for child in node.named_children:
        if child.type == "pair":
            key, value = field(child, "key"), field(child, "value")
            if key is not None and value is not None:
                items.append(DictItem(key, value))
        elif child.type == "dictionary_splat" and child.named_child_count:
            items.append(DictItem(None, child.named_children[0]))
    return items


_PARAMETER_NAMES = {"default_parameter": "name", "typed_default_parameter": "name"}
_NAMED_WITHIN = frozenset({"typed_parameter", "list_splat_pattern", "dictionary_splat_pattern"})
_PARAMETERS = field_id("parameters")


def function_params(funcdef: Node) -> list[str]:
    """Parameter names of a def, in order (`self` included)."""
    parameters = funcdef.child_by_field_id(_PARAMETERS)
    if parameters is None:
        return []
    found: list[str] = []
    for param in parameters.named_children:
        name = _parameter_name(param)
        if name is not None:
            found.append(text_of(name))
    return found


def _parameter_name(param: Node) -> Node | None:
    """`a`, `a=1`, `*a`, `**a`, `a: T`, `a: T = 1`."""
    kind = param.type
    if kind == _NAME:
        return param
    if kind in _PARAMETER_NAMES:
        return name_leaf(param.child_by_field_id(_NAME_FIELD))
    if kind in _NAMED_WITHIN:
        # the name of `a: T`, without making every child (`named_child` raises IndexError past the end)
        first = param.named_child(0) if param.named_child_count else None
        if first is not None and first.type == _NAME:
            return first
        return next((c for c in param.named_children if c.type == _NAME), None)
    return None


class Assigned(NamedTuple):
    """One target of an assignment: `a` of `a = b = v` (and `b`), `a` of `a += v` or `a: T = v`."""

    target: Node
    operator: str  # "=", "+=", ...
    value: Node | None  # None for `a: T` without a value


def assignment_targets(node: Node) -> list[Assigned]:
    """The targets of an `assignment` or `augmented_assignment` (the outermost one of `a = b = v`)."""
    kind = node.type
    if kind == "augmented_assignment":
        target, operator = node.child_by_field_name("left"), node.child_by_field_name("operator")
        if target is None or operator is None:
            return []
        return [Assigned(target, operator.type, node.child_by_field_name("right"))]
    if kind != "assignment":
        return []
    targets: list[Node] = []
    current: Node | None = node
    while kind == "assignment" and current is not None:
        left = current.child_by_field_name("left")
        if left is not None:
            targets.append(left)
        current = current.child_by_field_name("right")
        kind = current.type if current is not None else ""
    return [Assigned(target, "=", current) for target in targets]


def is_assignment(node: Node) -> bool:
    """An assignment statement's own node: not the inner `b = v` of `a = b = v`."""
    kind = node.type
    if kind == "augmented_assignment":
        return True
    return kind == "assignment" and (node.parent is None or node.parent.type != "assignment")
