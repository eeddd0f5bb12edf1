"""What names mean in one Python module: imports, functions, their parameters and local bindings."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from tree_sitter import Node, Query

from nd_lsp.frontends.extism_python import EXTISM_MODULE
from nd_lsp.frontends.python_syntax import (
    OWN_SCOPE,
    UNPACKING,
    CallShape,
    LiteralOf,
    argument_names,
    call_names,
    call_shape,
    call_shapes,
    dotted_names,
    field_id,
    function_params,
    literal_of,
    python_language,
    text_of,
)
from nd_lsp.frontends.source_order import kinds_query, matches_in_order, walk

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
    looked up by name, and re-reading all of them was a tenth of a keystroke on a 3,000-line file. So are
    its bare-name arguments, which only a call that may pass a host import's stub is asked for.
    """

    # No dataclass: the lazy `call` needs a plain class, which also costs nothing to define at import.
    __slots__ = ("_argument_names", "_call", "in_decorator", "names", "node", "scope")

    def __init__(
        self,
        scope: Scope,
        node: Node,
        names: tuple[str, ...],
        argument_names: tuple[str, ...] | None,
        in_decorator: bool,
        call: CallShape | None = None,
    ) -> None:
        self.scope = scope
        self.node = node  # the `call` node
        self.names = names  # the callee's names: `extism.memory.alloc` -> ("extism", "memory", "alloc")
        self._argument_names = argument_names
        self.in_decorator = in_decorator  # `@extism.import_fn(...)`: declares, runs no plugin code
        self._call = call

    @property
    def argument_names(self) -> tuple[str, ...]:
        """The arguments that are a bare name, positional or keyword."""
        if self._argument_names is None:
            self._argument_names = argument_names(self.node)
        return self._argument_names

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
    """The scopes of one module and what the walk found in them."""

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
_WALKED_KINDS = OWN_SCOPE | _BINDING_TYPES | IMPORTS | {"call", "decorated_definition", "decorator"}
_BODY, _DEFINITION, _NAME_FIELD = field_id("body"), field_id("definition"), field_id("name")
_LEFT, _RIGHT, _OPERATOR = field_id("left"), field_id("right"), field_id("operator")


@functools.lru_cache(maxsize=1)
def _walked_query() -> Query:
    return kinds_query(python_language(), sorted(_WALKED_KINDS))


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
        """Add what `other` found, walking a later statement of the same module, as if this walk had (its calls
        in the module move to this walk's module scope)."""
        self.functions += other.functions
        for scope in other.functions:
            self.calls[id(scope)] = other.calls[id(scope)]
        module_scope = self.module_scope
        for name, bindings in other.module_scope.bindings.items():
            module_scope.bindings.setdefault(name, []).extend(bindings)
        module_scope.globals_declared.update(other.module_scope.globals_declared)
        module_calls = other.calls[id(other.module_scope)]
        for call in module_calls:
            call.scope = module_scope
        self.calls[id(module_scope)] += module_calls
        self.imports += other.imports

    def run(self, root: Node) -> None:
        """Visit the nodes of `root` (the module, or one of its top-level statements) the index needs, in
        source order, each in the scope it belongs to.

        Regions of the source whose nodes belong to another scope (a def's body) or to none (a def's
        header, a class, a lambda) are kept on a stack, innermost last, by the byte where they end.
        """
        nodes = [node for _, node in matches_in_order(_walked_query(), root)]
        module_scope = self.module_scope
        above = _Above(root)
        regions: list[tuple[int, Scope | None]] = []  # (end byte, scope of the nodes before it)
        for node in nodes:
            start = node.start_byte
            while regions and start >= regions[-1][0]:
                regions.pop()
            scope = regions[-1][1] if regions else module_scope
            kind = node.type
            if kind == "call":
                if scope is not None:
                    self._add_call(scope, node, start, above)
            elif kind == "function_definition":
                self._enter_function(node, start, regions, above)
            elif kind in OWN_SCOPE:
                regions.append((node.end_byte, None))
            elif kind == "decorated_definition":
                above.note_decorated(node, start)
            elif kind == "decorator":
                above.note_decorator(node)
            elif kind in IMPORTS:
                self.imports.append(node)
                if scope is not None and scope is not module_scope:
                    _bind_import(scope, node)
            elif scope is None:
                continue
            elif kind == "assignment":
                _bind_assignment(scope, node, start, above.inner_assignments)
            else:
                _bind_node(scope, node, kind, start)

    def _add_call(self, scope: Scope, node: Node, start: int, above: _Above) -> None:
        """A call with a plain dotted callee; its shape is left to be read when asked for (see `ScopedCall`)."""
        names = call_names(node)
        if names is not None:
            self.calls[id(scope)].append(ScopedCall(scope, node, names, None, above.in_decorator(node, start)))

    def _enter_function(
        self, node: Node, start: int, regions: list[tuple[int, Scope | None]], above: _Above
    ) -> None:
        """A def: its header belongs to no scope, its body to the def's own scope."""
        end = node.end_byte
        scope = _function_scope(node, start, above)
        self.functions.append(scope)
        self.calls[id(scope)] = []
        body = node.child_by_field_id(_BODY)
        if body is None:
            regions.append((end, None))
            return
        regions.append((end, scope))
        regions.append((body.start_byte, None))


class _Above:
    """What the parents of the walk's nodes say, gathered from the nodes above them as the walk meets those
    first: `Node.parent` walks down from the tree's root, about a microsecond a call in a plugin's tree."""

    __slots__ = ("decorated", "decorator_children", "inner_assignments", "top_level")

    def __init__(self, root: Node) -> None:
        # The top-level statements by first byte: the children of the module, or the statement walked.
        top = root.children if root.type == "module" else [root]
        self.top_level: dict[int, Node] = {statement.start_byte: statement for statement in top}
        # The definition of each `decorated_definition` by its first byte: (the definition, the expression of
        # each decorator, whether the decorated definition is a top-level statement).
        self.decorated: dict[int, tuple[Node, list[Node], bool]] = {}
        self.decorator_children: dict[int, Node] = {}  # the named children of decorators, by first byte
        self.inner_assignments: set[int] = set()  # first bytes of the inner `b = v` of `a = b = v`

    def is_top_level(self, node: Node, start: int) -> bool:
        statement = self.top_level.get(start)
        return statement is not None and statement == node

    def note_decorated(self, decorated: Node, start: int) -> None:
        definition = decorated.child_by_field_id(_DEFINITION)
        if definition is not None:
            top = self.is_top_level(decorated, start)
            self.decorated[definition.start_byte] = (definition, _decorators(decorated), top)

    def note_decorator(self, decorator: Node) -> None:
        for child in decorator.named_children:
            self.decorator_children[child.start_byte] = child

    def in_decorator(self, node: Node, start: int) -> bool:
        """Whether `node` is a child of a decorator (`@extism.import_fn(...)`)."""
        child = self.decorator_children.get(start)
        return child is not None and child == node

    def definition_of(self, funcdef: Node, start: int) -> tuple[list[Node], bool]:
        """The decorators of a def and whether it is directly in the module (not in a class or another def)."""
        decorated = self.decorated.get(start)
        if decorated is not None and decorated[0] == funcdef:
            return decorated[1], decorated[2]
        return [], self.is_top_level(funcdef, start)


def _function_scope(funcdef: Node, start: int, above: _Above) -> Scope:
    decorators, module_level = above.definition_of(funcdef, start)
    return Scope(
        name=text_of(funcdef.child_by_field_id(_NAME_FIELD)),
        node=funcdef,
        params=function_params(funcdef),
        decorators=decorators,
        module_level=module_level,
    )


def _decorators(decorated: Node) -> list[Node]:
    """The expression of each decorator of a `decorated_definition` (`extism.plugin_fn` of `@extism.plugin_fn`)."""
    found: list[Node] = []
    for decorator in decorated.named_children:
        if decorator.type == "decorator":
            expression = next((c for c in decorator.named_children if c.type != "comment"), None)
            if expression is not None:
                found.append(expression)
    return found


def _bind(scope: Scope, name: Node, value: Node | None, at: int) -> None:
    scope.bindings.setdefault(text_of(name), []).append(Binding(value, at))


def _bind_assignment(scope: Scope, node: Node, at: int, inner_assignments: set[int]) -> None:
    """Record the names an assignment statement binds: each target of `a = b = v` (whose inner `b = v`, met
    next, is noted as no statement of its own)."""
    if at in inner_assignments:
        return
    left, value = node.child_by_field_id(_LEFT), node.child_by_field_id(_RIGHT)
    if value is None or value.type != "assignment":  # `a = v`: one target
        if left is not None:
            _bind_target(scope, left, value, at)
        return
    targets = [left] if left is not None else []
    while value is not None and value.type == "assignment":
        inner_assignments.add(value.start_byte)
        left = value.child_by_field_id(_LEFT)
        if left is not None:
            targets.append(left)
        value = value.child_by_field_id(_RIGHT)
    for target in targets:
        _bind_target(scope, target, value, at)


def _bind_node(scope: Scope, node: Node, kind: str, at: int) -> None:
    """Record the names one statement of `scope` (a node of type `kind` starting at byte `at`) binds; an
    assignment's are `_bind_assignment`'s."""
    if kind == "augmented_assignment":
        target = node.child_by_field_id(_LEFT)
        if target is not None and node.child_by_field_id(_OPERATOR) is not None:
            _bind_target(scope, target, node.child_by_field_id(_RIGHT), at)
    elif kind == "global_statement":
        scope.globals_declared.update(text_of(c) for c in node.named_children if c.type == "identifier")
    elif kind == "for_statement" or kind == "for_in_clause":
        left = node.child_by_field_id(_LEFT)
        if left is not None and left.type == "identifier":  # `for x in ...`: the one name, without a walk
            _bind(scope, left, None, at)
            return
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
    kind = target.type
    if kind == "identifier":
        _bind(scope, target, value, at)
    elif kind in UNPACKING:
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
