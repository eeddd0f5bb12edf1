"""manifest.json front-end: spans of keys and values, the first syntax error with its exact position,
and robustness against input a user can type or a tool can generate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nd_lsp.check.engine import Analyzer
from nd_lsp.frontends.facts import PluginFacts, Position
from nd_lsp.frontends.manifest import MAX_DEPTH, read_manifest
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.manifest_slots import manifest_slots, parse_byte_size
from nd_lsp.rules.permissions import permission_needs, permissions_key, placeholder_value
from nd_lsp.rules.registry import rule_by_code
from nd_lsp.specs.loader import available_versions, load_spec
from nd_lsp.specs.model import RuntimeFact

PATH = Path("/plugin/manifest.json")


def _error(text: str) -> tuple[str, tuple[int, int], tuple[int, int]]:
    facts = read_manifest(PATH, text)
    assert facts.syntax_error_span is not None, "expected a syntax error"
    span = facts.syntax_error_span
    return facts.syntax_error, (span.start.line, span.start.column), (span.end.line, span.end.column)


def test_keys_and_values_carry_their_spans() -> None:
    text = '{\n  "name": "demo",\n  "permissions": {\n    "kvstore": {"maxSize": "1MB"}\n  }\n}\n'
    root = read_manifest(PATH, text).root
    assert root is not None and root.kind == "object"
    name = root.member("name")
    assert name is not None
    assert (name.key_span.start, name.key_span.end) == (Position(1, 2), Position(1, 8))
    assert (name.value.span.start, name.value.span.end) == (Position(1, 10), Position(1, 16))
    permissions = root.get("permissions")
    assert permissions is not None
    kvstore = permissions.get("kvstore")
    assert kvstore is not None and kvstore.span.start == Position(3, 15)
    size = kvstore.get("maxSize")
    assert size is not None and size.value == "1MB"
    assert (size.span.start, size.span.end) == (Position(3, 27), Position(3, 32))


def test_values_match_python_json() -> None:
    text = '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n\\"", {}], "b": {"c": []}, "big": 12345678901234567890}'
    root = read_manifest(PATH, text).root
    assert root is not None
    assert root.to_python() == json.loads(text)


def test_columns_count_code_points_and_crlf_keeps_columns() -> None:
    text = '{\r\n  "émoji🎵": 1,\r\n  "next": tru\r\n}'
    message, start, end = _error(text)
    assert start == (2, 10) and end == (2, 13)
    assert "did you mean 'true'" in message
    assert "line 3, column 11" in message


def test_duplicate_keys_are_all_kept_in_source_order() -> None:
    root = read_manifest(PATH, '{"a": 1, "a": 2}').root
    assert root is not None
    assert [m.value.value for m in root.members] == [1, 2]


@pytest.mark.parametrize(
    ("text", "start", "needle"),
    [
        ('{"a": 1,}', (0, 7), "trailing comma"),
        ('{\n  "a": 1\n  "b": 2\n}', (2, 2), "a comma is missing"),
        ('{"a" 1}', (0, 5), "expected ':'"),
        ("{'a': 1}", (0, 1), "double quotes"),
        ('{"a": 1} // done', (0, 9), "comments"),
        ('{"a": "x\\q"}', (0, 8), "invalid escape '\\q'"),
        ('{"a": "\\u12x"}', (0, 7), "four hexadecimal digits"),
        ('{"a": "abc', (0, 6), "unterminated string"),
        ('{"a": "abc\n"}', (0, 6), "unterminated string"),
        ('{"a": "a\tb"}', (0, 8), "control character U+0009"),
        ('{"a": 01}', (0, 6), "not a valid JSON number"),
        ('{"a": NaN}', (0, 6), "not a JSON number"),
        ('{"a": True}', (0, 6), "lowercase"),
        ('{"a": [1, 2}', (0, 11), "expected ',' or ']'"),
        ("", (0, 0), "empty"),
        ('{"a": 1} {}', (0, 9), "after the end"),
        ('{"a":', (0, 5), "unexpected end of file"),
    ],
)
def test_first_syntax_error_has_its_exact_position(text: str, start: tuple[int, int], needle: str) -> None:
    message, found, _ = _error(text)
    assert found == start
    assert needle in message


def test_byte_order_mark_is_an_error_but_the_tree_is_still_read() -> None:
    facts = read_manifest(PATH, '\ufeff{"name": "x"}')
    assert facts.syntax_error_span is not None and facts.syntax_error_span.start == Position(0, 0)
    assert "byte-order mark" in facts.syntax_error
    assert facts.root is not None and facts.root.get("name") is not None


def test_deep_nesting_is_a_clean_error_not_a_crash() -> None:
    message, start, _ = _error("[" * 100_000 + "]" * 100_000)
    assert f"nested deeper than {MAX_DEPTH} levels" in message
    assert start == (0, MAX_DEPTH)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert read_manifest(PATH, text).root is not None


def test_huge_strings_and_numbers_are_read() -> None:
    text = '{"a": "' + "x" * 1_000_000 + '", "b": ' + "9" * 10_000 + "}"
    root = read_manifest(PATH, text).root
    assert root is not None
    a = root.get("a")
    assert a is not None and isinstance(a.value, str) and len(a.value) == 1_000_000
    b = root.get("b")
    assert b is not None and b.value == float("inf")


def test_lone_surrogate_escapes_become_replacement_characters_like_go() -> None:
    root = read_manifest(PATH, '{"a": "x\\ud800y", "b": "\\ud83c\\udfb5"}').root
    assert root is not None
    a, b = root.get("a"), root.get("b")
    assert a is not None and a.value == "x\ufffdy"
    assert b is not None and b.value == "🎵"


@pytest.mark.parametrize(
    "garbage",
    ["\x00\x01\x02", "}{", "[[[[", '"', "\\", "\ud800", "{" + '"a":' * 50, "🎵" * 10, "-", "1e", "{,}"],
)
def test_garbage_never_raises(garbage: str) -> None:
    facts = read_manifest(PATH, garbage)
    assert facts.root is None and facts.syntax_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1MB", 1_000_000),
        ("500KB", 500_000),
        ("10MiB", 10 * 1024 * 1024),
        ("10 kib", 10 * 1024),
        ("1.5gb", 1_500_000_000),
        ("1,000", 1000),
        ("42", 42),
        ("2K", 2000),
        (" 1MB", None),
        ("1 megabyte", None),
        ("MB", None),
        ("1.2.3MB", None),
        ("-1MB", None),
        ("20000EB", None),
    ],
)
def test_sizes_parse_like_go_humanize(text: str, expected: int | None) -> None:
    parsed = parse_byte_size(text)
    if expected is None:
        assert parsed.error
    else:
        assert (parsed.value, parsed.error) == (expected, "")


# --- agreement with a reference parser, and rules that never crash on odd manifests -------------


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(value=_JSON, indent=st.sampled_from([None, 2, "\t"]))
def test_any_json_document_reads_back_to_the_same_value(value: object, indent: int | str | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    facts = read_manifest(PATH, text)
    assert facts.syntax_error == ""
    assert facts.root is not None and facts.root.to_python() == json.loads(text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="{}[]:,\"\\ \n\t0123456789.eE+-truefalsn'/abc", max_size=40))
def test_accepts_exactly_what_a_strict_json_parser_accepts(text: str) -> None:
    try:
        json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        valid = True
    except ValueError:
        valid = False
    facts = read_manifest(PATH, text)
    if "[" * (MAX_DEPTH + 1) not in text:
        assert (facts.root is not None) == valid, facts.syntax_error


_MANIFEST_KEYS = [
    "name",
    "author",
    "version",
    "permissions",
    "config",
    "schema",
    "uiSchema",
    "kvstore",
    "users",
    "maxSize",
    "taskqueue",
    "maxConcurrency",
    "library",
    "filesystem",
    "http",
    "requiredHosts",
    "reason",
    "type",
    "required",
    "properties",
    "items",
    "$ref",
    "subsonicapi",
    "matcher",
    "Users",
]
_ODD_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_MANIFEST_KEYS), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.dictionaries(st.sampled_from(_MANIFEST_KEYS), _ODD_VALUES, max_size=6))
def test_manifest_rules_never_crash_on_odd_manifests(document: dict[str, object]) -> None:
    text = json.dumps(document, indent=2)
    plugin = PluginFacts(root=PATH.parent, manifest=read_manifest(PATH, text))
    ctx = RuleContext(plugin=plugin, spec=load_spec("0.63.2"), sources={PATH: text})
    for code in ("ND301", "ND302", "ND303", "ND304", "ND305", "ND306", "ND307"):
        rule = rule_by_code(code)
        assert rule is not None
        for finding in rule().check(ctx):
            assert finding.message and finding.span.start <= finding.span.end


# --- the permission analysis reads Extism's HTTP calls from the spec ------------------------------


FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def test_extism_http_calls_named_by_the_spec_need_the_http_permission() -> None:
    spec = load_spec("0.63.2")
    root = FIXTURES / "ND304" / "rust-good-indirect-uses"
    sources: dict[Path, str] = {}
    plugin = Analyzer().collect(root, spec.layout, {}, sources, [])
    assert not any(n.kind == "extism_http" for n in permission_needs(RuleContext(plugin, spec, sources=sources)))
    named = dataclasses.replace(
        spec, runtime_facts=(*spec.runtime_facts, RuntimeFact("ND303", "rust", "extism_pdk::http::request"))
    )
    needs = [n for n in permission_needs(RuleContext(plugin, named, sources=sources)) if n.kind == "extism_http"]
    assert [(n.permission, n.what, n.span.start.line) for n in needs] == [("http", "extism_pdk::http::request", 13)]


# --- the manifest values with a grammar of their own are found in every spec ------------------------


@pytest.mark.parametrize("version", available_versions())
def test_every_spec_names_the_config_schema_the_kvstore_size_and_the_permissions(version: str) -> None:
    spec = load_spec(version)
    slots = manifest_slots(spec)
    assert slots.json_schemas == {("config", "schema")}
    assert slots.byte_sizes == {("permissions", "kvstore", "maxSize")}
    assert permissions_key(spec) == "permissions"
    assert placeholder_value(spec) == {"reason": ""}
