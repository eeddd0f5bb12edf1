"""ND105: the same `nd_*` export produced twice."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.frontends.facts import Position, Span
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity, TextEdit
from nd_lsp.rules.plugin_api import PluginExport, plugin_exports


class DuplicateExport(Rule):
    """The same export produced twice.

    ## What it does
    Finds an export that two pieces of code generate: a register macro invoked twice, a macro plus a
    hand-written `#[plugin_fn]` of the same name, a Go `//go:wasmexport` of a name a linked capability
    package already exports, or a Python `@extism.plugin_fn` function defined twice.

    ## Why is this bad?
    Rust and Go do not build (`the name 'nd_on_init' is defined multiple times`, duplicate symbol). In
    Python the second definition silently replaces the first, so one of the two bodies is dead code.

    ## Example
    ```rust
    nd_pdk::register_lifecycle_init!(MyPlugin);

    #[plugin_fn]
    pub fn nd_on_init() -> FnResult<()> { Ok(()) }
    ```
    ```go
    import "github.com/navidrome/navidrome/plugins/pdk/go/lifecycle" // links nd_on_init

    //go:wasmexport nd_on_init
    func onInit() int32 { return 0 }
    ```
    ```python
    @extism.plugin_fn
    def nd_on_init(): ...

    @extism.plugin_fn
    def nd_on_init(): ...
    ```

    ## Use instead
    ```rust
    nd_pdk::register_lifecycle_init!(MyPlugin);
    ```
    ```go
    func init() { lifecycle.Register(&plugin{}) }
    ```
    ```python
    @extism.plugin_fn
    def nd_on_init(): ...
    ```
    """

    code = "ND105"
    name = "duplicate-export"
    severity = Severity.ERROR
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        by_name: dict[str, list[PluginExport]] = {}
        for export in _distinct(plugin_exports(ctx)):
            by_name.setdefault(export.name, []).append(export)
        for name, exports in by_name.items():
            first = exports[0]
            for duplicate in exports[1:]:
                yield self._finding(ctx, name, first, duplicate)

    def _finding(self, ctx: RuleContext, name: str, first: PluginExport, duplicate: PluginExport) -> Finding:
        consequence = (
            "the second definition replaces the first"
            if duplicate.language == "python"
            else "the plugin does not build (the name is defined twice)"
        )
        message = f"{name} is already exported by {_describe(first)}: {consequence}"
        fixes = []
        same_macro = (
            duplicate.registration is not None
            and first.registration is not None
            and duplicate.registration.name == first.registration.name
        )
        if same_macro and duplicate.registration is not None:
            removal = _line_removal(ctx, duplicate.registration.span)
            if removal is not None:
                fixes.append(Fix("Remove the duplicate registration", (removal,), preferred=True))
        return self.finding(
            _narrow_span(duplicate),
            message,
            related=[Related(_narrow_span(first), f"{name} is first exported here")],
            fixes=fixes,
        )


def _distinct(exports: list[PluginExport]) -> list[PluginExport]:
    """One export per producer: a Go capability package imported by several files links once, and a
    macro exporting several names is one producer of each."""
    seen: set[tuple[str, str, object]] = set()
    kept = []
    for export in exports:
        key: tuple[str, str, object]
        if export.origin == "go_package":
            key = (export.name, export.origin, export.capability.name if export.capability else "")
        else:
            key = (export.name, export.origin, export.span)
        if key not in seen:
            seen.add(key)
            kept.append(export)
    return kept


def _narrow_span(export: PluginExport) -> Span:
    if export.registration is not None:
        return export.registration.name_span
    if export.definition is not None:
        return export.definition.name_span
    return export.span


def _describe(export: PluginExport) -> str:
    if export.registration is not None:
        return f"`{export.registration.name}!` on line {export.registration.span.start.line + 1}"
    if export.origin == "go_package" and export.capability is not None:
        return f"the imported {export.capability.name} package"
    return f"the function on line {export.span.start.line + 1}"


def _line_removal(ctx: RuleContext, span: Span) -> TextEdit | None:
    """Delete the line holding a statement when nothing else is on it (keeping the `;`)."""
    lines = ctx.source(span.path).splitlines()
    if span.start.line != span.end.line or span.start.line >= len(lines):
        return None
    line = lines[span.start.line]
    rest = line[span.end.column :].strip()
    if line[: span.start.column].strip() or rest not in {"", ";"}:
        return None
    return TextEdit(Span(span.path, Position(span.start.line, 0), Position(span.start.line + 1, 0)), "")
