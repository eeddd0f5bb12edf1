"""A Python module cut into its top-level statements, with what the scope walk found in each kept across edits."""

# A keystroke changes one top-level statement; the others keep their text and at most move. Walking every
# statement of a 3,000-line plugin again took about 10 ms of a keystroke, so what the walk finds in a
# statement is kept, keyed by the statement's text, and a statement with the same text next time gets it
# back without a walk. Nodes are kept as byte ranges from the statement's first byte (with their type),
# never as nodes: a node of the previous tree carries the previous tree's positions. A kept record is
# turned back into scopes, bindings and calls over the current tree; a range that does not lead to a node
# of the recorded type sends the statement back to the walk.
# A first read (all `nd-lsp check` does) keeps what the walk found as it found it, over its own tree (which
# stays as it was: see `IncrementalParser`), and the next read of the path makes the records of it. Making
# them took a fifth of a first read's index; the first keystroke after a file is opened pays that instead.
# A first read of a file without syntax errors walks the module at once rather than statement by statement
# (a walk of each of hundreds of statements cost a tenth of the walk), and the next read splits what it
# found into the statements.

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path

from tree_sitter import Node

from nd_lsp.frontends.python_parse import ParsedPython
from nd_lsp.frontends.python_scope import Binding, ModuleIndex, ModuleWalk, Scope, ScopedCall
from nd_lsp.frontends.recent import Recent

# How many files' records are kept: the files a user is editing (as for their syntax trees).
MAX_FILES = 8

# A node as its byte range from the first byte of its top-level statement, and its type.
_Ref = tuple[int, int, str]
# The bindings of one name, in source order: the name, then for each (the bound value or None, the byte of
# its statement from the top-level statement's first byte).
_BindingRecord = tuple[str, tuple[tuple[_Ref | None, int], ...]]
# One call: (index of its function in the statement's functions, -1 for the module; the call node; its
# callee's names; its bare-name arguments; whether it is a decorator).
_CallRecord = tuple[int, _Ref, tuple[str, ...], tuple[str, ...], bool]


class _Mismatch(Exception):
    """A record that does not fit the current tree of its statement."""


class _FunctionRecord:
    """A def's scope (see `Scope`) with its nodes as ranges."""

    # No dataclasses here: each costs about a tenth of a millisecond to define at import.
    __slots__ = ("bindings", "decorators", "funcdef", "globals_declared", "module_level", "name", "params")

    def __init__(self, scope: Scope, base: int) -> None:
        self.funcdef = _ref(scope.node, base)
        self.name = scope.name
        self.params = tuple(scope.params)
        self.decorators = tuple(_ref(decorator, base) for decorator in scope.decorators)
        self.module_level = scope.module_level
        self.globals_declared = tuple(scope.globals_declared)
        self.bindings = _binding_records(scope, base)


class _StatementRecord:
    """What the walk found in one top-level statement without syntax errors."""

    __slots__ = ("calls", "functions", "imports", "module_bindings", "module_globals")

    def __init__(self, walk: ModuleWalk, base: int) -> None:
        slots = {id(scope): index for index, scope in enumerate(walk.functions)}
        slots[id(walk.module_scope)] = -1
        self.functions = tuple(_FunctionRecord(scope, base) for scope in walk.functions)
        self.module_bindings = _binding_records(walk.module_scope, base)
        self.module_globals = tuple(walk.module_scope.globals_declared)
        self.calls: tuple[_CallRecord, ...] = tuple(
            (slots[id(owner)], _ref(scoped.node, base), scoped.names, scoped.argument_names, scoped.in_decorator)
            for owner in (walk.module_scope, *walk.functions)
            for scoped in walk.calls[id(owner)]
        )
        self.imports = tuple(_ref(node, base) for node in walk.imports)


class _Walked:
    """What the walk found in one top-level statement without syntax errors, not yet made a record."""

    __slots__ = ("base", "walk")

    def __init__(self, walk: ModuleWalk, base: int) -> None:
        self.walk = walk
        self.base = base  # the statement's first byte

    def record(self) -> _StatementRecord:
        return _StatementRecord(self.walk, self.base)


class _WholeWalk:
    """What the walk of a whole module without syntax errors found on the first read of its path, not yet split
    into its top-level statements."""

    __slots__ = ("source", "walk")

    def __init__(self, walk: ModuleWalk, source: bytes) -> None:
        self.walk = walk
        self.source = source

    def split(self) -> dict[bytes, _StatementRecord | _Walked]:
        """What the walk found in each top-level statement, as a walk of that statement alone finds it (see
        `index_file`), by the statement's key."""
        walk = self.walk
        statements = [s for s in walk.root.children if s.is_named and s.type != "comment"]
        starts = [statement.start_byte for statement in statements]
        parts = [ModuleWalk(walk.root) for _ in statements]
        if walk.module_scope.globals_declared:  # `global` at the top level (no use there): not told apart
            for part, statement in zip(parts, statements, strict=True):
                part.run(statement)
            return {_key(self.source, s): _Walked(p, s.start_byte) for s, p in zip(statements, parts, strict=True)}

        def part_of(at: int) -> ModuleWalk:
            return parts[bisect_right(starts, at) - 1]

        for scope in walk.functions:
            part = part_of(scope.node.start_byte)
            part.functions.append(scope)
            part.calls[id(scope)] = walk.calls[id(scope)]
        for scoped in walk.calls[id(walk.module_scope)]:
            part = part_of(scoped.node.start_byte)
            part.calls[id(part.module_scope)].append(scoped)
        for name, bindings in walk.module_scope.bindings.items():
            for binding in bindings:
                part_of(binding.at).module_scope.bindings.setdefault(name, []).append(binding)
        for node in walk.imports:
            part_of(node.start_byte).imports.append(node)
        return {_key(self.source, s): _Walked(p, s.start_byte) for s, p in zip(statements, parts, strict=True)}


# The statement records of each recently read file, by path: a reader takes a file's records and hands
# back those of the text it read.
_RECORDS: Recent[Path, dict[bytes, _StatementRecord | _Walked] | _WholeWalk] = Recent(MAX_FILES)


def index_file(path: Path, parsed: ParsedPython, source: bytes) -> ModuleIndex:
    """The `ModuleIndex` of the syntax of `path` (parsed from `source`), reusing what the previous read of the
    same path found in the top-level statements whose text has not changed.

    The first read of a path keeps what the walk found in its statements, and the next read makes the records
    of them.
    """
    kept = _RECORDS.take(path)
    root = parsed.module
    walk = ModuleWalk(root)
    if kept is None and not parsed.has_error:
        walk.run(root)
        _RECORDS.put(path, _WholeWalk(walk, source))
        return walk.index(has_errors=False)
    known = kept.split() if isinstance(kept, _WholeWalk) else kept or {}
    records: dict[bytes, _StatementRecord | _Walked] = {}
    for statement in parsed.statements():
        kind = statement.type
        if kind == "comment" or not statement.is_named:
            continue
        start = statement.start_byte
        key = _key(source, statement)
        record = known.get(key) or records.get(key)
        if isinstance(record, _Walked):
            record = record.record()
        if record is None or not _replay(walk, statement, record):
            alone = ModuleWalk(root)
            alone.run(statement)
            walk.add(alone)
            if statement.has_error:
                continue  # broken code: error recovery may read the same text otherwise next time
            records[key] = _Walked(alone, start)
            continue
        records[key] = record
    _RECORDS.put(path, records)
    return walk.index(has_errors=parsed.has_error)


def _key(source: bytes, statement: Node) -> bytes:
    """What a statement's record is kept by: its type and text."""
    return statement.type.encode() + b"\0" + source[statement.start_byte : statement.end_byte]


def _replay(walk: ModuleWalk, statement: Node, record: _StatementRecord) -> bool:
    """Add what `record` says about `statement` to `walk`, as walking it would; False (and `walk`
    unchanged) when the record does not fit the statement's tree."""
    base = statement.start_byte
    try:
        functions = [_function_scope(statement, function, base) for function in record.functions]
        module_bindings = _bindings(statement, record.module_bindings, base)
        calls: list[ScopedCall] = []
        for slot, ref, names, argument_names, in_decorator in record.calls:
            scope = functions[slot] if slot >= 0 else walk.module_scope
            # The call's shape is left to be read when asked for (see `ScopedCall`).
            calls.append(ScopedCall(scope, _resolve(statement, ref, base), names, argument_names, in_decorator))
        imports = [_resolve(statement, ref, base) for ref in record.imports]
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


def _function_scope(statement: Node, function: _FunctionRecord, base: int) -> Scope:
    return Scope(
        function.name,
        _resolve(statement, function.funcdef, base),
        list(function.params),
        _bindings(statement, function.bindings, base),
        set(function.globals_declared),
        [_resolve(statement, decorator, base) for decorator in function.decorators],
        function.module_level,
    )


def _bindings(statement: Node, records: tuple[_BindingRecord, ...], base: int) -> dict[str, list[Binding]]:
    return {
        name: [
            Binding(None if value is None else _resolve(statement, value, base), base + at) for value, at in bindings
        ]
        for name, bindings in records
    }


def _binding_records(scope: Scope, base: int) -> tuple[_BindingRecord, ...]:
    return tuple(
        (name, tuple((None if b.value is None else _ref(b.value, base), b.at - base) for b in bindings))
        for name, bindings in scope.bindings.items()
    )


def _ref(node: Node, base: int) -> _Ref:
    return node.start_byte - base, node.end_byte - base, node.type


def _resolve(statement: Node, ref: _Ref, base: int) -> Node:
    """The node of `statement` with the recorded range and type."""
    start, end, kind = ref
    start += base
    end += base
    node: Node | None = statement.descendant_for_byte_range(start, end)
    # The innermost node over the range: climb to the one of the recorded type, as long as it is the range.
    while node is not None and node.start_byte == start and node.end_byte == end:
        if node.type == kind:
            return node
        node = node.parent
    raise _Mismatch
