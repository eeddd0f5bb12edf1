"""ND301: manifest.json that is not valid JSON."""

from __future__ import annotations

from collections.abc import Iterator

from nd_lsp.frontends.facts import ManifestFacts, Position, Span
from nd_lsp.frontends.manifest import BOM
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit


class ManifestSyntax(Rule):
    """manifest.json is not valid JSON.

    ## What it does
    Reads manifest.json with a strict JSON parser, like the one Navidrome uses, and points at the
    first character where it stops being JSON: a trailing comma, a missing comma, a comment, single
    quotes, an invalid escape, an unterminated string or a byte-order mark at the start of the file.

    ## Why is this bad?
    Navidrome parses the manifest before anything else. When it is not valid JSON the plugin is not
    loaded at all, and the only trace is a line in the server log.

    ## Example
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0",
    }
    ```

    ## Use instead
    ```json
    {
      "name": "my-plugin",
      "author": "me",
      "version": "1.0.0"
    }
    ```
    """

    code = "ND301"
    name = "manifest-syntax"
    severity = Severity.ERROR
    languages = ("manifest",)

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        manifest = ctx.plugin.manifest
        if manifest is None or not manifest.syntax_error or manifest.syntax_error_span is None:
            return
        span = manifest.syntax_error_span
        yield self.finding(
            span,
            f"manifest.json is not valid JSON: {manifest.syntax_error}. "
            "Navidrome cannot parse it and does not load the plugin.",
            fixes=_fixes(manifest, span),
        )


def _fixes(manifest: ManifestFacts, span: Span) -> tuple[Fix, ...]:
    text = manifest.text
    if span.start == Position(0, 0) and text.startswith(BOM):
        return (Fix("Remove the byte-order mark", (TextEdit(span, ""),), preferred=True),)
    if _is_trailing_comma(text, span):
        return (Fix("Remove the trailing comma", (TextEdit(span, ""),), preferred=True),)
    return ()


def _is_trailing_comma(text: str, span: Span) -> bool:
    lines = text.split("\n")
    if span.start.line >= len(lines) or span.end != Position(span.start.line, span.start.column + 1):
        return False
    if lines[span.start.line][span.start.column : span.start.column + 1] != ",":
        return False
    after = "\n".join([lines[span.start.line][span.start.column + 1 :], *lines[span.start.line + 1 :]])
    return after.lstrip(" \t\r\n")[:1] in ("}", "]")
