"""ND100: a plugin written for Navidrome's plugin API before 0.60, which nd-lsp does not cover."""

from __future__ import annotations

from collections.abc import Iterator

from nd_lsp.frontends.facts import Position, Span
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Rule, Severity


class LegacyPluginApi(Rule):
    """A plugin that uses the plugin API of Navidrome before 0.60.

    ## What it does
    Notices a plugin built on the protobuf plugin API that Navidrome used before 0.60, and says that
    nd-lsp checks only plugins for Navidrome 0.60 and later. No other rule runs on such a plugin.

    ## Why is this bad?
    Navidrome 0.60 replaced the old API with Extism plugins that export `nd_*` functions and declare
    permissions in manifest.json. An old plugin does not load in a current Navidrome; nd-lsp's rules
    would only produce noise on it.

    ## Example
    ```go
    import "github.com/navidrome/navidrome/plugins/api"
    ```

    ## Use instead
    ```go
    import "github.com/navidrome/navidrome/plugins/pdk/go/metadata"
    ```
    """

    code = "ND100"
    name = "legacy-plugin-api"
    severity = Severity.INFORMATION
    languages = ("go",)

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        legacy = sorted(p for p, f in ctx.plugin.files.items() if f.legacy_api)
        if legacy:
            yield self.finding(
                Span(legacy[0], Position(0, 0), Position(0, 0)),
                "This plugin uses the plugin API of Navidrome before 0.60; nd-lsp checks plugins for "
                "Navidrome 0.60 and later only, so it reports nothing else here.",
            )
