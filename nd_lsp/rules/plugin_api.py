"""How a plugin's facts meet the spec: its exports, the host functions it calls, name suggestions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from nd_lsp.frontends.facts import ExportDef, HostCall, HostImport, Language, PluginFacts, Registration, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.spec_tables import per_spec
from nd_lsp.specs.model import Capability, CapabilityMethod, HostFunction, HostService, Spec

ExportOrigin = Literal["macro", "plugin_fn", "wasmexport", "python_plugin_fn", "go_package"]


@frozen_dataclass
class PluginExport:
    """One wasm export the built plugin will have, and the code that produces it."""

    name: str
    span: Span
    language: Language
    origin: ExportOrigin
    capability: Capability | None = None  # None when the name is no capability export of the spec
    method: CapabilityMethod | None = None
    registration: Registration | None = None
    definition: ExportDef | None = None


def resolve_host_call(spec: Spec, call: HostCall) -> tuple[HostService, HostFunction] | None:
    """The spec's host function a call names, or None when the spec has no such function."""
    service = call.service if call.kind == "rust_wrapper" else ""
    return _host_functions_by_call_name(spec).get((call.kind, service, call.function))


CallName = tuple[str, str, str]  # (call kind, Rust module or "", the function's name as that kind spells it)


@per_spec
def _host_functions_by_call_name(spec: Spec) -> dict[CallName, tuple[HostService, HostFunction]]:
    """Each host function under the names calls use: the Rust, Go and Python wrappers' and the raw
    import's. The first function in spec order wins a name, as a scan of the spec would find it."""
    index: dict[CallName, tuple[HostService, HostFunction]] = {}
    for service in spec.host_services:
        for function in service.functions:
            names: list[CallName] = [
                ("rust_wrapper", service.rust_module, function.rust_function),
                ("go_wrapper", "", function.go_function),
                ("raw_import", "", function.import_name),
            ]
            if function.python_function:
                names.append(("python_wrapper", "", function.python_function))
            for name in names:
                index.setdefault(name, (service, function))
    return index


def resolve_host_import(spec: Spec, imp: HostImport) -> tuple[HostService, HostFunction] | None:
    """The spec's host function a raw import declaration names (namespace checked by ND204)."""
    found = spec.all_host_functions().get(imp.name)
    return found


def macro_exports(spec: Spec, registration: Registration) -> tuple[Capability, tuple[str, ...]] | None:
    """The capability and exports a Rust register macro generates, or None for an unknown macro."""
    for capability in spec.capabilities:
        for macro in capability.rust_macros:
            if macro.name == registration.name:
                return capability, macro.exports
    return None


def capability_for_go_package(spec: Spec, import_path: str) -> Capability | None:
    return next((c for c in spec.capabilities if c.go_package and c.go_package == import_path), None)


def plugin_exports(ctx: RuleContext) -> list[PluginExport]:
    """Every export the plugin produces: Rust macros and #[plugin_fn], Go wasmexports and linked
    capability packages (importing one links all of its //go:wasmexport functions), Python plugin_fn."""
    return list(_exports(ctx.spec, ctx.plugin))


def _exports(spec: Spec, plugin: PluginFacts) -> Iterable[PluginExport]:
    by_name = spec.all_exports()
    for registration in plugin.registrations():
        if registration.language != "rust":
            continue
        generated = macro_exports(spec, registration)
        if generated is None:
            continue
        capability, names = generated
        for name in names:
            method = next((m for m in capability.methods if m.export == name), None)
            yield PluginExport(name, registration.span, "rust", "macro", capability, method, registration)
    for imp in plugin.imports():
        if imp.language != "go":
            continue
        linked = capability_for_go_package(spec, imp.path)
        if linked is not None:
            for method in linked.methods:
                yield PluginExport(method.export, imp.span, "go", "go_package", linked, method)
    for definition in plugin.exports():
        known = by_name.get(definition.name)
        yield PluginExport(
            definition.name,
            definition.name_span,
            definition.language,
            definition.kind,
            known[0] if known else None,
            known[1] if known else None,
            definition=definition,
        )


def exported_names(ctx: RuleContext) -> frozenset[str]:
    return frozenset(e.name for e in plugin_exports(ctx))


def suggest(name: str, candidates: Iterable[str], *, limit: int = 1) -> list[str]:
    """Did-you-mean: the closest candidates, preferring ones that extend the name (`get_all` →
    `get_all_libraries`) or keep its head and tail (`register_artist_biography` →
    `register_metadata_artist_biography`).

    A prefix every candidate shares (`nd_`, `register_`) is left out of the comparison: it would make
    any two names look alike (`nd_test_users` is no typo of `nd_get_artist_url`).
    """
    import difflib  # for did-you-mean only: a check that suggests nothing need not import it (~1 ms)

    pool = sorted(set(candidates) - {name})
    shared = _shared_prefix(pool)
    lowered = name.lower()
    scored: list[tuple[float, str]] = []
    for candidate in pool:
        other = candidate.lower()
        bonus = 0.3 if lowered and (other.startswith(lowered) or _tail_matches(lowered, other)) else 0.0
        matcher = difflib.SequenceMatcher(None, _without(lowered, shared), _without(other, shared))
        # The quick ratios bound `ratio()` from above and cost far less: most candidates stop there.
        if matcher.real_quick_ratio() + bonus < 0.6 or matcher.quick_ratio() + bonus < 0.6:
            continue
        ratio = matcher.ratio() + bonus
        if ratio >= 0.6:
            scored.append((ratio, candidate))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [candidate for _, candidate in scored[:limit]]


def _shared_prefix(names: list[str]) -> str:
    """The common prefix of all names, up to and including its last `_` (or `.`/`:`)."""
    if len(names) < 2:
        return ""
    lowered = [n.lower() for n in names]
    first, last = min(lowered), max(lowered)  # in sorted order, the common prefix of all is theirs
    same = [a == b for a, b in zip(first, last, strict=False)]
    common = first[: same.index(False) if False in same else len(same)]
    cut = max(common.rfind("_"), common.rfind("."), common.rfind(":"))
    return common[: cut + 1]


def _without(name: str, prefix: str) -> str:
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def _tail_matches(name: str, candidate: str) -> bool:
    """`register_artist_biography` and `register_metadata_artist_biography` share head and tail."""
    head, _, tail = name.partition("_")
    return bool(tail) and candidate.startswith(head) and candidate.endswith(tail)
