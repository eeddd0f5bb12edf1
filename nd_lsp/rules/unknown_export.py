"""ND107: a hand-written export that looks like a capability export but is none."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nd_lsp.frontends.extism_python import EXPORT_DECORATOR, EXTISM_MODULE
from nd_lsp.frontends.facts import ExportDef
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit
from nd_lsp.rules.plugin_api import suggest

# A name without the common export prefix counts as a near miss only when it is this close to an export.
_NEAR_MISS = 0.9
# The one spelling of the export decorator that extism-py's compiler looks for (Extism's name).
EXTISM_EXPORT_DECORATOR = f"{EXTISM_MODULE}.{EXPORT_DECORATOR}"


class UnknownExport(Rule):
    """An exported function named like a capability export that the target Navidrome version does not have.

    ## What it does
    Checks every function the code exports itself (Python `@extism.plugin_fn`, Rust `#[plugin_fn]`,
    Go `//go:wasmexport`) whose name starts like a capability export, or nearly matches one, against the
    capability exports of the target Navidrome version, and suggests the closest real export. In
    Python it also reports an export decorator spelt other than `@extism.plugin_fn` (`@plugin_fn`
    imported by name, `@ex.plugin_fn`): extism-py reads the decorators as text and exports only that
    spelling.

    ## Why is this bad?
    Navidrome finds a plugin's capabilities only by the names of its exports. A misspelt export
    (`nd_get_album_image`, `get_album_images`, a stale `nd_manifest`) is never called: the plugin loads,
    reports no such capability, and silently does nothing. An export whose decorator extism-py does
    not recognise is not exported at all, and the runtime still registers it, so each recognised
    export after it runs the function before it.

    ## Example
    ```python
    @extism.plugin_fn
    def nd_get_album_image():
        ...
    ```
    ```python
    from extism import plugin_fn as export

    @export
    def nd_get_album_images():
        ...
    ```
    ```rust
    #[plugin_fn]
    pub fn nd_get_artist_bio(input: String) -> FnResult<String> { ... }
    ```
    ```go
    //go:wasmexport nd_get_artist_bio
    func getArtistBio() int32 { ... }
    ```

    ## Use instead
    ```python
    @extism.plugin_fn
    def nd_get_album_images():
        ...
    ```
    ```rust
    #[plugin_fn]
    pub fn nd_get_artist_biography(input: String) -> FnResult<String> { ... }
    ```
    ```go
    //go:wasmexport nd_get_artist_biography
    func getArtistBiography() int32 { ... }
    ```
    """

    code = "ND107"
    name = "unknown-export"
    severity = Severity.ERROR
    languages = ("python", "rust", "go")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        yield from self._unrecognised_decorators(ctx)
        exports = tuple(ctx.spec.all_exports())
        if not exports:
            return
        prefix = _common_prefix(exports)
        for definition in ctx.plugin.exports():
            if definition.name in exports or ctx.history.of_item("export", definition.name).versions:
                continue  # real here, or ND111's (another version has it)
            yield from self._check_one(ctx, definition, exports, prefix)

    def _unrecognised_decorators(self, ctx: RuleContext) -> Iterator[Finding]:
        """Python exports whose decorator extism-py does not recognise (it reads decorators as text)."""
        python = [d for d in ctx.plugin.exports() if d.language == "python" and d.decorator_span is not None]
        for definition in python:
            if definition.decorator in ("", EXTISM_EXPORT_DECORATOR) or definition.decorator_span is None:
                continue
            shifted = [
                d.name
                for d in python
                if d.name_span.path == definition.name_span.path
                and d.name_span.start > definition.name_span.start
                and d.decorator == EXTISM_EXPORT_DECORATOR
            ]
            message = (
                f"extism-py finds exports by reading decorators as written and recognises only "
                f"`@{EXTISM_EXPORT_DECORATOR}`: with `@{definition.decorator}`, `{definition.name}` is not "
                "exported, so Navidrome never calls it"
            )
            if shifted:
                # The runtime still registers it, so every recognised export after it is off by one.
                message += f", and `{shifted[0]}` (defined after it) runs the wrong function"
            message += f". Write `@{EXTISM_EXPORT_DECORATOR}`"
            fixes = []
            if _imports_extism(ctx, definition):
                edit = TextEdit(definition.decorator_span, EXTISM_EXPORT_DECORATOR)
                fixes.append(Fix(f"Use `@{EXTISM_EXPORT_DECORATOR}`", (edit,), preferred=True))
            yield self.finding(definition.decorator_span, message, fixes=fixes)

    def _check_one(
        self, ctx: RuleContext, definition: ExportDef, exports: tuple[str, ...], prefix: str
    ) -> Iterator[Finding]:
        suggestion = _suggestion(definition.name, exports, prefix)
        if suggestion is None and not (prefix and definition.name.startswith(prefix)):
            return  # an ordinary export of the plugin's own (a helper for `extism call`)
        version = ctx.spec.version
        message = (
            f"`{definition.name}` is not a capability export of Navidrome {version}: Navidrome never calls it, "
            "so the plugin loads without this capability"
        )
        fixes: list[Fix] = []
        if suggestion is not None:
            message += f". Did you mean `{suggestion}`?"
            if ctx.source(definition.name_span.path) and _span_text(ctx, definition) == definition.name:
                fixes.append(
                    Fix(f"Rename to `{suggestion}`", (TextEdit(definition.name_span, suggestion),), preferred=True)
                )
            yield self.finding(definition.name_span, message, fixes=fixes)
            return
        # No capability export is close: more likely a helper export of the plugin's own (Navidrome's
        # test plugins export `nd_test_*` for its test harness) than a typo, so only warn.
        message += "; if it should implement a capability, rename it to one of that capability's exports"
        yield self.finding(definition.name_span, message, severity=Severity.WARNING)


def _imports_extism(ctx: RuleContext, definition: ExportDef) -> bool:
    """Whether the file binds the module itself (`import extism`), so the recognised spelling works there."""
    facts = ctx.plugin.files.get(definition.name_span.path)
    module = EXTISM_EXPORT_DECORATOR.split(".", 1)[0]
    return facts is not None and any(i.path == module and i.local_name == module for i in facts.imports)


def _suggestion(name: str, exports: tuple[str, ...], prefix: str) -> str | None:
    import difflib  # for did-you-mean only: a check that suggests nothing need not import it (~1 ms)

    if prefix and name.startswith(prefix):
        found = suggest(name, exports)
        return found[0] if found else None
    # Without the prefix, only a name that is an export once the prefix is added (or very nearly) counts.
    candidate = prefix + name.lower()
    if candidate in exports:
        return candidate
    close = difflib.get_close_matches(candidate, exports, n=1, cutoff=_NEAR_MISS)
    return close[0] if close else None


def _span_text(ctx: RuleContext, definition: ExportDef) -> str:
    """The text under the name span, so that a fix never replaces anything but the name itself."""
    lines = ctx.source(definition.name_span.path).split("\n")
    span = definition.name_span
    if span.start.line != span.end.line or span.start.line >= len(lines):
        return ""
    return lines[span.start.line][span.start.column : span.end.column]


def _common_prefix(names: tuple[str, ...]) -> str:
    """What every capability export starts with (derived from the spec, never written here)."""
    first, last = min(names), max(names)
    length = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    return first[:length]
