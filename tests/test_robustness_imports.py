"""`nd-lsp check` stays light: it never imports the language server's libraries, nor jedi or parso."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_robustness_support import EXAMPLES

PROBE = r"""
import sys
from nd_lsp.cli import main
try:
    main(["check", "--format", "json", sys.argv[1]])
except SystemExit:
    pass
heavy = {"pygls", "lsprotocol", "jedi", "parso", "cattrs"}
sys.stderr.write("LOADED=" + ",".join(sorted({name.split(".")[0] for name in sys.modules} & heavy)) + "\n")
"""


# jedi (and its parser, parso) serve only the editor's completion of ordinary Python: no check pays for them.
EXAMPLE_NAMES = ("artist-info-rs", "now-playing-go", "album-art-py")


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_check_imports_no_server_library(example: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(EXAMPLES / example)], capture_output=True, text=True, timeout=60
    )
    reports = [line for line in done.stderr.splitlines() if line.startswith("LOADED=")]
    assert reports, done.stderr[-2000:]
    loaded = {name for name in reports[-1].removeprefix("LOADED=").split(",") if name}
    assert not loaded, f"`nd-lsp check` on {example} imported {sorted(loaded)}"
