"""ND108: a PDK item (`nd_pdk::metadata::X`, Go `metadata.X`) that exists in no module of the target spec."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from nd_lsp.frontends.facts import PdkItemUse
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit
from nd_lsp.rules.plugin_api import suggest
from nd_lsp.specs.model import Capability, CapabilityMethod, Spec

# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_RUST_TYPE_WORD = r"[A-Za-z_][A-Za-z0-9_]*"


@frozen_dataclass
class _Module:
    """One PDK package/module and the items the spec knows in it."""

    name: str
    items: frozenset[str]
    capability: Capability | None = None
    history_kind: str = ""  # ApiHistory kind of the items, for "exists in another version"


class UnknownPdkItem(Rule):
    """A PDK type or trait that does not exist in the target Navidrome version, or in any.

    ## What it does
    Checks the items a plugin names in a capability module of the PDK (Rust `nd_pdk::metadata::…`,
    Go `metadata.…`, and the shared `types` module) against the target spec. When the item fills the
    input or output of a capability method, the suggestion is that method's real input or output type;
    otherwise the closest item of the module.

    ## Why is this bad?
    The build fails with an unresolved name, and old documentation keeps such names alive: the Rust
    PDK README shows `GetArtistBiographyRequest` and `ArtistBiography`, which never existed; the real
    types are `ArtistRequest` and `ArtistBiographyResponse`.

    ## Example
    ```rust
    use nd_pdk::metadata::{ArtistBiographyProvider, GetArtistBiographyRequest};
    ```
    ```go
    func (p *plugin) GetArtistBiography(req metadata.GetArtistBiographyRequest) (*metadata.ArtistBiography, error)
    ```

    ## Use instead
    ```rust
    use nd_pdk::metadata::{ArtistBiographyProvider, ArtistRequest};
    ```
    ```go
    func (p *plugin) GetArtistBiography(req metadata.ArtistRequest) (*metadata.ArtistBiographyResponse, error)
    ```
    """

    code = "ND108"
    name = "unknown-pdk-item"
    severity = Severity.ERROR
    languages = ("rust", "go")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        modules = _modules(ctx.spec)
        for use in ctx.plugin.pdk_uses():
            located = _locate(use, modules)
            if located is None:
                continue
            module, item = located
            if item in module.items or _exists_elsewhere(ctx, module, item):
                continue
            yield self._finding(ctx, use, module, item)

    def _finding(self, ctx: RuleContext, use: PdkItemUse, module: _Module, item: str) -> Finding:
        by_slot = _slot_type(use, module)
        if by_slot:
            replacement = by_slot
            hint = f"the {use.slot} of {use.in_method} is {module.name}{_separator(use)}{by_slot}"
        else:
            replacement = next(iter(suggest(item, module.items)), "")
            hint = f"did you mean {replacement}?" if replacement else f"see the items of {module.name}"
        message = (
            f"{module.name} has no item {item} in Navidrome {ctx.spec.version}: the plugin does not build ({hint})."
        )
        fixes = [Fix(f"Replace with {replacement}", (TextEdit(use.span, replacement),), preferred=True)]
        return self.finding(use.span, message, fixes=fixes if replacement else [])


def _separator(use: PdkItemUse) -> str:
    return "::" if use.language == "rust" else "."


def _modules(spec: Spec) -> dict[tuple[str, str], _Module]:
    """Known modules by (language, module name as the path spells it)."""
    modules: dict[tuple[str, str], _Module] = {}
    shared = frozenset(t.name for t in spec.shared_types)
    for capability in spec.capabilities:
        items = _capability_items(capability)
        if capability.go_package:
            go_name = capability.go_package.rsplit("/", 1)[-1]
            modules["go", go_name] = _Module(go_name, items, capability, "go_item")
        if capability.rust_module:
            rust_items = items | _rust_extra_items(capability)
            module = _Module(capability.rust_module, rust_items, capability, "rust_item")
            modules["rust", capability.rust_module] = module
    layout = spec.layout
    if shared and layout.go_types_package:
        go_types = layout.go_types_package.rsplit("/", 1)[-1]
        modules["go", go_types] = _Module(go_types, shared, None, "shared_type")
    if shared and layout.rust_types_module:
        rust_types = layout.rust_types_module
        modules["rust", rust_types] = _Module(rust_types, shared, None, "shared_type")
    return modules


def _capability_items(capability: Capability) -> frozenset[str]:
    names = {t.name for t in capability.types}
    names.update(i.name for i in capability.go_interfaces)
    names.update(c.name for c in capability.constants)
    names.update(c.type for c in capability.constants if c.type and "." not in c.type)
    if capability.go_agent:
        names.add(capability.go_agent)
    return frozenset(names)


def _rust_extra_items(capability: Capability) -> frozenset[str]:
    """Rust traits, constants and the error type its method signatures name."""
    names = {t.name for t in capability.rust_traits}
    names.update(c.rust_name for c in capability.constants if c.rust_name)
    for method in capability.methods:
        names.update(_rust_error_type(method))
    return frozenset(names)


def _rust_error_type(method: CapabilityMethod) -> Iterator[str]:
    """`-> Result<ArtistBiographyResponse, Error>` names the module's error type last."""
    _, arrow, result = method.rust_signature.partition("->")
    words = re.findall(_RUST_TYPE_WORD, result) if arrow else []
    if len(words) >= 2:
        yield words[-1]


def _locate(use: PdkItemUse, modules: dict[tuple[str, str], _Module]) -> tuple[_Module, str] | None:
    """The module and item a use names; None for macros, functions, submodules and unknown modules."""
    if use.role == "macro" or len(use.path) < 2:
        return None
    if use.language == "go" and use.role != "type":
        return None  # values (constants, Register) are left to the compiler
    module = modules.get((use.language, use.path[0]))
    if module is None:
        return None
    rest = use.path[1:]
    if use.language == "rust" and len(rest) == 2 and rest[0].islower():
        rest = rest[1:]  # nd_pdk::metadata::types::X / ::traits::X
    if len(rest) != 1:
        return None
    item = rest[0]
    if not item[:1].isupper() or item == "*":
        return None  # functions and glob imports are not items this rule knows
    return module, item


def _exists_elsewhere(ctx: RuleContext, module: _Module, item: str) -> bool:
    """Items of another Navidrome version are ND111's to report."""
    return bool(ctx.history.of_item(module.history_kind, _history_name(module, item)).versions)


def _history_name(module: _Module, item: str) -> str:
    """The item's name in ApiHistory: `metadata.X` (Go), `metadata::X` (Rust), `X` (shared types)."""
    if module.capability is None:
        return item
    if module.history_kind == "go_item":
        return f"{module.capability.name}.{item}"
    return f"{module.capability.rust_module}::{item}"


def _slot_type(use: PdkItemUse, module: _Module) -> str:
    """The real input/output type of the capability method whose signature the use sits in."""
    capability = module.capability
    if capability is None or not use.slot or not use.in_method:
        return ""
    method = next(
        (m for m in capability.methods if use.in_method in {m.name, m.rust_method}),
        None,
    )
    if method is None:
        return ""
    if use.slot == "input":
        return (method.rust_input or method.input) if use.language == "rust" else method.input
    return (method.rust_output or method.output) if use.language == "rust" else method.output
