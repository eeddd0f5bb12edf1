"""The VS Code extension (vscode-extension/): its unit tests, its .vsix, and an end-to-end run in code-server.

Everything npm installs stays inside vscode-extension/ (node_modules/, e2e/node_modules/, .cache/npm).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "vscode-extension"
E2E = EXTENSION / "e2e"
VSIX = EXTENSION / "dist" / "nd-lsp.vsix"
NPM_CACHE = EXTENSION / ".cache" / "npm"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_TIMEOUT_S = 900  # a cold install of code-server builds native modules

pytestmark = [pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")]
if importlib.util.find_spec("pytest_timeout") is not None:
    # A cold install (npm ci, then code-server's native modules) takes minutes, past the suite's default timeout.
    pytestmark.append(pytest.mark.timeout(2 * INSTALL_TIMEOUT_S))


def _run(command: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    """Runs a command and returns its output; a failure shows that output in the test report."""
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout}"
    return completed.stdout


def _npm_ci_once(folder: Path) -> None:
    """`npm ci`, skipped when node_modules holds exactly this lockfile already."""
    lock = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    stamp = folder / "node_modules" / ".nd-lsp-installed"
    if stamp.is_file() and stamp.read_text().strip() == lock:
        return
    _run(["npm", "ci", "--cache", str(NPM_CACHE), "--no-audit", "--no-fund"], folder, INSTALL_TIMEOUT_S)
    stamp.write_text(lock + "\n")


@pytest.fixture(scope="module")
def exclusive() -> Iterator[None]:
    """One test run at a time in vscode-extension/: `npm ci` of a parallel run would delete node_modules."""
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    with (EXTENSION / ".cache" / "tests.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="module")
def installed(exclusive: None) -> None:
    _npm_ci_once(EXTENSION)


@pytest.fixture(scope="module")
def vsix(installed: None) -> Iterator[zipfile.ZipFile]:
    _run(["npm", "run", "package"], EXTENSION, 300)
    with zipfile.ZipFile(VSIX) as archive:
        yield archive


def test_unit_tests_of_the_extension_pass(installed: None) -> None:
    output = _run(["npm", "test"], EXTENSION, 300)
    assert "# fail 0" in output
    assert "# pass 0\n" not in output


def test_vsix_manifest_describes_the_extension(vsix: zipfile.ZipFile) -> None:
    manifest = json.loads(vsix.read("extension/package.json"))
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert manifest["displayName"] == "Navidrome Plugin Checker (nd-lsp)"
    assert manifest["main"] == "./dist/extension.js"
    assert f'license = {{ text = "{manifest["license"]}" }}' in pyproject
    assert set(manifest["categories"]) == {"Linters", "Programming Languages"}
    assert {"onLanguage:rust", "onLanguage:go", "onLanguage:python"} <= set(manifest["activationEvents"])
    assert any(event.startswith("workspaceContains:") for event in manifest["activationEvents"])
    settings = manifest["contributes"]["configuration"]["properties"]
    assert {
        "ndLsp.server.path",
        "ndLsp.server.python",
        "ndLsp.navidromeVersion",
        "ndLsp.select",
        "ndLsp.ignore",
        "ndLsp.trace.server",
    } <= set(settings)
    commands = {command["command"] for command in manifest["contributes"]["commands"]}
    assert commands == {"ndLsp.restartServer", "ndLsp.showOutput"}
    # The engine must admit the VS Code of code-server 4.139.1 (VS Code 1.139), the e2e target.
    engine = manifest["engines"]["vscode"]
    assert engine.startswith("^1.") and int(engine.split(".")[1]) <= 139
    assert manifest["icon"] in {name.removeprefix("extension/") for name in vsix.namelist()}
    assert vsix.read("extension/" + manifest["icon"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_vsix_ships_the_bundle_and_no_node_modules(vsix: zipfile.ZipFile) -> None:
    names = vsix.namelist()
    assert "extension/dist/extension.js" in names
    assert not [name for name in names if "node_modules/" in name or name.endswith((".ts", ".map"))]
    assert not [name for name in names if name.startswith(("extension/src/", "extension/e2e/", "extension/test/"))]
    bundle = vsix.read("extension/dist/extension.js").decode()
    # vscode-languageclient is inside the bundle; only VS Code's own module is left to require.
    assert 'require("vscode-languageclient' not in bundle
    assert "nd_lsp" in bundle


def test_bundle_contains_no_dev_dependency(vsix: zipfile.ZipFile) -> None:
    package = json.loads((EXTENSION / "package.json").read_text())
    meta = json.loads((EXTENSION / "out" / "bundle-meta.json").read_text())
    inputs = list(meta["inputs"])
    assert any(path.startswith("node_modules/vscode-languageclient/") for path in inputs)
    for dev_dependency in package["devDependencies"]:
        assert not [path for path in inputs if path.startswith(f"node_modules/{dev_dependency}/")], dev_dependency


def test_manifest_schema_comes_from_the_master_spec(vsix: zipfile.ZipFile) -> None:
    manifest = json.loads(vsix.read("extension/package.json"))
    [validation] = manifest["contributes"]["jsonValidation"]
    assert validation["fileMatch"] == "manifest.json"
    shipped = json.loads(vsix.read("extension/" + validation["url"].removeprefix("./")))
    spec = json.loads((ROOT / "capability_specs" / "master.json").read_text())
    assert "generated from capability_specs/master.json" in shipped.pop("$comment")
    assert shipped == spec["manifest_schema"]


def _python_has_nd_lsp() -> bool:
    """Whether this interpreter imports nd_lsp from anywhere, as the server started by VS Code must."""
    probe = subprocess.run([sys.executable, "-c", "import nd_lsp"], cwd="/", capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_extension_in_code_server(vsix: zipfile.ZipFile) -> None:
    """What a user sees in a real VS Code (code-server), driven by Chromium: see e2e/run-e2e.mjs.

    The Problems panel shows nd-lsp's finding, completion offers the PDK's macros, the quick fix rewrites
    the file, a changed version setting reaches the running server, manifest.json is checked against the
    shipped schema, and a Python without nd-lsp gets an error message whose button opens the setting.
    """
    if not _python_has_nd_lsp():
        pytest.skip("nd-lsp is not installed for this Python (pip install -e .)")
    _run(["bash", str(E2E / "install.sh")], E2E, INSTALL_TIMEOUT_S)
    artifacts = E2E / "artifacts"
    for old in [*artifacts.glob("*.png"), *artifacts.glob("*.log")]:
        old.unlink()
    output = _run(
        ["node", "run-e2e.mjs", "--vsix", str(VSIX), "--python", sys.executable, "--artifacts", str(artifacts)],
        E2E,
        600,
    )
    assert "PASS" in output
    for name in ("problems", "fixed", "completion", "manifest-schema", "not-installed"):
        assert (artifacts / f"vscode-{name}.png").stat().st_size > 10_000, name
    # The version setting changed twice without a restart; the interpreter change restarted the server once.
    extension_log = (artifacts / "nd-lsp.log").read_text()
    assert extension_log.count('Settings for the server: {"nd-lsp":{"navidromeVersion":') == 2
    assert extension_log.count("] Server: ") == 2
    # `ndLsp.trace.server: messages` alone is enough to see the protocol in the "nd-lsp Trace" output.
    assert "Sending request 'initialize" in (artifacts / "nd-lsp-Trace.log").read_text()
