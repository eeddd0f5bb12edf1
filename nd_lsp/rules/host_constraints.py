"""Host-function argument limits of the spec broken by literal arguments (ND201, ND202, ND203, ND207, ND209)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, urlsplit

from nd_lsp.frontends.facts import Argument, HostCall, LiteralValue, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity
from nd_lsp.rules.plugin_api import resolve_host_call
from nd_lsp.specs.model import Constraint, HostFunction, HostService, Param

# A constraint without `rule` is reported by the rule of its kind, else by the generic ND209.
RULE_BY_KIND = {"cron": "ND205", "url": "ND206"}
GENERIC_RULE = "ND209"
# Kinds this module can judge from one value; cron and url have rules of their own.
VALUE_KINDS = frozenset({"non_empty", "positive", "max_bytes", "max_value", "unset", "contains"})
# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_SIZE = r"(?i)^\s*(\d+)\s*([KMG]i?B)?\s*$"
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_DOC_LINE = r"^([A-Za-z_][\w.]*):\s+(.+)$"
_CONSEQUENCE = {
    Severity.ERROR: "Navidrome rejects the call at run time",
    Severity.WARNING: "the call does not do what it seems to at run time",
    Severity.INFORMATION: "Navidrome treats this value specially at run time",
    Severity.HINT: "Navidrome treats this value specially at run time",
}


def rule_for(constraint: Constraint) -> str:
    """The code that reports a broken constraint: chosen by the spec's data, never by a function name."""
    return constraint.rule or RULE_BY_KIND.get(constraint.kind, GENERIC_RULE)


@frozen_dataclass
class ConstrainedArgument:
    """The argument (or struct/dict entry) of one host call that a constraint of its function is about."""

    call: HostCall
    service: HostService
    function: HostFunction
    constraint: Constraint
    argument: Argument
    spelled: str  # the parameter or key as the call's language writes it: "prefix", "MaxItems", "max_items"
    key_span: Span | None = None  # the key when the argument is an entry of a struct/dict literal

    @property
    def callee(self) -> str:
        if self.call.kind == "rust_wrapper":
            return f"{self.call.service}::{self.call.function}"
        return self.call.function

    @property
    def value(self) -> LiteralValue:
        return self.argument.value


def constrained_arguments(ctx: RuleContext, code: str) -> Iterator[ConstrainedArgument]:
    """Every argument of a resolved host call that a constraint reported by `code` is about."""
    for call in ctx.plugin.host_calls():
        resolved = resolve_host_call(ctx.spec, call)
        if resolved is None:
            continue
        service, function = resolved
        for constraint in function.constraints:
            if rule_for(constraint) != code:
                continue
            located = locate_argument(call, function, constraint.param)
            if located is not None:
                argument, spelled, key_span = located
                yield ConstrainedArgument(call, service, function, constraint, argument, spelled, key_span)


def locate_argument(call: HostCall, function: HostFunction, path: str) -> tuple[Argument, str, Span | None] | None:
    """The argument a constraint's `param` ("ttlSeconds", "options.maxItems") names in a call.

    Wrappers pass parameters by position; a raw import passes one request object keyed by JSON names.
    Struct fields are matched by name, JSON name and Rust name alike.
    """
    head, *fields = path.split(".")
    position, param = next(((i, p) for i, p in enumerate(function.params) if head in (p.name, p.json)), (-1, None))
    if param is None:
        return None
    key_span: Span | None = None
    if call.kind == "raw_import":
        entry = _entry(call.args[0], param.json) if call.args else None
        if entry is None:
            return None
        argument, spelled, key_span = entry
    elif position < len(call.args):
        argument, spelled = call.args[position], _spelled_param(call, param)
    else:
        return None
    for field_name in fields:
        entry = _entry(argument, field_name)
        if entry is None:
            return None
        argument, spelled, key_span = entry
    return argument, spelled, key_span


def _spelled_param(call: HostCall, param: Param) -> str:
    if call.kind in ("rust_wrapper", "python_wrapper"):
        return param.rust_name or param.name
    return param.name


def _entry(argument: Argument, name: str) -> tuple[Argument, str, Span] | None:
    wanted = _comparable(name)
    entry = next((e for e in argument.entries if _comparable(e.key) == wanted), None)
    return (entry.value, entry.key, entry.key_span) if entry is not None else None


def _comparable(name: str) -> str:
    # ndpgen derives every spelling of a field from one Go name (MaxItems / maxItems / max_items),
    # so they agree once case and underscores are ignored.
    return name.replace("_", "").lower()


def parse_limit(text: str) -> int | None:
    """A numeric limit of a constraint: "256", "5000", "1048576", "1MB" (1024-based, as the host counts)."""
    match = re.match(_SIZE, text)
    if match is None:
        return None
    unit = (match.group(2) or "")[:1].lower()
    return int(match.group(1)) * _SIZE_UNITS[unit]


def _number(value: LiteralValue) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _sets_a_value(argument: Argument) -> bool:
    """A known value other than the zero value that leaves the field unset (omitted on the wire)."""
    if not argument.resolved or argument.text.strip() == "None":
        return False
    return argument.value not in (None, 0, "", False)


def missing_query_parameter(uri: str, needle: str) -> bool:
    """`u=` means the query parameter `u` must be present with a value (the host reads Query().Get("u"))."""
    name = needle[:-1]
    query = urlsplit(uri).query if "?" in uri else ""
    return not any(key == name and value for key, value in parse_qsl(query, keep_blank_values=True))


def problem_of(constraint: Constraint, argument: Argument) -> str | None:
    """What is wrong with the argument, or None when it satisfies the constraint (or is unknown)."""
    kind, value = constraint.kind, argument.value
    if kind == "unset":
        return f"is set to {value}" if _sets_a_value(argument) else None
    if not argument.resolved:
        return None
    limit = parse_limit(constraint.value)
    if kind == "non_empty" and value == "":
        return "is empty"
    number = _number(value)
    if kind == "positive" and number is not None and number <= 0:
        return f"is {value}, not greater than 0"
    if kind == "max_bytes" and isinstance(value, str) and limit is not None:
        size = len(value.encode("utf-8"))
        return f"is {size} bytes long, more than the {limit} bytes allowed" if size > limit else None
    if kind == "max_value" and number is not None and limit is not None and number > limit:
        return f"is {value}, above the maximum of {limit}"
    if kind == "contains" and isinstance(value, str) and constraint.value:
        return _missing_needle(value, constraint.value)
    return None


def _missing_needle(value: str, needle: str) -> str | None:
    if needle.endswith("="):
        return f"{_quoted(value)} has no {needle}<value>" if missing_query_parameter(value, needle) else None
    return f"{_quoted(value)} does not contain {needle!r}" if needle not in value else None


def _quoted(value: str, limit: int = 60) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return f'"{shown}"'


def advice_for(constraint: Constraint, spelled: str, severity: Severity) -> str:
    limit = constraint.value
    if constraint.kind == "non_empty":
        return f"pass a non-empty {spelled}"
    if constraint.kind == "positive":
        if severity == Severity.ERROR:
            return f"pass a {spelled} greater than 0"
        return f"write the {spelled} you mean (greater than 0) if that is not what you want"
    if constraint.kind == "max_bytes":
        return f"keep {spelled} within {limit} bytes"
    if constraint.kind == "max_value":
        return f"use at most {limit}"
    if constraint.kind == "unset":
        return f"leave {spelled} unset"
    if constraint.kind == "contains" and limit.endswith("="):
        return f"add {limit}<value> to the query"
    return f"make it contain {limit!r}"


def severity_of(constraint: Constraint, default: Severity) -> Severity:
    try:
        return Severity(constraint.severity)
    except ValueError:
        return default


def explanation_of(constraint: Constraint) -> str:
    """The constraint's own sentence, as a sentence: a doc line "key: The key (max 256 bytes)" is quoted."""
    text = constraint.text.strip()
    if not text:
        return ""
    doc_line = re.match(_DOC_LINE, text)
    if doc_line is not None:
        return f'Navidrome documents {doc_line.group(1)} as "{doc_line.group(2).rstrip(".")}".'
    return text if text.endswith((".", "!", "?")) else text + "."


class HostConstraintRule(Rule):
    """Shared check of the value constraints one rule code owns (see `rule_for`)."""

    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for found in constrained_arguments(ctx, self.code):
            if found.constraint.kind not in VALUE_KINDS:
                continue
            problem = problem_of(found.constraint, found.argument)
            if problem is not None:
                yield self._finding(found, problem)

    def _finding(self, found: ConstrainedArgument, problem: str) -> Finding:
        severity = severity_of(found.constraint, self.severity)
        span = found.argument.span
        if found.constraint.kind == "unset" and found.key_span is not None:
            span = Span(span.path, found.key_span.start, span.end)
        message = (
            f"{found.callee}: {found.spelled} {problem}; {_CONSEQUENCE[severity]}; "
            f"{advice_for(found.constraint, found.spelled, severity)}. {explanation_of(found.constraint)}"
        ).rstrip()
        return self.finding(span, message, severity=severity)


class KvstoreEmptyPrefix(HostConstraintRule):
    """Deleting keys by an empty prefix, which the host refuses.

    ## What it does
    Reports a key-value store delete-by-prefix call whose prefix is a literal empty string.

    ## Why is this bad?
    Navidrome refuses an empty prefix ("prefix cannot be empty") instead of deleting every key, so
    the call returns an error and nothing is deleted. The compiler cannot see this.

    ## Example
    ```rust
    nd_pdk::host::kvstore::delete_by_prefix("")?;
    ```
    ```go
    host.KVStoreDeleteByPrefix("")
    ```
    ```python
    _kvstore_deletebyprefix(extism.memory.alloc(json.dumps({"prefix": ""}).encode()).offset)
    ```

    ## Use instead
    ```rust
    nd_pdk::host::kvstore::delete_by_prefix("cache:")?;
    ```
    ```go
    host.KVStoreDeleteByPrefix("cache:")
    ```
    ```python
    _kvstore_deletebyprefix(extism.memory.alloc(json.dumps({"prefix": "cache:"}).encode()).offset)
    ```
    """

    code = "ND201"
    name = "kvstore-empty-prefix"
    severity = Severity.ERROR


class KvstoreInvalidTtl(HostConstraintRule):
    """Storing a key-value entry with a time-to-live of zero or less.

    ## What it does
    Reports a key-value store set-with-TTL call whose TTL literal is 0 or negative.

    ## Why is this bad?
    Navidrome refuses the call ("ttlSeconds must be greater than 0"), so the value is never stored.
    A TTL of 0 does not mean "forever": use the plain set function for entries that never expire.

    ## Example
    ```rust
    nd_pdk::host::kvstore::set_with_ttl("token", value, 0)?;
    ```
    ```go
    host.KVStoreSetWithTTL("token", value, 0)
    ```
    ```python
    request = {"key": "token", "value": base64.b64encode(token).decode(), "ttlSeconds": 0}
    _kvstore_setwithttl(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```

    ## Use instead
    ```rust
    nd_pdk::host::kvstore::set_with_ttl("token", value, 3600)?;
    ```
    ```go
    host.KVStoreSetWithTTL("token", value, 3600)
    ```
    ```python
    request = {"key": "token", "value": base64.b64encode(token).decode(), "ttlSeconds": 3600}
    _kvstore_setwithttl(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```
    """

    code = "ND202"
    name = "kvstore-invalid-ttl"
    severity = Severity.ERROR


class KvstoreInvalidKey(HostConstraintRule):
    """A key-value store key literal that is empty or longer than the host allows.

    ## What it does
    Reports a key literal of a key-value store call that is empty or longer than 256 bytes (counted
    in UTF-8, so accented letters and emoji count more than once).

    ## Why is this bad?
    Navidrome refuses such keys ("key cannot be empty", "key exceeds maximum length of 256 bytes"), so the value
    is never stored or read.

    ## Example
    ```rust
    nd_pdk::host::kvstore::set("", value)?;
    ```
    ```go
    host.KVStoreSet("", value)
    ```
    ```python
    _kvstore_get(extism.memory.alloc(json.dumps({"key": ""}).encode()).offset)
    ```

    ## Use instead
    ```rust
    nd_pdk::host::kvstore::set("last-sync", value)?;
    ```
    ```go
    host.KVStoreSet("last-sync", value)
    ```
    ```python
    _kvstore_get(extism.memory.alloc(json.dumps({"key": "last-sync"}).encode()).offset)
    ```
    """

    code = "ND203"
    name = "kvstore-invalid-key"
    severity = Severity.ERROR


class SubsonicMissingUser(HostConstraintRule):
    """A Subsonic API call whose URI does not say which user it is made for.

    ## What it does
    Reports a Subsonic API call (JSON or raw) whose URI literal has no `u=<username>` query parameter.

    ## Why is this bad?
    Navidrome runs every Subsonic call as a user and refuses a URI without one ("missing required
    parameter 'u' (username)"), so the call always fails.

    ## Example
    ```rust
    nd_pdk::host::subsonicapi::call("getAlbumList2?type=random&size=10")?;
    ```
    ```go
    host.SubsonicAPICall("getAlbumList2?type=random&size=10")
    ```
    ```python
    request = {"uri": "getAlbumList2?type=random&size=10"}
    _subsonicapi_call(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```

    ## Use instead
    ```rust
    nd_pdk::host::subsonicapi::call("getAlbumList2?type=random&size=10&u=admin")?;
    ```
    ```go
    host.SubsonicAPICall("getAlbumList2?type=random&size=10&u=" + user)
    ```
    ```python
    request = {"uri": f"getAlbumList2?type=random&size=10&u={user}"}
    _subsonicapi_call(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```
    """

    code = "ND207"
    name = "subsonic-missing-user"
    severity = Severity.ERROR


class HostArgumentLimit(HostConstraintRule):
    """A literal argument outside a documented limit of a host function.

    ## What it does
    Reports literal arguments that break a limit the host function documents or enforces, other
    than the key-value store and Subsonic ones: a task queue name that is empty or longer than 128
    bytes, a task payload over 1 MB, a scrobble page size (`maxItems`) above 5000, a pagination
    `offset` set by hand, and a cache TTL of 0 or less (information: it means the 24-hour default).

    ## Why is this bad?
    The host either refuses the call (an error at run time), silently caps the value, or, for a
    hand-set `offset`, skips scrobbles without telling you.

    ## Example
    ```rust
    nd_pdk::host::task::create_queue("", config)?;
    ```
    ```go
    host.TaskCreateQueue("", config)
    ```
    ```python
    request = {"name": "", "config": {"concurrency": 1}}
    _task_createqueue(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```

    ## Use instead
    ```rust
    nd_pdk::host::task::create_queue("downloads", config)?;
    ```
    ```go
    host.TaskCreateQueue("downloads", config)
    ```
    ```python
    request = {"name": "downloads", "config": {"concurrency": 1}}
    _task_createqueue(extism.memory.alloc(json.dumps(request).encode()).offset)
    ```
    """

    code = "ND209"
    name = "host-argument-limit"
    severity = Severity.ERROR
