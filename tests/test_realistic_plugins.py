"""Realistic plugins nd-lsp was not written against get no error and no warning.

tests/fixtures/realistic holds complete plugins of the kinds authors write (scrobblers, lyrics and
metadata agents, schedulers, WebSocket clients, task workers, sonic similarity, matcher and library
users), spread over several files and modules and pinned to Navidrome in the different ways a plugin can
be. They are correct: the Go ones build for wasip1 (tests/test_go_fixtures_build.py), the Rust ones were
checked with `cargo check` against the PDK they pin. A false error on any of them would teach users to
ignore nd-lsp; information and hints are allowed where deserved.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nd_lsp.check.engine import Analyzer
from nd_lsp.config import load_settings
from nd_lsp.rules.finding import Severity
from nd_lsp.specs.loader import released_versions

pytestmark = pytest.mark.skipif(not released_versions(), reason="no capability specs generated yet")

REALISTIC = Path(__file__).parent / "fixtures" / "realistic"
PLUGINS = sorted(p for p in REALISTIC.iterdir() if (p / "manifest.json").is_file())
LOUD = {Severity.ERROR, Severity.WARNING}
TIMEOUT = 120


def _describe(plugin: Path, findings: list[tuple[str, str, int, str]]) -> str:
    return "\n".join(f"{plugin.name}/{path}:{line}: {code} {message}" for path, code, line, message in findings)


def test_the_corpus_covers_both_compiled_languages() -> None:
    rust = [p for p in PLUGINS if (p / "Cargo.toml").is_file()]
    go = [p for p in PLUGINS if (p / "go.mod").is_file()]
    assert len(rust) >= 6 and len(go) >= 6


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_a_correct_plugin_gets_no_error_or_warning(plugin: Path) -> None:
    result = Analyzer().check(plugin, load_settings(plugin))
    assert not result.problems, result.problems
    loud = [
        (f.path.relative_to(plugin).as_posix(), f.code, f.span.start.line + 1, f.message)
        for f in result.findings
        if f.severity in LOUD
    ]
    assert not loud, _describe(plugin, loud)


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_every_source_file_of_a_plugin_is_read_without_syntax_errors(plugin: Path) -> None:
    """A plugin split over modules and folders is analysed whole."""
    analyzer = Analyzer()
    target = analyzer.target(plugin, load_settings(plugin))
    facts = analyzer.collect(plugin, target.spec.layout, {}, {}, [], target.build)
    sources = {p for p in plugin.rglob("*") if p.suffix in {".rs", ".go", ".py"}}
    assert set(facts.files) == sources
    assert not [p.name for p, f in facts.files.items() if f.has_syntax_errors or f.error]


def test_the_command_line_reports_the_corpus_clean_in_json() -> None:
    command = [sys.executable, "-m", "nd_lsp", "check", "--format", "json", "--fail-on", "warning", *map(str, PLUGINS)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    findings = json.loads(done.stdout)
    loud = [f for f in findings if f["severity"] in {"error", "warning"}]
    assert not loud, json.dumps(loud, indent=2)
    assert done.returncode == 0, done.stderr
