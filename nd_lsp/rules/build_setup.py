"""ND110: a Rust plugin's Cargo.toml that cannot build a loadable plugin."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.frontends.cargo import EXTISM_PDK_CRATE, ND_PDK_CRATE
from nd_lsp.frontends.facts import BuildFacts, Position, Span
from nd_lsp.rules._rust_pdk import known_macro_uses, pdk_registrations
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit

CDYLIB = "cdylib"  # the crate type that makes cargo emit a .wasm module
EXTISM_PDK_REQUIREMENT = '"1"'


class BuildSetup(Rule):
    """A Cargo.toml that cannot build a Navidrome plugin.

    ## What it does
    Checks that a Rust plugin using register macros depends on `extism-pdk` directly, and that its
    `[lib]` builds a `cdylib`.

    ## Why is this bad?
    The register macros expand to `#[extism_pdk::plugin_fn]` functions in your crate, so `extism_pdk`
    must be a dependency of your crate, not only of `nd-pdk`
    (`cannot find module or crate 'extism_pdk'`). Without `crate-type = ["cdylib"]` cargo builds an
    rlib and no `.wasm` file to package.

    ## Example
    ```toml
    [dependencies]
    nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.63.2" }
    ```

    ## Use instead
    ```toml
    [lib]
    crate-type = ["cdylib"]

    [dependencies]
    extism-pdk = "1"
    nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.63.2" }
    ```
    """

    code = "ND110"
    name = "build-setup"
    severity = Severity.ERROR
    languages = ("rust",)

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        cargo = ctx.plugin.cargo
        if cargo is None or cargo.error or "rust" not in ctx.plugin.languages:
            return
        # Bare macros under `use nd_pdk::*` may be any crate's (package ""): only PDK macros count.
        uses_macros = any(r.package for r in pdk_registrations(ctx.plugin)) or known_macro_uses(ctx.spec, ctx.plugin)
        if uses_macros and cargo.dependency(EXTISM_PDK_CRATE) is None:
            yield self._missing_extism(ctx, cargo)
        if CDYLIB not in cargo.crate_types:
            yield self._not_cdylib(ctx, cargo)

    def _missing_extism(self, ctx: RuleContext, cargo: BuildFacts) -> Finding:
        anchor = cargo.dependency(ND_PDK_CRATE)
        span = anchor.span if anchor is not None else cargo.lib_span or _start(cargo)
        message = (
            f"the register macros expand to `extism_pdk::plugin_fn` exports in this crate, but "
            f"{EXTISM_PDK_CRATE} is not a direct dependency: the crate does not compile. "
            f"Add `{EXTISM_PDK_CRATE} = {EXTISM_PDK_REQUIREMENT}` to [dependencies]"
        )
        fixes = []
        if anchor is not None and self._is_key_line(ctx, cargo, anchor.span):
            line_start = Position(anchor.span.start.line, 0)
            edit = TextEdit(
                Span(cargo.path, line_start, line_start), f"{EXTISM_PDK_CRATE} = {EXTISM_PDK_REQUIREMENT}\n"
            )
            fixes.append(Fix(f"Add {EXTISM_PDK_CRATE} to [dependencies]", (edit,), preferred=True))
        return self.finding(span, message, fixes=fixes)

    @staticmethod
    def _is_key_line(ctx: RuleContext, cargo: BuildFacts, span: Span) -> bool:
        """A `name = ...` line of a dependency table (not a `[dependencies.name]` header)."""
        lines = ctx.source(cargo.path).splitlines()
        return span.start.line < len(lines) and not lines[span.start.line].lstrip().startswith("[")

    def _not_cdylib(self, ctx: RuleContext, cargo: BuildFacts) -> Finding:
        lines = ctx.source(cargo.path).splitlines()
        if cargo.crate_types_span is not None:
            written = ", ".join(f'"{t}"' for t in cargo.crate_types)
            message = (
                f"crate-type = [{written}] does not build a Wasm module: cargo emits no .wasm for Navidrome "
                f'to load. Use crate-type = ["{CDYLIB}"]'
            )
            return self.finding(cargo.crate_types_span, message, fixes=_add_to_array(cargo, lines))
        message = (
            f'Cargo.toml has no [lib] crate-type = ["{CDYLIB}"]: cargo builds an rlib and no .wasm module '
            f"for Navidrome to load"
        )
        span = cargo.lib_span or _start(cargo)
        return self.finding(span, message, fixes=[_add_crate_type(cargo, lines, ctx.source(cargo.path))])


def _add_to_array(cargo: BuildFacts, lines: list[str]) -> list[Fix]:
    assert cargo.crate_types_span is not None
    at = cargo.crate_types_span.start
    if at.line >= len(lines) or lines[at.line][at.column : at.column + 1] != "[":
        return []
    insert = Position(at.line, at.column + 1)
    separator = ", " if cargo.crate_types else ""
    edit = TextEdit(Span(cargo.path, insert, insert), f'"{CDYLIB}"{separator}')
    return [Fix(f'Add "{CDYLIB}"', (edit,), preferred=True)]


def _add_crate_type(cargo: BuildFacts, lines: list[str], text: str) -> Fix:
    """Under an existing [lib] header, or as a new [lib] table at the end of the file."""
    header = cargo.lib_span
    if header is not None and header.start.line < len(lines) and lines[header.start.line].strip() == "[lib]":
        at = Position(header.start.line + 1, 0)
        edit = TextEdit(Span(cargo.path, at, at), f'crate-type = ["{CDYLIB}"]\n')
    else:
        end = _end_of(text)
        separator = "" if text.endswith("\n") or not text else "\n"
        edit = TextEdit(Span(cargo.path, end, end), f'{separator}\n[lib]\ncrate-type = ["{CDYLIB}"]\n')
    return Fix(f'Add crate-type = ["{CDYLIB}"]', (edit,), preferred=True)


def _start(cargo: BuildFacts) -> Span:
    return Span(cargo.path, Position(0, 0), Position(0, 0))


def _end_of(text: str) -> Position:
    lines = text.split("\n")
    return Position(len(lines) - 1, len(lines[-1]))
