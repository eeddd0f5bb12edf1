"""Settings come from the configuration file nearest to a plugin: nd-lsp.toml, pyproject.toml, Cargo.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from nd_lsp.config import Settings
from nd_lsp.config_files import ConfigError, find_config, settings_from_file, settings_from_files
from nd_lsp.rules.finding import Severity


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository folder (with .git), so the search never leaves tmp_path."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    return tmp_path / "repo"


def test_no_configuration_gives_the_defaults(repo: Path) -> None:
    assert settings_from_files(repo) == Settings()


def test_nd_lsp_toml_sets_every_key(repo: Path) -> None:
    write(
        repo / "nd-lsp.toml",
        'navidrome-version = "0.62.0"\nselect = ["ND2", "nd301"]\nignore = ["ND205"]\nfail-on = "warning"\n',
    )
    assert settings_from_files(repo) == Settings(
        navidrome_version="0.62.0",
        select=frozenset({"ND2", "ND301"}),
        ignore=frozenset({"ND205"}),
        fail_on=Severity.WARNING,
    )


def test_pyproject_tool_table_is_read(repo: Path) -> None:
    write(repo / "pyproject.toml", '[project]\nname = "p"\n\n[tool.nd-lsp]\nnavidrome-version = "v0.61.0"\n')
    assert settings_from_files(repo).navidrome_version == "v0.61.0"


def test_cargo_package_metadata_table_is_read(repo: Path) -> None:
    write(repo / "Cargo.toml", '[package]\nname = "p"\n\n[package.metadata.nd-lsp]\nignore = ["ND401"]\n')
    assert settings_from_files(repo).ignore == frozenset({"ND401"})


def test_the_file_nearest_to_the_plugin_wins(repo: Path) -> None:
    write(repo / "nd-lsp.toml", 'navidrome-version = "0.60.0"\n')
    plugin = repo / "plugins" / "mine"
    write(plugin / "Cargo.toml", '[package]\nname = "p"\n[package.metadata.nd-lsp]\nnavidrome-version = "0.63.2"\n')
    assert settings_from_files(plugin).navidrome_version == "0.63.2"
    assert settings_from_files(repo / "plugins").navidrome_version == "0.60.0"


def test_a_cargo_toml_without_an_nd_lsp_table_does_not_hide_the_repository_file(repo: Path) -> None:
    write(repo / "nd-lsp.toml", 'select = ["ND1"]\n')
    plugin = repo / "plugin"
    write(plugin / "Cargo.toml", '[package]\nname = "p"\n')
    write(plugin / "pyproject.toml", '[project]\nname = "p"\n')
    assert settings_from_files(plugin).select == frozenset({"ND1"})


def test_within_one_folder_nd_lsp_toml_comes_first(repo: Path) -> None:
    write(repo / "nd-lsp.toml", 'navidrome-version = "0.60.0"\n')
    write(repo / "pyproject.toml", '[tool.nd-lsp]\nnavidrome-version = "0.61.0"\n')
    found = find_config(repo)
    assert found is not None
    assert found.path == repo / "nd-lsp.toml"


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / "nd-lsp.toml", 'navidrome-version = "0.60.0"\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert settings_from_files(tmp_path / "repo" / "plugin") == Settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("navidrome-version = [\n", "invalid TOML"),
        ('navidrome_version = "0.62.0"\n', "did you mean 'navidrome-version'"),
        ('select = "ND201"\n', "select must be a list of rule codes"),
        ('ignore = ["E501"]\n', "'E501' is not a rule code"),
        ('fail-on = "fatal"\n', "'fatal' is not a severity"),
        ("navidrome-version = 62\n", "navidrome-version must be a version string"),
    ],
)
def test_a_malformed_file_is_an_error_naming_the_file_and_the_problem(repo: Path, text: str, expected: str) -> None:
    path = write(repo / "nd-lsp.toml", text)
    with pytest.raises(ConfigError) as raised:
        settings_from_files(repo)
    assert str(raised.value).startswith(f"{path}: ")
    assert expected in str(raised.value)


def test_a_broken_cargo_toml_meant_for_nd_lsp_is_an_error(repo: Path) -> None:
    write(repo / "Cargo.toml", "[package.metadata.nd-lsp]\nselect = [\n")
    with pytest.raises(ConfigError, match=r"Cargo\.toml: invalid TOML"):
        settings_from_files(repo)


def test_a_broken_cargo_toml_without_nd_lsp_settings_is_left_to_the_build_checks(repo: Path) -> None:
    write(repo / "Cargo.toml", "[package\nname = \n")
    assert settings_from_files(repo) == Settings()


def test_a_non_utf8_config_is_an_error(repo: Path) -> None:
    (repo / "nd-lsp.toml").write_bytes(b'navidrome-version = "\xff"\n')
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        settings_from_files(repo)


def test_an_explicit_config_file_is_read_by_its_kind(tmp_path: Path) -> None:
    own = write(tmp_path / "ci.toml", 'fail-on = "information"\n')
    cargo = write(tmp_path / "Cargo.toml", '[package]\nname = "p"\n[package.metadata.nd-lsp]\nselect = ["ND2"]\n')
    assert settings_from_file(own).fail_on == Severity.INFORMATION
    assert settings_from_file(cargo).select == frozenset({"ND2"})


def test_an_explicit_pyproject_without_the_table_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "p"\n')
    with pytest.raises(ConfigError, match=r"no \[tool.nd-lsp\] table"):
        settings_from_file(path)


def test_command_line_settings_win_over_the_file(repo: Path) -> None:
    write(repo / "nd-lsp.toml", 'navidrome-version = "0.60.0"\nselect = ["ND1"]\nignore = ["ND101"]\n')
    merged = settings_from_files(repo).merged(Settings(navidrome_version="0.62.0", select=frozenset({"ND2"})))
    assert merged.navidrome_version == "0.62.0"
    assert merged.select == frozenset({"ND2"})
    assert merged.ignore == frozenset({"ND101"})
