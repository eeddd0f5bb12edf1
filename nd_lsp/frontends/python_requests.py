"""Python host calls: the request dict a plugin sends to an `import_fn` stub, through one wrapper level.

A Python plugin calls a host function by JSON-encoding a dict and passing its memory offset to the
stub: `_kvstore_set(extism.memory.alloc(json.dumps(request).encode()).offset)`, often inside a small
wrapper (`def kv_set(key, value): ...`) or a generic helper that receives the stub
(`_call(_kvstore_set, {"key": key})`). The request is found by following the stub's argument back
through the function's assignments to a dict display, a `dict(...)` call or a parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from parso.tree import BaseNode, Leaf, NodeOrLeaf

from nd_lsp.frontends.facts import Argument, Entry, HostCall
from nd_lsp.frontends.python_scope import ModuleIndex, Scope, constant_value
from nd_lsp.frontends.python_syntax import (
    CallShape,
    SourceMap,
    assignment_targets,
    call_shapes,
    code_of,
    dict_items,
    literal_of,
    next_leaf,
    previous_leaf,
    walk,
    walk_scope,
)

# Standard-library encoders that return bytes (the text form needs a further `.decode()`).
_BYTES_ENCODERS = frozenset({"base64.b64encode", "base64.standard_b64encode", "base64.urlsafe_b64encode"})
MAX_TRACE_DEPTH = 8
MAX_NESTING = 6

# Named tuples and a plain class, not dataclasses: each dataclass costs 0.5-0.7 ms to define at import
# (measured on Python 3.11), and nothing here needs what they add.


class Traced(NamedTuple):
    """Where a request comes from: a dict display / `dict(...)` call, or a parameter of the function."""

    node: NodeOrLeaf
    scope: Scope
    param: int | None = None
    variable: str = ""  # the local name the dict display is assigned to (for `req["k"] = v` additions)


class RequestSite(NamedTuple):
    """A place where a stub is invoked with a request: `_stub(...)` or `helper(_stub, request)`."""

    scope: Scope
    import_name: str
    call: CallShape
    stub_leaf: Leaf
    request: Traced | None


class Substitution:
    """Call-site arguments standing in for a wrapper's parameters (by index)."""

    __slots__ = ("arguments", "literals_resolved")

    def __init__(self, arguments: dict[int, Argument] | None = None, literals_resolved: bool = True) -> None:
        self.arguments: dict[int, Argument] = {} if arguments is None else arguments
        self.literals_resolved = literals_resolved  # False at call sites: the wrapper's own literals are reported once


def _is_reference(leaf: Leaf) -> bool:
    """A name read as a variable: not `x.<name>`, not a keyword argument's name, not a def name."""
    previous = previous_leaf(leaf)
    if previous is not None and previous.type == "operator" and previous.value == ".":
        return False
    following = next_leaf(leaf)
    parent = leaf.parent
    if parent is not None and parent.type == "argument" and following is not None and following.value == "=":
        return False
    return not (parent is not None and parent.type in ("funcdef", "classdef") and parent.children[1] is leaf)


def _is_dict_call(node: NodeOrLeaf, index: ModuleIndex, scope: Scope) -> CallShape | None:
    for call in call_shapes(node):
        names = [n.value for n in call.callee]
        if names == ["dict"] and not scope.binds("dict") and not index.module_scope.binds("dict"):
            return call if not call.positional and not call.has_star_args else None
    return None


class RequestReader:
    """Builds request Arguments (entries with key spans and resolved values) for one module."""

    def __init__(self, index: ModuleIndex, source_map: SourceMap) -> None:
        self.index = index
        self.map = source_map

    # -- tracing ---------------------------------------------------------------------------------
    def trace(self, node: NodeOrLeaf, scope: Scope, at: tuple[int, int], depth: int = 0) -> Traced | None:
        """The dict (or parameter) an expression's value is built from, following local assignments."""
        if depth > MAX_TRACE_DEPTH:
            return None
        for sub in walk(node):
            if sub.type == "atom" and dict_items(sub) is not None:
                return Traced(sub, scope)
            if sub.type in ("atom_expr", "power") and _is_dict_call(sub, self.index, scope):
                return Traced(sub, scope)
            if sub.type != "name" or not isinstance(sub, Leaf) or not _is_reference(sub):
                continue
            found = self._trace_name(sub.value, scope, at, depth)
            if found is not None:
                return found
        return None

    def _trace_name(self, name: str, scope: Scope, at: tuple[int, int], depth: int) -> Traced | None:
        if name in scope.params:
            return Traced(scope.node, scope, param=scope.params.index(name))
        owner = scope if name in scope.bindings else self.index.module_scope
        binding = owner.binding_before(name, at)
        if binding is None or binding.value is None:
            return None
        found = self.trace(binding.value, owner, binding.at, depth + 1)
        if found is not None and found.node is binding.value and found.param is None:
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
                span = self.map.string_content_span(item.key) if item.key.type == "string" else self.map.span(item.key)
                entries.append(Entry(key.value, span, self.value(item.value, traced.scope, subst, depth + 1)))
        else:
            call = _is_dict_call(node, self.index, traced.scope)
            if call is None:
                return self._opaque(node)
            closed = not call.has_star_args
            for name, value in call.keywords:
                entries.append(
                    Entry(name.value, self.map.span(name), self.value(value, traced.scope, subst, depth + 1))
                )
        if traced.variable:
            added, added_closed = self._subscript_entries(traced, subst, depth)
            entries += added
            closed = closed and added_closed
        return Argument(self.map.span(node), code_of(node), None, closed, tuple(entries), "dict")

    def _subscript_entries(self, traced: Traced, subst: Substitution, depth: int) -> tuple[list[Entry], bool]:
        """`request["key"] = value` statements after the dict is built. The keys stay open when the
        variable is bound more than once (branches) or changed through a method (`request.update(...)`)."""
        entries: list[Entry] = []
        closed = len(traced.scope.bindings.get(traced.variable, [])) <= 1
        body = traced.scope.node if traced.scope.is_module else traced.scope.node.children[-1]
        for stmt in walk_scope(body):
            if _is_method_call_on(stmt, traced.variable):
                closed = False
            if stmt.type != "expr_stmt" or not isinstance(stmt, BaseNode):
                continue
            for target, operator, value in assignment_targets(stmt):
                key = _subscript_key(target, traced.variable)
                if key is None or value is None or operator != "=":
                    continue
                literal = literal_of(key)
                if literal.resolved and literal.kind == "str" and isinstance(literal.value, str):
                    span = self.map.string_content_span(key) if key.type == "string" else self.map.span(key)
                    entries.append(Entry(literal.value, span, self.value(value, traced.scope, subst, depth + 1)))
                else:
                    closed = False
        return entries, closed

    def value(self, node: NodeOrLeaf, scope: Scope, subst: Substitution, depth: int = 0) -> Argument:
        """One value as written, resolved when it is a literal, a constant or a wrapper's argument."""
        literal = literal_of(node)
        if literal.resolved:
            if not subst.literals_resolved:
                return Argument(self.map.span(node), code_of(node), literal_kind=literal.kind)
            return Argument(self.map.span(node), code_of(node), literal.value, True, literal_kind=literal.kind)
        if depth < MAX_NESTING and (dict_items(node) is not None or _is_dict_call(node, self.index, scope)):
            return self.request_argument(Traced(node, scope), subst, depth + 1)
        if node.type == "name" and isinstance(node, Leaf):
            named = self._named_value(node, scope, subst, depth)
            if named is not None:
                return named
        kind = "bytes" if self._yields_bytes(node, scope) else literal.kind
        return Argument(self.map.span(node), code_of(node), literal_kind=kind)

    def _yields_bytes(self, node: NodeOrLeaf, scope: Scope) -> bool:
        """`text.encode()` and `base64.b64encode(data)` without `.decode()`: bytes, which json.dumps
        cannot encode (the usual slip when a host parameter is `[]byte`)."""
        if node.type not in ("atom_expr", "power") or not isinstance(node, BaseNode) or len(node.children) < 2:
            return False
        call = node.children[-1]
        if not _is_call_trailer(call):
            return False
        if _attribute_name(node.children[-2]) == "encode":
            return True
        shapes = list(call_shapes(node))
        if not shapes or shapes[0].close_paren is not call.children[-1]:
            return False  # the encoder's result is used further (`b64encode(x).decode()`)
        return self.index.qualified(shapes[0].callee, scope) in _BYTES_ENCODERS

    def _named_value(self, leaf: Leaf, scope: Scope, subst: Substitution, depth: int) -> Argument | None:
        name = leaf.value
        span, text = self.map.span(leaf), leaf.value
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
                    traced = self._trace_name(name, scope, leaf.start_pos, depth)
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

    def _builds_dict(self, node: NodeOrLeaf, scope: Scope) -> bool:
        return dict_items(node) is not None or _is_dict_call(node, self.index, scope) is not None

    def _opaque(self, node: NodeOrLeaf) -> Argument:
        return Argument(self.map.span(node), code_of(node), literal_kind=literal_of(node).kind)


def _is_call_trailer(node: NodeOrLeaf) -> bool:
    return isinstance(node, BaseNode) and node.type == "trailer" and getattr(node.children[0], "value", "") == "("


def _attribute_name(node: NodeOrLeaf) -> str:
    """`encode` of the trailer `.encode`; "" for any other node."""
    if not isinstance(node, BaseNode) or node.type != "trailer" or len(node.children) != 2:
        return ""
    return str(getattr(node.children[1], "value", "")) if getattr(node.children[0], "value", "") == "." else ""


def _is_method_call_on(node: NodeOrLeaf, variable: str) -> bool:
    """`variable.method(...)`, e.g. `request.update(extra)`."""
    return any(len(call.callee) == 2 and call.callee[0].value == variable for call in call_shapes(node))


def _subscript_key(target: NodeOrLeaf, variable: str) -> NodeOrLeaf | None:
    """The key node of `variable[key]` as an assignment target."""
    if target.type not in ("atom_expr", "power") or not isinstance(target, BaseNode) or len(target.children) != 2:
        return None
    base, trailer = target.children
    if base.type != "name" or getattr(base, "value", "") != variable or not isinstance(trailer, BaseNode):
        return None
    if getattr(trailer.children[0], "value", "") != "[" or len(trailer.children) != 3:
        return None
    key: NodeOrLeaf = trailer.children[1]
    return key


def find_request_sites(index: ModuleIndex, stubs: dict[str, str], reader: RequestReader) -> Iterator[RequestSite]:
    """Every invocation of a stub (by its local name -> import name) in every scope of the module."""
    if not stubs:
        return
    for scoped in index.calls:
        # Only a call of a stub, or with a stub as an argument, can be a site (see `_sites_of_call`).
        names = scoped.names
        if (len(names) == 1 and names[0] in stubs) or any(name in stubs for name in scoped.argument_names):
            yield from _sites_of_call(scoped.call, scoped.scope, stubs, reader)


def _sites_of_call(
    call: CallShape, scope: Scope, stubs: dict[str, str], reader: RequestReader
) -> Iterator[RequestSite]:
    callee = call.callee
    arguments = [*call.positional, *(value for _, value in call.keywords)]
    at = call.node.start_pos
    if len(callee) == 1 and callee[0].value in stubs and not _shadowed(callee[0].value, scope):
        request = _first_trace(arguments, scope, at, reader)
        yield RequestSite(scope, stubs[callee[0].value], call, callee[0], request)
        return
    # A helper that receives the stub: `_call(_kvstore_set, {...})`.
    for argument in arguments:
        if argument.type == "name" and isinstance(argument, Leaf) and argument.value in stubs:
            if _shadowed(argument.value, scope):
                continue
            others = [a for a in arguments if a is not argument]
            request = _first_trace(others, scope, at, reader)
            yield RequestSite(scope, stubs[argument.value], call, argument, request)
            return


def _shadowed(name: str, scope: Scope) -> bool:
    return not scope.is_module and scope.binds(name)


def _first_trace(nodes: list[NodeOrLeaf], scope: Scope, at: tuple[int, int], reader: RequestReader) -> Traced | None:
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
    traced = reader.trace(node, call_site.scope, call_site.call.node.start_pos)
    if traced is None or traced.param is not None:
        return reader.value(node, call_site.scope, Substitution())
    return reader.request_argument(traced, Substitution())


def _argument_node(call: CallShape, wrapper: Scope, position: int) -> NodeOrLeaf | None:
    if position < len(call.positional):
        return call.positional[position]
    name = wrapper.params[position] if position < len(wrapper.params) else ""
    return next((value for key, value in call.keywords if key.value == name), None)


def _call_arguments(reader: RequestReader, call_site: CallSite, wrapper: Scope) -> dict[int, Argument]:
    arguments: dict[int, Argument] = {}
    for position in range(len(wrapper.params)):
        node = _argument_node(call_site.call, wrapper, position)
        if node is not None:
            arguments[position] = reader.value(node, call_site.scope, Substitution())
    return arguments


def _host_call(
    reader: RequestReader, import_name: str, call: CallShape, name_leaf: Leaf, scope: Scope, request: Argument | None
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
