"""Hostile files for `nd-lsp check`: each is reported on its own, in bounded time, and the rest is checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_robustness_support import EXAMPLES, copy_plugin, session

TIME_LIMIT_S = 25
GOOD = EXAMPLES / "now-playing-go"  # a plugin with known findings, checked next to every hostile one


def nd_lsp_check(*paths: Path, cwd: Path) -> tuple[int, list[dict[str, object]], str, float]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "nd_lsp", "check", "--format", "json", *map(str, paths)],
            cwd=cwd,
            capture_output=True,
            timeout=TIME_LIMIT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"nd-lsp check did not finish within {TIME_LIMIT_S} s")
    took = time.monotonic() - started
    stderr = done.stderr.decode("utf-8", "replace")
    findings = json.loads(done.stdout or b"[]")
    return done.returncode, findings, stderr, took


def hostile_workspace(tmp_path: Path, make: Callable[[Path], Path]) -> tuple[Path, Path]:
    """A workspace with the good plugin and one plugin spoilt by `make`, which returns the bad file."""
    workspace = tmp_path / "ws"
    copy_plugin(GOOD, workspace / "good")
    bad = copy_plugin(EXAMPLES / "artist-info-rs", workspace / "bad")
    return workspace, make(bad)


def assert_reported_and_rest_checked(
    tmp_path: Path, make: Callable[[Path], Path], reason_words: tuple[str, ...]
) -> None:
    workspace, bad_file = hostile_workspace(tmp_path, make)
    code, findings, stderr, _ = nd_lsp_check(workspace, cwd=workspace)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    assert code == 2, f"unreadable input must exit 2; got {code}; stderr: {stderr[-1000:]}"
    lines = [line for line in stderr.splitlines() if bad_file.name in line]
    assert lines, f"{bad_file.name} is not named in: {stderr[-1000:]}"
    assert any(all(word in lines[0].lower() for word in reason_words) for _ in [0]), lines
    good_codes = {f["code"] for f in findings if str(f["path"]).startswith("good")}
    assert {"ND102", "ND106", "ND303"} <= good_codes, f"the good plugin was not checked: {sorted(good_codes)}"


def test_a_20_mb_source_file_is_reported_not_analysed(tmp_path: Path) -> None:
    def make(bad: Path) -> Path:
        path = bad / "src" / "lib.rs"
        with path.open("wb") as out:
            line = b"// filler line of a generated Rust source file........................\n"
            out.write(line * (20_000_000 // len(line)))
        return path

    assert_reported_and_rest_checked(tmp_path, make, ("larger than",))


def test_a_binary_source_file_is_reported(tmp_path: Path) -> None:
    def make(bad: Path) -> Path:
        path = bad / "src" / "lib.rs"
        path.write_bytes(bytes(range(256)) * 64)
        return path

    assert_reported_and_rest_checked(tmp_path, make, ("binary",))


def test_a_non_utf8_source_file_is_reported(tmp_path: Path) -> None:
    def make(bad: Path) -> Path:
        path = bad / "src" / "lib.rs"
        path.write_bytes("// café\nfn main() {}\n".encode("latin-1"))
        return path

    assert_reported_and_rest_checked(tmp_path, make, ("utf-8",))


def test_a_symlink_loop_is_reported(tmp_path: Path) -> None:
    def make(bad: Path) -> Path:
        (bad / "src" / "a.rs").symlink_to("b.rs")
        (bad / "src" / "b.rs").symlink_to("a.rs")
        (bad / "src" / "back").symlink_to("..", target_is_directory=True)  # a folder loop, which is not followed
        return bad / "src" / "a.rs"

    assert_reported_and_rest_checked(tmp_path, make, ("cannot read",))


def test_a_dangling_symlink_is_reported(tmp_path: Path) -> None:
    def make(bad: Path) -> Path:
        (bad / "src" / "gone.rs").symlink_to("/nonexistent/gone.rs")
        return bad / "src" / "gone.rs"

    assert_reported_and_rest_checked(tmp_path, make, ("cannot read",))


SPECIAL_FILES = {
    # Reading a FIFO blocks until someone writes to it; /dev/zero never ends; /proc/self/mem fails with
    # EIO even for root (which chmod cannot stop): only regular files may be read, and errors reported.
    "fifo": lambda path: os.mkfifo(path),
    "dev-zero": lambda path: path.symlink_to("/dev/zero"),
    "proc-mem": lambda path: path.symlink_to("/proc/self/mem"),
}


@pytest.mark.parametrize("kind", sorted(SPECIAL_FILES))
def test_special_files_with_a_source_name_do_not_hang_the_check(tmp_path: Path, kind: str) -> None:
    def make(bad: Path) -> Path:
        path = bad / "src" / "special.rs"
        SPECIAL_FILES[kind](path)
        return path

    if kind == "proc-mem" and not Path("/proc/self/mem").exists():
        pytest.skip("no /proc on this system")
    assert_reported_and_rest_checked(tmp_path, make, ())


def test_a_manifest_nested_100000_levels_deep_is_reported(tmp_path: Path) -> None:
    workspace, _ = hostile_workspace(tmp_path, lambda bad: bad)
    manifest = workspace / "bad" / "manifest.json"
    manifest.write_text('{"name": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    _, findings, stderr, _ = nd_lsp_check(workspace, cwd=workspace)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    bad = [f for f in findings if str(f["path"]) == "bad/manifest.json"]
    assert bad, "the deep manifest gets a finding saying it cannot be read"
    assert any("nested" in str(f["message"]) for f in bad), [f["message"] for f in bad]
    assert {f["code"] for f in findings if str(f["path"]).startswith("good")} >= {"ND102", "ND106"}


def test_a_one_megabyte_line_is_checked_in_bounded_time(tmp_path: Path) -> None:
    def make(bad: Path) -> Path:
        path = bad / "src" / "lib.rs"
        statements = "".join(f"let v{i} = {i}; " for i in range(60_000))  # ~1 MB on one line
        path.write_text(path.read_text(encoding="utf-8") + f"fn long() {{ {statements} }}\n", encoding="utf-8")
        return path

    workspace, _ = hostile_workspace(tmp_path, make)
    code, findings, stderr, _ = nd_lsp_check(workspace, cwd=workspace)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    assert code == 1
    assert {f["code"] for f in findings if str(f["path"]).startswith("bad")} >= {"ND303"}, "still analysed"


@pytest.mark.parametrize("language", ["python", "go", "rust"])
def test_deeply_nested_source_is_checked_or_reported(tmp_path: Path, language: str) -> None:
    depth = 50_000
    sources = {
        "python": ("plugin/__init__.py", "x = " + "(" * depth + "1" + ")" * depth + "\n"),
        "go": ("main.go", "package main\n\nvar x = " + "(" * depth + "1" + ")" * depth + "\n"),
        "rust": ("src/lib.rs", "const X: i64 = " + "(" * depth + "1" + ")" * depth + ";\n"),
    }
    relative, text = sources[language]
    example = {"python": "album-art-py", "go": "now-playing-go", "rust": "artist-info-rs"}[language]
    workspace = tmp_path / "ws"
    copy_plugin(GOOD, workspace / "good")
    bad = copy_plugin(EXAMPLES / example, workspace / "bad")
    (bad / relative).write_text(text, encoding="utf-8")
    code, findings, stderr, _ = nd_lsp_check(workspace, cwd=workspace)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    assert code in (0, 1, 2)
    assert {f["code"] for f in findings if str(f["path"]).startswith("good")} >= {"ND102", "ND106"}


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="file permissions do not stop root")
def test_unreadable_files_and_folders_are_reported(tmp_path: Path) -> None:
    def make(bad: Path) -> Path:
        path = bad / "src" / "lib.rs"
        path.chmod(0)
        (bad / "src" / "closed").mkdir()
        (bad / "src" / "closed" / "x.rs").write_text("fn x() {}\n")
        (bad / "src" / "closed").chmod(0)
        return path

    try:
        assert_reported_and_rest_checked(tmp_path, make, ("cannot read",))
    finally:
        for path in (tmp_path / "ws" / "bad" / "src" / "closed", tmp_path / "ws" / "bad" / "src" / "lib.rs"):
            path.chmod(0o755)


def test_the_server_analyses_a_plugin_with_hostile_neighbours(tmp_path: Path) -> None:
    """An open file is analysed even when other files of its plugin are huge, binary, a FIFO or a loop."""
    plugin = copy_plugin(EXAMPLES / "artist-info-rs", tmp_path / "plugin")
    src = plugin / "src"
    os.mkfifo(src / "pipe.rs")
    (src / "zero.rs").symlink_to("/dev/zero")
    (src / "a.rs").symlink_to("b.rs")
    (src / "b.rs").symlink_to("a.rs")
    (src / "binary.rs").write_bytes(bytes(range(256)) * 64)
    with (src / "huge.rs").open("wb") as out:
        out.write(b"// filler\n" * 2_100_000)
    with session(tmp_path, plugin) as client:
        started = time.monotonic()
        uri = client.open(src / "lib.rs")
        published = client.wait_diagnostics(uri, 1, timeout=TIME_LIMIT_S).message["params"]["diagnostics"]
        assert time.monotonic() - started < TIME_LIMIT_S
        assert "ND303" in {d.get("code") for d in published}
