"""What names mean in one Python module: imports, functions, their parameters and local bindings."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from parso.python.tree import Import, Module
from parso.tree import BaseNode, Leaf, NodeOrLeaf

from nd_lsp.frontends.extism_python import EXTISM_MODULE
from nd_lsp.frontends.python_syntax import (
    CallShape,
    LiteralOf,
    assignment_targets,
    call_shape,
    call_shapes,
    dotted_names,
    function_params,
    literal_of,
    previous_leaf,
    value_of,
    walk,
)

# parso's import helpers carry no annotations.
_get_paths: Callable[[Import], Any] = operator.methodcaller("get_paths")
_get_defined_names: Callable[[Import], Any] = operator.methodcaller("get_defined_names")

_MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "update", "setdefault", "add", "pop", "popitem", "clear", "remove", "discard"}
)


class Binding:
    """One assignment of a name in a scope; `value` is None when the assigned value is not one node
    (a for target, an import, `a, b = ...`)."""

    # No dataclass: a keystroke makes one per assignment in the module (900 in a 3,000-line plugin), and a
    # frozen dataclass takes three times as long to make.
    __slots__ = ("at", "value")

    def __init__(self, value: NodeOrLeaf | None, at: tuple[int, int]) -> None:
        self.value = value
        self.at = at  # parso start position of the statement


class Scope:
    """A function (or the module itself, name "") and what its names are bound to."""

    # No dataclass: a keystroke makes one per def of the module, and a dataclass costs 0.5 ms to define.
    __slots__ = ("bindings", "decorators", "globals_declared", "module_level", "name", "node", "params")

    def __init__(
        self,
        name: str,
        node: BaseNode,
        params: list[str] | None = None,
        bindings: dict[str, list[Binding]] | None = None,
        globals_declared: set[str] | None = None,
        decorators: list[NodeOrLeaf] | None = None,
        module_level: bool = False,
    ) -> None:
        self.name = name
        self.node = node
        self.params: list[str] = [] if params is None else params
        self.bindings: dict[str, list[Binding]] = {} if bindings is None else bindings
        self.globals_declared: set[str] = set() if globals_declared is None else globals_declared
        self.decorators: list[NodeOrLeaf] = [] if decorators is None else decorators
        self.module_level = module_level  # a def directly in the module (not in a class or another def)

    @property
    def is_module(self) -> bool:
        return self.name == "" and self.node.type == "file_input"

    def binding_before(self, name: str, at: tuple[int, int]) -> Binding | None:
        """The last assignment of `name` that starts before `at` (the first one when none does)."""
        found = self.bindings.get(name, [])
        before = [b for b in found if b.at < at]
        if before:
            return before[-1]
        return found[0] if found else None

    def binds(self, name: str) -> bool:
        return name in self.params or name in self.bindings


class ScopedCall:
    """A call with a plain dotted callee, the scope it sits in, and the names a reader looks it up by.

    Its `CallShape` is read from the tree when first asked for: most calls of a module are only ever
    looked up by name, and re-reading all of them was a tenth of a keystroke on a 3,000-line file.
    """

    # No dataclass: the lazy `call` needs a plain class, which also costs nothing to define at import.
    __slots__ = ("_call", "argument_names", "in_decorator", "names", "node", "scope")

    def __init__(
        self,
        scope: Scope,
        node: BaseNode,
        names: tuple[str, ...],
        argument_names: tuple[str, ...],
        in_decorator: bool,
        call: CallShape | None = None,
    ) -> None:
        self.scope = scope
        self.node = node  # the atom_expr / power holding the call
        self.names = names  # the callee's names: `extism.memory.alloc` -> ("extism", "memory", "alloc")
        self.argument_names = argument_names  # the arguments that are a bare name, positional or keyword
        self.in_decorator = in_decorator  # `@extism.import_fn(...)`: declares, runs no plugin code
        self._call = call

    @classmethod
    def of(cls, scope: Scope, call: CallShape, in_decorator: bool) -> ScopedCall:
        argument_names: list[str] = []
        for argument in call.positional:
            if argument.type == "name" and isinstance(argument, Leaf):
                argument_names.append(argument.value)
        for _, value in call.keywords:
            if value.type == "name" and isinstance(value, Leaf):
                argument_names.append(value.value)
        names = tuple([leaf.value for leaf in call.callee])
        return cls(scope, call.node, names, tuple(argument_names), in_decorator, call)

    @property
    def call(self) -> CallShape:
        if self._call is None:
            shape = call_shape(self.node)
            if shape is None:  # a call carried over from an earlier read onto a node that holds none
                raise LookupError(f"no call at {self.node.start_pos}")
            self._call = shape
        return self._call


@dataclass
class ModuleIndex:
    module: Module
    module_scope: Scope
    functions: list[Scope]
    module_aliases: dict[str, str]  # local name -> module path (`import extism as ex` -> ex: extism)
    name_imports: dict[str, tuple[str, str]]  # local name -> (module path, name) for `from m import n as x`
    # (module path, local name, leaf) for PackageImport facts: `from m import a as b` -> ("m", "b", a)
    import_nodes: list[tuple[str, str, Leaf]]
    # Every call with a plain dotted callee: the module's own, then each function's (in source order).
    calls: list[ScopedCall] = field(default_factory=list)
    has_errors: bool = False  # parso recovered from a syntax error somewhere in the module

    @functools.cached_property
    def calls_by_name(self) -> dict[str, list[ScopedCall]]:
        """Calls of a bare name (`remember(...)`), by that name."""
        by_name: dict[str, list[ScopedCall]] = {}
        for scoped in self.calls:
            if len(scoped.names) == 1:
                by_name.setdefault(scoped.names[0], []).append(scoped)
        return by_name

    def scope_of(self, name: str) -> Scope | None:
        """A module-level function by name."""
        return next((s for s in self.functions if s.module_level and s.name == name), None)

    def qualified(self, names: tuple[Leaf, ...], scope: Scope) -> str | None:
        """`t.sleep` -> "time.sleep" through the module's imports; None for a local or unknown name."""
        return self.qualified_name(tuple(n.value for n in names), scope)

    def qualified_name(self, names: tuple[str, ...], scope: Scope) -> str | None:
        """`qualified` of the names as text."""
        head = names[0]
        if head not in self.module_aliases and head not in self.name_imports:
            return None  # what most calls of a module get: asked first, as it is the cheapest question
        if scope.binds(head) and not scope.is_module:
            return None
        rest = names[1:]
        if head in self.module_aliases:
            return ".".join([self.module_aliases[head], *rest])
        if head in self.name_imports:
            module, name = self.name_imports[head]
            return ".".join([module, name, *rest]) if module else ".".join([name, *rest])
        return None

    def is_extism(self, names: tuple[Leaf, ...], scope: Scope, member: str) -> bool:
        """Whether a dotted name is `extism.<member>` (through any alias), or a bare `<member>` that nothing
        else binds (a half-written file without its import still reads as the author means it)."""
        qualified = self.qualified(names, scope)
        if qualified is not None:
            return qualified == f"{EXTISM_MODULE}.{member}"
        values = [n.value for n in names]
        if values == [EXTISM_MODULE, member] and not self.module_scope.binds(EXTISM_MODULE):
            return True
        return values == [member] and not self.module_scope.binds(member)


# Nodes whose insides belong to no walk of the enclosing scope (a def's body is a scope of its own).
_OWN_SCOPE = frozenset({"funcdef", "classdef", "lambdef"})
# Statements that bind names in the scope they sit in (see `_bind_node`).
_BINDING_TYPES = frozenset(
    {
        "expr_stmt",
        "global_stmt",
        "for_stmt",
        "comp_for",
        "sync_comp_for",
        "with_item",
        "except_clause",
        "namedexpr_test",
        "import_name",
        "import_from",
    }
)


class _Enter:
    """A mark on the walk's stack: the nodes popped after it belong to `scope` (None: to no scope)."""

    __slots__ = ("scope",)  # no dataclass: it needs none of the generated methods, which cost import time

    def __init__(self, scope: Scope | None) -> None:
        self.scope = scope


def index_module(module: Module) -> ModuleIndex:
    """Scopes, bindings, imports, calls and syntax errors of a module, found in one walk of its tree
    (a keystroke re-reads the whole module, so each extra walk of a 3,000-line file costs milliseconds).

    A scope sees its own statements: the module's top level and the decorators of its defs, or a def's
    body. Class bodies, lambdas and a def's header belong to no scope's walk.
    """
    walk = ModuleWalk(module)
    walk.run(module)
    return walk.index()


class ModuleWalk:
    """The state of `index_module`'s walk: what it found so far. Walking the module's top-level
    statements one by one, in order, finds what one walk of the module finds."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.module_scope = Scope("", module)
        self.functions: list[Scope] = []  # in source order, nested ones included
        self.calls: dict[int, list[ScopedCall]] = {id(self.module_scope): []}  # by id of their scope
        self.imports: list[Import] = []  # anywhere in the module, in source order
        self.has_errors = False

    def index(self) -> ModuleIndex:
        aliases, names, nodes = _imports(self.imports)
        every_call = [call for owner in [self.module_scope, *self.functions] for call in self.calls[id(owner)]]
        return ModuleIndex(
            self.module, self.module_scope, self.functions, aliases, names, nodes, every_call, self.has_errors
        )

    def add(self, other: ModuleWalk) -> None:
        """Add what `other` found, walking a later statement of the same module, as if this walk had."""
        self.functions += other.functions
        for scope in other.functions:
            self.calls[id(scope)] = other.calls[id(scope)]
        module_scope = self.module_scope
        for name, bindings in other.module_scope.bindings.items():
            module_scope.bindings.setdefault(name, []).extend(bindings)
        module_scope.globals_declared.update(other.module_scope.globals_declared)
        self.calls[id(module_scope)] += [
            ScopedCall(module_scope, c.node, c.names, c.argument_names, c.in_decorator, c.call)
            for c in other.calls[id(other.module_scope)]
        ]
        self.imports += other.imports
        self.has_errors = self.has_errors or other.has_errors

    def run(self, root: BaseNode) -> None:
        """Walk `root`: the module, or one of its top-level statements."""
        scope: Scope | None = self.module_scope
        # Only inner nodes go on the stack (leaves are two thirds of a tree); scope changes are marks on it.
        stack: list[BaseNode | _Enter] = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, _Enter):
                scope = node.scope
                continue
            kind = node.type
            if kind in _OWN_SCOPE:
                self._enter_definition(node, scope, stack)
                continue
            if kind == "error_node":
                self.has_errors = True
            elif scope is not None and (kind in _BINDING_TYPES or kind == "atom_expr" or kind == "power"):
                self._visit(node, scope)
            elif isinstance(node, Import):
                self.imports.append(node)
            for child in reversed(node.children):
                if isinstance(child, BaseNode):
                    stack.append(child)
                elif child.type == "error_leaf":
                    self.has_errors = True

    def _enter_definition(self, node: BaseNode, scope: Scope | None, stack: list[BaseNode | _Enter]) -> None:
        """A def, class or lambda: its header (and a class's or lambda's body) belongs to no scope, a def's
        body to the def's own scope; after it the walk goes on in `scope`."""
        children = node.children
        body_scope: Scope | None = None
        if node.type == "funcdef":
            body_scope = _function_scope(node)
            self.functions.append(body_scope)
            self.calls[id(body_scope)] = []
        # Popped in order: the header, the body, then the mark back to `scope`.
        stack += (_Enter(scope), *_inner_nodes(children[-1:]), _Enter(body_scope))
        stack += (*_inner_nodes(reversed(children[:-1])), _Enter(None))
        self.has_errors = self.has_errors or any(child.type == "error_leaf" for child in children)

    def _visit(self, node: BaseNode, scope: Scope) -> None:
        """A statement that binds names, or a call, seen by `scope`."""
        kind = node.type
        if kind == "atom_expr" or kind == "power":
            call = call_shape(node)
            if call is not None:
                in_decorator = node.parent is not None and node.parent.type == "decorator"
                self.calls[id(scope)].append(ScopedCall.of(scope, call, in_decorator))
            return
        _bind_node(scope, node)
        if isinstance(node, Import):
            self.imports.append(node)


def _inner_nodes(nodes: Iterable[NodeOrLeaf]) -> list[BaseNode]:
    return [node for node in nodes if isinstance(node, BaseNode)]


def _function_scope(funcdef: BaseNode) -> Scope:
    return Scope(
        name=getattr(funcdef.children[1], "value", ""),
        node=funcdef,
        params=function_params(funcdef),
        decorators=_decorators(funcdef),
        module_level=_is_module_level(funcdef),
    )


def _is_module_level(funcdef: BaseNode) -> bool:
    parent = funcdef.parent
    while parent is not None and parent.type in ("decorated", "async_stmt", "async_funcdef"):
        parent = parent.parent
    return parent is not None and parent.type == "file_input"


def _decorators(funcdef: BaseNode) -> list[NodeOrLeaf]:
    parent = funcdef.parent
    if parent is None or parent.type != "decorated" or not isinstance(parent, BaseNode):
        return []
    first = parent.children[0]
    found = [first] if first.type == "decorator" else []
    if first.type == "decorators" and isinstance(first, BaseNode):
        found = list(first.children)
    # Each decorator node: '@', expression, newline.
    return [d.children[1] for d in found if isinstance(d, BaseNode) and len(d.children) >= 2]


def _bind_node(scope: Scope, node: BaseNode) -> None:
    """Record the names one statement of `scope` binds."""
    kind = node.type
    if kind == "expr_stmt":
        for target, _, value in assignment_targets(node):
            _bind_target(scope, target, value, node.start_pos)
    elif kind == "global_stmt":
        scope.globals_declared.update(value_of(c) for c in node.children if c.type == "name")
    elif kind in ("for_stmt", "comp_for", "sync_comp_for"):
        for leaf in walk(node.children[1]):
            if leaf.type == "name":
                scope.bindings.setdefault(value_of(leaf), []).append(Binding(None, node.start_pos))
    elif kind in ("with_item", "except_clause"):
        names = [c for c in node.children if c.type == "name"]
        if len(node.children) >= 3 and names and getattr(node.children[-2], "value", "") == "as":
            scope.bindings.setdefault(value_of(names[-1]), []).append(Binding(None, node.start_pos))
    elif kind == "namedexpr_test" and node.children[0].type == "name":
        scope.bindings.setdefault(value_of(node.children[0]), []).append(Binding(node.children[2], node.start_pos))
    elif isinstance(node, Import) and not scope.is_module:
        for leaf in _defined_names(node):
            scope.bindings.setdefault(leaf.value, []).append(Binding(None, node.start_pos))


def _bind_target(scope: Scope, target: NodeOrLeaf, value: NodeOrLeaf | None, at: tuple[int, int]) -> None:
    if target.type == "name":
        scope.bindings.setdefault(value_of(target), []).append(Binding(value, at))
    elif target.type in ("testlist_star_expr", "exprlist", "atom", "testlist") and isinstance(target, BaseNode):
        for leaf in target.children:
            if leaf.type == "name":
                scope.bindings.setdefault(value_of(leaf), []).append(Binding(None, at))


def _imports(
    imports: list[Import],
) -> tuple[dict[str, str], dict[str, tuple[str, str]], list[tuple[str, str, Leaf]]]:
    """What the module's import statements (anywhere in it, in source order) bind and import."""
    aliases: dict[str, str] = {}
    names: dict[str, tuple[str, str]] = {}
    nodes: list[tuple[str, str, Leaf]] = []
    for node in imports:
        try:
            paths: list[list[Leaf]] = _get_paths(node)
            defined = _defined_names(node)
        except (AttributeError, IndexError, ValueError):
            continue  # a half-written import
        if node.type == "import_name":
            for path, local in zip(paths, defined, strict=False):
                dotted = ".".join(p.value for p in path)
                # `import a.b` binds `a`; `import a.b as c` binds c to a.b.
                aliases[local.value] = dotted if _has_alias(local) else path[0].value
                nodes.append((dotted, local.value, path[-1]))
        else:
            level = "." * int(getattr(node, "level", 0))
            for path, local in zip(paths, defined, strict=False):
                module_path = level + ".".join(p.value for p in path[:-1])
                names[local.value] = (module_path, path[-1].value)
                # The module is what is imported; the span is the imported name, even when renamed.
                nodes.append((module_path, local.value, path[-1]))
    return aliases, names, nodes


def _has_alias(local: Leaf) -> bool:
    previous = previous_leaf(local)
    return previous is not None and previous.type == "keyword" and previous.value == "as"


def _defined_names(node: Import) -> list[Leaf]:
    return list(_get_defined_names(node))


def decorator_named(index: ModuleIndex, scope: Scope, member: str) -> NodeOrLeaf | None:
    """The decorator of `scope` that is `extism.<member>` (called or not), if any."""
    for decorator in scope.decorators:
        names = dotted_names(decorator)
        if names is None:
            calls = list(call_shapes(decorator))
            names = calls[0].callee if calls else None
        if names is not None and index.is_extism(names, index.module_scope, member):
            return decorator
    return None


def constant_value(index: ModuleIndex, name: str) -> tuple[LiteralOf, NodeOrLeaf] | None:
    """A module-level name assigned exactly once, to a literal, and never rebound by a function."""
    bindings = index.module_scope.bindings.get(name, [])
    if len(bindings) != 1 or bindings[0].value is None or name in index.module_aliases or name in index.name_imports:
        return None
    if any(name in f.globals_declared for f in index.functions):
        return None
    literal = literal_of(bindings[0].value)
    if not literal.resolved and literal.kind != "bytes":
        return None
    return literal, bindings[0].value


def is_mutating_call(name: str) -> bool:
    return name in _MUTATING_METHODS
