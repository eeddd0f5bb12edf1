"""A Python module cut into its top-level statements, with what the scope walk found in each kept across edits."""

# A keystroke changes one top-level statement; the others keep their text and at most move by whole lines.
# Walking the whole tree of a 3,000-line plugin took about 10 ms of a 20 ms keystroke, so what the walk
# finds in a statement is kept, keyed by the statement's text, and a statement with the same text next
# time gets it back without a walk (about 2.5 ms for the whole plugin). It is kept as paths (child
# indexes from the statement's node), never as nodes: parso's diff parser moves the old tree's nodes into
# the new tree and rebuilds parts of them in place, so an old node may no longer be where it was. A kept
# record is turned back into scopes, bindings and calls over the current tree; any path that does not
# lead to a node of the recorded type sends the statement back to the walk.

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from parso.python.tree import Import, Module
from parso.tree import BaseNode, NodeOrLeaf

from nd_lsp.frontends.python_scope import Binding, ModuleIndex, ModuleWalk, Scope, ScopedCall

# How many files' records are kept: the files a user is editing (as for their syntax trees).
MAX_FILES = 8

# A node as the path of child indexes from its top-level statement, and the node's type there.
_Ref = tuple[tuple[int, ...], str]
# The bindings of one name, in source order: the name, then for each (the bound value or None, line from
# the statement's first line, column).
_BindingRecord = tuple[str, tuple[tuple[_Ref | None, int, int], ...]]
# One call: (index of its function in the statement's functions, -1 for the module; the call node; its
# callee's names; its bare-name arguments; whether it is a decorator).
_CallRecord = tuple[int, _Ref, tuple[str, ...], tuple[str, ...], bool]


class _Mismatch(Exception):
    """A record that does not fit the current tree of its statement."""


class _FunctionRecord:
    """A def's scope (see `Scope`) with its nodes as paths."""

    # No dataclasses here: each costs about half a millisecond to define at import.
    __slots__ = ("bindings", "decorators", "funcdef", "globals_declared", "module_level", "name", "params")

    def __init__(self, scope: Scope, statement: BaseNode, first_line: int) -> None:
        self.funcdef = _ref(statement, scope.node)
        self.name = scope.name
        self.params = tuple(scope.params)
        self.decorators = tuple(_ref(statement, decorator) for decorator in scope.decorators)
        self.module_level = scope.module_level
        self.globals_declared = tuple(scope.globals_declared)
        self.bindings = _binding_records(scope, statement, first_line)


class _StatementRecord:
    """What the walk found in one top-level statement without syntax errors."""

    __slots__ = ("calls", "functions", "imports", "module_bindings", "module_globals")

    def __init__(self, walk: ModuleWalk, statement: BaseNode) -> None:
        first_line = statement.start_pos[0]
        slots = {id(scope): index for index, scope in enumerate(walk.functions)}
        slots[id(walk.module_scope)] = -1
        self.functions = tuple(_FunctionRecord(scope, statement, first_line) for scope in walk.functions)
        self.module_bindings = _binding_records(walk.module_scope, statement, first_line)
        self.module_globals = tuple(walk.module_scope.globals_declared)
        self.calls: tuple[_CallRecord, ...] = tuple(
            (slots[id(owner)], _ref(statement, scoped.node), scoped.names, scoped.argument_names, scoped.in_decorator)
            for owner in (walk.module_scope, *walk.functions)
            for scoped in walk.calls[id(owner)]
        )
        self.imports = tuple(_ref(statement, node) for node in walk.imports)


class _Records:
    """The statement records of each recently read file, by path (a bounded, least recently used memory).
    A reader takes a file's records and hands back those of the text it read."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._files: OrderedDict[Path, dict[str, _StatementRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, path: Path) -> dict[str, _StatementRecord] | None:
        with self._lock:
            return self._files.pop(path, None)

    def keep(self, path: Path, records: dict[str, _StatementRecord]) -> None:
        with self._lock:
            self._files[path] = records
            while len(self._files) > self._capacity:
                self._files.popitem(last=False)


_RECORDS = _Records(MAX_FILES)


def index_file(path: Path, module: Module, lines: list[str]) -> ModuleIndex:
    """`index_module` of the tree of `path` (parsed from `lines`), reusing what the previous read of the
    same path found in the top-level statements whose text has not changed.

    The first read of a path records its statements too (measured: 17 ms instead of 10 ms for a
    3,000-line module, next to 120 ms for parsing it), so that the first keystroke after the editor
    opened the file is as quick as the next ones.
    """
    known = _RECORDS.take(path) or {}
    walk = ModuleWalk(module)
    records: dict[str, _StatementRecord] = {}
    children = module.children
    starts = [child.start_pos for child in children]
    for number, statement in enumerate(children):
        if not isinstance(statement, BaseNode):
            walk.has_errors = walk.has_errors or statement.type == "error_leaf"
            continue
        end = starts[number + 1] if number + 1 < len(starts) else statement.end_pos
        key = _key(statement.type, lines, starts[number][0], end)
        record = known.get(key) or records.get(key)
        if record is None or not _replay(walk, statement, record):
            alone = ModuleWalk(module)
            alone.run(statement)
            walk.add(alone)
            if alone.has_errors:
                continue  # broken code: parso's error recovery may read the same text otherwise next time
            record = _StatementRecord(alone, statement)
        records[key] = record
    _RECORDS.keep(path, records)
    return walk.index()


def _key(kind: str, lines: list[str], first_line: int, end: tuple[int, int]) -> str:
    """A statement's text: from the start of its first line to where the next statement starts (so with
    the comments and blank lines after it), with its type (parso makes a lone `x = 1` at the end of a file
    an expr_stmt, with a newline after it a simple_stmt)."""
    end_line, end_column = end
    return kind + "\0" + "".join(lines[first_line - 1 : end_line - 1]) + lines[end_line - 1][:end_column]


def _replay(walk: ModuleWalk, statement: BaseNode, record: _StatementRecord) -> bool:
    """Add what `record` says about `statement` to `walk`, as walking it would; False (and `walk`
    unchanged) when the record does not fit the statement's tree."""
    first_line = statement.start_pos[0]
    try:
        functions = [_function_scope(statement, function, first_line) for function in record.functions]
        module_bindings = _bindings(statement, record.module_bindings, first_line)
        calls: list[ScopedCall] = []
        for slot, ref, names, argument_names, in_decorator in record.calls:
            node = _resolve(statement, ref)
            if not isinstance(node, BaseNode):
                raise _Mismatch
            scope = functions[slot] if slot >= 0 else walk.module_scope
            # The call's shape is left to be read when asked for (see `ScopedCall`).
            calls.append(ScopedCall(scope, node, names, argument_names, in_decorator))
        imports = [_import(statement, node) for node in record.imports]
    except _Mismatch:
        return False
    for scope in functions:
        walk.functions.append(scope)
        walk.calls[id(scope)] = []
    module_scope = walk.module_scope
    for name, bindings in module_bindings.items():
        module_scope.bindings.setdefault(name, []).extend(bindings)
    module_scope.globals_declared.update(record.module_globals)
    for scoped in calls:
        walk.calls[id(scoped.scope)].append(scoped)
    walk.imports += imports
    return True


def _import(statement: BaseNode, ref: _Ref) -> Import:
    node = _resolve(statement, ref)
    if not isinstance(node, Import):
        raise _Mismatch
    return node


def _function_scope(statement: BaseNode, function: _FunctionRecord, first_line: int) -> Scope:
    funcdef = _resolve(statement, function.funcdef)
    if not isinstance(funcdef, BaseNode):
        raise _Mismatch
    decorators = [_resolve(statement, decorator) for decorator in function.decorators] if function.decorators else []
    return Scope(
        function.name,
        funcdef,
        list(function.params),
        _bindings(statement, function.bindings, first_line),
        set(function.globals_declared),
        decorators,
        function.module_level,
    )


def _bindings(statement: BaseNode, records: tuple[_BindingRecord, ...], first_line: int) -> dict[str, list[Binding]]:
    return {
        name: [
            Binding(None if value is None else _resolve(statement, value), (first_line + line, column))
            for value, line, column in bindings
        ]
        for name, bindings in records
    }


def _binding_records(scope: Scope, statement: BaseNode, first_line: int) -> tuple[_BindingRecord, ...]:
    return tuple(
        (name, tuple((_value_ref(statement, b.value), b.at[0] - first_line, b.at[1]) for b in bindings))
        for name, bindings in scope.bindings.items()
    )


def _ref(statement: BaseNode, node: NodeOrLeaf) -> _Ref:
    path: list[int] = []
    current = node
    while current is not statement:
        parent = current.parent
        if parent is None:
            raise ValueError("a node outside its statement")
        # `index` finds `current` itself: parso's leaves equal a string or only themselves.
        path.append(parent.children.index(current))
        current = parent
    return tuple(reversed(path)), node.type


def _value_ref(statement: BaseNode, value: NodeOrLeaf | None) -> _Ref | None:
    return None if value is None else _ref(statement, value)


def _resolve(statement: BaseNode, ref: _Ref) -> NodeOrLeaf:
    path, kind = ref
    node: NodeOrLeaf = statement
    try:
        for index in path:
            node = node.children[index]  # type: ignore[attr-defined]
    except (AttributeError, IndexError):
        raise _Mismatch from None
    if node.type != kind:
        raise _Mismatch
    return node
