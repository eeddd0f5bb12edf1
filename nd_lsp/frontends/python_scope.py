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


@dataclass(frozen=True)
class Binding:
    """One assignment of a name in a scope; `value` is None when the assigned value is not one node
    (a for target, an import, `a, b = ...`)."""

    value: NodeOrLeaf | None
    at: tuple[int, int]  # parso start position of the statement


@dataclass
class Scope:
    """A function (or the module itself, name "") and what its names are bound to."""

    name: str
    node: BaseNode
    params: list[str] = field(default_factory=list)
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals_declared: set[str] = field(default_factory=set)
    decorators: list[NodeOrLeaf] = field(default_factory=list)
    module_level: bool = False  # a def directly in the module (not in a class or another def)

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


@dataclass(frozen=True)
class ScopedCall:
    scope: Scope
    call: CallShape
    in_decorator: bool  # `@extism.import_fn(...)`: declares, runs no plugin code


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
            if len(scoped.call.callee) == 1:
                by_name.setdefault(scoped.call.callee[0].value, []).append(scoped)
        return by_name

    def scope_of(self, name: str) -> Scope | None:
        """A module-level function by name."""
        return next((s for s in self.functions if s.module_level and s.name == name), None)

    def qualified(self, names: tuple[Leaf, ...], scope: Scope) -> str | None:
        """`t.sleep` -> "time.sleep" through the module's imports; None for a local or unknown name."""
        head = names[0].value
        if scope.binds(head) and not scope.is_module:
            return None
        if self.module_scope.bindings.get(head) and head not in self.module_aliases and head not in self.name_imports:
            return None
        rest = [n.value for n in names[1:]]
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
    walk = _ModuleWalk(module)
    walk.run()
    aliases, names, nodes = _imports(walk.imports)
    every_call = [call for owner in [walk.module_scope, *walk.functions] for call in walk.calls[id(owner)]]
    return ModuleIndex(module, walk.module_scope, walk.functions, aliases, names, nodes, every_call, walk.has_errors)


class _ModuleWalk:
    """The state of `index_module`'s walk: what it found so far."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.module_scope = Scope("", module)
        self.functions: list[Scope] = []  # in source order, nested ones included
        self.calls: dict[int, list[ScopedCall]] = {id(self.module_scope): []}  # by id of their scope
        self.imports: list[Import] = []  # anywhere in the module, in source order
        self.has_errors = False

    def run(self) -> None:
        scope: Scope | None = self.module_scope
        # Only inner nodes go on the stack (leaves are two thirds of a tree); scope changes are marks on it.
        stack: list[BaseNode | _Enter] = [self.module]
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
            in_decorator = node.parent is not None and node.parent.type == "decorator"
            self.calls[id(scope)].extend(ScopedCall(scope, call, in_decorator) for call in call_shapes(node))
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
