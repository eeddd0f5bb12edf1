"""nd-lsp settings: target version, rule selection and failure level, merged from every source once."""

from __future__ import annotations

from dataclasses import replace

from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.finding import Severity


@frozen_dataclass
class Settings:
    """What to check and when to fail, merged from settings files and the command line."""

    navidrome_version: str | None = None  # None: infer from the plugin's dependency, else newest release
    select: frozenset[str] | None = None  # None: every rule; codes or prefixes ("ND2")
    ignore: frozenset[str] = frozenset()
    fail_on: Severity | None = None  # None: not set here; findings fail from `error` up

    @property
    def failure_level(self) -> Severity:
        return self.fail_on or Severity.ERROR

    def enabled(self, code: str) -> bool:
        if any(code.startswith(prefix) for prefix in self.ignore):
            return False
        return self.select is None or any(code.startswith(prefix) for prefix in self.select)

    def merged(self, override: Settings) -> Settings:
        """`override`'s explicit values win (command line over files, editor over files)."""
        return replace(
            self,
            navidrome_version=override.navidrome_version or self.navidrome_version,
            select=override.select if override.select is not None else self.select,
            ignore=self.ignore | override.ignore,
            fail_on=override.fail_on or self.fail_on,
        )


def load_settings(root: object) -> Settings:
    """Settings from the configuration files nearest to a plugin root (see config_files.py)."""
    from pathlib import Path

    from nd_lsp.config_files import settings_from_files

    return settings_from_files(Path(str(root)))
