"""ND101: a capability implemented without all the methods / exports the target version requires."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from nd_lsp.frontends.facts import ExportDef, ImplBlock, Registration, Span
from nd_lsp.rules._rust_pdk import TraitImpl, method_stub, pdk_trait_impls, stubs_edit, trait_methods
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity, TextEdit
from nd_lsp.specs.model import Capability, CapabilityMethod


class MissingRequiredMethod(Rule):
    """A capability implemented without every method its trait / interface / export set requires.

    ## What it does
    Checks that an `impl` of a PDK trait (Rust), a type registered with a required capability's
    `Register` (Go), or a plugin exporting part of a required capability (Python) provides every
    method of the target Navidrome version.

    ## Why is this bad?
    Rust and Go plugins stop compiling (`E0046 not all trait items implemented`, `missing method`)
    when Navidrome adds a method to a required capability, as the scrobbler's `playback_report` in
    0.62.0. A Python plugin still loads, but Navidrome gets "function not found" for the missing
    export: a scrobbler without `nd_scrobbler_scrobble` drops every scrobble.

    ## Example
    ```rust
    impl Scrobbler for MyPlugin {
        fn is_authorized(&self, req: IsAuthorizedRequest) -> Result<bool, Error> { Ok(true) }
        fn now_playing(&self, req: NowPlayingRequest) -> Result<(), Error> { Ok(()) }
        fn scrobble(&self, req: ScrobbleRequest) -> Result<(), Error> { Ok(()) }
    }
    ```
    ```go
    func init() { scrobbler.Register(&myPlugin{}) } // myPlugin has no PlaybackReport
    ```
    ```python
    @extism.plugin_fn
    def nd_scrobbler_scrobble(): ...
    ```

    ## Use instead
    ```rust
    impl Scrobbler for MyPlugin {
        // ... the three methods above, and:
        fn playback_report(&self, _req: PlaybackReportRequest) -> Result<(), Error> { Ok(()) }
    }
    ```
    ```go
    func (p *myPlugin) PlaybackReport(req scrobbler.PlaybackReportRequest) error { return nil }
    ```
    ```python
    @extism.plugin_fn
    def nd_scrobbler_is_authorized(): ...
    # ... and every other export of the capability
    ```
    """

    code = "ND101"
    name = "missing-required-method"
    severity = Severity.ERROR
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        yield from self._rust(ctx)
        yield from self._go(ctx)
        yield from self._python(ctx)

    # -- Rust ----------------------------------------------------------------------------------

    def _rust(self, ctx: RuleContext) -> Iterator[Finding]:
        for found in pdk_trait_impls(ctx.spec, ctx.plugin):
            implemented = {m.name for m in found.impl.methods}
            missing = [m for m in trait_methods(found.capability, found.trait) if m.rust_method not in implemented]
            if missing and found.impl.trait_span is not None:
                yield self._rust_finding(ctx, found, missing)

    def _rust_finding(self, ctx: RuleContext, found: TraitImpl, missing: list[CapabilityMethod]) -> Finding:
        impl = found.impl
        names = [m.rust_method for m in missing]
        message = (
            f"{found.trait.name} for {impl.type_name} is missing {_listing(names)}: the plugin does not "
            f"compile against Navidrome {ctx.spec.version} (E0046). {self._since(ctx, found.trait.name, missing)}"
        )
        uses = ctx.plugin.files[impl.span.path].pdk_uses if impl.span.path in ctx.plugin.files else []
        stubs = [method_stub(ctx.spec, found.capability, m, uses, impl.indent) for m in missing]
        edit = stubs_edit(impl, stubs)
        fixes = [Fix("Implement missing methods", (edit,), preferred=True)] if edit is not None else []
        assert impl.trait_span is not None
        return self.finding(impl.trait_span, message, fixes=fixes)

    @staticmethod
    def _since(ctx: RuleContext, trait: str, missing: list[CapabilityMethod]) -> str:
        return _required_since(
            [
                (m.rust_method, ctx.history.of_item("rust_method", f"{trait}::{m.rust_method}").describe())
                for m in missing
            ]
        )

    # -- Go ------------------------------------------------------------------------------------

    def _go(self, ctx: RuleContext) -> Iterator[Finding]:
        for registration in ctx.plugin.registrations():
            capability = _go_capability(ctx, registration)
            if capability is None or not capability.required or not registration.target:
                continue
            impls = [i for i in ctx.plugin.impls() if i.language == "go" and i.type_name == registration.target]
            if not impls:
                continue  # the type is declared elsewhere (another package): nothing to compare
            implemented = {m.name for i in impls for m in i.methods}
            missing = [m for m in capability.methods if m.name not in implemented]
            if missing:
                yield self._go_finding(ctx, registration, capability, impls, missing)

    def _go_finding(
        self,
        ctx: RuleContext,
        registration: Registration,
        capability: Capability,
        impls: list[ImplBlock],
        missing: list[CapabilityMethod],
    ) -> Finding:
        names = [m.name for m in missing]
        since = _required_since(
            [(m.name, ctx.history.of_item("go_method", f"{capability.name}.{m.name}").describe()) for m in missing]
        )
        message = (
            f"{registration.target} is missing {_listing(names)}, so it does not satisfy "
            f"{capability.name}.{capability.go_agent or capability.interface} and the plugin does not "
            f"compile against Navidrome {ctx.spec.version}. {since}"
        )
        declared = next(
            (t.span for t in ctx.plugin.types() if t.language == "go" and t.name == registration.target), None
        )
        span = declared or registration.target_span or registration.name_span
        fixes = _go_stub_fix(ctx, capability, impls, missing)
        related = [Related(registration.span, f"{registration.target} is registered here")]
        return self.finding(span, message, related=related, fixes=fixes)

    # -- Python --------------------------------------------------------------------------------

    def _python(self, ctx: RuleContext) -> Iterator[Finding]:
        exports = [e for e in ctx.plugin.exports() if e.kind == "python_plugin_fn"]
        by_name = {e.name: e for e in exports}
        for capability in ctx.spec.capabilities:
            present = [by_name[name] for name in capability.exports if name in by_name]
            missing = [m for m in capability.methods if m.export not in by_name]
            if capability.required and present and missing:
                yield self._python_finding(ctx, capability, present[0], missing)

    def _python_finding(
        self, ctx: RuleContext, capability: Capability, first: ExportDef, missing: list[CapabilityMethod]
    ) -> Finding:
        names = [m.export for m in missing]
        since = _required_since([(m.export, ctx.history.of_item("export", m.export).describe()) for m in missing])
        message = (
            f"the plugin exports {first.name} but not {_listing(names)}: Navidrome treats it as a "
            f"{capability.name} plugin and gets 'function not found' for the missing "
            f"{'export' if len(names) == 1 else 'exports'}. {since}"
        )
        return self.finding(first.name_span, message)


def _go_capability(ctx: RuleContext, registration: Registration) -> Capability | None:
    if registration.language != "go":
        return None
    return next(
        (
            c
            for c in ctx.spec.capabilities
            if c.go_package and c.go_package == registration.package and registration.name == c.go_register
        ),
        None,
    )


def _go_stub_fix(
    ctx: RuleContext, capability: Capability, impls: list[ImplBlock], missing: list[CapabilityMethod]
) -> list[Fix]:
    """Methods returning zero values, after the type's last method in the file that declares most."""
    impl = max(impls, key=lambda i: len(i.methods))
    alias = (
        next(
            (i.local_name for i in ctx.plugin.files[impl.span.path].imports if i.path == capability.go_package),
            capability.name,
        )
        if impl.span.path in ctx.plugin.files
        else capability.name
    )
    pointer = any(m.pointer_receiver for i in impls for m in i.methods)
    receiver = f"(p {'*' if pointer else ''}{impl.type_name})"
    stubs = [_go_stub(receiver, alias, capability, m) for m in missing if m.go_signature]
    if impl.insert_at is None or not stubs:
        return []
    edit = TextEdit(Span(impl.span.path, impl.insert_at, impl.insert_at), "".join(stubs))
    return [Fix("Implement missing methods", (edit,), preferred=True)]


# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_GO_SIGNATURE = r"^\s*(?P<name>\w+)\((?P<params>[^)]*)\)\s*(?P<results>.*)$"


def _go_stub(receiver: str, alias: str, capability: Capability, method: CapabilityMethod) -> str:
    match = re.match(_GO_SIGNATURE, method.go_signature.removeprefix("func "))
    if match is None:
        return ""
    params = _qualified(match.group("params"), alias, capability)
    results = _qualified(match.group("results").strip(), alias, capability)
    zero = ", ".join(_go_zero(r.strip()) for r in results.strip("()").split(",") if r.strip())
    body = f"\treturn {zero}\n" if zero else ""
    return f"\n\nfunc {receiver} {match.group('name')}({params}) {results} {{\n{body}}}".replace("  {", " {")


def _qualified(types: str, alias: str, capability: Capability) -> str:
    """`PlaybackReportRequest` -> `scrobbler.PlaybackReportRequest` for the capability's own types."""

    def qualify(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{alias}.{name}" if capability.type_by_name(name) is not None else name

    return re.sub(r"(?<![\w.])([A-Z]\w*)", qualify, types)


def _go_zero(go_type: str) -> str:
    if go_type == "error" or go_type.startswith(("*", "[]", "map[", "func", "chan", "interface")):
        return "nil"
    if go_type == "bool":
        return "false"
    if go_type == "string":
        return '""'
    if re.fullmatch(r"u?int\d*|float\d+|byte|rune|uintptr", go_type):
        return "0"
    return go_type + "{}"


def _required_since(named: list[tuple[str, str]]) -> str:
    """`a and b are required since Navidrome 0.62.0; c is required since ...`: one clause per version."""
    by_history: dict[str, list[str]] = {}
    for name, history in named:
        by_history.setdefault(history, []).append(name)
    clauses = [
        f"{_listing(names)} {'is' if len(names) == 1 else 'are'} required {history}"
        for history, names in by_history.items()
    ]
    return "; ".join(clauses) + "."


def _listing(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
