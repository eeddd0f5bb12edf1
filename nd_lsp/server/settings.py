"""Editor settings (initializationOptions, workspace/didChangeConfiguration) merged over the files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on first use: the answer to `initialize` must not wait for the rule model
    from nd_lsp.config import Settings

DEFAULT_DEBOUNCE_MS = 150
# Half-written code is analysed from tree-sitter's incremental tree while the user types; this long after
# the last analysis it is parsed afresh, so the findings settle on exactly those of `nd-lsp check`.
DEFAULT_SETTLE_MS = 300
# Clients nest a server's settings under its name; accept the spellings editors use.
SECTION_NAMES = ("nd-lsp", "ndLsp", "nd_lsp")


@dataclass(frozen=True)
class ServerOptions:
    """What the editor said: the rule settings it overrides and how the server should behave."""

    navidrome_version: str | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    settle_ms: int = DEFAULT_SETTLE_MS

    @property
    def editor(self) -> Settings:
        """The editor's rule settings, which win over the configuration files."""
        from nd_lsp.config import Settings

        return Settings(navidrome_version=self.navidrome_version, select=self.select, ignore=self.ignore)


def options_from_json(raw: object, previous: ServerOptions | None = None) -> ServerOptions:
    """Read `{navidromeVersion, select, ignore, debounceMs, settleMs}` (top level or under "nd-lsp").

    Values of the wrong type are ignored rather than rejected: a typo in an editor's settings must not
    stop the server.
    """
    base = previous or ServerOptions()
    section = _our_section(raw)
    if section is None:
        return base
    version = section.get("navidromeVersion", base.navidrome_version)
    return ServerOptions(
        navidrome_version=version if isinstance(version, str) and version.strip() else None,
        select=_codes(section["select"]) if "select" in section else base.select,
        ignore=(_codes(section["ignore"]) or frozenset()) if "ignore" in section else base.ignore,
        debounce_ms=_milliseconds(section.get("debounceMs"), base.debounce_ms),
        settle_ms=_milliseconds(section.get("settleMs"), base.settle_ms),
    )


def _milliseconds(value: object, default: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return default
    return value


def has_settings(raw: object) -> bool:
    """True when a configuration payload carries nd-lsp settings (clients may send an empty one)."""
    return _our_section(raw) is not None


def settings_for_root(root: Path, options: ServerOptions) -> Settings:
    """The settings of one plugin: its configuration files, with the editor's explicit values on top."""
    from nd_lsp.config import Settings
    from nd_lsp.config_files import settings_from_files

    try:
        from_files = settings_from_files(root)
    except Exception:  # a broken nd-lsp.toml is reported by the CLI; the editor keeps working
        from_files = Settings()
    return from_files.merged(options.editor)


def _our_section(raw: object) -> Mapping[str, object] | None:
    if not isinstance(raw, Mapping):
        return None
    for name in SECTION_NAMES:
        nested = raw.get(name)
        if isinstance(nested, Mapping):
            return nested
    known = {"navidromeVersion", "select", "ignore", "debounceMs"}
    return raw if known & set(raw) else None


def _codes(value: object) -> frozenset[str] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return None
    return frozenset(str(code).strip().upper() for code in value if str(code).strip())
