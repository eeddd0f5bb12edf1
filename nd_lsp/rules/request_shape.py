"""ND208: a Python raw host call whose request dict does not have the keys and value types the host reads."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator

from nd_lsp.frontends.facts import Argument, Entry, HostCall, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit
from nd_lsp.rules.plugin_api import suggest
from nd_lsp.specs.model import HostFunction, HostService, Spec, TypeDef

_INTS = frozenset(f"{sign}int{bits}" for sign in ("", "u") for bits in ("", "8", "16", "32", "64"))
_FLOATS = frozenset({"float32", "float64"})
_BYTES = "[]byte"
# Constraint kinds whose check fails on the zero value ("" or 0) of the parameter they are about.
_ZERO_REJECTED = frozenset({"non_empty", "positive", "cron", "url", "contains"})
_REPORTED_SEVERITIES = frozenset({"error", "warning"})
# What a Python literal of each kind becomes in JSON, for messages.
_JSON_KIND = {
    "str": "a string",
    "fstring": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "list": "a list",
    "dict": "an object",
    "set": "a set",
    "bytes": "bytes",
}


@frozen_dataclass
class Slot:
    """One key the host reads: its JSON name, Go type, and whether leaving it out is normal."""

    key: str
    go_type: str
    optional: bool = False


@frozen_dataclass
class Shape:
    """The keys of one JSON object the host reads (a request, or a struct inside it)."""

    what: str  # for messages: "the `kvstore_set` request", "`request` (HTTPRequest)"
    slots: tuple[Slot, ...]
    path: str = ""  # where the object sits in the request, as constraints name it: "", "request."

    def slot(self, key: str) -> Slot | None:
        return next((s for s in self.slots if s.key == key), None)


class RequestShape(Rule):
    """A Python request dict whose keys or value types do not match what the host function reads.

    ## What it does
    Checks the dict a Python plugin JSON-encodes for a host function (`@extism.import_fn` stub, called
    directly or through a wrapper) against the function's parameters in the target Navidrome version:
    snake_case or unknown keys, keys that belong inside a struct parameter (`http_send` reads
    `{"request": {...}}`), missing keys whose zero value the host rejects (an omitted optional key,
    such as `scheduleId`, asks for the default and is fine), literals of the wrong type, and `[]byte`
    values that are not base64 text.

    ## Why is this bad?
    The host decodes the request with Go's `encoding/json`: unknown keys are silently ignored, so the
    parameter arrives empty (`ttl_seconds` leaves `ttlSeconds` at 0, which the host rejects; a
    `schedule_id` is lost). A string where a number belongs makes the host reject the call, a `bytes`
    value makes `json.dumps` raise, and a `[]byte` parameter must be base64 text.

    ## Example
    ```python
    request = {"key": "last-sync", "value": "done", "ttl_seconds": 3600}
    _kvstore_setwithttl(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```

    ## Use instead
    ```python
    value = base64.b64encode(b"done").decode()
    request = {"key": "last-sync", "value": value, "ttlSeconds": 3600}
    _kvstore_setwithttl(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```
    """

    code = "ND208"
    name = "request-shape"
    severity = Severity.ERROR
    languages = ("python",)

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        functions = ctx.spec.all_host_functions()
        seen: set[tuple[Span, str]] = set()
        for call in ctx.plugin.host_calls():
            if call.language != "python" or call.kind != "raw_import" or not call.args:
                continue
            found = functions.get(call.function)
            request = call.args[0]
            if found is None or request.literal_kind != "dict":
                continue
            service, function = found
            for finding in _RequestCheck(self, ctx, service, function, call).request(request):
                key = (finding.span, finding.message)
                if key not in seen:
                    seen.add(key)
                    yield finding


class _RequestCheck:
    """The checks of one call's request, with what they need to name things in messages."""

    def __init__(
        self, rule: RequestShape, ctx: RuleContext, service: HostService, function: HostFunction, call: HostCall
    ):
        self.rule = rule
        self.ctx = ctx
        self.service = service
        self.function = function
        self.call = call

    def request(self, request: Argument) -> Iterator[Finding]:
        slots = tuple(Slot(p.json, p.type) for p in self.function.params)
        yield from self.object(request, Shape(f"the `{self.function.import_name}` request", slots), depth=0)

    def object(self, value: Argument, shape: Shape, depth: int) -> Iterator[Finding]:
        renamed: set[str] = set()
        for entry in value.entries:
            slot = shape.slot(entry.key)
            if slot is None:
                finding, target, is_rename = self.unknown_key(entry, shape)
                yield finding
                renamed.add(target)
                # A misspelt key's value is judged as the key it stands for.
                slot = shape.slot(target) if is_rename else None
            if slot is not None:
                yield from self.value(entry, slot, shape.path, depth)
        if value.resolved:
            yield from self.missing(value, shape, {e.key for e in value.entries} | renamed)

    def unknown_key(self, entry: Entry, shape: Shape) -> tuple[Finding, str, bool]:
        """The finding for a key the host does not read, the key it stands for, and whether it is a rename."""
        keys = [s.key for s in shape.slots]
        present = entry.key
        camel = _lower_camel(present)
        target = next((k for k in keys if k.lower() == camel.lower()), "")
        if not target:
            found = suggest(present, keys)
            target = found[0] if found else ""
        if target:
            slot = shape.slot(target)
            zero = _zero_value(slot.go_type) if slot is not None else "empty"
            message = (
                f"`{present}` is not a key of {shape.what}: Navidrome ignores it and reads `{target}` as {zero}. "
                f"Use `{target}`"
            )
            fix = Fix(f"Rename the key to `{target}`", (TextEdit(entry.key_span, target),), preferred=True)
            return self.rule.finding(entry.key_span, message, fixes=[fix]), target, True
        owner = self.struct_owning(present, shape)
        if owner:
            message = (
                f"`{present}` belongs inside `{owner}`: `{self.function.import_name}` reads "
                f'{{"{owner}": {{...}}}}, so Navidrome ignores this key'
            )
            return self.rule.finding(entry.key_span, message), owner, False
        listed = ", ".join(f"`{k}`" for k in keys) or "no keys"
        message = f"`{present}` is not a key of {shape.what} (it reads {listed}): Navidrome ignores it"
        return self.rule.finding(entry.key_span, message), "", False

    def struct_owning(self, key: str, shape: Shape) -> str:
        """The struct-typed slot whose fields include `key` (top-level keys sent unwrapped)."""
        wanted = _lower_camel(key).lower()
        for slot in shape.slots:
            typedef = find_type(self.ctx.spec, self.service, slot.go_type)
            if typedef is not None and any(f.json.lower() == wanted for f in typedef.fields):
                return slot.key
        return ""

    def missing(self, value: Argument, shape: Shape, present: set[str]) -> Iterator[Finding]:
        absent = [
            s for s in shape.slots if s.key not in present and not s.optional and self.rejects_zero(shape.path + s.key)
        ]
        if not absent:
            return
        names = ", ".join(f"`{s.key}`" for s in absent)
        zero = "; ".join(f"`{s.key}` = {_zero_value(s.go_type)}" for s in absent)
        message = f"{shape.what} has no {names}: Navidrome reads the zero value ({zero}). Add the missing keys"
        yield self.rule.finding(_opening(value.span), message, severity=Severity.WARNING)

    def rejects_zero(self, path: str) -> bool:
        """Whether the host refuses the zero value of a parameter, by the function's own constraints.
        Leaving out any other key is how callers ask for the default (a generated schedule ID, the
        queue defaults), so only these omissions are mistakes."""
        wanted = _comparable(path)
        for constraint in self.function.constraints:
            if constraint.kind not in _ZERO_REJECTED or constraint.severity not in _REPORTED_SEVERITIES:
                continue
            about = _comparable(constraint.param)
            if about == wanted or about.startswith(wanted + "."):  # a missing struct leaves its fields zero
                return True
        return False

    def value(self, entry: Entry, slot: Slot, path: str, depth: int) -> Iterator[Finding]:
        argument = entry.value
        kind = argument.literal_kind
        go_type = slot.go_type.lstrip("*")
        if not kind or kind == "none":
            return
        if go_type == _BYTES:
            yield from self.bytes_value(entry, argument)
            return
        expected = _expected_kinds(go_type)
        if expected is not None and kind not in expected:
            yield self.wrong_type(entry, argument, go_type)
            return
        if kind == "dict" and depth < 4:
            typedef = find_type(self.ctx.spec, self.service, go_type)
            if typedef is not None and typedef.fields:
                slots = tuple(Slot(f.json, f.type, f.omitempty or f.type.startswith("*")) for f in typedef.fields)
                shape = Shape(f"`{entry.key}` ({typedef.name})", slots, f"{path}{entry.key}.")
                yield from self.object(argument, shape, depth + 1)

    def bytes_value(self, entry: Entry, argument: Argument) -> Iterator[Finding]:
        if argument.literal_kind == "bytes":
            yield self.rule.finding(
                argument.span,
                f"`{entry.key}` is sent as bytes: json.dumps cannot encode bytes, so the call raises TypeError "
                "before it reaches Navidrome. Send base64 text: base64.b64encode(data).decode()",
            )
        elif argument.resolved and isinstance(argument.value, str) and not _is_base64(argument.value):
            yield self.rule.finding(
                argument.span,
                f"`{entry.key}` is []byte on the host, which Navidrome decodes from base64; "
                f"{argument.text} is not base64, so the call fails. Send base64.b64encode(data).decode()",
            )
        elif argument.literal_kind not in ("str", "fstring", "bytes"):
            yield self.wrong_type(entry, argument, _BYTES)

    def wrong_type(self, entry: Entry, argument: Argument, go_type: str) -> Finding:
        wanted = "base64 text" if go_type == _BYTES else _describe(go_type)
        if go_type not in ("string", "bool"):
            wanted += f" ({go_type})"
        got = _JSON_KIND.get(argument.literal_kind, argument.literal_kind)
        return self.rule.finding(
            argument.span,
            f"`{entry.key}` must be {wanted}, not {got}: Navidrome cannot decode the request and "
            f"`{self.function.import_name}` fails",
        )


def find_type(spec: Spec, service: HostService, go_type: str) -> TypeDef | None:
    """The struct a Go type names (`HTTPRequest`, `*types.SongRef`), looked up in the service, then shared types."""
    name = go_type.lstrip("*").rsplit(".", 1)[-1]
    if not name or go_type.startswith(("[]", "map[")):
        return None
    pools = [service.types, spec.shared_types, *(s.types for s in spec.host_services)]
    for pool in pools:
        found = next((t for t in pool if t.name == name), None)
        if found is not None:
            return found
    return None


def _expected_kinds(go_type: str) -> frozenset[str] | None:
    """Python literal kinds that encode to the JSON a Go type decodes; None when anything may do."""
    if go_type == "string":
        return frozenset({"str", "fstring"})
    if go_type in _INTS:
        return frozenset({"int"})
    if go_type in _FLOATS:
        return frozenset({"int", "float"})
    if go_type == "bool":
        return frozenset({"bool"})
    if go_type.startswith("[]"):
        return frozenset({"list"})
    if go_type.startswith("map["):
        return frozenset({"dict"})
    if go_type in ("any", "interface{}", ""):
        return None
    return frozenset({"dict"})  # a struct


def _describe(go_type: str) -> str:
    if go_type == "string":
        return "a string"
    if go_type in _INTS:
        return "an integer"
    if go_type in _FLOATS:
        return "a number"
    if go_type == "bool":
        return "a boolean"
    if go_type.startswith("[]"):
        return "a list"
    return "an object"


def _zero_value(go_type: str) -> str:
    kind = _describe(go_type.lstrip("*"))
    if go_type.startswith("*"):
        return "null"
    return {"a string": '""', "an integer": "0", "a number": "0", "a boolean": "false"}.get(kind, "empty")


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _comparable(name: str) -> str:
    """Go names (`scheduleID`, `request.url`) and JSON names (`scheduleId`) of one parameter agree."""
    return name.replace("_", "").lower()


def _lower_camel(key: str) -> str:
    """`schedule_id` -> `scheduleId`, `ttl_seconds` -> `ttlSeconds` (the JSON names of Navidrome's params)."""
    head, *rest = [p for p in key.split("_") if p] or [key]
    return head[:1].lower() + head[1:] + "".join(p[:1].upper() + p[1:] for p in rest)


def _opening(span: Span) -> Span:
    """A dict written over several lines is marked at its opening brace only."""
    if span.start.line == span.end.line:
        return span
    return Span.at(span.path, span.start.line, span.start.column, span.start.line, span.start.column + 1)
