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
    Found,
    let_bindings,
    parse_rust,
    parse_rust_file,
    path_of,
    queried_nodes,
    walk_all,
)
from nd_lsp.frontends.rust_units import (
    FileCache,
    FileCaches,
    Unit,
    Visited,
    add,
    fact_counts,
    facts_since,
    file_lists,
    found_by_unit,
    moved,
    new_unit_facts,
    nodes_with,
    summarize,
    units_of,
)
from nd_lsp.frontends.rust_values import Locals, ValueReader, format_prefix, read_constants
from nd_lsp.frontends.source_order import walk
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


_FILE = _Outer()  # the nodes of the file itself

# Items whose body a node may sit in: a function, or a static / constant initialiser.
_ENCLOSING_KINDS = frozenset({"function_item", "static_item", "const_item"})
# Found kinds the walk does nothing with (read by summaries and `let` lookups).
_SKIPPED_KINDS = frozenset({"let_declaration"})


class _Where:
    """What encloses the node a walk of found nodes is at. The walk meets an item before the nodes in it,
    so the enclosing items are a stack and no node has to ask for its parents (each `parent` descends
    from the root again)."""

    def __init__(self, outer: _Outer) -> None:
        self.outer = outer
        self.items: list[tuple[int, Node]] = []  # the enclosing _ENCLOSING_KINDS items, innermost last: (end, item)
        self.answer: tuple[str, bool] | None = None  # `enclosing()` while the items stay the same
        self.use_end = -1  # the end of the last `use` declaration met
        self.macro_names: set[Node | None] = set()  # the `macro` of each macro invocation met
        self.inner_paths: set[Node | None] = set()  # the `path` of each scoped path met

    def leave_items(self, start: int) -> None:
        """The walk is at a node starting at `start`: the items ending before it are left."""
        items = self.items
        while items and items[-1][0] <= start:
            items.pop()
            self.answer = None

    def enter(self, item: Node) -> None:
        """The walk is at an item of _ENCLOSING_KINDS: the nodes after it up to its end are in it."""
        self.items.append((item.end_byte, item))
        self.answer = None

    def enclosing(self) -> tuple[str, bool]:
        """The function the node sits in, and whether it runs while statics are initialised."""
        if self.answer is None:
            if not self.items:
                self.answer = self.outer.function, self.outer.in_init
            elif (item := self.items[-1][1]).type == "function_item":
                self.answer = text(item.child_by_field_name("name")), False
            else:
                self.answer = "", True
        return self.answer

    def in_use_or_macro_name(self, node: Node, start: int) -> bool:
        """The node is inside a `use` declaration, or names the macro of an invocation."""
        return start < self.use_end or node in self.macro_names


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
        known = [cache.summaries.get(unit.key) if not unit.has_error else None for unit in self.units]
        # The nodes the summaries, walks and `let` readers look at, per unit index: one query per read.
        self.found = found_by_unit(self.root, self.units, [i for i, summary in enumerate(known) if summary is None])
        self.summaries = {
            unit.key: summary or summarize(self.found[index])
            for index, (unit, summary) in enumerate(zip(self.units, known, strict=True))
        }
        cache.summaries = self.summaries  # only the units of this text are kept
        scope = read_use_scope(self._nodes_with("use_declaration"))
        smap = ByteSourceMap(path, source)
        self.ctx = RustFileContext(smap, scope, layout.rust_crate, layout.import_namespace)
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
        self.unit_lets: list[tuple[int, str, Node]] | None = None  # of the unit being walked, read when needed
        self.unit_found: Found = []  # the found nodes of the unit being walked
        self.part = new_unit_facts()  # the lists the walk appends facts to: the file's, once it walks
        # `macro_rules! register_all { ($t:ty) => { nd_pdk::register_x!($t); } }`: macro -> (register macro
        # it expands to, index of the macro argument that becomes the registered type)
        self.user_macros: dict[str, list[tuple[Registration, int]]] = {}

    def _find(self, units: list[int]) -> None:
        """Query the found nodes of these units (indices, ascending) where the summaries did not need them."""
        self.found.update(found_by_unit(self.root, self.units, [index for index in units if index not in self.found]))

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
        # Only units with an impl of a PDK trait are looked at (their summaries know the traits written).
        units = [i for i, u in enumerate(self.units) if any(map(self._is_pdk_trait, self.summaries[u.key].impl_traits))]
        self._find(units)
        impls = [node for index in units for kind, node in self.found[index] if kind == "impl_item"]
        for impl in impls:
            if not self._is_pdk_trait(path_of(impl.child_by_field_name("trait"))):
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
        if not self.user_macros:
            return []
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
        lists = self.part = file_lists(self.facts)
        reused = [self._reusable(unit, context) for unit in self.units]
        self._find([index for index, visited in enumerate(reused) if visited is None])
        for index, (unit, visited) in enumerate(zip(self.units, reused, strict=True)):
            if visited is None:
                visited = self._walk_unit(unit, self.found[index], context)
            else:
                if visited.start_line != unit.start_line:
                    # Moved once; stored at the new line so the next keystroke reuses it as is.
                    lines = unit.start_line - visited.start_line
                    facts = moved(visited.facts, lines)
                    visited = dataclasses.replace(visited, start_line=unit.start_line, facts=facts)
                add(visited.facts, lists)
            kept[unit.key] = visited
        self.cache.visited = kept

    def _reusable(self, unit: Unit, context: object) -> Visited | None:
        """The facts of the unit's walk in the last read, when they still hold."""
        visited = self.cache.visited.get(unit.key)
        if visited is None or unit.has_error or not self._still_valid(visited, context):
            return None
        return visited

    def _walk_unit(self, unit: Unit, found: Found, context: object) -> Visited:
        """Walk a unit, appending its facts to the file's (what a failing walk finds up to the failure
        is kept); the unit's share of them is kept for the next read."""
        self.function_lookups = {}
        self.unit_found, self.unit_lets = found, None
        counts = fact_counts(self.part)
        self._visit(found, 0, _FILE, 0)
        return Visited(context, unit.start_line, self.function_lookups, facts_since(self.part, counts))

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

    def _visit(self, found: Found, offset: int, outer: _Outer, depth: int) -> None:
        where = _Where(outer)
        items = where.items
        for kind, node in found:  # the kinds most found first
            if items and items[-1][0] <= node.start_byte:
                where.leave_items(node.start_byte)
            if kind == "call_expression":
                self._call(node, offset, where, top_level=depth == 0)
            elif kind == "macro_invocation":
                where.macro_names.add(node.child_by_field_name("macro"))
                self._macro(node, offset, where, depth)
            elif kind in _SKIPPED_KINDS:
                continue
            elif kind == "function_item":
                if (export := export_def(node, self.ctx, offset)) is not None:
                    self.part.exports.append(export)
                where.enter(node)
            elif kind == "impl_item":
                if (impl := impl_block(node, self.ctx, offset)) is not None:
                    self.part.impls.append(impl)
            elif kind in TYPE_ITEMS:
                if (declared := type_decl(node, self.ctx, offset)) is not None:
                    self.part.types.append(declared)
            elif kind in SCOPED_PATHS:
                where.inner_paths.add(node.child_by_field_name("path"))
                if node not in where.inner_paths:
                    self._path_use(node, offset, where)
            elif kind in {"assignment_expression", "compound_assignment_expr"}:
                if self.mutable_statics:  # the only globals whose writes are facts
                    self._global_write(node, offset, where)
            elif kind == "use_declaration":
                where.use_end = node.end_byte
            elif kind in _ENCLOSING_KINDS:
                where.enter(node)

    def _macro(self, node: Node, offset: int, where: _Where, depth: int) -> None:
        found = registration(node, self.ctx, offset)
        if found is not None:
            self.part.registrations.append(found)
            return
        expanded = self._user_macro_registrations(node, offset)
        if expanded:
            self.part.registrations.extend(expanded)
            return
        if depth >= MAX_MACRO_NESTING:
            return
        tree = next((c for c in node.children if c.type == "token_tree"), None)
        if tree is None or tree.child_count < 2 or not any(c.type == "token_tree" for c in tree.named_children):
            return
        body = (tree.text or b"")[1:-1]
        content_start = tree.start_byte + offset + 1
        function, in_init = where.enclosing()
        if any(c.type == "static" for c in tree.children):
            fragment, prefix = body.replace(_LAZY_REF, b"static     "), b""
            inner = _Outer(function, True)
        else:
            fragment, prefix = _ARGS_PREFIX + body + _ARGS_SUFFIX, _ARGS_PREFIX
            inner = _Outer(function, in_init)
        self._visit(queried_nodes(parse_rust(fragment).root_node), content_start - len(prefix), inner, depth + 1)

    def _call(self, node: Node, offset: int, where: _Where, top_level: bool) -> None:
        function = node.child_by_field_name("function")
        written = path_of(function)
        if function is None or not written:
            return
        resolved = self._through_host_glob(written) or self.ctx.scope.resolve(written)
        if written[-1] in self.import_locals and (len(written) == 1 or written[0] in {"crate", "self", "super"}):
            kind: Literal["rust_wrapper", "raw_import"] = "raw_import"
            service, name = "", self.import_locals[written[-1]]
        elif self._is_host_wrapper(resolved):
            kind, service, name = "rust_wrapper", resolved[2], resolved[3]
        else:
            if len(resolved) >= 2:  # a bare local call (most calls) is no fact
                enclosing, in_init = where.enclosing()
                call_span, name_span = self.ctx.span(node, offset), self.ctx.span(_last_segment(function), offset)
                self.part.calls.append(Call("rust", "::".join(resolved), call_span, name_span, enclosing, in_init))
            return
        enclosing, in_init = where.enclosing()
        name_node = _last_segment(function)
        self.consumed_paths.add((function.start_byte + offset, function.end_byte + offset))
        locals_ = self._locals_before(node) if top_level else {}
        args = tuple(self.values.argument(a, offset, locals_) for a in _call_arguments(node))
        self.part.host_calls.append(
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
        if self.unit_lets is None:
            self.unit_lets = let_bindings(self.unit_found)
        # The function's bindings are the unit's between its start and its end (the call is before that).
        low, high = function.start_byte, call.start_byte
        return {name: value for start, name, value in self.unit_lets if low <= start < high}

    def _global_write(self, node: Node, offset: int, where: _Where) -> None:
        target = _assigned_root(node.child_by_field_name("left"))
        enclosing, _ = where.enclosing()
        if target is not None and enclosing and text(target) in self.mutable_statics:
            self.part.global_writes.append(GlobalWrite("rust", text(target), self.ctx.span(target, offset), enclosing))

    def _path_use(self, node: Node, offset: int, where: _Where) -> None:
        start, end = node.start_byte, node.end_byte
        if (start + offset, end + offset) in self.consumed_paths or where.in_use_or_macro_name(node, start):
            return
        written = path_of(node)
        resolved = self.ctx.scope.resolve(written)
        if not self.ctx.is_pdk_path(resolved):
            return
        kept = _item_path(resolved)
        if kept == self.ctx.scope.by_name.get(written[0]):
            return  # `Error::new` after `use nd_pdk::m::Error`: the item was reported at its `use`
        token = _segment_node(node, len(written) - (len(resolved) - len(kept)))
        method, slot = self.signature_slots.get((start, end), ("", ""))
        role: Literal["type", "expr"] = "type" if node.type == "scoped_type_identifier" else "expr"
        self.part.pdk_uses.append(PdkItemUse("rust", kept[1:], self.ctx.span(token, offset), role, method, slot))


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


def _is_inner_path(node: Node) -> bool:
    """True for the `a::b` of `a::b::c`: only whole paths are reported."""
    parent = node.parent
    return parent is not None and parent.type in SCOPED_PATHS and parent.child_by_field_name("path") == node


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
