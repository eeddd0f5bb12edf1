"""The go.mod front-end: module path, requirements with versions and spans, local replacements."""

from __future__ import annotations

from pathlib import Path

from nd_lsp.frontends.gomod import read_gomod

PDK = "github.com/navidrome/navidrome/plugins/pdk/go"
GO_MOD = Path("/plugin/go.mod")


def test_module_and_block_requirements_with_their_spans() -> None:
    text = (
        "module example.com/links // the plugin\n\ngo 1.25\n\n"
        f"require (\n\t{PDK} v0.0.0-20260711131814-be10f89c1179\n\tgithub.com/extism/go-pdk v1.1.3 // indirect\n)\n"
    )
    facts = read_gomod(GO_MOD, text)
    assert facts.kind == "gomod" and facts.module == "example.com/links"
    pdk = facts.dependency(PDK)
    assert pdk is not None and pdk.version == "v0.0.0-20260711131814-be10f89c1179"
    line = text.splitlines()[pdk.span.start.line]
    assert line[pdk.span.start.column : pdk.span.end.column] == f"{PDK} v0.0.0-20260711131814-be10f89c1179"
    assert [d.name for d in facts.dependencies] == [PDK, "github.com/extism/go-pdk"]


def test_single_line_require_and_a_local_replacement() -> None:
    text = f"module x\n\nrequire {PDK} v0.0.0\n\nreplace {PDK} => ../../pdk/go\n"
    pdk = read_gomod(GO_MOD, text).dependency(PDK)
    assert pdk is not None and (pdk.version, pdk.path) == ("v0.0.0", "../../pdk/go")
    assert pdk.span.start.line == 2


def test_a_replacement_by_another_module_is_not_a_path() -> None:
    text = f"module x\nrequire {PDK} v0.0.0\nreplace ({PDK} v0.0.0 => github.com/fork/pdk v1.0.0\n)\n"
    pdk = read_gomod(GO_MOD, text).dependency(PDK)
    assert pdk is not None and pdk.path == ""


def test_broken_files_give_what_they_can() -> None:
    facts = read_gomod(GO_MOD, f"module x\nrequire (\n\t{PDK} v0.0.0-2026\n\tgarbage\nreplace =>\n")
    assert facts.module == "x"
    assert facts.dependency(PDK) is not None
    for text in ("", "require", "require (", "module", "\x00\x01", ")\n)\n", 'module "quoted/path"'):
        read_gomod(GO_MOD, text)
    assert read_gomod(GO_MOD, 'module "quoted/path"\n').module == "quoted/path"
