"""Realistic extism-py plugins (tests/fixtures/realistic/*-py) get no error and no warning, whatever
their style (wrapper layers, helper modules, aliased decorators, generated 0.62 wrappers) and however
their files are laid out (CRLF, tabs); the realistic mistakes live in tests/fixtures/rules/*/python-realistic-*."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nd_lsp.check.engine import Analyzer, CheckResult
from nd_lsp.config import load_settings
from nd_lsp.rules.finding import Severity

REALISTIC = Path(__file__).parent / "fixtures" / "realistic"
PLUGINS = sorted(p for p in REALISTIC.glob("*-py") if (p / "manifest.json").is_file())
PINNED_TO_0_62 = {"library-queue-062-py", "play-counter-062-py"}


def check(root: Path) -> CheckResult:
    return Analyzer().check(root, load_settings(root))


def noisy(result: CheckResult) -> list[str]:
    """Findings a user would have to act on, printed the way `nd-lsp check` prints them."""
    return [
        f"{f.path.name}:{f.span.start.line + 1}:{f.span.start.column + 1} {f.code} {f.message}"
        for f in result.findings
        if f.severity.rank >= Severity.WARNING.rank
    ]


def test_the_corpus_has_the_plugins_it_promises() -> None:
    assert len(PLUGINS) >= 6


@pytest.mark.parametrize("root", PLUGINS, ids=lambda p: p.name)
def test_a_correct_plugin_gets_no_error_and_no_warning(root: Path) -> None:
    result = check(root)
    assert noisy(result) == []
    assert result.problems == []


@pytest.mark.parametrize("root", PLUGINS, ids=lambda p: p.name)
def test_the_analysis_sees_the_plugins_exports_and_host_calls(root: Path) -> None:
    """A quiet result means something only if the front-end read the plugin."""
    settings = load_settings(root)
    analyzer = Analyzer()
    target = analyzer.target(root, settings)
    plugin = analyzer.collect(root, target.spec.layout, {}, {}, [])
    assert plugin.exports(), "no export read"
    assert plugin.manifest is not None and plugin.manifest.root is not None
    assert not any(f.has_syntax_errors for f in plugin.files.values())


@pytest.mark.parametrize("root", sorted(p for p in PLUGINS if p.name in PINNED_TO_0_62), ids=lambda p: p.name)
def test_nd_lsp_toml_and_pyproject_pin_the_version(root: Path) -> None:
    assert check(root).version == "0.62.0"


def _rewrite(folder: Path, change: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json", ".toml"):
            text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
            if change == "crlf":
                text = text.replace("\n", "\r\n")
            elif path.suffix == ".json":  # tab indentation
                text = "\n".join(_tabbed(line) for line in text.split("\n"))
            path.write_bytes(text.encode("utf-8"))


def _tabbed(line: str) -> str:
    stripped = line.lstrip(" ")
    return "\t" * ((len(line) - len(stripped)) // 2) + stripped


@pytest.mark.parametrize("change", ["crlf", "tabs"])
@pytest.mark.parametrize("root", PLUGINS, ids=lambda p: p.name)
def test_line_endings_and_indentation_do_not_change_the_verdict(root: Path, change: str, tmp_path: Path) -> None:
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    _rewrite(copy, change)
    assert noisy(check(copy)) == []


def test_nd_lsp_check_json_over_the_whole_corpus_is_clean_and_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nd_lsp", "check", "--format", "json", *map(str, PLUGINS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads(result.stdout)
    assert [f for f in findings if f["severity"] in ("error", "warning")] == []


# -- regressions found while writing the corpus ------------------------------------------------


def _plugin(tmp_path: Path, source: str, permissions: str, version: str = "") -> Path:
    (tmp_path / "plugin").mkdir()
    (tmp_path / "plugin" / "__init__.py").write_text(source, encoding="utf-8")
    manifest = f'{{"name": "p", "author": "a", "version": "1", "permissions": {{{permissions}}}}}'
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    if version:
        (tmp_path / "nd-lsp.toml").write_text(f'navidrome-version = "{version}"\n', encoding="utf-8")
    return tmp_path


def _codes(root: Path) -> list[tuple[int, str]]:
    return [(f.span.start.line + 1, f.code) for f in check(root).findings]


def test_classes_of_a_generated_python_module_are_no_unknown_wrappers(tmp_path: Path) -> None:
    source = (
        "import extism\n"
        "from nd_host_kvstore import HostFunctionError, KVStoreGetResult, kvstore_get\n"
        "from nd_host_kvstore import kvstore_delete_prefix\n"
        "@extism.plugin_fn\n"
        "def nd_on_init():\n"
        "    try:\n"
        "        found: KVStoreGetResult = kvstore_get('seen')\n"
        "    except HostFunctionError:\n"
        "        pass\n"
    )
    root = _plugin(tmp_path, source, '"kvstore": {}', version="0.62.0")
    assert _codes(root) == [(3, "ND204")]  # the misspelt wrapper still is one


_KV_SET = (
    "import base64\nimport json\nimport extism\n"
    '@extism.import_fn("extism:host/user", "{name}")\n'
    "def _stub(offset: int) -> int: ...\n"
    "def _host(request):\n"
    "    _stub(extism.memory.alloc(json.dumps(request).encode()).offset)\n"
    "@extism.plugin_fn\n"
    "def nd_on_init():\n"
)


def test_a_string_built_by_json_dumps_of_a_dict_is_a_string(tmp_path: Path) -> None:
    source = _KV_SET.replace("{name}", "websocket_sendtext") + (
        "    message = json.dumps({'now': 'playing'})\n"
        "    _host({'connectionId': 'c', 'message': message})\n"
    )
    root = _plugin(tmp_path, source, '"websocket": {"requiredHosts": ["ws.example.com"]}')
    assert _codes(root) == []


@pytest.mark.parametrize(
    "value",
    [
        "json.dumps({'a': 1}).encode()",
        "base64.b64encode(b'seen')",
        "encoded",
    ],
)
def test_a_bytes_expression_for_a_byte_parameter_is_reported(tmp_path: Path, value: str) -> None:
    source = _KV_SET.replace("{name}", "kvstore_set") + (
        "    encoded = 'seen'.encode('utf-8')\n"
        f"    _host({{'key': 'k', 'value': {value}}})\n"
    )
    assert _codes(_plugin(tmp_path, source, '"kvstore": {}')) == [(11, "ND208")]


def test_base64_text_for_a_byte_parameter_is_quiet(tmp_path: Path) -> None:
    source = _KV_SET.replace("{name}", "kvstore_set") + (
        "    _host({'key': 'k', 'value': base64.b64encode('seen'.encode()).decode('ascii')})\n"
    )
    assert _codes(_plugin(tmp_path, source, '"kvstore": {}')) == []


def test_leaving_out_an_optional_key_asks_for_the_default_and_is_quiet(tmp_path: Path) -> None:
    source = _KV_SET.replace("{name}", "scheduler_scheduleonetime") + (
        "    _host({'delaySeconds': 30, 'payload': 'retry'})\n"  # scheduleId "" = a generated ID
    )
    root = _plugin(tmp_path, source, '"scheduler": {}')
    (root / "plugin" / "__init__.py").write_text(
        source + "@extism.plugin_fn\ndef nd_scheduler_callback():\n    pass\n", encoding="utf-8"
    )
    assert _codes(root) == []


def test_leaving_out_a_key_whose_zero_value_the_host_rejects_is_reported(tmp_path: Path) -> None:
    source = _KV_SET.replace("{name}", "kvstore_setwithttl") + "    _host({'key': 'k', 'value': 'dg=='})\n"
    assert _codes(_plugin(tmp_path, source, '"kvstore": {}')) == [(10, "ND208")]


_PYTEST_MODULE = """import time
import plugin

CALLS = []


def test_scrobble_is_forwarded():
    plugin.nd_scrobbler_scrobble()
    time.sleep(0.1)
    CALLS.append(1)
"""


def test_the_plugins_own_pytest_files_are_not_plugin_code(tmp_path: Path) -> None:
    copy = tmp_path / "webhook-scrobbler-py"
    shutil.copytree(REALISTIC / "webhook-scrobbler-py", copy)
    (copy / "tests").mkdir()
    (copy / "tests" / "test_forwarding.py").write_text(_PYTEST_MODULE, encoding="utf-8")
    (copy / "conftest.py").write_text("import time\ntime.sleep(0)\n", encoding="utf-8")
    (copy / "plugin" / "forward_test.py").write_text(_PYTEST_MODULE, encoding="utf-8")
    assert check(copy).findings == []
    # An open, unsaved test module in the editor is no plugin code either.
    overlay = {copy / "tests" / "test_unsaved.py": _PYTEST_MODULE}
    assert Analyzer().check(copy, load_settings(copy), overlay).findings == []


_SETTINGS_PLUGIN = """import extism

SETTINGS = {}
CALLS = 0


def _lang():
    return SETTINGS["lang"]


@extism.plugin_fn
def nd_get_artist_biography():
    global SETTINGS
    SETTINGS = {"lang": extism.Config.get_str("lang") or "en"}
    extism.output_json({"biography": _lang()})


@extism.plugin_fn
def nd_get_artist_url():
    global SETTINGS
    SETTINGS = {"lang": extism.Config.get_str("lang") or "en"}
    extism.output_json({"url": "https://example.com/" + _lang()})
"""


def test_a_global_every_export_sets_afresh_before_reading_it_is_no_lost_state(tmp_path: Path) -> None:
    assert _codes(_plugin(tmp_path, _SETTINGS_PLUGIN, "")) == []


def test_a_global_read_before_it_is_set_or_by_another_export_is_lost_state(tmp_path: Path) -> None:
    counting = _SETTINGS_PLUGIN.replace(
        '    extism.output_json({"url"', "    global CALLS\n    CALLS = CALLS + 1\n    extism.output_json({\"url\""
    )
    reading = counting + "\n\n@extism.plugin_fn\ndef nd_get_album_info():\n    extism.output_json(SETTINGS)\n"
    assert _codes(_plugin(tmp_path, reading, "")) == [(14, "ND402"), (21, "ND402"), (23, "ND402")]


def test_only_the_decorator_spelling_extism_py_reads_makes_an_export_or_an_import(tmp_path: Path) -> None:
    """extism-py scans the entry file's text for `@extism.plugin_fn` and `@extism.import_fn(...)`."""
    source = (
        "import extism\n"
        "import extism as ex\n"
        "from extism import import_fn, plugin_fn\n"
        '@extism.import_fn("extism:host/user", "config_get")\n'
        "def _config_get(offset: int) -> int: ...\n"
        '@import_fn("extism:host/user", "config_keys")\n'
        "def _config_keys(offset: int) -> int: ...\n"
        "@extism.plugin_fn\n"
        "def nd_on_init(): ...\n"
        "@ex.plugin_fn\n"
        "def nd_scheduler_callback(): ...\n"
        "@plugin_fn\n"
        "def nd_task_execute(): ...\n"
    )
    assert _codes(_plugin(tmp_path, source, "")) == [(6, "ND204"), (10, "ND107"), (12, "ND107")]


def test_a_build_script_beside_the_plugin_package_is_not_plugin_code(tmp_path: Path) -> None:
    copy = tmp_path / "bio-cache-py"
    shutil.copytree(REALISTIC / "bio-cache-py", copy)
    (copy / "scripts").mkdir()
    script = "import subprocess\nimport time\n\nsubprocess.run(['extism-py', 'plugin/__init__.py'])\ntime.sleep(1)\n"
    (copy / "scripts" / "package.py").write_text(script, encoding="utf-8")
    (copy / "build.py").write_text(script, encoding="utf-8")
    assert check(copy).findings == []
    # The same sleep inside the plugin package is reported.
    (copy / "plugin" / "retry.py").write_text(script, encoding="utf-8")
    assert [(f.path.name, f.code) for f in check(copy).findings] == [("retry.py", "ND401")]
