"""ND103: a `register_*!` macro the PDK does not have, with did-you-mean."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nd_lsp.frontends.facts import Registration
from nd_lsp.rules._rust_pdk import all_macro_names, macro_of, pdk_registrations
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit
from nd_lsp.rules.plugin_api import suggest


class UnknownRegisterMacro(Rule):
    """A register macro that does not exist in the PDK of any Navidrome release.

    ## What it does
    Checks every macro invoked from the Rust PDK crate (`nd_pdk::register_x!(T)`, or `register_x!(T)`
    imported from it) against the macros of the target version, and suggests the closest one.

    ## Why is this bad?
    The crate does not compile (`cannot find macro`). The PDK README and pre-release examples use names
    that never shipped (`register_artist_biography!`, `register_init!`); the real macros carry the
    capability name (`register_metadata_artist_biography!`, `register_lifecycle_init!`).
    A macro that exists only in another Navidrome version is reported by ND111 instead.

    ## Example
    ```rust
    nd_pdk::register_artist_biography!(MyPlugin);
    ```

    ## Use instead
    ```rust
    nd_pdk::register_metadata_artist_biography!(MyPlugin);
    ```
    """

    code = "ND103"
    name = "unknown-register-macro"
    severity = Severity.ERROR
    languages = ("rust",)

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        candidates = all_macro_names(ctx.spec)
        for registration in pdk_registrations(ctx.plugin):
            if macro_of(ctx.spec, registration.name) is not None:
                continue
            if ctx.history.of_item("macro", registration.name).versions:
                continue  # exists in another release: ND111 says which
            yield from self._unknown(ctx, registration, suggest(registration.name, candidates))

    def _unknown(self, ctx: RuleContext, registration: Registration, suggestions: list[str]) -> Iterator[Finding]:
        if not registration.package and not suggestions:
            return  # a bare macro under `use nd_pdk::*` may come from any crate (info!, format!)
        crate = ctx.spec.layout.rust_crate
        message = (
            f"`{registration.name}!` does not exist in {crate} (Navidrome {ctx.spec.version}): "
            "the crate does not compile"
        )
        fixes = []
        if suggestions:
            message += f"; did you mean `{suggestions[0]}!`?"
            fixes.append(
                Fix(
                    f"Rename to `{suggestions[0]}!`",
                    self._rename_edits(ctx, registration, suggestions[0]),
                    preferred=True,
                )
            )
        yield self.finding(registration.name_span, message, fixes=fixes)

    @staticmethod
    def _rename_edits(ctx: RuleContext, registration: Registration, new_name: str) -> tuple[TextEdit, ...]:
        """Rename the invocation and, for a bare macro, the `use` that imports it."""
        edits = [TextEdit(registration.name_span, new_name)]
        facts = ctx.plugin.files.get(registration.name_span.path)
        if len(registration.path_segments) == 1 and facts is not None:
            edits += [
                TextEdit(u.span, new_name)
                for u in facts.pdk_uses
                if u.role == "macro" and u.path == (registration.name,)
            ]
        return tuple(edits)
