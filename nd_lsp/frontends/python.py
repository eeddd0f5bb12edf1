"""The Python front-end: facts of an extism-py plugin module, read with tree-sitter (never executed)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tree_sitter import Node

from nd_lsp.frontends.extism_python import EXPORT_DECORATOR, EXTISM_MODULE, IMPORT_DECORATOR
from nd_lsp.frontends.facts import (
    Call,
    ExportDef,
    FileFacts,
    GlobalWrite,
    HostCall,
    HostImport,
    PackageImport,
    Span,
)
from nd_lsp.frontends.python_parse import parse_python_file
from nd_lsp.frontends.python_requests import RequestReader, Substitution, host_calls_of_module
from nd_lsp.frontends.python_scope import (
    ModuleIndex,
    Scope,
    decorator_named,
    is_mutating_call,
)
from nd_lsp.frontends.python_syntax import (
    LiteralOf,
    SourceMap,
    assignment_targets,
    call_shape,
    call_shapes,
    chain,
    dotted_names,
    field,
    is_assignment,
    literal_of,
    name_leaf,
    scope_nodes,
    text_of,
)
from nd_lsp.frontends.python_units import index_file
from nd_lsp.specs.model import PdkLayout

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
# The nodes that can change module state (see `_written_names`), and those that bind or read a name.
_WRITES = frozenset({"assignment", "augmented_assignment", "call"})
_NAME_USES = frozenset({"assignment", "augmented_assignment", "identifier"})


def read_python(path: Path, text: str, layout: PdkLayout) -> FileFacts:
    """Facts of one Python source: exports, host imports and calls, imports, qualified calls, global writes.

    Host calls of a raw import come once per place the stub is invoked (its request dict with the
    wrapper's parameters unresolved) and once more per call of that wrapper function in the module (the
    same dict keys, the call's arguments as values, the wrapper's own literals left unresolved so that
    each literal is judged once). Calls of functions imported from a module outside the plugin and the
    standard library are "python_wrapper" host calls: rules keep those the spec names.

    Best effort on broken code: a part of the file that does not parse is read apart from the rest (see
    python_parse), and whatever could be read is kept.
    `layout` is not needed to read Python: host imports keep their namespace, and rules compare it.
    """
    with _collector_paused():
        return _read_python(path, text)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is read. A read allocates tens of thousands of objects
    (the syntax index, facts) that die when it returns; collections during the read promote them to the
    oldest generation, and every twentieth keystroke or so paid a full collection (35-90 ms) for them.
    Only a thread that found the collector enabled enables it again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_python(path: Path, text: str) -> FileFacts:
    facts = FileFacts(path=path, language="python")
    # "surrogatepass": a lone surrogate (which an editor may send) is kept as bytes rather than failing.
    source = text.encode("utf-8", "surrogatepass")
    try:
        parsed = parse_python_file(path, source)
    except (RecursionError, MemoryError, ValueError) as exc:
        facts.has_syntax_errors = True
        facts.error = f"cannot parse: {type(exc).__name__}"
        return facts
    facts.has_syntax_errors = parsed.has_error
    try:
        # Facts hold spans and text, never tree-sitter nodes.
        _read_module(facts, index_file(path, parsed, source), SourceMap(path, source))
    except RecursionError:
        facts.has_syntax_errors = True
    return facts


def _read_module(facts: FileFacts, index: ModuleIndex, source_map: SourceMap) -> None:
    facts.imports = [
        PackageImport("python", path, local, source_map.span(leaf)) for path, local, leaf in index.import_nodes
    ]
    exports = _exports(index, source_map)
    facts.exports = exports
    facts.host_imports = _host_imports(index, source_map)
    stubs = {h.local_name: h.name for h in facts.host_imports}
    reader = RequestReader(index, source_map)
    export_names = {e.name for e in exports}
    facts.host_calls = host_calls_of_module(index, stubs, reader, export_names)
    facts.host_calls += _generated_wrapper_calls(index, reader, facts.path)
    facts.calls = _qualified_calls(index, source_map)
    facts.global_writes = _global_writes(index, source_map, export_names)


def _exports(index: ModuleIndex, source_map: SourceMap) -> list[ExportDef]:
    found: list[ExportDef] = []
    for scope in index.functions:
        if not scope.module_level or not scope.decorators:
            continue
        decorator = decorator_named(index, scope, EXPORT_DECORATOR)
        if decorator is None:
            continue
        name = field(scope.node, "name")
        if name is None:
            continue
        found.append(
            ExportDef(
                language="python",
                name=scope.name,
                span=source_map.span_between(_def_keyword(scope.node), _header_end(scope.node)),
                name_span=source_map.span(name),
                kind="python_plugin_fn",
                decorator=_dotted_text(decorator),
                decorator_span=source_map.span(decorator),
            )
        )
    return found


def _def_keyword(funcdef: Node) -> Node:
    """The `def` of `async def name(...)` (the span of an export starts there, not at `async`)."""
    return next((c for c in funcdef.children if c.type == "def"), funcdef)


def _header_end(funcdef: Node) -> Node:
    """The last node of `def name(params) -> T` (before the colon): the return annotation, else the
    parameters (else the name, in a half-written def)."""
    for name in ("return_type", "parameters", "name"):
        node = field(funcdef, name)
        if node is not None:
            return node
    return funcdef


def _host_imports(index: ModuleIndex, source_map: SourceMap) -> list[HostImport]:
    found: list[HostImport] = []
    for scope in index.functions:
        if not scope.decorators:
            continue
        decorator = decorator_named(index, scope, IMPORT_DECORATOR)
        if decorator is None:
            continue
        calls = list(call_shapes(decorator))
        if not calls:
            continue
        call = calls[0]
        namespace_node, name_node = _import_fn_arguments(call.positional, call.keywords)
        name = literal_of(name_node) if name_node is not None else None
        namespace = literal_of(namespace_node) if namespace_node is not None else None
        if name is None or not name.resolved or not isinstance(name.value, str) or name_node is None:
            continue
        found.append(
            HostImport(
                language="python",
                namespace=str(namespace.value) if namespace is not None and namespace.resolved else "",
                name=name.value,
                local_name=scope.name,
                span=source_map.span(decorator),
                name_span=_string_span(source_map, name_node, name),
                namespace_span=(
                    _string_span(source_map, namespace_node, namespace)
                    if namespace_node is not None and namespace is not None
                    else None
                ),
                decorator=".".join(text_of(name) for name in call.callee),
            )
        )
    return found


def _dotted_text(decorator: Node) -> str:
    """`extism.plugin_fn` of `@extism.plugin_fn` (or of a called `@extism.plugin_fn()`)."""
    names = dotted_names(decorator)
    if names is None:
        calls = list(call_shapes(decorator))
        names = calls[0].callee if calls else ()
    return ".".join(text_of(name) for name in names)


def _import_fn_arguments(
    positional: tuple[Node, ...], keywords: tuple[tuple[Node, Node], ...]
) -> tuple[Node | None, Node | None]:
    """(namespace, name) of `import_fn(namespace, name)`, by position or by keyword."""
    by_keyword = {text_of(key): value for key, value in keywords}
    namespace = positional[0] if positional else by_keyword.get("module", by_keyword.get("namespace"))
    name = positional[1] if len(positional) > 1 else by_keyword.get("name")
    return namespace, name


def _string_span(source_map: SourceMap, node: Node, literal: LiteralOf) -> Span:
    """Between the quotes of a plain string literal (`literal` is what `literal_of` read in `node`); the
    whole node for anything else (an f-string too)."""
    return source_map.span(node) if literal.kind == "fstring" else source_map.string_content_span(node)


def _generated_wrapper_calls(index: ModuleIndex, reader: RequestReader, path: Path) -> list[HostCall]:
    """Calls of functions imported from a module outside the plugin and the standard library: the
    wrappers of the old generated Python PDK look like this. Rules resolve them against the spec's
    Python wrapper names and ignore the rest."""
    found: list[HostCall] = []
    imported = index.name_imports.keys() | index.module_aliases.keys()
    for scoped in index.calls:
        if scoped.names[0] not in imported:  # what most calls are: see `_external_function`
            continue
        scope = scoped.scope
        origin = _external_function(index, scope, scoped.names, path)
        if origin is None:
            continue
        module, function = origin
        call = scoped.call
        args = tuple(reader.value(a, scope, Substitution()) for a in call.positional)
        found.append(
            HostCall(
                language="python",
                kind="python_wrapper",
                service=module.rsplit(".", 1)[-1],
                function=function,
                span=reader.map.span_between(call.callee[0], call.close_paren),
                name_span=reader.map.span(call.callee[-1]),
                args=args,
                enclosing_function=scope.name,
                in_init=scope.is_module,
            )
        )
    return found


def _external_function(index: ModuleIndex, scope: Scope, callee: tuple[str, ...], path: Path) -> tuple[str, str] | None:
    head = callee[0]
    if len(callee) == 1 and head in index.name_imports:
        module, name = index.name_imports[head]
    elif len(callee) == 2 and head in index.module_aliases:
        module, name = index.module_aliases[head], callee[1]
    else:
        return None
    if not scope.is_module and scope.binds(head):
        return None
    if not _is_external(module, path):
        return None
    return module, name


def _is_external(module: str, path: Path) -> bool:
    """A module that is neither extism, the standard library, nor a file of the plugin itself."""
    if not module or module.startswith("."):
        return False
    top = module.split(".", 1)[0]
    if top == EXTISM_MODULE or top in _STDLIB:
        return False
    folder = path.parent
    return not ((folder / f"{top}.py").exists() or (folder / top).is_dir())


def _qualified_calls(index: ModuleIndex, source_map: SourceMap) -> list[Call]:
    """Calls of imported functions, named through the imports (`from time import sleep` -> time.sleep)."""
    found: list[Call] = []
    imported = index.name_imports.keys() | index.module_aliases.keys()
    for scoped in index.calls:
        if scoped.names[0] not in imported:  # what most calls are: see `ModuleIndex.qualified_name`
            continue
        scope = scoped.scope
        callee = index.qualified_name(scoped.names, scope)
        if callee is None or scoped.in_decorator:
            continue
        call = scoped.call
        found.append(
            Call(
                language="python",
                callee=callee,
                span=source_map.span_between(call.callee[0], call.close_paren),
                name_span=source_map.span(call.callee[-1]),
                enclosing_function=scope.name,
                in_init=scope.is_module,
            )
        )
    return found


def _global_writes(index: ModuleIndex, source_map: SourceMap, exports: set[str]) -> list[GlobalWrite]:
    """Module state changed inside an export: `global x; x = ...`, or `CACHE[k] = v` / `CACHE.append(v)`
    on a module-level name. Each call of an export runs in a fresh instance, so the change is lost.

    A global that every export reading it sets afresh first (`global CONFIG; CONFIG = load()`) carries
    nothing from one call to the next, so its plain assignments are no such change."""
    found: list[GlobalWrite] = []
    module_names = set(index.module_scope.bindings)
    export_scopes = [s for s in index.functions if s.module_level and s.name in exports]
    for scope in export_scopes:
        body = field(scope.node, "body")
        if body is None:
            continue
        for node in scope_nodes(body, _WRITES):
            for identifier, rebinds in _written_names(node, scope, module_names):
                name = text_of(identifier)
                if rebinds and _set_afresh_in_every_export(name, export_scopes):
                    continue
                found.append(GlobalWrite("python", name, source_map.span(identifier), scope.name))
    return found


def _set_afresh_in_every_export(name: str, export_scopes: list[Scope]) -> bool:
    """Whether each export that uses the global `name` assigns it before it reads it.

    Every identifier spelled `name` that is no assignment target counts as a read (an attribute or
    keyword argument of that name too): a cautious reading."""
    for scope in export_scopes:
        body = field(scope.node, "body")
        if body is None:
            continue
        first_write: int | None = None  # byte offsets
        reads: list[int] = []
        for node in scope_nodes(body, _NAME_USES):
            if is_assignment(node) and name in scope.globals_declared:
                for target, operator, _ in assignment_targets(node):
                    written = operator == "=" and text_of(name_leaf(target)) == name
                    if written and first_write is None:
                        first_write = node.end_byte  # the value is read before the name is bound
            elif node.type == "identifier" and text_of(node) == name and not _is_target(node):
                reads.append(node.start_byte)
        if reads and (first_write is None or min(reads) < first_write):
            return False
    return True


def _is_target(identifier: Node) -> bool:
    """`name` being bound by `name = ...` (or named by `global name`), not read."""
    parent = identifier.parent
    if parent is None:
        return False
    if parent.type == "global_statement":
        return True
    # Each `=` of `a = b = v` is an assignment of its own, with its target on the left.
    return parent.type == "assignment" and parent.child_by_field_name("left") == identifier


def _written_names(node: Node, scope: Scope, module_names: set[str]) -> list[tuple[Node, bool]]:
    """Names of module state a statement changes, each with whether it is a plain `global x; x = ...`.

    A call is seen at the head of its chain (`CACHE.append(x)` of `CACHE.append(x).y()`), once."""
    written: list[tuple[Node, bool]] = []
    if is_assignment(node):
        for target, operator, _ in assignment_targets(node):
            name = name_leaf(target)
            if name is not None and text_of(name) in scope.globals_declared:
                written.append((name, operator == "="))
            elif target.type in ("attribute", "subscript"):
                base = name_leaf(_chain_base(target))
                if base is not None and _is_module_state(text_of(base), scope, module_names):
                    written.append((base, False))
    elif node.type == "call" and _calls_mutating_method(node):
        call = call_shape(node)
        names = call.callee if call is not None else ()
        mutates = len(names) == 2 and is_mutating_call(text_of(names[1]))
        if mutates and _is_module_state(text_of(names[0]), scope, module_names):
            written.append((names[0], False))
    return written


def _calls_mutating_method(call: Node) -> bool:
    """Whether a call's callee is `<something>.<mutating method>`: what `_written_names` reads the call's shape
    for (a shape costs several times this)."""
    function = field(call, "function")
    if function is None or function.type != "attribute":
        return False
    method = field(function, "attribute")
    return method is not None and is_mutating_call(text_of(method))


def _chain_base(node: Node) -> Node:
    """`CACHE` of `CACHE.x[k].y`: the innermost object of attributes, subscripts and calls."""
    return list(chain(node))[-1]


def _is_module_state(name: str, scope: Scope, module_names: set[str]) -> bool:
    if name in scope.globals_declared:
        return True
    return name in module_names and not scope.binds(name)
