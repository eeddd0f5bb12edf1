"""The Python front-end reads an extism-py plugin into facts: exports, host imports, host calls with
their request dicts, qualified calls, global writes; best effort on broken text, never executing it."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from nd_lsp.frontends.facts import Argument, FileFacts, HostCall, Position
from nd_lsp.frontends.python import read_python
from nd_lsp.specs.model import PdkLayout

PATH = Path("/plugin/plugin/__init__.py")
LAYOUT = PdkLayout(import_namespace="extism:host/user")

PLUGIN = """\
import json
import extism

QUEUE_KEY = "pending"
EMPTY = ""


@extism.import_fn("extism:host/user", "kvstore_set")
def _kv_put(offset: int) -> int: ...


@extism.import_fn("extism:host/user", "kvstore_deletebyprefix")
def _kv_drop(offset: int) -> int: ...


def _invoke(stub, request):
    memory = extism.memory.alloc(json.dumps(request).encode("utf-8"))
    return json.loads(extism.memory.string(extism.memory.find(stub(memory.offset))))


def remember(key, encoded):
    return _invoke(_kv_put, {"key": key, "value": encoded})


@extism.plugin_fn
def nd_on_init():
    remember(QUEUE_KEY, "ZG9uZQ==")
    payload = {"prefix": EMPTY}
    body = json.dumps(payload)
    _kv_drop(extism.memory.alloc(body).offset)
"""


def read(text: str, path: Path = PATH) -> FileFacts:
    return read_python(path, text, LAYOUT)


def text_at(text: str, span_start: Position, span_end: Position) -> str:
    lines = text.split("\n")
    assert span_start.line == span_end.line
    return lines[span_start.line][span_start.column : span_end.column]


def entries(argument: Argument) -> dict[str, Argument]:
    return {e.key: e.value for e in argument.entries}


def calls_of(facts: FileFacts, function: str) -> list[HostCall]:
    return [c for c in facts.host_calls if c.function == function]


def test_exports_are_the_functions_decorated_as_extism_exports_through_any_spelling() -> None:
    text = """\
import extism
import extism as ex
from extism import plugin_fn
from extism import plugin_fn as export

@extism.plugin_fn
def nd_a(): pass

@ex.plugin_fn
def nd_b(): pass

@plugin_fn
def nd_c(): pass

@export
def nd_d(): pass

@other.plugin_fn
def nd_e(): pass

def nd_f(): pass
"""
    facts = read(text)
    assert [e.name for e in facts.exports] == ["nd_a", "nd_b", "nd_c", "nd_d"]
    first = facts.exports[0]
    assert first.kind == "python_plugin_fn"
    assert text_at(text, first.name_span.start, first.name_span.end) == "nd_a"
    assert text_at(text, first.span.start, first.span.end) == "def nd_a()"


def test_host_import_spans_cover_the_text_between_the_quotes() -> None:
    facts = read(PLUGIN)
    put = facts.host_imports[0]
    assert (put.namespace, put.name, put.local_name) == ("extism:host/user", "kvstore_set", "_kv_put")
    assert text_at(PLUGIN, put.name_span.start, put.name_span.end) == "kvstore_set"
    assert put.namespace_span is not None
    assert text_at(PLUGIN, put.namespace_span.start, put.namespace_span.end) == "extism:host/user"


def test_a_request_built_in_a_variable_and_encoded_is_traced_back_to_its_dict() -> None:
    facts = read(PLUGIN)
    (drop,) = calls_of(facts, "kvstore_deletebyprefix")
    assert drop.kind == "raw_import"
    assert drop.enclosing_function == "nd_on_init"
    assert not drop.in_init
    request = drop.args[0]
    assert request.literal_kind == "dict"
    assert request.resolved  # every key is known
    prefix = entries(request)["prefix"]
    assert (prefix.value, prefix.resolved) == ("", True)  # the module constant EMPTY
    key_span = request.entries[0].key_span
    assert text_at(PLUGIN, key_span.start, key_span.end) == "prefix"


def test_a_wrapper_call_maps_its_arguments_onto_the_request_keys() -> None:
    facts = read(PLUGIN)
    sites = calls_of(facts, "kvstore_set")
    inside, outside = sites
    # The helper call inside the wrapper: the stub is named where it is passed.
    assert inside.enclosing_function == "remember"
    assert text_at(PLUGIN, inside.name_span.start, inside.name_span.end) == "_kv_put"
    assert not entries(inside.args[0])["key"].resolved
    # The wrapper's call site: the constant passed through the wrapper is still a constant.
    assert outside.enclosing_function == "nd_on_init"
    assert text_at(PLUGIN, outside.name_span.start, outside.name_span.end) == "remember"
    key, value = entries(outside.args[0])["key"], entries(outside.args[0])["value"]
    assert (key.value, key.resolved) == ("pending", True)
    assert text_at(PLUGIN, key.span.start, key.span.end) == "QUEUE_KEY"
    assert (value.value, value.literal_kind) == ("ZG9uZQ==", "str")


def test_a_wrapper_called_at_module_level_gives_a_host_call_at_init() -> None:
    text = PLUGIN + "\nremember('boot', 'eA==')\n"
    facts = read(text)
    at_init = [c for c in calls_of(facts, "kvstore_set") if c.in_init]
    assert len(at_init) == 1
    assert at_init[0].enclosing_function == ""


def test_direct_stub_calls_with_dict_builders_and_added_keys() -> None:
    text = """\
import extism, json

@extism.import_fn("extism:host/user", "scheduler_scheduleonetime")
def _once(offset: int) -> int: ...

@extism.plugin_fn
def nd_on_init():
    request = dict(delaySeconds=5, payload="tick")
    request["schedule_id"] = "tick-1"
    _once(extism.memory.alloc(json.dumps(request)).offset)
    _once(extism.memory.alloc(json.dumps({**request, "extra": b"raw"})).offset)
"""
    facts = read(text)
    built, spread = calls_of(facts, "scheduler_scheduleonetime")
    assert [e.key for e in built.args[0].entries] == ["delaySeconds", "payload", "schedule_id"]
    assert built.args[0].resolved
    assert entries(built.args[0])["delaySeconds"].value == 5
    assert not spread.args[0].resolved  # `**request` hides which keys are sent
    assert entries(spread.args[0])["extra"].literal_kind == "bytes"


@pytest.mark.parametrize(
    "body",
    [
        "    request = {'key': 'a'}\n    request.update(extra)\n",
        "    request = {'key': 'a'}\n    if extra:\n        request = {'prefix': 'b'}\n",
        "    request = {'key': 'a', **extra}\n",
    ],
)
def test_a_request_whose_keys_may_change_is_open(body: str) -> None:
    text = (
        "import extism, json\n"
        "@extism.import_fn('extism:host/user', 'kvstore_get')\n"
        "def _get(offset: int) -> int: ...\n"
        "def look(extra):\n" + body + "    _get(extism.memory.alloc(json.dumps(request)).offset)\n"
    )
    (call,) = read(text).host_calls
    assert call.args[0].literal_kind == "dict"
    assert not call.args[0].resolved


def test_nested_request_objects_keep_their_entries() -> None:
    text = """\
import extism, json

@extism.import_fn("extism:host/user", "http_send")
def _send(offset: int) -> int: ...

@extism.plugin_fn
def nd_get_artist_url():
    inner = {"method": "GET", "url": "https://example.org/a", "timeoutMs": 500}
    _send(extism.memory.alloc(json.dumps({"request": inner})).offset)
"""
    (call,) = read(text).host_calls
    request = entries(call.args[0])["request"]
    assert request.literal_kind == "dict"
    assert entries(request)["url"].value == "https://example.org/a"
    assert entries(request)["timeoutMs"].value == 500


def test_calls_of_the_old_generated_wrappers_are_host_calls_by_wrapper_name() -> None:
    text = """\
from nd_host_kvstore import kvstore_delete_by_prefix
import nd_host_config as config

def clear():
    kvstore_delete_by_prefix("")
    config.config_get("token")
"""
    facts = read(text)
    wrappers = [(c.kind, c.service, c.function) for c in facts.host_calls]
    assert wrappers == [
        ("python_wrapper", "nd_host_kvstore", "kvstore_delete_by_prefix"),
        ("python_wrapper", "nd_host_config", "config_get"),
    ]
    assert facts.host_calls[0].args[0].value == ""


def test_standard_library_and_plugin_modules_are_not_wrappers(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("def kv(): pass\n")
    text = "from helpers import kv\nfrom os.path import join\nkv()\njoin('a')\n"
    assert read(text, tmp_path / "__init__.py").host_calls == []


@pytest.mark.parametrize(
    "text",
    [
        "import time\ndef f():\n    time.sleep(1)\n",
        "from time import sleep\ndef f():\n    sleep(1)\n",
        "import time as clock\ndef f():\n    clock.sleep(1)\n",
    ],
)
def test_sleep_is_named_through_its_import(text: str) -> None:
    (call,) = [c for c in read(text).calls if c.callee == "time.sleep"]
    assert call.enclosing_function == "f"
    assert text_at(text, call.name_span.start, call.name_span.end) in ("sleep",)


def test_a_local_function_named_like_an_import_is_not_the_import() -> None:
    text = "import time\ndef f(time):\n    time.sleep(1)\ndef sleep():\n    pass\nsleep()\n"
    assert [c.callee for c in read(text).calls] == []


def test_global_state_written_inside_an_export_is_reported_by_name() -> None:
    text = """\
import extism
counter = 0
seen = {}

@extism.plugin_fn
def nd_on_init():
    global counter
    counter += 1
    seen["x"] = 1
    local = {}
    local["y"] = 2

def helper():
    global counter
    counter = 5
"""
    writes = [(w.name, w.enclosing_function) for w in read(text).global_writes]
    assert writes == [("counter", "nd_on_init"), ("seen", "nd_on_init")]


def test_host_calls_at_module_level_are_at_init() -> None:
    text = PLUGIN + "\n_kv_drop(extism.memory.alloc(json.dumps({'prefix': 'a'})).offset)\n"
    (module_level,) = [c for c in read(text).host_calls if c.in_init]
    assert module_level.function == "kvstore_deletebyprefix"


def test_imports_are_listed_with_their_local_names() -> None:
    text = "import extism as ex\nfrom time import sleep as nap\nfrom . import sibling\nimport os.path\n"
    facts = read(text)
    assert [(i.path, i.local_name) for i in facts.imports] == [
        ("extism", "ex"),
        ("time", "nap"),
        (".", "sibling"),
        ("os.path", "os"),
    ]
    renamed = facts.imports[1].span
    assert text_at(text, renamed.start, renamed.end) == "sleep"  # the imported name, not the alias


def test_a_truncated_file_still_gives_what_precedes_the_break() -> None:
    text = PLUGIN + "\n@extism.plugin_fn\ndef nd_scheduler_callback(:\n    x = {'a': \n"
    facts = read(text)
    assert facts.has_syntax_errors
    assert "nd_on_init" in [e.name for e in facts.exports]
    assert calls_of(facts, "kvstore_deletebyprefix")


@pytest.mark.parametrize(
    "typing",
    [
        "    return _invoke(_kv_put, {",  # an unclosed bracket: in Python, the rest of the file continues it
        '    note = """never closed',  # an unclosed string
        "    if key",  # a statement left half-written
    ],
)
def test_a_definition_being_typed_leaves_the_rest_of_the_file_readable(typing: str) -> None:
    # Half-way through typing a helper near the top, everything after it still reads as before, at the same
    # positions: no export, host call or import vanishes (and no finding appears) until the typing is done.
    top = PLUGIN.index("def _invoke(")
    text = PLUGIN[:top] + "def helper(key):\n" + typing + "\n\n\n" + PLUGIN[top:]
    clean = read(PLUGIN[:top] + "def helper(key):\n    pass\n\n\n" + PLUGIN[top:])
    facts = read(text)
    assert facts.has_syntax_errors
    assert [e.name for e in facts.exports] == ["nd_on_init"]
    assert [(c.function, c.span.start.line) for c in facts.host_calls] == [
        (c.function, c.span.start.line) for c in clean.host_calls
    ]
    assert facts.exports[0].name_span == clean.exports[0].name_span
    assert [i.path for i in facts.imports] == ["json", "extism"]


def test_a_decorator_stays_with_the_definition_it_decorates_when_the_code_around_is_broken() -> None:
    text = "import extism\n\nx = len(\n\n@extism.plugin_fn\n@extism.plugin_fn\ndef nd_on_init():\n    pass\n"
    facts = read(text)
    assert facts.has_syntax_errors
    assert [(e.name, e.decorator, e.span.start.line) for e in facts.exports] == [("nd_on_init", "extism.plugin_fn", 6)]


def test_clean_code_has_no_syntax_errors() -> None:
    assert not read(PLUGIN).has_syntax_errors


def test_positions_count_code_points_and_ignore_carriage_returns() -> None:
    text = 'import extism\r\n\r\n@extism.import_fn("extism:host/user", "kvstore_get")\r\ndef _get(o): ...\r\n'
    text += '\tx = "🎵🎵"; _get(extism.memory.alloc(str({"key": "🎵"})).offset)\r\n'
    facts = read(text)
    (imp,) = facts.host_imports
    assert imp.name_span.start == Position(2, 39)
    (call,) = facts.host_calls
    key = call.args[0].entries[0]
    line = text.split("\n")[4]
    assert key.key_span.start == Position(4, line.index('"key"') + 1)
    assert key.value.span.start == Position(4, line.index('"🎵"}'))


def test_a_lone_carriage_return_does_not_shift_the_lines_that_follow() -> None:
    text = "import extism\n# a comment\rwith a lone CR\n@extism.plugin_fn\ndef nd_on_init(): pass\n"
    (export,) = read(text).exports
    assert export.name_span.start == Position(3, 4)


def test_garbage_and_every_truncation_of_a_plugin_never_crash() -> None:
    rng = random.Random(7)
    samples = [PLUGIN[:cut] for cut in range(0, len(PLUGIN), 5)]
    alphabet = "()[]{}:'\"\\@=.,#\n\t\r abcxyz_019🎵"
    samples += ["".join(rng.choice(alphabet) for _ in range(200)) for _ in range(60)]
    samples += ["(" * 3000, "x = " + "[" * 2000, "\0\0\0", "def f(:\n" * 50]
    for text in samples:
        facts = read(text)
        assert facts.language == "python"


def test_reading_python_never_imports_jedi() -> None:
    code = (
        "import sys; from pathlib import Path;"
        "from nd_lsp.frontends.python import read_python; from nd_lsp.specs.model import PdkLayout;"
        f"read_python(Path('p.py'), {PLUGIN!r}, PdkLayout());"
        "print('jedi' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


PYTHON_SOURCES = sorted(
    p for folder in ("fixtures", "../examples") for p in (Path(__file__).parent / folder).rglob("*.py")
)


@pytest.mark.parametrize("path", PYTHON_SOURCES[::7], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_query_finds_a_scopes_nodes_in_the_order_and_extent_of_a_walk(path: Path) -> None:
    from tree_sitter import Parser

    from nd_lsp.frontends.python_syntax import OWN_SCOPE, python_language, scope_nodes, walk_scope
    from nd_lsp.frontends.source_order import walk

    source = path.read_bytes()
    for cut in (len(source), len(source) * 2 // 3):  # whole, and half-written
        root = Parser(python_language()).parse(source[:cut]).root_node
        kinds = frozenset({"call", "assignment", "identifier", "return_statement"})
        definitions = [n for n in walk(root) if n.type in OWN_SCOPE]
        bodies = [b for d in definitions if (b := d.child_by_field_name("body")) is not None]
        for scope in [root, *definitions, *bodies]:
            assert scope_nodes(scope, kinds) == [n for n in walk_scope(scope) if n.type in kinds]
