"""The Cargo.toml front-end: dependencies with the span of their key, crate types, nd-lsp settings."""

from __future__ import annotations

from pathlib import Path

from nd_lsp.frontends.cargo import read_cargo
from nd_lsp.frontends.facts import Span

PATH = Path("/plugin/Cargo.toml")

CARGO = """\
[package]
name = "my-plugin"
version = "0.1.0"
description = "Überall: non-ASCII before the keys"

[package.metadata.nd-lsp]
navidrome-version = "0.62.0"
select = ["ND1"]

[lib]
crate-type = [
    "cdylib",
    "rlib",
]

[dependencies]
"extism-pdk" = "1.4"
nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.62.0" }
serde.version = "1"

[dependencies.local-helper]
path = "../helper"

[target.'cfg(target_arch = "wasm32")'.dependencies]
wee = { version = "0.1", branch = "main", rev = "abc123" }
"""


def at(span: Span | None) -> str:
    assert span is not None
    return f"{span.start.line + 1}:{span.start.column + 1}-{span.end.line + 1}:{span.end.column + 1}"


def test_dependencies_with_their_sources_and_key_spans() -> None:
    facts = read_cargo(PATH, CARGO)
    found = {d.name: d for d in facts.dependencies}
    assert list(found) == ["extism-pdk", "nd-pdk", "serde", "local-helper", "wee"]
    assert (found["extism-pdk"].version, at(found["extism-pdk"].span)) == ("1.4", "17:1-17:13")
    nd_pdk = found["nd-pdk"]
    assert (nd_pdk.git, nd_pdk.tag, at(nd_pdk.span)) == (
        "https://github.com/navidrome/navidrome",
        "v0.62.0",
        "18:1-18:7",
    )
    assert (found["serde"].version, at(found["serde"].span)) == ("1", "19:1-19:6")
    assert (found["local-helper"].path, at(found["local-helper"].span)) == ("../helper", "21:15-21:27")
    wee = found["wee"]
    assert (wee.version, wee.branch, wee.rev, at(wee.span)) == ("0.1", "main", "abc123", "25:1-25:4")


def test_dependency_lookup_treats_dash_and_underscore_alike() -> None:
    facts = read_cargo(PATH, CARGO)
    assert facts.dependency("extism_pdk") is not None
    assert facts.dependency("nd_pdk") is not None
    assert facts.dependency("missing") is None


def test_crate_types_with_the_span_of_the_whole_array() -> None:
    facts = read_cargo(PATH, CARGO)
    assert facts.crate_types == ("cdylib", "rlib")
    assert at(facts.crate_types_span) == "11:14-14:2"
    assert at(facts.lib_span) == "10:2-10:5"


def test_lib_span_falls_back_to_the_package_header() -> None:
    facts = read_cargo(PATH, '[package]\nname = "x"\n')
    assert facts.crate_types == ()
    assert facts.crate_types_span is None
    assert at(facts.lib_span) == "1:2-1:9"


def test_nd_lsp_settings_from_package_metadata() -> None:
    facts = read_cargo(PATH, CARGO)
    assert dict(facts.settings) == {"navidrome-version": "0.62.0", "select": ["ND1"]}


def test_invalid_toml_gives_an_error_instead_of_raising() -> None:
    facts = read_cargo(PATH, '[package\nname = "x"\n')
    assert facts.error.startswith("Cargo.toml is not valid TOML")
    assert facts.dependencies == ()


def test_odd_but_valid_files_are_read() -> None:
    for text in ["", "dependencies = 3\n", "[target]\nx = 1\n", '[lib]\ncrate-type = "cdylib"\n']:
        facts = read_cargo(PATH, text)
        assert facts.error == ""


WORKSPACE = """\
[workspace]
members = ["plugins/*"]

[workspace.dependencies]
nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.61.0" }
extism-pdk = "1.4"
"""

MEMBER = """\
[package]
name = "member"

[dependencies]
nd-pdk.workspace = true
extism-pdk = { workspace = true, features = ["http"] }
"""


def test_a_dependency_inherited_from_the_workspace_has_the_workspace_source(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text(WORKSPACE, encoding="utf-8")
    member = tmp_path / "plugins" / "member"
    member.mkdir(parents=True)
    facts = read_cargo(member / "Cargo.toml", MEMBER)
    pdk, extism = facts.dependency("nd-pdk"), facts.dependency("extism-pdk")
    assert pdk is not None and pdk.tag == "v0.61.0" and pdk.git.endswith("navidrome")
    assert extism is not None and extism.version == "1.4"


def test_a_workspace_dependency_without_a_workspace_keeps_no_source(tmp_path: Path) -> None:
    facts = read_cargo(tmp_path / "Cargo.toml", MEMBER)
    pdk = facts.dependency("nd-pdk")
    assert pdk is not None and (pdk.tag, pdk.git, pdk.version) == ("", "", "")


def test_a_broken_workspace_cargo_toml_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text("[workspace\n", encoding="utf-8")
    (tmp_path / "member").mkdir()
    assert read_cargo(tmp_path / "member" / "Cargo.toml", MEMBER).dependency("nd-pdk") is not None
