"""Nothing from the workspace runs and no network connection is opened, in `nd-lsp check` or the server.

The workspace is a set of traps: Python modules, a Cargo build script, `//go:generate` lines, a shadowing
module next to the plugins, a jedi project file naming a workspace "interpreter", and a fake virtualenv.
Each trap writes a marker file when it runs. Both processes run with a sitecustomize.py on PYTHONPATH that
refuses (and records) every connect that is not to a Unix socket, every name lookup, and records every
process they spawn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_robustness_support import LspProcess, position_of

BIN = Path(sys.executable).parent

GUARD = """
import os
import socket
import subprocess

_NET_LOG = os.environ["ND_LSP_TEST_NET_LOG"]
_SPAWN_LOG = os.environ["ND_LSP_TEST_SPAWN_LOG"]


def _record(log, what):
    with open(log, "a", encoding="utf-8") as out:
        out.write(what + "\\n")


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _guarded(original):
    def connect(self, address):
        if self.family != getattr(socket, "AF_UNIX", object()):
            _record(_NET_LOG, f"connect {address!r}")
            raise PermissionError("network connections are refused in this test")
        return original(self, address)
    return connect


socket.socket.connect = _guarded(_connect)
socket.socket.connect_ex = _guarded(_connect_ex)
_getaddrinfo = socket.getaddrinfo


def _lookup(host, *args, **kwargs):
    _record(_NET_LOG, f"getaddrinfo {host!r}")
    raise socket.gaierror("name lookups are refused in this test")


socket.getaddrinfo = _lookup
_popen_init = subprocess.Popen.__init__


def _popen(self, args, *rest, **kwargs):
    _record(_SPAWN_LOG, repr(args))
    return _popen_init(self, args, *rest, **kwargs)


subprocess.Popen.__init__ = _popen
_system = os.system


def _os_system(command):
    _record(_SPAWN_LOG, repr(command))
    return _system(command)


os.system = _os_system
"""


def trap(marker: Path, name: str) -> str:
    """Python code that leaves a marker when it runs."""
    return f"open({str(marker / name)!r}, 'w').write('ran')\n"


def shell_trap(marker: Path, name: str) -> str:
    return f'#!/bin/sh\ntouch {marker / name}\nexec {sys.executable} "$@"\n'


JEDI_PROJECT = {
    # jedi reads .jedi/project.json from the file's folder upwards; environment_path names the
    # interpreter jedi starts for its compiled-module helper (with safe=False: no check at all).
    "py/.jedi/project.json": json.dumps(
        [1, {"path": "WS/py", "environment_path": "WS/evil-python", "load_unsafe_extensions": True}]
    ),
}


def make_workspace(root: Path, marker: Path, extra: dict[str, str] | None = None) -> dict[str, Path]:
    """Three plugins full of traps; returns the source files to open in the server."""
    files: dict[str, str] = {
        # Python plugin: every module writes a marker when imported.
        "py/manifest.json": '{"name": "py", "author": "a", "version": "1.0.0", "permissions": {}}\n',
        "py/plugin/__init__.py": trap(marker, "python-init")
        + "import extism\nfrom plugin import helper\n\n\n@extism.plugin_fn\ndef nd_on_init():\n"
        + "    helper.value()\n    extism.\n",
        "py/plugin/helper.py": trap(marker, "python-helper") + "def value():\n    return 1\n",
        "py/extism.py": trap(marker, "python-shadow-extism"),
        "py/setup.py": trap(marker, "python-setup"),
        "py/conftest.py": trap(marker, "python-conftest"),
        "py/venv/bin/python": shell_trap(marker, "venv-python"),
        "py/venv/pyvenv.cfg": "home = /usr/bin\n",
        "evil-python": shell_trap(marker, "jedi-environment"),
        # Modules that would shadow the ones nd-lsp imports if the workspace were on sys.path.
        "parso.py": trap(marker, "shadow-parso"),
        "tree_sitter.py": trap(marker, "shadow-tree-sitter"),
        "jedi.py": trap(marker, "shadow-jedi"),
        "sitecustomize.py": trap(marker, "shadow-sitecustomize"),
        # Rust plugin with a build script.
        "rs/manifest.json": '{"name": "rs", "author": "a", "version": "1.0.0"}\n',
        "rs/Cargo.toml": '[package]\nname = "rs"\nversion = "0.1.0"\nbuild = "build.rs"\n\n'
        '[lib]\ncrate-type = ["cdylib"]\n\n[dependencies]\nnd-pdk = "0.1"\n',
        "rs/build.rs": f'fn main() {{ std::fs::write("{marker / "cargo-build-rs"}", "ran").unwrap(); }}\n',
        "rs/src/lib.rs": 'use nd_pdk::host::kvstore;\n\npub fn f() {\n    let _ = kvstore::get("k");\n'
        "    kvstore::\n}\n",
        # Go plugin with go:generate lines.
        "go/manifest.json": '{"name": "go", "author": "a", "version": "1.0.0"}\n',
        "go/go.mod": "module example.com/go\n\ngo 1.24\n\ntoolchain go1.99.0\n\n"
        "require github.com/navidrome/navidrome/plugins/pdk/go v0.0.0-20260711131814-be10f89c1179\n",
        "go/main.go": f"//go:generate touch {marker / 'go-generate'}\n"
        f'//go:generate sh -c "touch {marker / "go-generate-sh"}"\n'
        'package main\n\nimport "github.com/navidrome/navidrome/plugins/pdk/go/host"\n\n'
        'func init() {\n\t_, _ = host.KVStoreGet("k")\n\thost.\n}\n\nfunc main() {}\n',
    }
    for name, text in {**files, **(extra or {})}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("WS/", f"{root}/"), encoding="utf-8")
    for script in ("evil-python", "py/venv/bin/python"):
        (root / script).chmod(0o755)
    return {"python": root / "py/plugin/__init__.py", "rust": root / "rs/src/lib.rs", "go": root / "go/main.go"}


Guarded = tuple[Path, Path, dict[str, str], dict[str, Path]]


@pytest.fixture
def guarded(tmp_path: Path) -> Guarded:
    marker = tmp_path / "markers"
    marker.mkdir()
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    workspace = tmp_path / "ws"
    sources = make_workspace(workspace, marker)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env.update(
        PYTHONPATH=str(guard),
        ND_LSP_TEST_NET_LOG=str(tmp_path / "net.log"),
        ND_LSP_TEST_SPAWN_LOG=str(tmp_path / "spawn.log"),
    )
    return workspace, marker, env, sources


def read_log(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def assert_nothing_ran(tmp_path: Path, marker: Path) -> None:
    assert sorted(p.name for p in marker.iterdir()) == [], "workspace code ran"
    assert read_log(tmp_path / "net.log") == [], "a network connection was attempted"
    workspace = str(tmp_path / "ws")
    spawned = [
        line for line in read_log(tmp_path / "spawn.log") if workspace in line or "cargo" in line or "'go'" in line
    ]
    assert spawned == [], "a workspace program or a build tool was started"


def test_the_guard_itself_records_connections(guarded: Guarded, tmp_path: Path) -> None:
    """Without this, a broken sitecustomize would make the other tests pass vacuously."""
    _, _, env, _ = guarded
    code = (
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError:\n    pass\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=30)
    assert read_log(tmp_path / "net.log")


def test_nd_lsp_check_runs_nothing_from_the_workspace(guarded: Guarded, tmp_path: Path) -> None:
    workspace, marker, env, _ = guarded
    done = subprocess.run(
        [str(BIN / "nd-lsp"), "check", "--format", "json", str(workspace)],
        cwd=workspace,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode in (0, 1, 2), done.stderr.decode()[-2000:]
    findings = json.loads(done.stdout or b"[]")
    assert {str(f["path"]).split("/")[0] for f in findings} >= {"rs", "go"}, "the plugins were checked"
    assert_nothing_ran(tmp_path, marker)


def test_the_server_runs_nothing_from_the_workspace(guarded: Guarded, tmp_path: Path) -> None:
    workspace, marker, env, sources = guarded
    serve_and_ask(workspace, env, sources, tmp_path)
    assert_nothing_ran(tmp_path, marker)


def test_a_jedi_project_file_in_the_workspace_cannot_choose_the_interpreter(guarded: Guarded, tmp_path: Path) -> None:
    """A cloned repository's .jedi/project.json must not make completion or hover start its program."""
    workspace, marker, env, sources = guarded
    make_workspace(workspace, marker, JEDI_PROJECT)
    serve_and_ask(workspace, env, {"python": sources["python"]}, tmp_path)
    assert_nothing_ran(tmp_path, marker)


def serve_and_ask(workspace: Path, env: dict[str, str], sources: dict[str, Path], tmp_path: Path) -> None:
    """Open each source in a server and ask completion and hover all over the PDK-aware spots."""
    client = LspProcess([str(BIN / "nd-lsp"), "serve"], cwd=workspace, env=env, stderr_path=tmp_path / "server.log")
    try:
        client.initialize(workspace, {"debounceMs": 0})
        for path in sources.values():
            text = path.read_text(encoding="utf-8")
            uri = client.open(path, text)
            client.wait_diagnostics(uri, 1, timeout=60)
            needles = ("extism.", "helper.", "import ", "kvstore::", "host.", "value", "plugin_fn")
            for needle in needles:
                index = text.find(needle)
                if index < 0:
                    continue
                for offset in (len(needle), 1):
                    position = position_of(text, index + offset)
                    params = {"textDocument": {"uri": uri}, "position": position}
                    assert "result" in client.request("textDocument/completion", params, timeout=60)
                    assert "result" in client.request("textDocument/hover", params, timeout=60)
            client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, timeout=60)
    finally:
        client.close()


def test_the_shell_traps_do_work(guarded: Guarded) -> None:
    """The traps are real: running the fake interpreter leaves its marker (so the other tests can fail)."""
    workspace, marker, env, _ = guarded
    subprocess.run([str(workspace / "evil-python"), "-c", "pass"], env=env, check=True, timeout=30)
    assert (marker / "jedi-environment").exists()
