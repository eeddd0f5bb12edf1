"""The Rust front-end: facts about a plugin crate's source file, read with tree-sitter-rust."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from tree_sitter import Node

from nd_lsp.frontends.byte_source_map import ByteSourceMap
from nd_lsp.frontends.byte_source_map import node_text as text
from nd_lsp.frontends.facts import (
    Argument,
    Call,
    Entry,
    FileFacts,
    GlobalWrite,
    HostCall,
    LiteralValue,
    PdkItemUse,
    PluginFacts,
    Registration,
)
from nd_lsp.frontends.rust_items import (
    DEFAULT_TRAIT,
    RustFileContext,
    export_def,
    host_imports,
    impl_block,
    registration,
    type_decl,
)
from nd_lsp.frontends.rust_scope import read_use_scope
from nd_lsp.frontends.rust_syntax import (
    SCOPED_PATHS,
    TYPE_ITEMS,
    VISITED_KINDS,
    let_bindings,
    parse_rust,
    parse_rust_file,
    path_of,
    queried_nodes,
    walk_all,
)
from nd_lsp.frontends.rust_units import (
    VISITED_LISTS,
    FileCache,
    FileCaches,
    Summary,
    Unit,
    Visited,
    moved,
    nodes_with,
    summarize,
    units_of,
)
from nd_lsp.frontends.rust_values import Locals, ValueReader, format_prefix, read_constants
from nd_lsp.frontends.source_order import in_source_order, walk
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.lazy_log import LazyLogger
from nd_lsp.specs.model import PdkLayout

log = LazyLogger(__name__)

Slot = Literal["", "input", "output"]
# A macro body is re-parsed as Rust to find the calls inside it (`format!("{}", kvstore::get(k)?)`);
# item-defining macros (lazy_static!, thread_local!) become statics, whose initialisers run at start.
MAX_MACRO_NESTING = 3
_ARGS_PREFIX = b"__nd_lsp_macro_args__("
_ARGS_SUFFIX = b");"
_LAZY_REF = b"static ref "
_FORMAT_MACRO = "format!"
_MACRO_PARAMETER = "__nd_lsp_macro_parameter_"  # stands for `$t` when a user macro's body is parsed


@frozen_dataclass
class _Outer:
    """Where a re-parsed macro body sits in the real file."""

    function: str = ""
    in_init: bool = False


_CACHES = FileCaches()


def read_rust(path: Path, text: str, layout: PdkLayout) -> FileFacts:
    """Best-effort facts of one Rust file; half-written code gives what can be read."""
    facts = FileFacts(path=path, language="rust")
    source = text.encode("utf-8", "surrogatepass")
    cache = _CACHES.take(path, layout)
    _RustReader(path, source, layout, facts, cache).read()
    _CACHES.put(path, cache)
    return facts


class _RustReader:
    def __init__(self, path: Path, source: bytes, layout: PdkLayout, facts: FileFacts, cache: FileCache) -> None:
        self.facts = facts
        self.layout = layout
        self.root = parse_rust_file(path, source).root_node
        self.units = units_of(self.root, source)
        self.cache = cache
        self.summaries = {unit.key: self._summary(unit) for unit in self.units}
        cache.summaries = self.summaries  # only the units of this text are kept
        scope = read_use_scope(self._nodes_with("use_declaration"))
        self.ctx = RustFileContext(ByteSourceMap(path, source), scope, layout.rust_crate, layout.import_namespace)
        self.constants = read_constants(self._nodes_with("const_item", "static_item"))
        self.values = ValueReader(self.ctx.smap, self.constants)
        self.mutable_statics = {name for s in self.summaries.values() for name in s.mutable_statics}
        self.import_locals: dict[str, str] = {}
        self.declared_functions = {name for s in self.summaries.values() for name in s.function_names}
        self.function_lookups: dict[str, bool] = {}  # of the unit being walked, see Visited
        self.failed_steps: list[str] = []
        self.consumed_paths: set[tuple[int, int]] = set()  # call paths already reported as host calls
        self.signature_slots: dict[tuple[int, int], tuple[str, Slot]] = {}
        self.use_slots: dict[str, tuple[str, Slot]] = {}
        self.locals_cache: dict[tuple[int, int], list[tuple[int, str, Node]]] = {}
        # `macro_rules! register_all { ($t:ty) => { nd_pdk::register_x!($t); } }`: macro -> (register macro
        # it expands to, index of the macro argument that becomes the registered type)
        self.user_macros: dict[str, list[tuple[Registration, int]]] = {}

    def _summary(self, unit: Unit) -> Summary:
        known = self.cache.summaries.get(unit.key) if not unit.has_error else None
        return known or summarize(unit)

    def _nodes_with(self, *kinds: str) -> list[Node]:
        return nodes_with(self.units, self.summaries, frozenset(kinds))

    def read(self) -> None:
        facts = self.facts
        facts.has_syntax_errors = self.root.has_error
        facts.constants = dict(self.constants)
        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            ("host_imports", self._read_host_imports),
            ("signature_slots", self._read_signature_slots),
            ("use_items", self._read_use_items),
            ("user_macros", self._read_user_macros),
            ("visit", self._visit_units),
            ("default_impls", self._mark_default_impls),
            ("type_aliases", self._see_through_type_aliases),
        )
        for name, step in steps:
            try:
                step()
            except (ValueError, IndexError, AttributeError, TypeError, AssertionError):
                # Broken syntax trees take shapes no extractor foresaw: keep the other facts.
                log.debug("Rust front-end step failed on %s", facts.path, exc_info=True)
                self.failed_steps.append(name)

    # -- pre-passes ---------------------------------------------------------------------------

    def _read_host_imports(self) -> None:
        for node in walk_all(self._nodes_with("foreign_mod_item")):
            if node.type == "foreign_mod_item":
                for found in host_imports(node, self.ctx):
                    self.facts.host_imports.append(found)
                    self.import_locals[found.local_name] = found.name

    def _read_signature_slots(self) -> None:
        """Which type paths fill the input / output of a method of a PDK trait impl."""
        # Only units with an impl of a PDK trait are walked (their summaries know the traits written).
        units = [u for u in self.units if any(map(self._is_pdk_trait, self.summaries[u.key].impl_traits))]
        for impl in walk_all(node for unit in units for node in unit.nodes):
            if impl.type != "impl_item" or not self._is_pdk_trait(path_of(impl.child_by_field_name("trait"))):
                continue
            body = impl.child_by_field_name("body")
            for method in body.named_children if body is not None else []:
                name = method.child_by_field_name("name")
                if method.type != "function_item" or name is None:
                    continue
                for type_node, slot in _signature_types(method):
                    self._mark_slot(type_node, text(name), slot)

    def _is_pdk_trait(self, written: tuple[str, ...]) -> bool:
        """The trait resolves into the PDK crate, or is a bare name under a `use nd_pdk::m::*` glob."""
        if not written:
            return False
        if self.ctx.is_pdk_path(self.ctx.scope.resolve(written)):
            return True
        from_glob = any(self.ctx.is_pdk_path(glob) for glob in self.ctx.scope.globs)
        return len(written) == 1 and written[0] not in self.ctx.scope.by_name and from_glob

    def _mark_slot(self, type_node: Node, method: str, slot: Slot) -> None:
        for node in walk(type_node):
            if node.type in SCOPED_PATHS and not _is_inner_path(node):
                self.signature_slots[(node.start_byte, node.end_byte)] = (method, slot)
            elif node.type == "type_identifier" and not _is_inner_path(node):
                self.use_slots[text(node)] = (method, slot)

    def _read_use_items(self) -> None:
        invoked = {name for summary in self.summaries.values() for name in summary.invoked_macros}
        for item in self.ctx.scope.items:
            if not self.ctx.is_pdk_path(item.path):
                continue
            method, slot = self.use_slots.get(item.local_name, ("", "")) if not item.is_glob else ("", "")
            role: Literal["use", "macro"] = "macro" if item.local_name in invoked else "use"
            self.facts.pdk_uses.append(PdkItemUse("rust", item.path[1:], self.ctx.span(item.node), role, method, slot))

    def _read_user_macros(self) -> None:
        for definition in walk_all(self._nodes_with("macro_definition")):
            name = definition.child_by_field_name("name") if definition.type == "macro_definition" else None
            if name is None:
                continue
            found = [r for rule in definition.named_children if rule.type == "macro_rule" for r in self._expands(rule)]
            if found:
                self.user_macros[text(name)] = found

    def _expands(self, rule: Node) -> list[tuple[Registration, int]]:
        """The PDK register macros one arm of a user macro invokes with one of its metavariables."""
        pattern, body = rule.child_by_field_name("left"), rule.child_by_field_name("right")
        if pattern is None or body is None:
            return []
        parameters = list(dict.fromkeys(text(m)[1:] for m in walk(pattern) if m.type == "metavariable"))
        source = text(body)[1:-1]
        for parameter in sorted(parameters, key=len, reverse=True):
            source = source.replace(f"${parameter}", _MACRO_PARAMETER + parameter)
        expansion = parse_rust(f"fn expansion() {{ {source} }}".encode())
        found: list[tuple[Registration, int]] = []
        for invocation in walk(expansion.root_node):
            try:
                registered = registration(invocation, self.ctx) if invocation.type == "macro_invocation" else None
            except (ValueError, IndexError):  # the spans of the expansion are not the file's
                registered = None
            if registered is not None and registered.target.startswith(_MACRO_PARAMETER):
                parameter = registered.target.removeprefix(_MACRO_PARAMETER)
                if parameter in parameters:
                    found.append((registered, parameters.index(parameter)))
        return found

    def _user_macro_registrations(self, node: Node, offset: int) -> list[Registration]:
        """`register_all!(Agent)`: the registrations the user macro's body makes, with Agent as the type."""
        macro = node.child_by_field_name("macro")
        expands = self.user_macros.get(text(macro)) if macro is not None and macro.type == "identifier" else None
        tree = next((c for c in node.children if c.type == "token_tree"), None)
        if not expands or macro is None or tree is None:
            return []
        arguments: list[list[Node]] = [[]]
        for token in tree.children[1:-1]:
            if token.type == ",":
                arguments.append([])
            else:
                arguments[-1].append(token)
        found = []
        for prototype, index in expands:
            names = [t for t in arguments[index] if t.type == "identifier"] if index < len(arguments) else []
            if names:
                found.append(
                    dataclasses.replace(
                        prototype,
                        span=self.ctx.span(node, offset),
                        name_span=self.ctx.span(macro, offset),
                        target=text(names[-1]),
                        target_span=self.ctx.span(names[-1], offset),
                    )
                )
        return found

    def _see_through_type_aliases(self) -> None:
        """`type Plugin = LrcProvider<true>; register_lyrics!(Plugin)` registers LrcProvider, whose impls
        and derives are the ones that count (aliases of this file)."""
        aliases = dict(alias for unit in self.units for alias in self.summaries[unit.key].aliases)
        self.facts.registrations = [
            dataclasses.replace(r, target=aliases[r.target]) if r.target in aliases else r
            for r in self.facts.registrations
        ]

    def _mark_default_impls(self) -> None:
        with_default = {i.type_name for i in self.facts.impls if i.trait_path[-1:] == (DEFAULT_TRAIT,)}
        self.facts.types = [
            dataclasses.replace(t, has_default_impl=True) if t.name in with_default else t for t in self.facts.types
        ]

    # -- the walk -----------------------------------------------------------------------------

    def _visit_units(self) -> None:
        """Walk each unit, or reuse its facts from the last read when its text and the file context
        are the same; facts are appended in source order as one walk of the whole file would."""
        context = self._context()
        kept: dict[bytes, Visited] = {}
        for unit in self.units:
            visited = self.cache.visited.get(unit.key)
            if visited is None or unit.has_error or not self._still_valid(visited, context):
                visited = self._walk_unit(unit, context)
            if visited.start_line != unit.start_line:
                # Moved once; stored at the new line so the next keystroke reuses it as is.
                lines = unit.start_line - visited.start_line
                visited = dataclasses.replace(visited, start_line=unit.start_line, facts=moved(visited.facts, lines))
            kept[unit.key] = visited
            for name in VISITED_LISTS:
                getattr(self.facts, name).extend(getattr(visited.facts, name))
        self.cache.visited = kept

    def _walk_unit(self, unit: Unit, context: object) -> Visited:
        whole_file = self.facts
        self.facts = FileFacts(path=whole_file.path, language="rust")
        self.function_lookups = {}
        try:
            for node in unit.nodes:
                self._visit(node, 0, _Outer(), 0)
        except BaseException:
            for name in VISITED_LISTS:  # what the walk found up to the failure is kept, as before
                getattr(whole_file, name).extend(getattr(self.facts, name))
            raise
        finally:
            part, self.facts = self.facts, whole_file
        return Visited(context, unit.start_line, self.function_lookups, part)

    def _context(self) -> object:
        """Everything of the rest of the file the walk of one unit reads (besides declared functions)."""
        scope = self.ctx.scope
        return (
            tuple((i.local_name, i.path, i.is_glob) for i in scope.items),
            tuple(self.constants.items()),
            frozenset(self.mutable_statics),
            tuple(self.import_locals.items()),
            tuple(unit.key for unit in self.units if self.summaries[unit.key].kinds & {"macro_definition"}),
            tuple(self.failed_steps),
        )

    def _still_valid(self, visited: Visited, context: object) -> bool:
        return visited.context == context and all(
            (name in self.declared_functions) == answer for name, answer in visited.function_lookups.items()
        )

    def _declares_function(self, name: str) -> bool:
        answer = name in self.declared_functions
        self.function_lookups[name] = answer
        return answer

    def _visit(self, root: Node, offset: int, outer: _Outer, depth: int) -> None:
        for node in _visited_nodes(root):
            kind = node.type
            if kind == "impl_item":
                if (impl := impl_block(node, self.ctx, offset)) is not None:
                    self.facts.impls.append(impl)
            elif kind in TYPE_ITEMS:
                if (declared := type_decl(node, self.ctx, offset)) is not None:
                    self.facts.types.append(declared)
            elif kind == "function_item":
                if (export := export_def(node, self.ctx, offset)) is not None:
                    self.facts.exports.append(export)
            elif kind == "macro_invocation":
                self._macro(node, offset, outer, depth)
            elif kind == "call_expression":
                self._call(node, offset, outer, top_level=depth == 0)
            elif kind in {"assignment_expression", "compound_assignment_expr"}:
                self._global_write(node, offset, outer)
            elif kind in SCOPED_PATHS and not _is_inner_path(node):
                self._path_use(node, offset)

    def _macro(self, node: Node, offset: int, outer: _Outer, depth: int) -> None:
        found = registration(node, self.ctx, offset)
        if found is not None:
            self.facts.registrations.append(found)
            return
        expanded = self._user_macro_registrations(node, offset)
        if expanded:
            self.facts.registrations.extend(expanded)
            return
        if depth >= MAX_MACRO_NESTING:
            return
        tree = next((c for c in node.children if c.type == "token_tree"), None)
        if tree is None or len(tree.children) < 2 or not any(c.type == "token_tree" for c in tree.children):
            return
        body = (tree.text or b"")[1:-1]
        content_start = tree.start_byte + offset + 1
        function, in_init = self._enclosing(node, outer)
        if any(c.type == "static" for c in tree.children):
            fragment, prefix = body.replace(_LAZY_REF, b"static     "), b""
            inner = _Outer(function, True)
        else:
            fragment, prefix = _ARGS_PREFIX + body + _ARGS_SUFFIX, _ARGS_PREFIX
            inner = _Outer(function, in_init)
        self._visit(parse_rust(fragment).root_node, content_start - len(prefix), inner, depth + 1)

    def _enclosing(self, node: Node, outer: _Outer) -> tuple[str, bool]:
        """The function a node sits in, and whether it runs while statics are initialised."""
        current = node.parent
        while current is not None:
            if current.type == "function_item":
                return text(current.child_by_field_name("name")), False
            if current.type in {"static_item", "const_item"}:
                return "", True
            current = current.parent
        return outer.function, outer.in_init

    def _call(self, node: Node, offset: int, outer: _Outer, top_level: bool) -> None:
        function = node.child_by_field_name("function")
        written = path_of(function)
        if function is None or not written:
            return
        resolved = self._through_host_glob(written) or self.ctx.scope.resolve(written)
        enclosing, in_init = self._enclosing(node, outer)
        locals_ = self._locals_before(node) if top_level else {}
        name_node = _last_segment(function)
        if written[-1] in self.import_locals and (len(written) == 1 or written[0] in {"crate", "self", "super"}):
            kind: Literal["rust_wrapper", "raw_import"] = "raw_import"
            service, name = "", self.import_locals[written[-1]]
        elif self._is_host_wrapper(resolved):
            kind, service, name = "rust_wrapper", resolved[2], resolved[3]
        else:
            if len(resolved) >= 2:
                self.facts.calls.append(
                    Call(
                        "rust",
                        "::".join(resolved),
                        self.ctx.span(node, offset),
                        self.ctx.span(name_node, offset),
                        enclosing,
                        in_init,
                    )
                )
            return
        self.consumed_paths.add((function.start_byte + offset, function.end_byte + offset))
        args = tuple(self.values.argument(a, offset, locals_) for a in _call_arguments(node))
        self.facts.host_calls.append(
            HostCall(
                "rust",
                kind,
                service,
                name,
                self.ctx.span(node, offset),
                self.ctx.span(name_node, offset),
                args,
                enclosing,
                in_init,
            )
        )

    def _through_host_glob(self, written: tuple[str, ...]) -> tuple[str, ...]:
        """`set_with_ttl(..)` under `use nd_pdk::host::kvstore::*`: a bare call of a function this file does
        not declare or import by name, when the only glob import is a host module, is that module's."""
        scope = self.ctx.scope
        if len(written) != 1 or not written[0][:1].islower() or len(scope.globs) != 1:
            return ()
        name = written[0]
        if name in scope.by_name or self._declares_function(name) or name in self.import_locals:
            return ()
        candidate = (*scope.globs[0], name)
        return candidate if self._is_host_wrapper(candidate) else ()

    def _is_host_wrapper(self, resolved: tuple[str, ...]) -> bool:
        host = self.layout.rust_host_module
        return bool(host) and len(resolved) == 4 and self.ctx.is_pdk_path(resolved) and resolved[1] == host

    def _locals_before(self, call: Node) -> Locals:
        """`let` bindings of the enclosing function written before the call (the latest wins)."""
        function = call.parent
        while function is not None and function.type not in {"function_item", "closure_expression"}:
            function = function.parent
        if function is None:
            return {}
        key = (function.start_byte, function.end_byte)
        if key not in self.locals_cache:
            self.locals_cache[key] = let_bindings(function)
        return {name: value for start, name, value in self.locals_cache[key] if start < call.start_byte}

    def _global_write(self, node: Node, offset: int, outer: _Outer) -> None:
        target = _assigned_root(node.child_by_field_name("left"))
        enclosing, _ = self._enclosing(node, outer)
        if target is not None and enclosing and text(target) in self.mutable_statics:
            self.facts.global_writes.append(GlobalWrite("rust", text(target), self.ctx.span(target, offset), enclosing))

    def _path_use(self, node: Node, offset: int) -> None:
        if (node.start_byte + offset, node.end_byte + offset) in self.consumed_paths or _in_use_or_macro(node):
            return
        written = path_of(node)
        resolved = self.ctx.scope.resolve(written)
        if not self.ctx.is_pdk_path(resolved):
            return
        kept = _item_path(resolved)
        if kept == self.ctx.scope.by_name.get(written[0]):
            return  # `Error::new` after `use nd_pdk::m::Error`: the item was reported at its `use`
        token = _segment_node(node, len(written) - (len(resolved) - len(kept)))
        method, slot = self.signature_slots.get((node.start_byte, node.end_byte), ("", ""))
        role: Literal["type", "expr"] = "type" if node.type == "scoped_type_identifier" else "expr"
        self.facts.pdk_uses.append(PdkItemUse("rust", kept[1:], self.ctx.span(token, offset), role, method, slot))


def _signature_types(method: Node) -> Iterable[tuple[Node, Slot]]:
    """The parameter types (input) and the Ok type of the result (output) of a method."""
    parameters = method.child_by_field_name("parameters")
    for param in parameters.named_children if parameters is not None else []:
        type_node = param.child_by_field_name("type") if param.type == "parameter" else None
        if type_node is not None:
            yield type_node, "input"
    result = method.child_by_field_name("return_type")
    if result is None:
        return
    arguments = result.child_by_field_name("type_arguments") if result.type == "generic_type" else None
    if arguments is not None and path_of(result)[-1:] == ("Result",) and arguments.named_children:
        yield arguments.named_children[0], "output"
    else:
        yield result, "output"


def _item_path(resolved: tuple[str, ...]) -> tuple[str, ...]:
    """A path up to its first type-like segment: `m::Error::new` and `m::State::Playing` name the item
    `m::Error` / `m::State` (associated functions and variants are not PDK items of their own)."""
    for index, segment in enumerate(resolved[1:], start=1):
        if segment[:1].isupper():
            return resolved[: index + 1]
    return resolved


def _segment_node(node: Node, count: int) -> Node:
    """The token of the `count`-th segment (1-based) of a scoped path node."""
    current = node
    while current.type in SCOPED_PATHS and len(path_of(current)) > count:
        inner = current.child_by_field_name("path")
        if inner is None:
            break
        current = inner
    if current.type in SCOPED_PATHS:
        name = current.child_by_field_name("name")
        return name if name is not None else current
    return current


def _last_segment(function: Node) -> Node:
    if function.type == "generic_function":
        inner = function.child_by_field_name("function")
        return _last_segment(inner) if inner is not None else function
    if function.type in SCOPED_PATHS:
        name = function.child_by_field_name("name")
        return name if name is not None else function
    return function


def _visited_nodes(root: Node) -> list[Node]:
    """The nodes of VISITED_KINDS in root (itself included), in the order a walk meets them."""
    return in_source_order([node for node in queried_nodes(root) if node.type in VISITED_KINDS])


def _is_inner_path(node: Node) -> bool:
    """True for the `a::b` of `a::b::c`: only whole paths are reported."""
    parent = node.parent
    return parent is not None and parent.type in SCOPED_PATHS and parent.child_by_field_name("path") == node


def _in_use_or_macro(node: Node) -> bool:
    current: Node | None = node
    while current is not None:
        if current.type == "use_declaration":
            return True
        if current.type == "macro_invocation" and current.child_by_field_name("macro") == node:
            return True
        current = current.parent
    return False


def _assigned_root(left: Node | None) -> Node | None:
    """The variable an assignment target starts from: `X`, `X.field`, `X[i]`."""
    current = left
    while current is not None and current.type in {"field_expression", "index_expression"}:
        inner = current.child_by_field_name("value")
        current = inner if inner is not None else next(iter(current.named_children), None)
    return current if current is not None and current.type == "identifier" else None


def _call_arguments(node: Node) -> list[Node]:
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [c for c in arguments.named_children if c.type not in {"line_comment", "block_comment"}]


# -- crate-wide constants ---------------------------------------------------------------------------


def resolve_crate_constants(plugin: PluginFacts) -> None:
    """Resolve host-call arguments naming a `const` of another file of the crate.

    Each Rust file's facts are replaced by a copy (cached facts of unchanged files stay untouched), so
    running this again after an edit of the constant's file gives the new value.
    """
    rust_files = [f for f in plugin.files.values() if f.language == "rust"]
    constants: dict[str, LiteralValue] = {}
    for facts in rust_files:
        constants.update(facts.constants)
    for facts in rust_files:
        if any(_has_unresolved_name(a) for call in facts.host_calls for a in call.args):
            calls = [dataclasses.replace(c, args=_resolved_args(c.args, constants)) for c in facts.host_calls]
            plugin.files[facts.path] = dataclasses.replace(facts, host_calls=calls)


def _has_unresolved_name(argument: Argument) -> bool:
    named = _constant_name(argument.text) != "" or argument.text.lstrip("&").lstrip().startswith(_FORMAT_MACRO)
    return (not argument.resolved and named) or any(_has_unresolved_name(e.value) for e in argument.entries)


def _constant_name(written: str) -> str:
    name = written.strip().lstrip("&").strip().split("::")[-1]
    return name if name.isidentifier() else ""


def _resolved_args(args: tuple[Argument, ...], constants: Mapping[str, LiteralValue]) -> tuple[Argument, ...]:
    return tuple(_resolved(a, constants) for a in args)


def _resolved(argument: Argument, constants: Mapping[str, LiteralValue]) -> Argument:
    entries = tuple(Entry(e.key, e.key_span, _resolved(e.value, constants)) for e in argument.entries)
    name = _constant_name(argument.text)
    if not argument.resolved and name in constants:
        return dataclasses.replace(argument, value=constants[name], resolved=True, entries=entries, prefix="")
    if not argument.resolved:
        # A format! template may name constants of other modules: read it again with the crate's.
        prefix = format_prefix(argument.text, constants) or argument.prefix
        return dataclasses.replace(argument, entries=entries, prefix=prefix)
    return dataclasses.replace(argument, entries=entries)
