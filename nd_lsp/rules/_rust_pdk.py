"""How Rust facts meet the spec: which PDK trait an impl implements, which macro a registration names."""

from __future__ import annotations

import re
from pathlib import Path

from nd_lsp.frontends.facts import ImplBlock, PdkItemUse, PluginFacts, Registration, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.finding import TextEdit
from nd_lsp.rules.spec_tables import per_spec
from nd_lsp.specs.model import Capability, CapabilityMethod, RustMacro, RustTrait, Spec

# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_RESULT = r"->\s*Result<\s*(?P<ok>.+?)\s*,\s*(?P<err>[\w:]+)\s*>\s*$"
_PARAM_NAME = r"(?<=[(,])\s*(?!self\b)(\w+)\s*:(?!:)"


@frozen_dataclass
class TraitImpl:
    """An `impl <PDK trait> for <type>` of the plugin."""

    impl: ImplBlock
    capability: Capability
    trait: RustTrait


@frozen_dataclass
class MacroUse:
    """A register macro invocation the spec knows."""

    registration: Registration
    capability: Capability
    macro: RustMacro


def pdk_trait_impls(spec: Spec, plugin: PluginFacts) -> list[TraitImpl]:
    found = []
    for facts in plugin.files.values():
        if facts.language != "rust":
            continue
        for impl in facts.impls:
            match = trait_of(spec, impl, facts.pdk_uses)
            if match is not None:
                found.append(TraitImpl(impl, *match))
    return found


def trait_of(spec: Spec, impl: ImplBlock, file_uses: list[PdkItemUse]) -> tuple[Capability, RustTrait] | None:
    """The PDK trait an impl names: `nd_pdk::<module>::<Trait>` resolved through `use`, or a bare
    trait name under a `use nd_pdk::<module>::*` glob."""
    path = impl.trait_path
    crate = spec.layout.rust_crate
    for capability, trait in _traits_named(spec).get(impl.trait, ()):
        if len(path) >= 3 and path[0] == crate and path[1] == capability.rust_module:
            return capability, trait
        if len(path) == 1 and any(u.path == (capability.rust_module,) for u in file_uses):
            return capability, trait
    return None


@per_spec
def _traits_named(spec: Spec) -> dict[str, list[tuple[Capability, RustTrait]]]:
    """The spec's PDK traits by name, in capability order (the first of a name in each capability)."""
    index: dict[str, list[tuple[Capability, RustTrait]]] = {}
    for capability in spec.capabilities:
        for trait in capability.rust_traits:
            named = index.setdefault(trait.name, [])
            if all(known is not capability for known, _ in named):
                named.append((capability, trait))
    return index


def pdk_registrations(plugin: PluginFacts) -> list[Registration]:
    return [r for r in plugin.registrations() if r.language == "rust"]


def macro_of(spec: Spec, name: str) -> tuple[Capability, RustMacro] | None:
    for capability in spec.capabilities:
        for macro in capability.rust_macros:
            if macro.name == name:
                return capability, macro
    return None


def known_macro_uses(spec: Spec, plugin: PluginFacts) -> list[MacroUse]:
    found = []
    for registration in pdk_registrations(plugin):
        match = macro_of(spec, registration.name)
        if match is not None:
            found.append(MacroUse(registration, *match))
    return found


def macro_for_trait(capability: Capability, trait: RustTrait) -> RustMacro | None:
    return next((m for m in capability.rust_macros if m.trait == trait.name), None) or next(
        (m for m in capability.rust_macros if m.name == trait.macro), None
    )


def all_macro_names(spec: Spec) -> list[str]:
    return [m.name for c in spec.capabilities for m in c.rust_macros]


def trait_methods(capability: Capability, trait: RustTrait) -> list[CapabilityMethod]:
    """The capability methods a trait declares, in the trait's order."""
    by_name = {m.rust_method: m for m in capability.methods if m.rust_trait == trait.name}
    return [by_name[name] for name in trait.methods if name in by_name]


def registration_path(spec: Spec, plugin: PluginFacts, path: Path) -> str:
    """How the file writes register macros: bare when it invokes them bare under `use nd_pdk::*`,
    else qualified with the crate (`nd_pdk::`)."""
    bare = any(r.package == "" and r.name_span.path == path for r in pdk_registrations(plugin))
    return "" if bare else f"{spec.layout.rust_crate}::"


# -- method stubs ----------------------------------------------------------------------------------


def names_in_scope(file_uses: list[PdkItemUse], module: str) -> tuple[set[str], bool]:
    """Items of a PDK module the file imported by name, and whether it glob-imports the module."""
    named = {u.path[-1] for u in file_uses if len(u.path) == 2 and u.path[0] == module}
    glob = any(u.path == (module,) for u in file_uses)
    return named, glob


def method_stub(
    spec: Spec, capability: Capability, method: CapabilityMethod, uses: list[PdkItemUse], indent: str
) -> str:
    """A method that compiles and does nothing harmful: `Ok(())` for unit results, else an error that
    Navidrome logs (a `todo!()` would panic inside the plugin)."""
    signature = method.rust_signature.strip().rstrip(";")
    # A stub does not read its request: `_req` keeps rustc's unused-variable warning away.
    signature = re.sub(_PARAM_NAME, lambda m: m.group(0).replace(m.group(1), "_" + m.group(1), 1), signature)
    named, glob = names_in_scope(uses, capability.rust_module)
    module_types = {t.name for t in capability.types}
    result = re.search(_RESULT, signature)
    error_type = result.group("err") if result else ""
    qualified = f"{spec.layout.rust_crate}::{capability.rust_module}::"
    for name in sorted(module_types | ({error_type} if error_type else set())):
        if name and not glob and name not in named:
            signature = re.sub(rf"(?<![\w:]){re.escape(name)}\b", qualified + name, signature)
    if result is not None and result.group("ok") == "()":
        body = "Ok(())"
    else:
        error_path = error_type if glob or error_type in named else qualified + error_type
        body = f'Err({error_path}::new("not implemented"))'
    return f"{indent}{signature} {{\n{indent}    {body}\n{indent}}}\n"


def stubs_edit(impl: ImplBlock, stubs: list[str]) -> TextEdit | None:
    """Insert stubs before the impl's closing brace, keeping the file's layout."""
    at = impl.insert_at
    if at is None or not stubs:
        return None
    text = "\n".join(stubs)
    if at.column == 0:  # the brace stands on its own line
        new_text = ("\n" if impl.methods else "") + text
    else:
        outer = impl.indent[:-4] if impl.indent.endswith("    ") else ""
        new_text = "\n" + text + outer
    return TextEdit(Span(impl.span.path, at, at), new_text)
