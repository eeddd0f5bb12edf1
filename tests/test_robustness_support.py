"""Helpers for the robustness and safety tests: a raw JSON-RPC server session and `nd-lsp check` results.

The client (benchmarks/lsp_client.py) speaks raw bytes, so the tests can also send what no editor would.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from lsp_client import EOL, LspProcess, ServerGone, index_of, log_problems, position_of, replace  # noqa: E402

__all__ = ["LspProcess", "ServerGone", "position_of", "replace"]

FIXTURES = ROOT / "tests" / "fixtures" / "rules"
EXAMPLES = ROOT / "examples"
SERVER_COMMAND = [sys.executable, "-m", "nd_lsp.server", "--log-level", "WARNING"]


@contextlib.contextmanager
def session(
    workdir: Path,
    root: Path | None = None,
    options: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    check_log: bool = True,
) -> Iterator[LspProcess]:
    """An initialized server that must still run at the end; with check_log, its log must hold no exception."""
    log = workdir / f"server-{len(list(workdir.glob('server-*.log')))}.log"
    client = LspProcess(SERVER_COMMAND, stderr_path=log, env=env)
    try:
        client.initialize(root, {"debounceMs": 0, **(options or {})})
        yield client
    finally:
        alive = client.proc.poll() is None
        code = client.close(timeout=4)
    assert alive, f"the server died; log:\n{log.read_text(errors='replace')[-3000:]}"
    assert code == 0, f"the server exited with {code}; log:\n{log.read_text(errors='replace')[-3000:]}"
    problems = log_problems(log) if check_log else []
    assert not problems, "exception in the server log:\n" + log.read_text(errors="replace")[-4000:]


def copy_plugin(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".fixed", "expected.txt"))
    return dest


def check_json(*paths: Path) -> list[dict[str, Any]]:
    """The findings of `nd-lsp check --format json` (run in this process, as the command runs it)."""
    from nd_lsp.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["check", "--format", "json", *map(str, paths)])
    findings: list[dict[str, Any]] = json.loads(out.getvalue() or "[]")
    return findings


def line_starts_lf(text: str) -> list[int]:
    """Code-point offsets of line starts as the front-ends count lines (\\n only)."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


Key = tuple[str, int, int, str]


def check_keys(findings: list[dict[str, Any]], path: Path, text: str) -> list[Key]:
    """The check's findings for one file as (code, start offset, end offset, message)."""
    starts = line_starts_lf(text)
    keys = []
    for f in findings:
        if Path(f["path"]).resolve() != path.resolve():
            continue
        start = starts[f["line"] - 1] + f["column"] - 1
        end = starts[f["end_line"] - 1] + f["end_column"] - 1 if f["end_line"] - 1 < len(starts) else len(text)
        keys.append((f["code"], start, end, f["message"]))
    return sorted(keys)


def diagnostic_keys(diagnostics: list[dict[str, Any]], text: str) -> list[Key]:
    """The server's diagnostics as (code, start offset, end offset, message), read with LSP line ends."""
    keys = []
    for d in diagnostics:
        rng = d["range"]
        keys.append((str(d.get("code")), index_of(text, rng["start"]), index_of(text, rng["end"]), d["message"]))
    return sorted(keys)


def has_lsp_only_line_breaks(text: str) -> bool:
    """True when \\n-only line counting (the front-ends) and LSP line ends agree on this text."""
    return all(match.group() != "\r" for match in EOL.finditer(text))
