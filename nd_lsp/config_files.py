"""Read nd-lsp settings from nd-lsp.toml, [tool.nd-lsp] in pyproject.toml, [package.metadata.nd-lsp].

The nearest file to a plugin root wins: the folders from the root upwards are searched, up to the
filesystem root or the first folder holding `.git`, and within one folder nd-lsp.toml comes before
pyproject.toml, which comes before Cargo.toml. A pyproject.toml or Cargo.toml without an nd-lsp table
does not count, so a plugin's Cargo.toml does not hide an nd-lsp.toml of the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nd_lsp.config import Settings
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.finding import Severity

CONFIG_FILE = "nd-lsp.toml"
# Where the settings sit in each kind of file; an empty key path means the top level.
TABLES: dict[str, tuple[str, ...]] = {
    CONFIG_FILE: (),
    "pyproject.toml": ("tool", "nd-lsp"),
    "Cargo.toml": ("package", "metadata", "nd-lsp"),
}
KEYS = ("navidrome-version", "select", "ignore", "fail-on")
CODE_PATTERN = re.compile(r"^ND\d{0,3}$", re.IGNORECASE)


class ConfigError(ValueError):
    """A configuration file nd-lsp cannot use; the message names the file and what is wrong."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@frozen_dataclass
class ConfigFile:
    """A configuration file and its nd-lsp settings table."""

    path: Path
    table: Mapping[str, Any]


def settings_from_files(root: Path) -> Settings:
    """Settings from the configuration file nearest to a plugin root. Raises ConfigError."""
    found = find_config(root)
    return Settings() if found is None else settings_from_table(found.path, found.table)


def settings_from_file(path: Path) -> Settings:
    """Settings from one named file (`--config`): its kind is told by its name. Raises ConfigError."""
    table_path = TABLES.get(path.name, ())
    data = _load_toml(path)
    table = _table(data, table_path)
    if table is None:
        if table_path:
            raise ConfigError(path, f"no [{'.'.join(table_path)}] table")
        table = {}
    return settings_from_table(path, table)


def find_config(root: Path) -> ConfigFile | None:
    """The nearest configuration with nd-lsp settings, from root upwards. Raises ConfigError."""
    for folder in _folders_upwards(root):
        for name, table_path in TABLES.items():
            path = folder / name
            if not path.is_file():
                continue
            table = _table_of(path, table_path)
            if table is not None:
                return ConfigFile(path, table)
    return None


def settings_from_table(path: Path, table: Mapping[str, Any]) -> Settings:
    """Validate one settings table; unknown keys and wrong types are errors, with did-you-mean."""
    for key in table:
        if key not in KEYS:
            raise ConfigError(path, f"unknown setting {key!r}{_did_you_mean(key, KEYS)}")
    version = table.get("navidrome-version")
    if version is not None and (not isinstance(version, str) or not version.strip()):
        raise ConfigError(path, 'navidrome-version must be a version string such as "0.63.2" or "master"')
    select = _codes(path, table, "select")
    return Settings(
        navidrome_version=version,
        select=select,
        ignore=_codes(path, table, "ignore") or frozenset(),
        fail_on=_severity(path, table["fail-on"]) if "fail-on" in table else None,
    )


def parse_codes(text: str) -> frozenset[str]:
    """`ND201, nd3` -> {"ND201", "ND3"}. Raises ValueError naming a word that is no code or prefix."""
    codes = [word.strip() for word in text.split(",") if word.strip()]
    for code in codes:
        if not CODE_PATTERN.match(code):
            raise ValueError(f"{code!r} is not a rule code or prefix (such as ND201 or ND2)")
    return frozenset(code.upper() for code in codes)


def parse_severity(text: str) -> Severity:
    """`warning` -> Severity.WARNING. Raises ValueError listing the levels."""
    try:
        return Severity(text.strip().lower())
    except ValueError:
        levels = ", ".join(s.value for s in Severity)
        raise ValueError(f"{text!r} is not a severity; use one of {levels}") from None


def _codes(path: Path, table: Mapping[str, Any], key: str) -> frozenset[str] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, f'{key} must be a list of rule codes, such as ["ND2", "ND301"]')
    try:
        return parse_codes(",".join(value))
    except ValueError as exc:
        raise ConfigError(path, f"{key}: {exc}") from None


def _severity(path: Path, value: object) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(path, "fail-on must be a string")
    try:
        return parse_severity(value)
    except ValueError as exc:
        raise ConfigError(path, f"fail-on: {exc}") from None


def _folders_upwards(root: Path) -> Iterator[Path]:
    start = root.absolute()
    for folder in (start, *start.parents):
        yield folder
        if (folder / ".git").exists():  # a repository's settings never come from outside it
            return


def _table_of(path: Path, table_path: tuple[str, ...]) -> Mapping[str, Any] | None:
    if not table_path:
        return _load_toml(path)
    try:
        text = _read_config(path)
        if "nd-lsp" not in text and "\\" not in text:
            # Without the name (nor an escape that could spell it) there is no nd-lsp table: the
            # repository's pyproject.toml is not parsed, which (tomllib included) costs ~3 ms per check.
            return None
        data = _parse_toml(path, text)
    except ConfigError:
        # A broken Cargo.toml/pyproject.toml is the build's problem (the front-end reports it) unless
        # it was meant to hold our settings.
        if _mentions_nd_lsp(path):
            raise
        return None
    return _table(data, table_path)


def _table(data: Mapping[str, Any], table_path: tuple[str, ...]) -> Mapping[str, Any] | None:
    node: Any = data
    for key in table_path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, Mapping) else None


def _load_toml(path: Path) -> dict[str, Any]:
    return _parse_toml(path, _read_config(path))


def _read_config(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, "not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror or exc}") from None


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    # Imported here: most checks read no settings file, and tomllib costs ~3 ms to import.
    from nd_lsp.toml_reader import tomllib

    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"invalid TOML: {exc}") from None
    return data


def _mentions_nd_lsp(path: Path) -> bool:
    try:
        return "nd-lsp" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    import difflib  # only for this error message: importing it costs ~1 ms of every check

    close = difflib.get_close_matches(word.replace("_", "-").lower(), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known settings: {', '.join(choices)}"
