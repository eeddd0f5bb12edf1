"""ND109: a registered Rust plugin type without `Default`."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.frontends.facts import Span, TypeDecl
from nd_lsp.rules._rust_pdk import MacroUse, known_macro_uses
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity, TextEdit

DEFAULT_TRAIT = "Default"  # Rust's std trait the register macros call (`<T>::default()`)


class PluginTypeNotDefault(Rule):
    """A type given to a register macro that does not implement `Default`.

    ## What it does
    Checks that every type passed to a `register_*!` macro derives or implements `Default`.

    ## Why is this bad?
    Each generated export builds the plugin value with `<T>::default()` on every call, so the crate
    does not compile (`no function or associated item named 'default' found`), and the error points
    inside the macro.

    ## Example
    ```rust
    struct MyPlugin;
    nd_pdk::register_lifecycle_init!(MyPlugin);
    ```

    ## Use instead
    ```rust
    #[derive(Default)]
    struct MyPlugin;
    nd_pdk::register_lifecycle_init!(MyPlugin);
    ```
    """

    code = "ND109"
    name = "plugin-type-not-default"
    severity = Severity.ERROR
    languages = ("rust",)

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        declared = {t.name: t for t in ctx.plugin.types() if t.language == "rust"}
        with_impl = {
            i.type_name for i in ctx.plugin.impls() if i.language == "rust" and i.trait_path[-1:] == (DEFAULT_TRAIT,)
        }
        for use in known_macro_uses(ctx.spec, ctx.plugin):
            declaration = declared.get(use.registration.target)
            if declaration is None or use.registration.target_span is None:
                continue  # a type of another crate, or a half-written invocation
            if DEFAULT_TRAIT in declaration.derives or declaration.has_default_impl or declaration.name in with_impl:
                continue
            yield self._finding(ctx, use, declaration)

    def _finding(self, ctx: RuleContext, use: MacroUse, declaration: TypeDecl) -> Finding:
        assert use.registration.target_span is not None
        message = (
            f"{declaration.name} does not implement Default, but `{use.registration.name}!` builds it with "
            f"`{declaration.name}::default()` for every call: the crate does not compile. "
            f"Add #[derive(Default)] to {declaration.name}"
        )
        edit = _default_edit(ctx, declaration)
        fixes = [Fix("Derive Default", (edit,), preferred=True)] if edit is not None else []
        related = [Related(declaration.span, f"{declaration.name} is declared here")]
        return self.finding(use.registration.target_span, message, related=related, fixes=fixes)


def _default_edit(ctx: RuleContext, declaration: TypeDecl) -> TextEdit | None:
    path = declaration.span.path
    if declaration.derive_insert_at is not None:
        inside = declaration.derive_insert_at
        return TextEdit(Span(path, inside, inside), ", Default" if declaration.derives else "Default")
    at = declaration.attribute_insert_at
    if at is None:
        return None
    lines = ctx.source(path).splitlines()
    line = lines[at.line] if at.line < len(lines) else ""
    indent = line[: len(line) - len(line.lstrip())]
    return TextEdit(Span(path, at, at), f"{indent}#[derive(Default)]\n")
