"""What names mean in one Python module: imports, functions, their parameters and local bindings."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
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
    walk_scope,
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

    @functools.cached_property
    def calls(self) -> list[ScopedCall]:
        """Every call with a plain dotted callee, in every scope, found in one walk of the module."""
        found: list[ScopedCall] = []
        for scope in [self.module_scope, *self.functions]:
            body = scope.node if scope.is_module else scope.node.children[-1]
            for node in walk_scope(body):
                in_decorator = node.parent is not None and node.parent.type == "decorator"
                found.extend(ScopedCall(scope, call, in_decorator) for call in call_shapes(node))
        return found

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


def index_module(module: Module) -> ModuleIndex:
    module_scope = Scope("", module)
    functions: list[Scope] = []
    _fill_scope(module_scope)
    for funcdef in (n for n in walk(module) if n.type == "funcdef"):
        assert isinstance(funcdef, BaseNode)
        scope = Scope(
            name=getattr(funcdef.children[1], "value", ""),
            node=funcdef,
            params=function_params(funcdef),
            decorators=_decorators(funcdef),
            module_level=_is_module_level(funcdef),
        )
        _fill_scope(scope)
        functions.append(scope)
    aliases, names, nodes = _imports(module)
    return ModuleIndex(module, module_scope, functions, aliases, names, nodes)


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


def _fill_scope(scope: Scope) -> None:
    body = scope.node if scope.is_module else scope.node.children[-1]
    for node in walk_scope(body):
        if node.type == "expr_stmt" and isinstance(node, BaseNode):
            for target, _, value in assignment_targets(node):
                _bind_target(scope, target, value, node.start_pos)
        elif node.type == "global_stmt" and isinstance(node, BaseNode):
            scope.globals_declared.update(value_of(c) for c in node.children if c.type == "name")
        elif node.type in ("for_stmt", "comp_for", "sync_comp_for") and isinstance(node, BaseNode):
            for leaf in walk(node.children[1]):
                if leaf.type == "name":
                    scope.bindings.setdefault(value_of(leaf), []).append(Binding(None, node.start_pos))
        elif node.type in ("with_item", "except_clause") and isinstance(node, BaseNode):
            names = [c for c in node.children if c.type == "name"]
            if len(node.children) >= 3 and names and getattr(node.children[-2], "value", "") == "as":
                scope.bindings.setdefault(value_of(names[-1]), []).append(Binding(None, node.start_pos))
        elif node.type == "namedexpr_test" and isinstance(node, BaseNode) and node.children[0].type == "name":
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


def _imports(module: Module) -> tuple[dict[str, str], dict[str, tuple[str, str]], list[tuple[str, str, Leaf]]]:
    aliases: dict[str, str] = {}
    names: dict[str, tuple[str, str]] = {}
    nodes: list[tuple[str, str, Leaf]] = []
    for node in (n for n in walk(module) if isinstance(n, Import)):
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


@dataclass(frozen=True)
class ExportShape:
    """A def decorated as an extism export or import, with the decorator's call when it has one."""

    scope: Scope
    decorator: NodeOrLeaf


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
