"""jedi as the server uses it: the workspace cannot choose its interpreter, and no workspace module is imported."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nd_lsp.server import jedi_script


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The programs started while the test runs (jedi's helper process included)."""
    started: list[Any] = []
    original = subprocess.Popen.__init__

    def record(self: subprocess.Popen[bytes], args: Any, *rest: Any, **kwargs: Any) -> None:
        started.append(args)
        original(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", record)
    yield started


def hostile_plugin(root: Path) -> Path:
    """A Python plugin whose folder names its own interpreter for jedi and holds modules named like ones jedi
    imports for real (gi) or that the code imports."""
    marker = root / "ran"
    (root / "plugin").mkdir(parents=True)
    (root / "manifest.json").write_text('{"name": "p", "author": "a", "version": "1.0.0"}\n')
    evil = root / "evil-python"
    evil.write_text(f'#!/bin/sh\ntouch {marker}\nexec {sys.executable} "$@"\n')
    evil.chmod(0o755)
    (root / ".jedi").mkdir()
    project = [1, {"path": str(root), "environment_path": str(evil), "load_unsafe_extensions": True}]
    (root / ".jedi" / "project.json").write_text(json.dumps(project))
    trap = f"open({str(marker)!r}, 'w').write('imported')\n"
    (root / "gi.py").write_text(trap + "def repository():\n    pass\n")
    (root / "plugin" / "helper.py").write_text(trap + "def value():\n    return 1\n")
    source = root / "plugin" / "__init__.py"
    source.write_text("import gi\nfrom plugin import helper\n\nhelper.\ngi.\n")
    return source


def test_completion_uses_the_servers_interpreter_and_imports_nothing(tmp_path: Path, spawned: list[Any]) -> None:
    source = hostile_plugin(tmp_path / "ws")
    text = source.read_text()
    script = jedi_script.script(text, source)
    names = {c.name for c in script.complete(4, len("helper."))}
    assert "value" in names, "workspace modules are still read, as source"
    script.complete(5, len("gi."))
    script.help(4, 2)
    assert not (tmp_path / "ws" / "ran").exists(), "a workspace module was imported or its interpreter started"
    assert "gi" not in sys.modules or "ws" not in str(getattr(sys.modules["gi"], "__file__", ""))
    programs = {str(args[0]) for args in spawned if isinstance(args, (list, tuple))}
    assert programs <= {sys.executable}, programs
    assert script._inference_state.project._load_unsafe_extensions is False
