"""ND104: `register_*!(T)` where T does not implement the macro's trait."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.rules._rust_pdk import MacroUse, TraitImpl, known_macro_uses, pdk_trait_impls
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity, TextEdit


class RegisterWithoutImpl(Rule):
    """A register macro given a type that does not implement the macro's trait.

    ## What it does
    Checks that the type passed to a `register_*!` macro implements the trait whose methods the macro
    exports, and names the type that does, if there is one.

    ## Why is this bad?
    The crate does not compile: the macro calls the trait's method on the type
    (`the trait bound 'MyPlugin: ArtistURLProvider' is not satisfied`), and the error points inside
    the macro, far from the mistake.

    ## Example
    ```rust
    impl ArtistBiographyProvider for MyPlugin { /* ... */ }
    nd_pdk::register_metadata_artist_url!(MyPlugin);
    ```

    ## Use instead
    ```rust
    impl ArtistBiographyProvider for MyPlugin { /* ... */ }
    nd_pdk::register_metadata_artist_biography!(MyPlugin);
    ```
    """

    code = "ND104"
    name = "register-without-impl"
    severity = Severity.ERROR
    languages = ("rust",)

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        impls = pdk_trait_impls(ctx.spec, ctx.plugin)
        for use in known_macro_uses(ctx.spec, ctx.plugin):
            registration = use.registration
            if not registration.target or registration.target_span is None:
                continue
            implementers = [i for i in impls if i.trait.name == use.macro.trait]
            if any(i.impl.type_name == registration.target for i in implementers):
                continue
            yield self._finding(use, implementers)

    def _finding(self, use: MacroUse, implementers: list[TraitImpl]) -> Finding:
        registration = use.registration
        assert registration.target_span is not None
        message = (
            f"`{registration.name}!({registration.target})` does not compile: {registration.target} does not "
            f"implement {use.macro.trait}, whose methods the macro exports"
        )
        others = sorted({i.impl.type_name for i in implementers})
        fixes = []
        if others:
            message += f"; {', '.join(others)} {'implements' if len(others) == 1 else 'implement'} it"
        if len(others) == 1:
            fixes.append(
                Fix(f"Register {others[0]} instead", (TextEdit(registration.target_span, others[0]),), preferred=True)
            )
        else:
            message += f"; implement {use.macro.trait} for {registration.target}"
        related = [
            Related(i.impl.type_span or i.impl.span, f"{use.macro.trait} is implemented here") for i in implementers
        ]
        return self.finding(registration.target_span, message, related=related, fixes=fixes)
