"""`nd-lsp specs list|show` and `nd-lsp --version`: the Navidrome versions nd-lsp ships specs for."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nd_lsp.specs import loader
from nd_lsp.specs.loader import available_versions, load_spec, newest_release, released_versions

pytestmark = pytest.mark.skipif(not released_versions(), reason="no capability specs generated yet")


def nd_lsp(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "nd_lsp", *args], capture_output=True, timeout=60)


def spec_file(version: str) -> Path:
    return loader.spec_dir() / f"{version}.json"


def test_specs_list_shows_every_spec_newest_first_with_date_and_commit() -> None:
    result = nd_lsp("specs", "list")
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert [line.split()[0] for line in lines] == list(reversed(available_versions()))
    for line in lines:
        version, date, commit = line.split()[:3]
        info = json.loads(spec_file(version).read_text())["navidrome"]
        assert (date, info["commit"].startswith(commit), len(commit) >= 7) == (info["date"], True, True)
    [default] = [line for line in lines if "default" in line]
    assert default.split()[0] == newest_release()


@pytest.mark.parametrize("written", ["{v}", "v{v}"])
def test_specs_show_json_is_the_spec_file_byte_for_byte(written: str) -> None:
    version = newest_release()
    result = nd_lsp("specs", "show", written.format(v=version), "--format", "json")
    assert result.returncode == 0
    assert result.stdout == spec_file(version).read_bytes()


def test_specs_show_master_works_when_master_is_shipped() -> None:
    if "master" not in available_versions():
        pytest.skip("no master spec")
    assert nd_lsp("specs", "show", "master", "--format", "json").stdout == spec_file("master").read_bytes()


def test_specs_show_text_summarises_capabilities_host_services_and_permissions() -> None:
    version = newest_release()
    spec = load_spec(version)
    text = nd_lsp("specs", "show", version).stdout.decode()
    assert text.startswith(f"Navidrome {version} (")
    for capability in spec.capabilities:
        assert f"  {capability.name} (" in text
        for method in capability.methods:
            assert re.search(rf"^    {method.export} +{method.name}$", text, re.M)
    required = next((c for c in spec.capabilities if c.required), None)
    if required is not None:
        assert f"  {required.name} (required: every export)" in text
    for service in spec.host_services:
        line = next(line for line in text.splitlines() if line.startswith(f"  {service.name} ("))
        assert (service.permission or "no permission") in line
    assert "Manifest permissions: " + ", ".join(spec.permission_keys()) in text


def test_specs_show_an_unknown_version_exits_2_naming_the_known_versions() -> None:
    result = nd_lsp("specs", "show", "0.42.0")
    assert result.returncode == 2
    assert result.stdout == b""
    [line] = result.stderr.decode().splitlines()
    assert "0.42.0" in line
    assert all(v in line for v in available_versions())


def test_version_names_nd_lsp_and_the_spec_range() -> None:
    result = nd_lsp("--version")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith("nd-lsp ")
    assert available_versions()[0] in text


def test_specs_without_a_command_is_a_usage_error() -> None:
    assert nd_lsp("specs").returncode == 2


def test_specs_generate_and_serve_take_their_own_options() -> None:
    generate = nd_lsp("specs", "generate", "--help")
    assert generate.returncode == 0
    assert b"--navidrome" in generate.stdout
    serve = nd_lsp("serve", "--help")
    assert serve.returncode == 0
    assert b"--tcp" in serve.stdout


def test_help_lists_every_subcommand() -> None:
    text = nd_lsp("--help").stdout.decode()
    for command in ("check", "specs", "rules", "explain", "docs", "serve"):
        assert command in text
