"""Parso plumbing for the Python front-end: parsing, positions, call and argument shapes, literals."""

from __future__ import annotations

import ast
import bisect
import logging
import operator
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, cast

import parso
import parso.grammar
from parso.python.tree import Module
from parso.tree import BaseNode, Leaf, NodeOrLeaf
from parso.utils import split_lines

from nd_lsp.frontends.facts import LiteralValue, Position, Span

log = logging.getLogger(__name__)

# Parso breaks lines at a lone "\r" too; our positions (like the editor's edits) count "\n" only.
_LONE_CR = re.compile(r"\r(?!\n)")
_STRING_PREFIX = re.compile(r"^[A-Za-z]*")
# Where `str.splitlines` breaks a line and Python does not (parso's `_NON_LINE_BREAKS`).
_NON_LINE_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")

# parso's functions carry no annotations; typed handles keep strict mypy meaningful around them.
_parse: Callable[..., Any] = parso.parse
_load_grammar: Callable[[], Any] = parso.grammar.load_grammar
_get_code: Callable[[NodeOrLeaf], Any] = operator.methodcaller("get_code", include_prefix=False)
_previous_leaf: Callable[[NodeOrLeaf], Any] = operator.methodcaller("get_previous_leaf")
_next_leaf: Callable[[NodeOrLeaf], Any] = operator.methodcaller("get_next_leaf")


def parse_python(text: str) -> Module:
    """A syntax tree with error recovery: never raises on broken code."""
    return cast(Module, _parse(text, error_recovery=True))


# How many files' latest trees are kept for re-parsing after an edit: the files a user is editing.
MAX_REMEMBERED_TREES = 8

# The immutable records of this module are named tuples, not frozen dataclasses: measured on Python 3.11,
# a frozen dataclass costs 0.7 ms to define at import (a named tuple 0.07 ms) and three times as long to
# make (a keystroke makes a CallShape per call and a LiteralOf per literal it looks at).


class ParsedFile(NamedTuple):
    """A file's syntax tree and the text it was parsed from, split into lines as parso splits them."""

    module: Module
    lines: list[str]


class _LatestTrees:
    """The latest syntax tree of each recently read file, by path (a bounded, least recently used memory).

    parso's diff parser re-parses only the lines an edit changed (about 3 ms instead of 120 ms for
    3,000 lines), but it rebuilds the old tree in place. So a tree belongs to one reader at a time:
    `take` removes it from the memory, and the reader hands it back with `keep` once it is done with it.
    parso's own diff cache is not used: jedi keeps its trees there, under the same paths.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._trees: dict[Path, ParsedFile] = {}
        self._lock = threading.Lock()

    def take(self, path: Path) -> ParsedFile | None:
        with self._lock:
            return self._trees.pop(path, None)

    def keep(self, path: Path, parsed: ParsedFile) -> None:
        with self._lock:
            self._trees.pop(path, None)
            self._trees[path] = parsed
            while len(self._trees) > self._capacity:
                del self._trees[next(iter(self._trees))]


_LATEST = _LatestTrees(MAX_REMEMBERED_TREES)


def parse_file(path: Path, text: str) -> ParsedFile:
    """The syntax tree of a file: a plain parse the first time a path is read; when the same path is read
    again with other text, the previous tree brought up to date by parso's diff parser.

    Hand the result back with `keep_tree` when done with it, and keep no node of it beyond that: the
    next read of the path changes the tree in place.
    """
    lines = lines_of(text)
    previous = _LATEST.take(path)
    module = _reparsed(previous, lines) if previous is not None else None
    return ParsedFile(module if module is not None else parse_python(text), lines)


def lines_of(text: str) -> list[str]:
    """`text` split into lines with their ends, as parso splits it (`parso.utils.split_lines`).

    parso looks at every line in Python to join again the lines `str.splitlines` broke at a form feed
    or another character that ends no line in Python (measured: 0.4 ms of a keystroke on a 3,000-line
    file); a text without any of those needs no joining."""
    if any(character in text for character in _NON_LINE_BREAKS):  # measured: faster than one regex search
        return split_lines(text, keepends=True)
    lines = text.splitlines(keepends=True)
    if not text or text.endswith(("\n", "\r")):
        lines.append("")
    return lines


def keep_tree(path: Path, parsed: ParsedFile) -> None:
    """Remember a tree `parse_file` gave, for the next read of the same path."""
    _LATEST.keep(path, parsed)


def _reparsed(previous: ParsedFile, lines: list[str]) -> Module | None:
    """`previous` updated to `lines`; None when the diff parser fails (the old tree is then unusable)."""
    if previous.lines == lines:
        return previous.module
    grammar = _load_grammar()  # parso keeps the grammar it loaded once
    try:
        # The call parso's `Grammar.parse(diff_cache=True)` makes, without its cache shared with jedi.
        updater = grammar._diff_parser(grammar._pgen_grammar, grammar._tokenizer, previous.module)
        return cast(Module, updater.update(old_lines=previous.lines, new_lines=lines))
    except Exception:  # parso calls its diff parser experimental; a whole parse is always right
        log.debug("parso's diff parser failed; parsing the whole file", exc_info=True)
        return None


def previous_leaf(node: NodeOrLeaf) -> Leaf | None:
    return cast("Leaf | None", _previous_leaf(node))


def next_leaf(node: NodeOrLeaf) -> Leaf | None:
    return cast("Leaf | None", _next_leaf(node))


class SourceMap:
    """Turns parso (1-based line, code-point column) positions into our 0-based `\\n` positions."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._remap = _LONE_CR.search(text) is not None
        if self._remap:
            # Line starts as parso sees them, and as "\n" alone sees them.
            self._parso_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
            self._newline_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, pos: tuple[int, int]) -> Position:
        line, column = pos
        if not self._remap:
            return Position(line - 1, column)
        index = min(max(line - 1, 0), len(self._parso_starts) - 1)
        offset = self._parso_starts[index] + column
        newline_line = bisect.bisect_right(self._newline_starts, offset) - 1
        return Position(newline_line, offset - self._newline_starts[newline_line])

    def span(self, node: NodeOrLeaf) -> Span:
        return Span(self.path, self.position(node.start_pos), self.position(node.end_pos))

    def span_between(self, first: NodeOrLeaf, last: NodeOrLeaf) -> Span:
        return Span(self.path, self.position(first.start_pos), self.position(last.end_pos))

    def string_content_span(self, leaf: NodeOrLeaf) -> Span:
        """The text between the quotes of a one-line string literal (the whole token otherwise)."""
        code = code_of(leaf)
        prefix = _STRING_PREFIX.match(code)
        quote_at = prefix.end() if prefix else 0
        quote = (
            code[quote_at : quote_at + 3]
            if code[quote_at : quote_at + 3] in ('"""', "'''")
            else code[quote_at : quote_at + 1]
        )
        if not quote or "\n" in code or not code.endswith(quote) or len(code) < quote_at + 2 * len(quote):
            return self.span(leaf)
        line, column = leaf.start_pos
        start = (line, column + quote_at + len(quote))
        end = (line, column + len(code) - len(quote))
        return Span(self.path, self.position(start), self.position(end))


def code_of(node: NodeOrLeaf) -> str:
    return str(_get_code(node))


def walk(node: NodeOrLeaf) -> Iterator[NodeOrLeaf]:
    """Every node under `node` in source order, without recursion (deep nesting must not crash)."""
    stack: list[NodeOrLeaf] = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, BaseNode):
            stack.extend(reversed(current.children))


def walk_scope(node: NodeOrLeaf) -> Iterator[NodeOrLeaf]:
    """Like `walk`, but does not enter nested function or class definitions (and lambdas)."""
    stack: list[NodeOrLeaf] = [node]
    first = True
    while stack:
        current = stack.pop()
        if not first and current.type in ("funcdef", "classdef", "lambdef"):
            continue
        first = False
        yield current
        if isinstance(current, BaseNode):
            stack.extend(reversed(current.children))


class CallShape(NamedTuple):
    """`callee(args)` split into the dotted callee names and the argument nodes of the last call."""

    node: BaseNode  # the atom_expr / power holding the call
    callee: tuple[Leaf, ...]  # name leaves of the callee: `extism.memory.alloc` -> 3 leaves
    positional: tuple[NodeOrLeaf, ...]
    keywords: tuple[tuple[Leaf, NodeOrLeaf], ...]  # (name leaf, value)
    has_star_args: bool
    open_paren: Leaf
    close_paren: Leaf


def call_shapes(node: NodeOrLeaf) -> Iterator[CallShape]:
    """Every call `a.b.c(...)` whose callee is a plain dotted name, found as the prefix of an atom_expr.

    `json.dumps(x).encode()` yields `json.dumps(x)` only: `.encode` is called on a value, not a name.
    """
    shape = call_shape(node)
    if shape is not None:
        yield shape


def call_shape(node: NodeOrLeaf) -> CallShape | None:
    """The one call `call_shapes` finds in `node`, or None: no generator, for the walk that asks every
    atom_expr of a module."""
    kind = node.type
    if (kind != "atom_expr" and kind != "power") or not isinstance(node, BaseNode):
        return None
    children = node.children
    start = 1 if children and children[0].type == "keyword" and children[0].value == "await" else 0
    if len(children) <= start or children[start].type != "name":
        return None
    callee: list[Leaf] = [children[start]]
    for trailer in children[start + 1 :]:
        if trailer.type != "trailer" or not isinstance(trailer, BaseNode):
            return None
        first = trailer.children[0]
        if first.type == "operator" and first.value == "." and len(trailer.children) == 2:
            name = trailer.children[1]
            if name.type != "name":
                return None
            callee.append(name)
            continue
        if first.type == "operator" and first.value == "(":
            return _call_shape(node, tuple(callee), trailer)
        return None
    return None


def _call_shape(node: BaseNode, callee: tuple[Leaf, ...], trailer: BaseNode) -> CallShape:
    inner = trailer.children[1:-1]
    items: list[NodeOrLeaf] = []
    if inner:
        only = inner[0]
        items = [c for c in only.children if not _is_comma(c)] if only.type == "arglist" else [only]
    positional: list[NodeOrLeaf] = []
    keywords: list[tuple[Leaf, NodeOrLeaf]] = []
    star = False
    for item in items:
        if item.type == "argument" and isinstance(item, BaseNode):
            first = item.children[0]
            if first.type == "operator" and first.value in ("*", "**"):
                star = True
            elif len(item.children) >= 3 and item.children[1].type == "operator" and item.children[1].value == "=":
                keywords.append((first, item.children[2]))
            else:
                positional.append(item)  # a generator argument `f(x for x in y)`
        elif item.type not in ("operator",):
            positional.append(item)
    close = trailer.children[-1]
    return CallShape(node, callee, tuple(positional), tuple(keywords), star, trailer.children[0], close)


def _is_comma(node: NodeOrLeaf) -> bool:
    return node.type == "operator" and getattr(node, "value", "") == ","


def value_of(node: NodeOrLeaf | None) -> str:
    """The text of a leaf (name, operator, keyword); "" for a node."""
    return str(getattr(node, "value", ""))


def name_leaf(node: NodeOrLeaf | None) -> Leaf | None:
    return node if isinstance(node, Leaf) and node.type == "name" else None


def dotted_names(node: NodeOrLeaf) -> tuple[Leaf, ...] | None:
    """`a.b.c` (a name, dotted_name, or atom_expr of attribute trailers) as its name leaves."""
    single = name_leaf(node)
    if single is not None:
        return (single,)
    if node.type == "dotted_name" and isinstance(node, BaseNode):
        found = [leaf for leaf in map(name_leaf, node.children) if leaf is not None]
        return tuple(found) if found else None
    if node.type not in ("atom_expr", "power") or not isinstance(node, BaseNode):
        return None
    head = name_leaf(node.children[0])
    if head is None:
        return None
    names: list[Leaf] = [head]
    for trailer in node.children[1:]:
        if not isinstance(trailer, BaseNode) or trailer.type != "trailer" or len(trailer.children) != 2:
            return None
        attribute = name_leaf(trailer.children[1])
        if attribute is None:
            return None
        names.append(attribute)
    return tuple(names)


class LiteralOf(NamedTuple):
    """The value of a literal expression and what kind of literal it is."""

    value: LiteralValue
    kind: str  # "str" | "bytes" | "int" | "float" | "bool" | "none" | "list" | "dict" | "fstring" | ""
    resolved: bool


UNKNOWN = LiteralOf(None, "", False)


def literal_of(node: NodeOrLeaf) -> LiteralOf:
    """The value of a literal (a string, adjacent strings, a number, -number, True/False/None)."""
    kind = node.type
    if kind == "string":
        return _string_literal(code_of(node))
    if kind == "strings" and isinstance(node, BaseNode):
        parts = [literal_of(child) for child in node.children]
        if all(p.resolved and p.kind == "str" for p in parts):
            return LiteralOf("".join(str(p.value) for p in parts), "str", True)
        if any(p.kind == "bytes" for p in parts):
            return LiteralOf(None, "bytes", False)
        return LiteralOf(None, "fstring" if any(p.kind == "fstring" for p in parts) else "str", False)
    if kind == "fstring":
        return LiteralOf(None, "fstring", False)
    if kind == "number":
        return _number_literal(code_of(node))
    if kind == "keyword":
        value = getattr(node, "value", "")
        if value in ("True", "False"):
            return LiteralOf(value == "True", "bool", True)
        if value == "None":
            return LiteralOf(None, "none", True)
    if kind == "factor" and isinstance(node, BaseNode) and len(node.children) == 2:
        sign, operand = node.children
        inner = literal_of(operand)
        if inner.kind in ("int", "float") and inner.resolved and isinstance(inner.value, int | float):
            value = inner.value
            if getattr(sign, "value", "") == "-":
                value = -value
            return LiteralOf(value, inner.kind, getattr(sign, "value", "") in ("-", "+"))
    if kind == "atom" and isinstance(node, BaseNode) and node.children:
        opener = getattr(node.children[0], "value", "")
        if opener == "[":
            return LiteralOf(None, "list", False)
        if opener == "{":
            inner_node = node.children[1] if len(node.children) > 2 else None
            is_dict = inner_node is None or _is_dict_maker(inner_node)
            return LiteralOf(None, "dict" if is_dict else "set", False)
        if opener == "(" and len(node.children) == 3:
            return literal_of(node.children[1])
    return UNKNOWN


def _is_dict_maker(node: NodeOrLeaf) -> bool:
    if node.type != "dictorsetmaker" or not isinstance(node, BaseNode):
        return False
    return any(getattr(c, "value", "") in (":", "**") for c in node.children)


def _string_literal(code: str) -> LiteralOf:
    match = _STRING_PREFIX.match(code)
    prefix = match.group(0).lower() if match else ""
    if "f" in prefix:
        return LiteralOf(None, "fstring", False)
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return LiteralOf(None, "bytes" if "b" in prefix else "str", False)
    if isinstance(value, bytes):
        return LiteralOf(None, "bytes", False)
    return LiteralOf(value, "str", True) if isinstance(value, str) else UNKNOWN


def _number_literal(code: str) -> LiteralOf:
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
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

    key: NodeOrLeaf | None
    value: NodeOrLeaf


def dict_items(atom: NodeOrLeaf) -> list[DictItem] | None:
    """The items of a dict display `{...}`, or None when `atom` is no dict display."""
    if atom.type != "atom" or not isinstance(atom, BaseNode) or getattr(atom.children[0], "value", "") != "{":
        return None
    if len(atom.children) == 2:
        return []
    maker = atom.children[1]
    if not _is_dict_maker(maker) or not isinstance(maker, BaseNode):
        return None
    items: list[DictItem] = []
    children = maker.children
    index = 0
    while index < len(children):
        child = children[index]
        if getattr(child, "value", "") == "**" and index + 1 < len(children):
            items.append(DictItem(None, children[index + 1]))
            index += 2
        elif index + 2 < len(children) and getattr(children[index + 1], "value", "") == ":":
            items.append(DictItem(child, children[index + 2]))
            index += 3
        elif child.type == "comp_for" or child.type == "sync_comp_for":
            return None  # a dict comprehension: keys are not known
        else:
            index += 1
    return items


def function_params(funcdef: BaseNode) -> list[str]:
    """Parameter names of a def, in order (`self` included)."""
    parameters = funcdef.children[2] if len(funcdef.children) > 2 else None
    if not isinstance(parameters, BaseNode) or parameters.type != "parameters":
        return []
    found: list[str] = []
    for param in parameters.children:
        if param.type == "param" and isinstance(param, BaseNode):
            name = next((leaf for leaf in map(name_leaf, _param_name_nodes(param)) if leaf is not None), None)
            if name is not None:
                found.append(name.value)
    return found


def _param_name_nodes(param: BaseNode) -> list[NodeOrLeaf]:
    """`a`, `a=1`, `*a`, `**a`, `a: T` (tfpdef holds the name and annotation)."""
    first = next((c for c in param.children if c.type != "operator"), None)
    if isinstance(first, BaseNode) and first.type == "tfpdef":
        return [first.children[0]]
    return [first] if first is not None else []


def assignment_targets(stmt: BaseNode) -> list[tuple[NodeOrLeaf, str, NodeOrLeaf | None]]:
    """For an expr_stmt: (target, operator, value) for `a = b = v`, `a += v`, `a: T = v`."""
    children = stmt.children
    if len(children) >= 2 and children[1].type == "annassign" and isinstance(children[1], BaseNode):
        ann = children[1].children
        value = ann[3] if len(ann) >= 4 else None
        return [(children[0], "=", value)]
    operators = [i for i, c in enumerate(children) if c.type == "operator" and _is_assign_op(getattr(c, "value", ""))]
    if not operators:
        return []
    value = children[-1]
    return [(children[i - 1], getattr(children[i], "value", "="), value) for i in operators]


def _is_assign_op(op: str) -> bool:
    return op == "=" or (op.endswith("=") and op not in ("==", "!=", "<=", ">=") and len(op) >= 2)
