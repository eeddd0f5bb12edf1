"""nd-lsp in a real Neovim: diagnostics, a quick fix, a completion and a hover, seen from the editor."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NVIM = shutil.which("nvim")
SCRIPT = Path(__file__).parent / "nvim" / "e2e.lua"

CARGO = """[package]
name = "e2e"
version = "0.1.0"

[lib]
crate-type = ["cdylib"]

[dependencies]
extism-pdk = "1"
nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.63.2" }
"""
MANIFEST = '{"name": "e2e", "author": "a", "version": "1.0.0", "permissions": {"kvstore": {"reason": "cache"}}}\n'
LIB = """use nd_pdk::host::kvstore;
use nd_pdk::metadata::{ArtistBiographyProvider, ArtistBiographyResponse, ArtistRequest, Error};

#[derive(Default)]
struct Plugin;

impl ArtistBiographyProvider for Plugin {
    fn get_artist_biography(&self, _req: ArtistRequest) -> Result<ArtistBiographyResponse, Error> {
        let _ = kvstore::delete_by_prefix("cache/");
        Ok(ArtistBiographyResponse::default())
    }
}

nd_pdk::register_artist_biography!(Plugin);
"""


@pytest.fixture(scope="module")
def neovim_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if NVIM is None:
        pytest.skip("nvim is not installed (CI installs Debian's neovim)")
    root = tmp_path_factory.mktemp("nvim-plugin")
    (root / "src").mkdir()
    (root / "Cargo.toml").write_text(CARGO, encoding="utf-8")
    (root / "manifest.json").write_text(MANIFEST, encoding="utf-8")
    (root / "src" / "lib.rs").write_text(LIB, encoding="utf-8")
    report = root / "report.json"
    env = {
        **os.environ,
        # The `serve` sub-command of the CLI, through the interpreter running the tests.
        "ND_E2E_CMD": json.dumps([sys.executable, "-m", "nd_lsp", "serve"]),
        "ND_E2E_ROOT": str(root),
        "ND_E2E_FILE": str(root / "src" / "lib.rs"),
        "ND_E2E_OUT": str(report),
    }
    subprocess.run(
        [NVIM, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {SCRIPT}", "-c", "lua Run()"],
        env=env,
        cwd=root,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    assert report.is_file(), "Neovim wrote no report"
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    assert "error" not in result, f"{result.get('error')} (after steps {result.get('steps')})"
    return result


def test_neovim_shows_the_diagnostic_under_the_wrong_macro(neovim_report: dict[str, Any]) -> None:
    wrong = next(d for d in neovim_report["diagnostics"] if d["code"] == "ND103")
    assert wrong["text"] == "register_artist_biography"
    assert wrong["source"] == "nd-lsp"
    assert "register_metadata_artist_biography" in wrong["message"]


def test_neovim_applies_the_quick_fix_and_the_diagnostic_goes_away(neovim_report: dict[str, Any]) -> None:
    assert any("register_metadata_artist_biography" in title for title in neovim_report["code_actions"])
    assert neovim_report["fixed_line"] == "nd_pdk::register_metadata_artist_biography!(Plugin);"
    assert "ND103" not in neovim_report["codes_after_fix"]


def test_neovim_completes_register_macros(neovim_report: dict[str, Any]) -> None:
    assert "register_metadata_artist_biography!" in neovim_report["completion"]
    assert "register_scrobbler!" in neovim_report["completion"]


def test_neovim_hover_describes_the_host_function(neovim_report: dict[str, Any]) -> None:
    hover = neovim_report["hover"]
    assert "pub fn delete_by_prefix(prefix: &str) -> Result<i64, Error>" in hover
    assert "kvstore" in hover
