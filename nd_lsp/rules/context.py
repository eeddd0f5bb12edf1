"""What a rule sees: one plugin's facts, the target spec, and the history of the API across releases."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from nd_lsp.frontends.facts import PluginFacts
from nd_lsp.specs.history import ApiHistory
from nd_lsp.specs.model import Spec


@dataclass
class RuleContext:
    """What a rule sees of one plugin."""

    plugin: PluginFacts
    spec: Spec
    # Where the target version came from, for messages: "explicit", "Cargo.toml", "go.mod", "newest".
    version_source: str = "newest"
    sources: dict[Path, str] = field(default_factory=dict)  # file texts, for fixes that need them

    @functools.cached_property
    def history(self) -> ApiHistory:
        return ApiHistory.load()

    def source(self, path: Path) -> str:
        """The text of a plugin file (open editor buffer when known, else disk)."""
        if path not in self.sources:
            try:
                self.sources[path] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self.sources[path] = ""
        return self.sources[path]
