"""What names mean in one Python module: imports, functions, their parameters and local bindings."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from tree_sitter import Node, Query, QueryCursor

from nd_lsp.frontends.extism_python import EXTISM_MODULE
from nd_lsp.frontends.python_syntax import (
    OWN_SCOPE,
    UNPACKING,
    CallShape,
    LiteralOf,
    assignment_targets,
    call_shape,
    call_shapes,
    dotted_names,
    function_params,
    is_assignment,
    literal_of,
    python_language,
    text_of,
)
from nd_lsp.frontends.source_order import in_source_order, walk

_MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "update", "setdefault", "add", "pop", "popitem", "clear", "remove", "discard"}
)


class Binding:
    """One assignment of a name in a scope; `value` is None when the assigned value is not one node
    (a for target, an import, `a, b = ...`)."""

    # No dataclass: a keystroke makes one per assignment in the module (900 in a 3,000-line plugin), and a
    # frozen dataclass takes three times as long to make.
    __slots__ = ("at", "value")

    def __init__(self, value: Node | None, at: int) -> None:
        self.value = value
        self.at = at  # start byte of the statement


class Scope:
    """A function (or the module itself, name "") and what its names are bound to."""

    # No dataclass: a keystroke makes one per def of the module, and a dataclass costs 0.5 ms to define.
    __slots__ = ("bindings", "decorators", "globals_declared", "module_level", "name", "node", "params")

    def __init__(
        self,
        name: str,
        node: Node,
        params: list[str] | None = None,
        bindings: dict[str, list[Binding]] | None = None,
        globals_declared: set[str] | None = None,
        decorators: list[Node] | None = None,
        module_level: bool = False,
    ) -> None:
        self.name = name
        self.node = node
        self.params: list[str] = [] if params is None else params
        self.bindings: dict[str, list[Binding]] = {} if bindings is None else bindings
        self.globals_declared: set[str] = set() if globals_declared is None else globals_declared
        self.decorators: list[Node] = [] if decorators is None else decorators
        self.module_level = module_level  # a def directly in the module (not in a class or another def)

    @property
    def is_module(self) -> bool:
        return self.name == "" and self.node.type == "module"

    def binding_before(self, name: str, at: int) -> Binding | None:
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
        node: Node,
        names: tuple[str, ...],
        argument_names: tuple[str, ...],
        in_decorator: bool,
        call: CallShape | None = None,
    ) -> None:
        self.scope = scope
        self.node = node  # the `call` node
        self.names = names  # the callee's names: `extism.memory.alloc` -> ("extism", "memory", "alloc")
        self.argument_names = argument_names  # the arguments that are a bare name, positional or keyword
        self.in_decorator = in_decorator  # `@extism.import_fn(...)`: declares, runs no plugin code
        self._call = call

    @classmethod
    def of(cls, scope: Scope, call: CallShape, in_decorator: bool) -> ScopedCall:
        argument_names: list[str] = []
        for argument in call.positional:
            if argument.type == "identifier":
                argument_names.append(text_of(argument))
        for _, value in call.keywords:
            if value.type == "identifier":
                argument_names.append(text_of(value))
        names = tuple([text_of(leaf) for leaf in call.callee])
        return cls(scope, call.node, names, tuple(argument_names), in_decorator, call)

    @property
    def call(self) -> CallShape:
        if self._call is None:
            shape = call_shape(self.node)
            if shape is None:  # a call carried over from an earlier read onto a node that holds none
                raise LookupError(f"no call at byte {self.node.start_byte}")
            self._call = shape
        return self._call


@dataclass
class ModuleIndex:
    module: Node  # the tree's root
    module_scope: Scope
    functions: list[Scope]
    module_aliases: dict[str, str]  # local name -> module path (`import extism as ex` -> ex: extism)
    name_imports: dict[str, tuple[str, str]]  # local name -> (module path, name) for `from m import n as x`
    # (module path, local name, name node) for PackageImport facts: `from m import a as b` -> ("m", "b", a)
    import_nodes: list[tuple[str, str, Node]]
    # Every call with a plain dotted callee: the module's own, then each function's (in source order).
    calls: list[ScopedCall] = field(default_factory=list)
    has_errors: bool = False  # tree-sitter recovered from a syntax error somewhere in the module

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

    def qualified(self, names: tuple[Node, ...], scope: Scope) -> str | None:
        """`t.sleep` -> "time.sleep" through the module's imports; None for a local or unknown name."""
        return self.qualified_name(tuple(text_of(n) for n in names), scope)

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

    def is_extism(self, names: tuple[Node, ...], scope: Scope, member: str) -> bool:
        """Whether a dotted name is `extism.<member>` (through any alias), or a bare `<member>` that nothing
        else binds (a half-written file without its import still reads as the author means it)."""
        qualified = self.qualified(names, scope)
        if qualified is not None:
            return qualified == f"{EXTISM_MODULE}.{member}"
        values = [text_of(n) for n in names]
        if values == [EXTISM_MODULE, member] and not self.module_scope.binds(EXTISM_MODULE):
            return True
        return values == [member] and not self.module_scope.binds(member)


# Statements that bind names in the scope they sit in (see `_bind_node`).
_BINDING_TYPES = frozenset(
    {
        "assignment",
        "augmented_assignment",
        "global_statement",
        "for_statement",
        "for_in_clause",
        "with_item",
        "except_clause",
        "named_expression",
    }
)
IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
# Every kind the walk acts on, found by one query (in C) instead of a Python walk of every node.
_WALKED_KINDS = OWN_SCOPE | _BINDING_TYPES | IMPORTS | {"call"}


@functools.lru_cache(maxsize=1)
def _walked_query() -> Query:
    query: Query = Query(python_language(), "[" + " ".join(f"({kind})" for kind in sorted(_WALKED_KINDS)) + "] @node")
    return query


class ModuleWalk:
    """Scopes, bindings, imports and calls of a module, found in one pass over the nodes that matter (see
    `python_units.index_file`): what the pass found so far. Walking the module's top-level statements one by
    one, in order, finds what one walk of the module finds.

    A scope sees its own statements: the module's top level and the decorators of its defs, or a def's
    body. Class bodies, lambdas and a def's header belong to no scope's walk.
    """

    def __init__(self, root: Node) -> None:
        self.root = root
        self.module_scope = Scope("", root)
        self.functions: list[Scope] = []  # in source order, nested ones included
        self.calls: dict[int, list[ScopedCall]] = {id(self.module_scope): []}  # by id of their scope
        self.imports: list[Node] = []  # anywhere in the module, in source order

    def index(self, has_errors: bool) -> ModuleIndex:
        aliases, names, nodes = _imports(self.imports)
        every_call = [call for owner in [self.module_scope, *self.functions] for call in self.calls[id(owner)]]
        return ModuleIndex(self.root, self.module_scope, self.functions, aliases, names, nodes, every_call, has_errors)

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

    def run(self, root: Node) -> None:
        """Visit the nodes of `root` (the module, or one of its top-level statements) the index needs, in
        source order, each in the scope it belongs to.

        Regions of the source whose nodes belong to another scope (a def's body) or to none (a def's
        header, a class, a lambda) are kept on a stack, innermost last, by the byte where they end.
        """
        nodes = in_source_order(QueryCursor(_walked_query()).captures(root).get("node", []))
        regions: list[tuple[int, Scope | None]] = []  # (end byte, scope of the nodes before it)
        for node in nodes:
            start = node.start_byte
            while regions and start >= regions[-1][0]:
                regions.pop()
            scope = regions[-1][1] if regions else self.module_scope
            kind = node.type
            if kind in OWN_SCOPE:
                self._enter_definition(node, regions)
                continue
            if kind in IMPORTS:
                self.imports.append(node)
                if scope is not None and not scope.is_module:
                    _bind_import(scope, node)
            elif scope is None:
                continue
            elif kind == "call":
                call = call_shape(node)
                if call is not None:
                    in_decorator = node.parent is not None and node.parent.type == "decorator"
                    self.calls[id(scope)].append(ScopedCall.of(scope, call, in_decorator))
            else:
                _bind_node(scope, node)

    def _enter_definition(self, node: Node, regions: list[tuple[int, Scope | None]]) -> None:
        """A def, class or lambda: its header (and a class's or lambda's body) belongs to no scope, a def's
        body to the def's own scope."""
        if node.type != "function_definition":
            regions.append((node.end_byte, None))
            return
        scope = _function_scope(node)
        self.functions.append(scope)
        self.calls[id(scope)] = []
        body = node.child_by_field_name("body")
        if body is None:
            regions.append((node.end_byte, None))
            return
        regions.append((node.end_byte, scope))
        regions.append((body.start_byte, None))


def _function_scope(funcdef: Node) -> Scope:
    return Scope(
        name=text_of(funcdef.child_by_field_name("name")),
        node=funcdef,
        params=function_params(funcdef),
        decorators=_decorators(funcdef),
        module_level=_is_module_level(funcdef),
    )


def _is_module_level(funcdef: Node) -> bool:
    parent = funcdef.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    return parent is not None and parent.type == "module"


def _decorators(funcdef: Node) -> list[Node]:
    """The expression of each decorator (`extism.plugin_fn` of `@extism.plugin_fn`)."""
    parent = funcdef.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    found: list[Node] = []
    for decorator in parent.named_children:
        if decorator.type == "decorator":
            expression = next((c for c in decorator.named_children if c.type != "comment"), None)
            if expression is not None:
                found.append(expression)
    return found


def _bind(scope: Scope, name: Node, value: Node | None, at: int) -> None:
    scope.bindings.setdefault(text_of(name), []).append(Binding(value, at))


def _bind_node(scope: Scope, node: Node) -> None:
    """Record the names one statement of `scope` binds."""
    kind = node.type
    at = node.start_byte
    if kind == "assignment" or kind == "augmented_assignment":
        if is_assignment(node):
            for target, _, value in assignment_targets(node):
                _bind_target(scope, target, value, at)
    elif kind == "global_statement":
        scope.globals_declared.update(text_of(c) for c in node.named_children if c.type == "identifier")
    elif kind == "for_statement" or kind == "for_in_clause":
        left = node.child_by_field_name("left")
        for leaf in walk(left) if left is not None else ():
            if leaf.type == "identifier":
                _bind(scope, leaf, None, at)
    elif kind == "with_item" or kind == "except_clause":
        name = _as_name(node)
        if name is not None:
            _bind(scope, name, None, at)
    elif kind == "named_expression":
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None and name.type == "identifier":
            _bind(scope, name, value, at)


def _as_name(node: Node) -> Node | None:
    """`h` of `with open(f) as h` or of `except E as h`."""
    pattern = next((c for c in node.named_children if c.type == "as_pattern"), None)
    target = pattern.child_by_field_name("alias") if pattern is not None else None
    if target is not None and target.type == "as_pattern_target":
        target = target.named_children[0] if target.named_child_count == 1 else None
    return target if target is not None and target.type == "identifier" else None


def _bind_target(scope: Scope, target: Node, value: Node | None, at: int) -> None:
    if target.type == "identifier":
        _bind(scope, target, value, at)
    elif target.type in UNPACKING:
        for leaf in target.named_children:
            if leaf.type == "identifier":
                _bind(scope, leaf, None, at)


def _bind_import(scope: Scope, node: Node) -> None:
    """An import inside a function binds its names there."""
    for _, local, _ in _imported(node):
        _bind(scope, local, None, node.start_byte)


def _imported(node: Node) -> list[tuple[str, Node, Node]]:
    """(module path, local name node, imported name node) of each name an import statement binds:
    `import a.b` -> ("a.b", a, b); `import a.b as c` -> ("a.b", c, b); `from .m import n as x` -> (".m", x, n)."""
    found: list[tuple[str, Node, Node]] = []
    if node.type == "import_statement":
        for item in node.children_by_field_name("name"):
            path, alias = _aliased(item)
            if path:
                found.append((".".join(text_of(p) for p in path), alias or path[0], path[-1]))
        return found
    module = node.child_by_field_name("module_name")
    if node.type == "future_import_statement":
        module_path = "__future__"
    elif module is not None:
        module_path = _module_path(module)
    else:
        return found
    for item in node.children_by_field_name("name"):
        path, alias = _aliased(item)
        if path:
            found.append((module_path, alias or path[-1], path[-1]))
    return found


def _aliased(item: Node) -> tuple[list[Node], Node | None]:
    """The names of a `dotted_name` or an `aliased_import`, and the alias."""
    if item.type == "aliased_import":
        name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
        return ([c for c in name.named_children if c.type == "identifier"] if name is not None else []), alias
    if item.type == "dotted_name":
        return [c for c in item.named_children if c.type == "identifier"], None
    return [], None


def _module_path(module: Node) -> str:
    """`a.b`, `.`, `..a.b`: the module of a `from ... import` as written."""
    if module.type == "dotted_name":
        return ".".join(text_of(c) for c in module.named_children if c.type == "identifier")
    dots = "".join(text_of(c) for c in module.named_children if c.type == "import_prefix")
    dotted = next((c for c in module.named_children if c.type == "dotted_name"), None)
    return dots + (_module_path(dotted) if dotted is not None else "")


def _imports(imports: list[Node]) -> tuple[dict[str, str], dict[str, tuple[str, str]], list[tuple[str, str, Node]]]:
    """What the module's import statements (anywhere in it, in source order) bind and import."""
    aliases: dict[str, str] = {}
    names: dict[str, tuple[str, str]] = {}
    nodes: list[tuple[str, str, Node]] = []
    for node in imports:
        for module_path, local, imported in _imported(node):
            local_name = text_of(local)
            if node.type == "import_statement":
                # `import a.b` binds `a`; `import a.b as c` binds c to a.b.
                aliases[local_name] = module_path if _is_alias(local) else local_name
                nodes.append((module_path, local_name, imported))
            else:
                names[local_name] = (module_path, text_of(imported))
                # The module is what is imported; the span is the imported name, even when renamed.
                nodes.append((module_path, local_name, imported))
    return aliases, names, nodes


def _is_alias(local: Node) -> bool:
    return local.parent is not None and local.parent.type == "aliased_import"


def decorator_named(index: ModuleIndex, scope: Scope, member: str) -> Node | None:
    """The decorator of `scope` that is `extism.<member>` (called or not), if any."""
    for decorator in scope.decorators:
        names = dotted_names(decorator)
        if names is None:
            calls = list(call_shapes(decorator))
            names = calls[0].callee if calls else None
        if names is not None and index.is_extism(names, index.module_scope, member):
            return decorator
    return None


def constant_value(index: ModuleIndex, name: str) -> tuple[LiteralOf, Node] | None:
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
