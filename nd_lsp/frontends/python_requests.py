"""Python host calls: the request dict a plugin sends to an `import_fn` stub, through one wrapper level.

A Python plugin calls a host function by JSON-encoding a dict and passing its memory offset to the
stub: `_kvstore_set(extism.memory.alloc(json.dumps(request).encode()).offset)`, often inside a small
wrapper (`def kv_set(key, value): ...`) or a generic helper that receives the stub
(`_call(_kvstore_set, {"key": key})`). The request is found by following the stub's argument back
through the function's assignments to a dict display, a `dict(...)` call or a parameter.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Iterator
from typing import NamedTuple

from tree_sitter import Node

from nd_lsp.frontends.facts import Argument, Entry, HostCall
from nd_lsp.frontends.python_scope import ModuleIndex, Scope, constant_value
from nd_lsp.frontends.python_syntax import (
    CHAIN_LINKS,
    CallShape,
    SourceMap,
    assignment_targets,
    call_shape,
    call_shapes,
    dict_items,
    field,
    is_assignment,
    literal_of,
    scope_nodes,
    text_of,
    unwrap,
)
from nd_lsp.frontends.source_order import walk

# Standard-library encoders that return bytes (the text form needs a further `.decode()`).
_BYTES_ENCODERS = frozenset({"base64.b64encode", "base64.standard_b64encode", "base64.urlsafe_b64encode"})
MAX_TRACE_DEPTH = 8
MAX_NESTING = 6
# The nodes of an expression chain (`a.b(x)[0]`, `await f(x)`): the outermost one of a chain holding a call
# of `dict` is that dict (see `_is_dict_call`).
_CHAIN_TYPES = frozenset(CHAIN_LINKS) | {"await"}
# The nodes of a scope that change a dict variable: calls of its methods and assignments of its keys.
_CHANGES = frozenset({"call", "assignment", "augmented_assignment"})

# Named tuples and a plain class, not dataclasses: each dataclass costs 0.5-0.7 ms to define at import
# (measured on Python 3.11), and nothing here needs what they add.


class Traced(NamedTuple):
    """Where a request comes from: a dict display / `dict(...)` call, or a parameter of the function."""

    node: Node
    scope: Scope
    param: int | None = None
    variable: str = ""  # the local name the dict display is assigned to (for `req["k"] = v` additions)


class RequestSite(NamedTuple):
    """A place where a stub is invoked with a request: `_stub(...)` or `helper(_stub, request)`."""

    scope: Scope
    import_name: str
    call: CallShape
    stub_leaf: Node  # the stub's identifier
    request: Traced | None


class Substitution:
    """Call-site arguments standing in for a wrapper's parameters (by index)."""

    __slots__ = ("arguments", "literals_resolved")

    def __init__(self, arguments: dict[int, Argument] | None = None, literals_resolved: bool = True) -> None:
        self.arguments: dict[int, Argument] = {} if arguments is None else arguments
        self.literals_resolved = literals_resolved  # False at call sites: the wrapper's own literals are reported once


def _is_reference(identifier: Node) -> bool:
    """A name read as a variable: not `x.<name>`, not a keyword argument's name, not a def or class name."""
    parent = identifier.parent
    if parent is None:
        return True
    kind = parent.type
    if kind == "attribute":
        return parent.child_by_field_name("attribute") != identifier
    if kind in ("keyword_argument", "function_definition", "class_definition"):
        return parent.child_by_field_name("name") != identifier
    return True


def _is_dict_call(node: Node, index: ModuleIndex, scope: Scope) -> CallShape | None:
    """The `dict(...)` call (keywords only) at the head of an expression chain, when `dict` is the builtin."""
    for call in call_shapes(node):
        names = [text_of(n) for n in call.callee]
        if names == ["dict"] and not scope.binds("dict") and not index.module_scope.binds("dict"):
            return call if not call.positional and not call.has_star_args else None
    return None


class RequestReader:
    """Builds request Arguments (entries with key spans and resolved values) for one module."""

    def __init__(self, index: ModuleIndex, source_map: SourceMap) -> None:
        self.index = index
        self.map = source_map
        self._dicts: list[int] | None = None  # where `dict` is written in the source (see `_may_call_dict`)

    # -- tracing ---------------------------------------------------------------------------------
    def trace(self, node: Node, scope: Scope, at: int, depth: int = 0) -> Traced | None:
        """The dict (or parameter) an expression's value is built from, following local assignments
        made before byte offset `at`."""
        if depth > MAX_TRACE_DEPTH:
            return None
        for sub in walk(node):
            kind = sub.type
            if kind == "dictionary":
                return Traced(sub, scope)
            if kind in _CHAIN_TYPES and self._may_call_dict(sub) and _is_dict_call(sub, self.index, scope):
                return Traced(sub, scope)
            if kind != "identifier" or not _is_reference(sub):
                continue
            found = self._trace_name(text_of(sub), scope, at, depth)
            if found is not None:
                return found
        return None

    def _may_call_dict(self, node: Node) -> bool:
        """Whether `dict` is written inside `node`: a cheap test before `_is_dict_call`, which reads the head of
        the expression chain of every chain node a trace walks."""
        if self._dicts is None:
            self._dicts = _mentions(self.map.bytes.source, ("dict",))
        return _mentioned_in(self._dicts, node)

    def _trace_name(self, name: str, scope: Scope, at: int, depth: int) -> Traced | None:
        if name in scope.params:
            return Traced(scope.node, scope, param=scope.params.index(name))
        owner = scope if name in scope.bindings else self.index.module_scope
        binding = owner.binding_before(name, at)
        if binding is None or binding.value is None:
            return None
        found = self.trace(binding.value, owner, binding.at, depth + 1)
        if found is not None and found.node == binding.value and found.param is None:
            return Traced(found.node, found.scope, variable=name)
        return found

    # -- building arguments ----------------------------------------------------------------------
    def request_argument(self, traced: Traced, subst: Substitution, depth: int = 0) -> Argument:
        node = traced.node
        entries: list[Entry] = []
        closed = True
        items = dict_items(node)
        if items is not None:
            for item in items:
                if item.key is None:
                    closed = False
                    continue
                key = literal_of(item.key)
                if not (key.resolved and key.kind == "str" and isinstance(key.value, str)):
                    closed = False
                    continue
                span = self.map.string_content_span(item.key)
                entries.append(Entry(key.value, span, self.value(item.value, traced.scope, subst, depth + 1)))
        else:
            call = _is_dict_call(node, self.index, traced.scope)
            if call is None:
                return self._opaque(node)
            closed = not call.has_star_args
            for name, value in call.keywords:
                entries.append(
                    Entry(text_of(name), self.map.span(name), self.value(value, traced.scope, subst, depth + 1))
                )
        if traced.variable:
            added, added_closed = self._subscript_entries(traced, subst, depth)
            entries += added
            closed = closed and added_closed
        return Argument(self.map.span(node), text_of(node), None, closed, tuple(entries), "dict")

    def _subscript_entries(self, traced: Traced, subst: Substitution, depth: int) -> tuple[list[Entry], bool]:
        """`request["key"] = value` statements after the dict is built. The keys stay open when the
        variable is bound more than once (branches) or changed through a method (`request.update(...)`)."""
        entries: list[Entry] = []
        closed = len(traced.scope.bindings.get(traced.variable, [])) <= 1
        body = traced.scope.node if traced.scope.is_module else field(traced.scope.node, "body")
        if body is None:
            return entries, closed
        for stmt in scope_nodes(body, _CHANGES):
            # A method call on the variable is one with it as the head of a two-name callee (any other call
            # of a chain has a call inside its callee).
            if stmt.type == "call":
                if _is_method_call_on(stmt, traced.variable):
                    closed = False
                continue
            if not is_assignment(stmt):
                continue
            for target, operator, value in assignment_targets(stmt):
                key = _subscript_key(target, traced.variable)
                if key is None or value is None or operator != "=":
                    continue
                literal = literal_of(key)
                if literal.resolved and literal.kind == "str" and isinstance(literal.value, str):
                    span = self.map.string_content_span(key)
                    entries.append(Entry(literal.value, span, self.value(value, traced.scope, subst, depth + 1)))
                else:
                    closed = False
        return entries, closed

    def value(self, node: Node, scope: Scope, subst: Substitution, depth: int = 0) -> Argument:
        """One value as written, resolved when it is a literal, a constant or a wrapper's argument."""
        literal = literal_of(node)
        if literal.resolved:
            if not subst.literals_resolved:
                return Argument(self.map.span(node), text_of(node), literal_kind=literal.kind)
            return Argument(self.map.span(node), text_of(node), literal.value, True, literal_kind=literal.kind)
        if depth < MAX_NESTING and self._builds_dict(node, scope):
            return self.request_argument(Traced(node, scope), subst, depth + 1)
        if node.type == "identifier":
            named = self._named_value(node, scope, subst, depth)
            if named is not None:
                return named
        kind = "bytes" if self._yields_bytes(node, scope) else literal.kind
        return Argument(self.map.span(node), text_of(node), literal_kind=kind)

    def _yields_bytes(self, node: Node, scope: Scope) -> bool:
        """`text.encode()` and `base64.b64encode(data)` without `.decode()`: bytes, which json.dumps
        cannot encode (the usual slip when a host parameter is `[]byte`)."""
        node = unwrap(node)
        if node.type != "call":
            return False
        function = field(node, "function")
        if function is not None and function.type == "attribute" and text_of(field(function, "attribute")) == "encode":
            return True
        # Only the encoder's call itself: in `b64encode(x).decode()` its result is used further.
        shape = call_shape(node)
        return shape is not None and self.index.qualified(shape.callee, scope) in _BYTES_ENCODERS

    def _named_value(self, identifier: Node, scope: Scope, subst: Substitution, depth: int) -> Argument | None:
        name = text_of(identifier)
        span, text = self.map.span(identifier), name
        if name in scope.params:
            return subst.arguments.get(scope.params.index(name))
        local = scope.bindings.get(name)
        if local is not None and not scope.is_module:
            if len(local) == 1 and local[0].value is not None:
                literal = literal_of(local[0].value)
                if literal.resolved and subst.literals_resolved:
                    return Argument(span, text, literal.value, True, literal_kind=literal.kind)
                if self._yields_bytes(local[0].value, scope):
                    return Argument(span, text, literal_kind="bytes")
                # Only a variable holding a dict display (or `dict(...)`) is that dict: a dict inside
                # a call (`json.dumps({...})`, `b64encode(...)`) is the call's input, not its value.
                if depth < MAX_NESTING and self._builds_dict(local[0].value, scope):
                    traced = self._trace_name(name, scope, identifier.start_byte, depth)
                    if traced is not None and traced.param is None:
                        nested = self.request_argument(traced, subst, depth + 1)
                        return Argument(span, text, None, nested.resolved, nested.entries, "dict")
            return None
        constant = constant_value(self.index, name)
        if constant is not None:
            literal, _ = constant
            resolved = literal.resolved and subst.literals_resolved
            return Argument(span, text, literal.value if resolved else None, resolved, literal_kind=literal.kind)
        return None

    def _builds_dict(self, node: Node, scope: Scope) -> bool:
        return dict_items(node) is not None or _is_dict_call(node, self.index, scope) is not None

    def _opaque(self, node: Node) -> Argument:
        return Argument(self.map.span(node), text_of(node), literal_kind=literal_of(node).kind)


def _is_method_call_on(call: Node, variable: str) -> bool:
    """`variable.method(...)`, e.g. `request.update(extra)`."""
    shape = call_shape(call)
    return shape is not None and len(shape.callee) == 2 and text_of(shape.callee[0]) == variable


def _subscript_key(target: Node, variable: str) -> Node | None:
    """The key node of `variable[key]` as an assignment target; for `variable[a, b]`, the whole target
    (never a literal, so the keys stay open)."""
    if target.type != "subscript":
        return None
    base = field(target, "value")
    if base is None or base.type != "identifier" or text_of(base) != variable:
        return None
    keys = target.children_by_field_name("subscript")
    if not keys:
        return None
    return keys[0] if len(keys) == 1 else target


def find_request_sites(index: ModuleIndex, stubs: dict[str, str], reader: RequestReader) -> Iterator[RequestSite]:
    """Every invocation of a stub (by its local name -> import name) in every scope of the module."""
    if not stubs:
        return
    mentions = _mentions(reader.map.bytes.source, stubs)
    for scoped in index.calls:
        # Only a call of a stub, or with a stub as an argument, can be a site (see `_sites_of_call`). The
        # arguments are read only of a call whose text holds a stub's name.
        names = scoped.names
        if (len(names) == 1 and names[0] in stubs) or (
            _mentioned_in(mentions, scoped.node) and any(name in stubs for name in scoped.argument_names)
        ):
            yield from _sites_of_call(scoped.call, scoped.scope, stubs, reader)


def _mentions(source: bytes, names: Collection[str]) -> list[int] | None:
    """The bytes where one of `names` occurs in `source` (inside longer names, strings and comments too); None
    when a name is no text of the source (undecodable bytes were replaced in it)."""
    if any("\ufffd" in name for name in names):
        return None
    pattern = re.compile(b"|".join(re.escape(name.encode("utf-8", "surrogatepass")) for name in names))
    return [match.start() for match in pattern.finditer(source)]


def _mentioned_in(mentions: list[int] | None, node: Node) -> bool:
    """Whether one of `mentions` (sorted) is inside `node` (any node when they are not known)."""
    if mentions is None:
        return True
    at = bisect_left(mentions, node.start_byte)
    return at < len(mentions) and mentions[at] < node.end_byte


def _sites_of_call(
    call: CallShape, scope: Scope, stubs: dict[str, str], reader: RequestReader
) -> Iterator[RequestSite]:
    callee = call.callee
    arguments = [*call.positional, *(value for _, value in call.keywords)]
    at = call.node.start_byte
    head = text_of(callee[0])
    if len(callee) == 1 and head in stubs and not _shadowed(head, scope):
        request = _first_trace(arguments, scope, at, reader)
        yield RequestSite(scope, stubs[head], call, callee[0], request)
        return
    # A helper that receives the stub: `_call(_kvstore_set, {...})`.
    for position, argument in enumerate(arguments):
        name = text_of(argument) if argument.type == "identifier" else ""
        if name and name in stubs:
            if _shadowed(name, scope):
                continue
            others = [a for i, a in enumerate(arguments) if i != position]
            request = _first_trace(others, scope, at, reader)
            yield RequestSite(scope, stubs[name], call, argument, request)
            return


def _shadowed(name: str, scope: Scope) -> bool:
    return not scope.is_module and scope.binds(name)


def _first_trace(nodes: list[Node], scope: Scope, at: int, reader: RequestReader) -> Traced | None:
    for node in nodes:
        traced = reader.trace(node, scope, at)
        if traced is not None:
            return traced
    return None


class CallSite(NamedTuple):
    """A call of a wrapper function, and the scope it sits in."""

    call: CallShape
    scope: Scope


def wrapper_call_sites(index: ModuleIndex, wrapper: Scope) -> list[CallSite]:
    return [
        CallSite(scoped.call, scoped.scope)
        for scoped in index.calls_by_name.get(wrapper.name, [])
        if not _shadowed(wrapper.name, scoped.scope)
    ]


def host_calls_of_module(
    index: ModuleIndex, stubs: dict[str, str], reader: RequestReader, exports: set[str]
) -> list[HostCall]:
    """HostCall facts: one per request site, plus one per call of a wrapper around a site (with the
    wrapper's parameters replaced by the call's arguments)."""
    calls: list[HostCall] = []
    for site in find_request_sites(index, stubs, reader):
        subst = Substitution()
        request = reader.request_argument(site.request, subst) if site.request and site.request.param is None else None
        calls.append(_host_call(reader, site.import_name, site.call, site.stub_leaf, site.scope, request))
        wrapper = site.scope
        if wrapper.is_module or not wrapper.module_level or wrapper.name in exports or wrapper.name in stubs:
            continue
        for call_site in wrapper_call_sites(index, wrapper):
            arguments = _call_arguments(reader, call_site, wrapper)
            outer = Substitution(arguments, literals_resolved=False)
            outer_request = _request_at_call_site(reader, site, call_site, wrapper, outer)
            calls.append(
                _host_call(
                    reader, site.import_name, call_site.call, call_site.call.callee[0], call_site.scope, outer_request
                )
            )
    return calls


def _request_at_call_site(
    reader: RequestReader, site: RequestSite, call_site: CallSite, wrapper: Scope, subst: Substitution
) -> Argument | None:
    if site.request is None:
        return None
    if site.request.param is None:
        return reader.request_argument(site.request, subst)
    # The wrapper passes its parameter on: the call site's argument is the request.
    node = _argument_node(call_site.call, wrapper, site.request.param)
    if node is None:
        return None
    traced = reader.trace(node, call_site.scope, call_site.call.node.start_byte)
    if traced is None or traced.param is not None:
        return reader.value(node, call_site.scope, Substitution())
    return reader.request_argument(traced, Substitution())


def _argument_node(call: CallShape, wrapper: Scope, position: int) -> Node | None:
    if position < len(call.positional):
        return call.positional[position]
    name = wrapper.params[position] if position < len(wrapper.params) else ""
    return next((value for key, value in call.keywords if text_of(key) == name), None)


def _call_arguments(reader: RequestReader, call_site: CallSite, wrapper: Scope) -> dict[int, Argument]:
    arguments: dict[int, Argument] = {}
    for position in range(len(wrapper.params)):
        node = _argument_node(call_site.call, wrapper, position)
        if node is not None:
            arguments[position] = reader.value(node, call_site.scope, Substitution())
    return arguments


def _host_call(
    reader: RequestReader, import_name: str, call: CallShape, name_leaf: Node, scope: Scope, request: Argument | None
) -> HostCall:
    return HostCall(
        language="python",
        kind="raw_import",
        service="",
        function=import_name,
        span=reader.map.span_between(call.callee[0], call.close_paren),
        name_span=reader.map.span(name_leaf),
        args=(request,) if request is not None else (),
        enclosing_function=scope.name,
        in_init=scope.is_module,
    )
