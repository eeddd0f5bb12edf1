"""Host-call rules read facts, not syntax: the same limits hold for Rust, Go and raw Python calls."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import pytest

from nd_lsp.frontends.facts import (
    Argument,
    Entry,
    FileFacts,
    HostCall,
    JsonMember,
    JsonNode,
    LiteralValue,
    ManifestFacts,
    PluginFacts,
    Span,
)
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule
from nd_lsp.rules.host_constraints import HostArgumentLimit, KvstoreEmptyPrefix, rule_for
from nd_lsp.rules.not_in_target_version import availability
from nd_lsp.rules.url_not_allowed import (
    UrlNotAllowed,
    UrlPolicy,
    http_hostname,
    is_private_or_loopback,
    matches_host_pattern,
    split_url,
)
from nd_lsp.specs.history import ApiHistory
from nd_lsp.specs.loader import load_spec
from nd_lsp.specs.model import Constraint, Spec

SOURCE = Path("/plugin/main.x")
MANIFEST = Path("/plugin/manifest.json")


def span(line: int, path: Path = SOURCE) -> Span:
    return Span.at(path, line, 0, line, 5)


def value(line: int, literal: LiteralValue, *entries: Entry) -> Argument:
    return Argument(span(line), repr(literal), literal, resolved=not entries, entries=entries)


def entry(key: str, argument: Argument) -> Entry:
    return Entry(key, argument.span, argument)


CallKind = Literal["go_wrapper", "raw_import"]


def call(kind: CallKind, function: str, *args: Argument) -> HostCall:
    language: Literal["go", "python"] = "python" if kind == "raw_import" else "go"
    return HostCall(language, kind, "", function, span(0), span(0), args)


def json_node(data: object, line: int = 0) -> JsonNode:
    where = span(line, MANIFEST)
    if isinstance(data, dict):
        members = tuple(JsonMember(k, where, json_node(v, line + i + 1)) for i, (k, v) in enumerate(data.items()))
        return JsonNode("object", where, members=members)
    if isinstance(data, list):
        return JsonNode("array", where, items=tuple(json_node(v, line) for v in data))
    return JsonNode("string", where, value=str(data))


def run(rule: Rule, calls: list[HostCall], spec: Spec, manifest: object = None) -> list[Finding]:
    plugin = PluginFacts(Path("/plugin"))
    plugin.files[SOURCE] = FileFacts(SOURCE, "go", host_calls=calls)
    if manifest is not None:
        plugin.manifest = ManifestFacts(MANIFEST, json_node(manifest))
    return list(rule.check(RuleContext(plugin=plugin, spec=spec)))


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec("0.63.2")


def test_a_raw_python_request_is_matched_by_its_json_keys(spec: Spec) -> None:
    request = value(3, None, entry("prefix", value(4, "")))
    findings = run(KvstoreEmptyPrefix(), [call("raw_import", "kvstore_deletebyprefix", request)], spec)
    assert [f.span.start.line for f in findings] == [4]


def test_a_go_struct_literal_is_matched_by_its_go_field_names(spec: Spec) -> None:
    config = value(2, None, entry("Concurrency", value(3, 1)))
    findings = run(HostArgumentLimit(), [call("go_wrapper", "TaskCreateQueue", value(1, ""), config)], spec)
    assert [(f.span.start.line, f.severity.value) for f in findings] == [(1, "error")]


def test_an_unresolved_argument_is_never_a_finding(spec: Spec) -> None:
    unknown = Argument(span(1), "prefix", None, resolved=False)
    assert run(KvstoreEmptyPrefix(), [call("go_wrapper", "KVStoreDeleteByPrefix", unknown)], spec) == []


def test_a_host_function_missing_from_the_target_is_left_to_other_rules() -> None:
    old = load_spec("0.60.3")
    assert run(KvstoreEmptyPrefix(), [call("go_wrapper", "KVStoreDeleteByPrefix", value(1, ""))], old) == []


def test_a_constraint_without_a_rule_code_goes_to_the_rule_of_its_kind() -> None:
    assert rule_for(Constraint("x", "cron")) == "ND205"
    assert rule_for(Constraint("x", "url")) == "ND206"
    assert rule_for(Constraint("x", "max_value", "5")) == "ND209"
    assert rule_for(Constraint("x", "non_empty", rule="ND201")) == "ND201"


def test_a_raw_http_request_url_is_checked_against_the_manifest(spec: Spec) -> None:
    url = value(5, "https://cdn.example.org/a.png")
    request = value(3, None, entry("request", value(4, None, entry("url", url))))
    manifest = {"permissions": {"http": {"requiredHosts": ["api.example.com"]}}}
    findings = run(UrlNotAllowed(), [call("raw_import", "http_send", request)], spec, manifest)
    assert [f.span.start.line for f in findings] == [5]
    assert "cdn.example.org" in findings[0].message


def test_no_url_finding_without_the_permission_itself(spec: Spec) -> None:
    url = value(1, "http://127.0.0.1/")
    assert run(UrlNotAllowed(), [call("go_wrapper", "WebSocketConnect", url)], spec, {"permissions": {}}) == []


def test_an_empty_websocket_list_denies_every_host(spec: Spec) -> None:
    deny = _with_url_policy(spec, "ws,wss;empty=deny")
    url = value(1, "wss://stream.example.com/feed")
    manifest = {"permissions": {"websocket": {"requiredHosts": []}}}
    findings = run(UrlNotAllowed(), [call("go_wrapper", "WebSocketConnect", url)], deny, manifest)
    assert len(findings) == 1 and "allows no host" in findings[0].message


def _with_url_policy(spec: Spec, policy: str) -> Spec:
    services = []
    for service in spec.host_services:
        functions = tuple(
            dataclasses.replace(
                f,
                constraints=tuple(
                    dataclasses.replace(c, value=policy) if c.kind == "url" else c for c in f.constraints
                ),
            )
            for f in service.functions
        )
        services.append(dataclasses.replace(service, functions=functions))
    return dataclasses.replace(spec, host_services=tuple(services))


@pytest.mark.parametrize(
    ("pattern", "host", "allowed"),
    [
        ("*", "anything.example", True),
        ("api.example.com", "api.example.com", True),
        ("api.example.com", "API.example.com", False),  # Go compares hosts case-sensitively
        ("*.example.com", "img.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "badexample.com", False),
    ],
)
def test_host_patterns_match_like_navidrome(pattern: str, host: str, allowed: bool) -> None:
    assert matches_host_pattern(pattern, host) is allowed


@pytest.mark.parametrize(
    ("url", "scheme", "hostname"),
    [
        ("https://api.example.com:8443/x?y=1", "https", "api.example.com"),
        ("HTTP://user:pw@example.com/", "http", "example.com"),
        ("http://[::1]:8080/", "http", "::1"),
        ("http://[fe80::1]/", "http", "fe80::1"),
        ("example.com/path", "", ""),
        ("wss://stream.example.com", "wss", "stream.example.com"),
    ],
)
def test_urls_are_split_like_go_url_parse(url: str, scheme: str, hostname: str) -> None:
    parts = split_url(url)
    assert (parts.scheme, http_hostname(parts.host)) == (scheme, hostname)


@pytest.mark.parametrize(
    ("hostname", "blocked"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.31.0.1", True),
        ("172.32.0.1", False),
        ("192.168.1.20", True),
        ("169.254.1.1", True),
        ("::1", True),
        ("fd00::1", True),
        ("fe80::1", True),
        ("::ffff:127.0.0.1", True),
        ("8.8.8.8", False),
        ("musicbrainz.org", False),
    ],
)
def test_private_and_loopback_addresses_need_an_explicit_entry(hostname: str, blocked: bool) -> None:
    assert is_private_or_loopback(hostname) is blocked


def test_url_policy_reads_schemes_and_the_empty_list_behaviour() -> None:
    assert UrlPolicy.parse("http,https") == UrlPolicy(("http", "https"), "public")
    assert UrlPolicy.parse("ws,wss;empty=deny") == UrlPolicy(("ws", "wss"), "deny")


def test_items_newer_than_the_target_name_the_release_that_has_them() -> None:
    history = ApiHistory.load()
    assert availability(history, "import", "kvstore_deletebyprefix", "0.60.3") == "is available since Navidrome 0.61.0"
    assert availability(history, "import", "kvstore_deletebyprefix", "0.61.0") == ""
    assert availability(history, "import", "storage_getstoragepath", "0.63.2").startswith("exists only on")
    assert availability(history, "import", "no_such_function", "0.63.2") == ""


def test_items_removed_before_the_target_name_their_last_release() -> None:
    history = ApiHistory.load()
    removed = [name for (kind, name), h in history.index.items() if kind == "python_host" and h.last == "0.62.0"]
    assert removed, "the generated Python PDK wrappers end with 0.62.0"
    assert availability(history, "python_host", removed[0], "0.63.0") == "was removed after Navidrome 0.62.0"
