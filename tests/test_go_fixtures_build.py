"""Every Go rule fixture and realistic plugin is a real plugin: it builds for wasip1 against the real Go
PDK its go.mod pins.

A fixture that says "this compiles and then fails silently" must really compile, or nd-lsp would be
warning about code nobody can write. Fixtures that are meant to be compile errors hold a file named
`.does-not-compile` and are skipped.

Modules come from the Go module proxy into a cache inside the repository (.cache/go, git-ignored), so
a clean clone needs only the proxy; after the first run the builds are offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "rules"
REALISTIC = REPO / "tests" / "fixtures" / "realistic"
ROOTS = (FIXTURES, REALISTIC)
CACHE = REPO / ".cache" / "go"
NOT_COMPILING_MARKER = ".does-not-compile"
WORKERS = 2
BUILD_TIMEOUT_SECONDS = 600  # the first build downloads modules; later ones take seconds


def go_fixtures(*, compiling: bool = True) -> list[Path]:
    return sorted(
        p.parent
        for root in ROOTS
        for p in root.rglob("go.mod")
        if ".fixed" not in p.parts and (p.parent / NOT_COMPILING_MARKER).exists() != compiling
    )


def _name(folder: Path) -> str:
    return folder.relative_to(REPO / "tests" / "fixtures").as_posix()


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GOOS="wasip1",
        GOARCH="wasm",
        GOMODCACHE=str(CACHE / "mod"),
        GOCACHE=str(CACHE / "build"),
        GOFLAGS="-mod=readonly -buildvcs=false",
        GOTOOLCHAIN="local",
        # The committed go.sum files hold the checksums; the PDK's pseudo-versions are not in the
        # checksum database, so it must not be asked about them.
        GONOSUMDB="github.com/navidrome/navidrome",
        GOWORK="off",
    )
    return env


def _build(folder: Path, out_dir: Path) -> tuple[Path, int, str]:
    target = out_dir / (_name(folder).replace("/", "__") + ".wasm")
    command = ["go", "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s", "-o", str(target), "."]
    try:
        done = subprocess.run(
            command,
            cwd=folder,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return folder, -1, f"timed out after {BUILD_TIMEOUT_SECONDS}s"
    return folder, done.returncode, done.stderr.strip()


@pytest.mark.skipif(shutil.which("go") is None, reason="the Go toolchain is not installed")
def test_every_go_fixture_builds_for_wasip1_against_the_real_pdk(tmp_path: Path) -> None:
    folders = go_fixtures()
    assert folders, "no Go fixtures found"
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda f: _build(f, tmp_path), folders))
    failures = [f"{_name(folder)}: {stderr or f'exit {code}'}" for folder, code, stderr in results if code]
    assert not failures, "fixtures that do not build:\n" + "\n".join(failures)


@pytest.mark.skipif(shutil.which("go") is None, reason="the Go toolchain is not installed")
def test_fixtures_marked_as_compile_errors_really_fail_to_build(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda f: _build(f, tmp_path), go_fixtures(compiling=False)))
    building = [_name(folder) for folder, code, _ in results if code == 0]
    assert not building, "fixtures marked .does-not-compile that build: " + ", ".join(building)


def test_fixtures_meant_not_to_compile_say_so_next_to_a_go_mod() -> None:
    """A `.does-not-compile` marker outside a Go plugin folder would silently skip nothing."""
    for marker in (m for root in ROOTS for m in root.rglob(NOT_COMPILING_MARKER)):
        assert (marker.parent / "go.mod").is_file(), f"{marker} is not in a Go fixture"


def test_go_fixtures_build_from_the_proxy_alone() -> None:
    """No replace directive pointing at a checkout, and the checksums committed beside go.mod."""
    for folder in go_fixtures():
        go_mod = (folder / "go.mod").read_text(encoding="utf-8")
        assert "=>" not in go_mod, f"{folder}: a replace directive would not build from the proxy"
        if "require" in go_mod:  # a module without dependencies has no checksums to commit
            assert (folder / "go.sum").is_file(), f"{folder}: go.sum missing"
