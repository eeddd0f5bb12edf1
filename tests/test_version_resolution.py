"""Which Navidrome version a plugin is checked against: setting > Cargo.toml/go.mod dependency > newest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from nd_lsp.frontends.cargo import read_cargo
from nd_lsp.frontends.facts import BuildFacts, Dependency, Span
from nd_lsp.frontends.gomod import read_gomod
from nd_lsp.specs import loader, resolve
from nd_lsp.specs.loader import UnknownVersionError
from nd_lsp.specs.resolve import resolve_version

GO_PDK = "github.com/navidrome/navidrome/plugins/pdk/go"
# A small, fixed set of releases, so the expectations do not move when new specs are generated.
RELEASES = {
    "0.60.0": ("v0.60.0", "0c8f2a5590000000000000000000000000000000", "2026-02-03"),
    "0.61.0": ("v0.61.0", "c5bb920b80000000000000000000000000000000", "2026-03-31"),
    "0.62.0": ("v0.62.0", "1b46b97710000000000000000000000000000000", "2026-06-08"),
    "0.63.2": ("v0.63.2", "be10f89c10000000000000000000000000000000", "2026-07-11"),
    "master": ("", "295886cb9a432d375afa796ed8a32db0775464af", "2026-08-21"),
}


def _clear_caches() -> None:
    loader.available_versions.cache_clear()
    loader.load_spec.cache_clear()
    resolve.release_info.cache_clear()


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "specs"
    folder.mkdir()
    for version, (tag, commit, date) in RELEASES.items():
        spec = {
            "format": 1,
            "generator": "test",
            "navidrome": {"version": version, "tag": tag, "commit": commit, "date": date},
            "layout": {"rust_crate": "nd_pdk", "go_module": GO_PDK},
            "capabilities": [],
            "host_services": [],
        }
        (folder / f"{version}.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setattr(loader, "spec_dir", lambda: folder)
    _clear_caches()
    yield folder
    monkeypatch.undo()
    _clear_caches()


def _span(path: str) -> Span:
    return Span.at(Path(path), 0, 0, 0, 0)


def cargo(**fields: str) -> BuildFacts:
    dependency = Dependency(name="nd-pdk", span=_span("Cargo.toml"), **fields)
    return BuildFacts(path=Path("Cargo.toml"), kind="cargo", dependencies=(dependency,))


def gomod(version: str, replaced_by: str = "") -> BuildFacts:
    dependency = Dependency(name=GO_PDK, span=_span("go.mod"), version=version, path=replaced_by)
    return BuildFacts(path=Path("go.mod"), kind="gomod", dependencies=(dependency,))


# ------------------------------------------------------------------------------------ explicit setting


@pytest.mark.usefixtures("specs")
@pytest.mark.parametrize("written", ["0.62.0", "v0.62.0", " V0.62.0 "])
def test_an_explicit_version_is_used_with_or_without_v(written: str) -> None:
    assert resolve_version(written, None, None) == ("0.62.0", "setting")


@pytest.mark.usefixtures("specs")
def test_master_can_be_chosen_explicitly() -> None:
    assert resolve_version("master", None, None) == ("master", "setting")


@pytest.mark.usefixtures("specs")
def test_the_setting_wins_over_the_dependency() -> None:
    assert resolve_version("0.60.0", cargo(tag="v0.62.0"), gomod("v0.61.0")) == ("0.60.0", "setting")


@pytest.mark.usefixtures("specs")
def test_an_explicit_patch_release_without_a_spec_gets_the_api_of_the_release_before_it() -> None:
    version, source = resolve_version("0.61.1", None, None)
    assert version == "0.61.0"
    assert "0.61.1" in source


@pytest.mark.usefixtures("specs")
@pytest.mark.parametrize("written", ["0.99.0", "0.59.0", "latest", "0.6.1"])
def test_an_explicit_unknown_version_is_an_error_naming_the_known_ones(written: str) -> None:
    with pytest.raises(UnknownVersionError) as raised:
        resolve_version(written, None, None)
    assert "0.63.2" in str(raised.value)
    assert "master" in str(raised.value)


# ---------------------------------------------------------------------------------------- Cargo.toml


@pytest.mark.usefixtures("specs")
def test_without_any_hint_the_newest_release_is_used() -> None:
    assert resolve_version(None, None, None) == ("0.63.2", "newest release")


@pytest.mark.usefixtures("specs")
def test_a_cargo_tag_names_its_release() -> None:
    assert resolve_version(None, cargo(git="https://x", tag="v0.61.0"), None) == (
        "0.61.0",
        "Cargo.toml nd-pdk tag v0.61.0",
    )


@pytest.mark.usefixtures("specs")
def test_a_cargo_tag_without_a_spec_gets_the_newest_release_at_or_before_it() -> None:
    assert resolve_version(None, cargo(tag="v0.61.1"), None)[0] == "0.61.0"
    assert resolve_version(None, cargo(tag="v0.63.5"), None)[0] == "0.63.2"


@pytest.mark.usefixtures("specs")
def test_a_cargo_tag_older_than_every_spec_gets_the_oldest_release() -> None:
    version, source = resolve_version(None, cargo(tag="v0.59.0"), None)
    assert version == "0.60.0"
    assert "older than every spec" in source


@pytest.mark.usefixtures("specs")
def test_a_cargo_rev_of_a_known_commit_names_that_release() -> None:
    assert resolve_version(None, cargo(rev="1b46b9771"), None) == ("0.62.0", "Cargo.toml nd-pdk rev 1b46b9771")
    assert resolve_version(None, cargo(rev="295886cb9a432d375afa796ed8a32db0775464af"), None)[0] == "master"


@pytest.mark.usefixtures("specs")
def test_a_cargo_rev_of_an_unknown_commit_gets_the_newest_release_and_says_so() -> None:
    version, source = resolve_version(None, cargo(rev="deadbeef12"), None)
    assert version == "0.63.2"
    assert "unknown commit" in source


@pytest.mark.usefixtures("specs")
def test_a_rev_too_short_to_mean_a_commit_is_not_matched() -> None:
    assert resolve_version(None, cargo(rev="1b4"), None)[0] == "0.63.2"


@pytest.mark.usefixtures("specs")
@pytest.mark.parametrize("branch", ["master", "main"])
def test_a_cargo_branch_follows_master(branch: str) -> None:
    assert resolve_version(None, cargo(git="https://x", branch=branch), None) == (
        "master",
        f"Cargo.toml nd-pdk branch {branch}",
    )


@pytest.mark.usefixtures("specs")
def test_a_cargo_git_dependency_without_tag_rev_or_branch_follows_master() -> None:
    assert resolve_version(None, cargo(git="https://x"), None)[0] == "master"


@pytest.mark.usefixtures("specs")
def test_a_cargo_path_dependency_is_a_checkout_of_master() -> None:
    assert resolve_version(None, cargo(path="../../pdk/rust/nd-pdk"), None) == (
        "master",
        "Cargo.toml nd-pdk path ../../pdk/rust/nd-pdk",
    )


@pytest.mark.usefixtures("specs")
def test_a_registry_version_of_nd_pdk_says_nothing_about_navidrome() -> None:
    assert resolve_version(None, cargo(version="0.1"), None) == ("0.63.2", "newest release")


@pytest.mark.usefixtures("specs")
def test_nd_pdk_spelt_with_an_underscore_is_the_same_crate() -> None:
    dependency = Dependency(name="nd_pdk", span=_span("Cargo.toml"), tag="v0.62.0")
    facts = BuildFacts(path=Path("Cargo.toml"), kind="cargo", dependencies=(dependency,))
    assert resolve_version(None, facts, None)[0] == "0.62.0"


# -------------------------------------------------------------------------------------------- go.mod


@pytest.mark.usefixtures("specs")
def test_a_go_release_version_names_its_release() -> None:
    assert resolve_version(None, None, gomod("v0.61.0")) == ("0.61.0", "go.mod plugins/pdk/go v0.61.0")


@pytest.mark.usefixtures("specs")
def test_a_go_pseudo_version_gets_the_first_release_made_after_its_timestamp() -> None:
    """The commit's code went into that release: it has every API item the pinned PDK has."""
    version, source = resolve_version(None, None, gomod("v0.0.0-20260615120000-abcdef123456"))
    assert version == "0.63.2"
    assert source == "go.mod plugins/pdk/go v0.0.0-20260615120000-abcdef123456"


@pytest.mark.usefixtures("specs")
def test_a_go_pseudo_version_newer_than_every_release_gets_master() -> None:
    version, source = resolve_version(None, None, gomod("v0.0.0-20260801120000-abcdef123456"))
    assert version == "master"
    assert "newer than every release" in source


@pytest.mark.usefixtures("specs")
def test_a_go_pseudo_version_made_on_a_release_day_gets_that_release() -> None:
    assert resolve_version(None, None, gomod("v0.0.0-20260608235959-abcdef123456"))[0] == "0.62.0"


@pytest.mark.usefixtures("specs")
def test_a_go_pseudo_version_of_a_spec_commit_gets_that_spec() -> None:
    assert resolve_version(None, None, gomod("v0.0.0-20260822002742-295886cb9a43"))[0] == "master"
    assert resolve_version(None, None, gomod("v0.61.1-0.20260331000000-c5bb920b8000"))[0] == "0.61.0"


@pytest.mark.usefixtures("specs")
def test_a_go_pseudo_version_older_than_every_release_gets_the_oldest() -> None:
    assert resolve_version(None, None, gomod("v0.0.0-20251201000000-abcdef123456"))[0] == "0.60.0"


@pytest.mark.usefixtures("specs")
def test_a_go_replace_to_a_local_folder_is_master() -> None:
    version, source = resolve_version(None, None, gomod("v0.0.0", replaced_by="../../pdk/go"))
    assert version == "master"
    assert "../../pdk/go" in source


@pytest.mark.usefixtures("specs")
def test_a_go_placeholder_version_without_replace_gets_the_newest_release() -> None:
    assert resolve_version(None, None, gomod("v0.0.0")) == ("0.63.2", "newest release")


# ------------------------------------------------------------------- through the real file readers


@pytest.mark.usefixtures("specs")
@pytest.mark.parametrize(
    ("dependency_line", "expected"),
    [
        ('nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.61.0" }', "0.61.0"),
        ('nd-pdk = { git = "https://github.com/navidrome/navidrome", rev = "be10f89c1" }', "0.63.2"),
        ('nd-pdk = { git = "https://github.com/navidrome/navidrome", branch = "master" }', "master"),
        ('nd-pdk = { path = "../navidrome/plugins/pdk/rust/nd-pdk" }', "master"),
        ('nd_pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.62.0" }', "0.62.0"),
        ('serde = "1"', "0.63.2"),
    ],
)
def test_cargo_toml_files_resolve_through_the_cargo_reader(dependency_line: str, expected: str) -> None:
    text = '[package]\nname = "my-plugin"\nversion = "0.1.0"\n\n[lib]\ncrate-type = ["cdylib"]\n\n'
    text += f'[dependencies]\nextism-pdk = "1.2"\n{dependency_line}\n'
    facts = read_cargo(Path("Cargo.toml"), text)
    assert resolve_version(None, facts, None)[0] == expected


@pytest.mark.usefixtures("specs")
def test_a_cargo_dependency_table_header_resolves_through_the_cargo_reader() -> None:
    text = '[package]\nname = "p"\n\n[dependencies.nd-pdk]\ngit = "https://x"\ntag = "v0.60.0"\n'
    assert resolve_version(None, read_cargo(Path("Cargo.toml"), text), None)[0] == "0.60.0"


@pytest.mark.usefixtures("specs")
@pytest.mark.parametrize(
    ("require", "replace", "expected"),
    [
        (f"require {GO_PDK} v0.0.0-20260330090000-0123456789ab", "", "0.61.0"),
        (f"require (\n\t{GO_PDK} v0.0.0-20260710000000-0123456789ab\n)", "", "0.63.2"),
        (f"require {GO_PDK} v0.61.0", "", "0.61.0"),
        (f"require {GO_PDK} v0.0.0", f"replace {GO_PDK} => ../../pdk/go", "master"),
        ("require github.com/extism/go-pdk v1.1.3", "", "0.63.2"),
    ],
)
def test_go_mod_files_resolve_through_the_go_mod_reader(require: str, replace: str, expected: str) -> None:
    text = f"module example.com/my-plugin\n\ngo 1.25\n\n{require}\n\n{replace}\n"
    facts = read_gomod(Path("go.mod"), text)
    assert resolve_version(None, None, facts)[0] == expected


# ------------------------------------------------------------------------------- the shipped specs


def test_the_shipped_specs_resolve_their_own_tags_and_commits() -> None:
    _clear_caches()
    releases = loader.released_versions()
    if not releases:
        pytest.skip("no specs generated yet")
    for version in releases:
        info = resolve.release_info(version)
        assert resolve_version(None, cargo(tag=info.tag or f"v{version}"), None)[0] == version
        if info.commit:
            assert resolve_version(None, cargo(rev=info.commit[:10]), None)[0] == version
    assert resolve_version(None, None, None) == (releases[-1], "newest release")
