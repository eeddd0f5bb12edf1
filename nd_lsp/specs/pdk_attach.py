"""Join the annotated API with the generated Rust/Go/Python PDKs, checking that they agree."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nd_lsp.specs.model import (
    Capability,
    CapabilityMethod,
    GoInterface,
    HostFunction,
    HostService,
    Param,
    RustMacro,
    RustTrait,
    TypeDef,
)
from nd_lsp.specs.ndpgen_names import to_snake_case
from nd_lsp.specs.pdk_go import GoPdk, GoPdkCapability
from nd_lsp.specs.pdk_python import PythonHostImport
from nd_lsp.specs.pdk_rust import RustImport, RustModule, RustStruct
from nd_lsp.specs.pdk_rust_crates import RustPdk


class SpecMismatchError(ValueError):
    """Navidrome's annotations and its generated PDKs disagree, so no spec can be trusted."""


@dataclass
class Problems:
    """Disagreements collected over a whole release, reported together."""

    found: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.found.append(message)

    def compare(self, what: str, expected: Iterable[str], actual: Iterable[str], where: str) -> None:
        missing, extra = set(expected) - set(actual), set(actual) - set(expected)
        if missing:
            self.add(f"{what}: {where} lacks {', '.join(sorted(missing))}")
        if extra:
            self.add(f"{what}: {where} has {', '.join(sorted(extra))}, which the annotations do not declare")

    def raise_if_any(self, release: str) -> None:
        if self.found:
            listing = "\n  - ".join(self.found)
            raise SpecMismatchError(f"Navidrome {release}: the PDKs disagree with the annotations:\n  - {listing}")


# --- types -----------------------------------------------------------------------------------


def rust_fields(typedef: TypeDef, struct: RustStruct) -> TypeDef:
    """The type with each field's Rust name and type, matched on the JSON key serde uses."""
    by_json = {f.json: f for f in struct.fields}
    fields = []
    for f in typedef.fields:
        rust = by_json.get(f.json)
        fields.append(dataclasses.replace(f, rust_name=rust.name, rust_type=rust.type) if rust else f)
    return dataclasses.replace(typedef, fields=tuple(fields))


def rust_types(types: Iterable[TypeDef], module: RustModule, where: str, problems: Problems) -> tuple[TypeDef, ...]:
    found = []
    for typedef in types:
        if typedef.name in module.structs:
            found.append(rust_fields(typedef, module.structs[typedef.name]))
        elif typedef.name in module.aliases:
            alias = module.aliases[typedef.name]
            found.append(dataclasses.replace(typedef, rust_alias_of=alias.target, rust_deprecated=alias.deprecated))
        else:
            problems.add(f"type {typedef.name}: {where} ({module.path}) does not define it")
            found.append(typedef)
    return tuple(found)


# --- capabilities ----------------------------------------------------------------------------


def _rust_capability(cap: Capability, module: RustModule, name: str, problems: Problems) -> Capability:
    calls = {e.export: (macro, e) for macro in module.macros for e in macro.exports}
    methods = []
    for method in cap.methods:
        macro, call = calls[method.export]
        trait = module.traits.get(call.trait)
        rust = next((m for m in trait.methods if m.name == call.method), None) if trait else None
        if rust is None:
            problems.add(f"{method.export}: {macro.name}! calls {call.trait}::{call.method}, which is not defined")
            methods.append(method)
            continue
        methods.append(
            dataclasses.replace(
                method,
                rust_trait=call.trait,
                rust_method=rust.name,
                rust_signature=rust.signature,
                rust_input=rust.input,
                rust_output=rust.output,
                rust_macro=macro.name,
            )
        )
    traits = tuple(
        RustTrait(
            name=trait.name,
            methods=tuple(m.name for m in trait.methods),
            macro=next((m.name for m in module.macros if any(e.trait == trait.name for e in m.exports)), ""),
            doc=trait.doc,
        )
        for trait in module.traits.values()
    )
    macros = tuple(
        RustMacro(
            name=m.name,
            trait=m.exports[0].trait if m.exports else "",
            exports=tuple(e.export for e in m.exports),
            doc=m.doc,
        )
        for m in module.macros
    )
    by_value = {c.value: c.name for c in module.consts}
    constants = tuple(dataclasses.replace(c, rust_name=by_value.get(c.value, "")) for c in cap.constants)
    types = rust_types(cap.types, module, f"Rust module {name}", problems)
    return dataclasses.replace(
        cap,
        methods=tuple(methods),
        rust_module=name,
        rust_traits=traits,
        rust_macros=macros,
        constants=constants,
        types=types,
    )


def _go_method(method: CapabilityMethod, package: GoPdkCapability, problems: Problems) -> CapabilityMethod:
    for iface in package.interfaces:
        go = next((m for m in iface.methods if m.name == method.name), None)
        if go is not None:
            provider = "" if iface.name == package.agent else iface.name
            return dataclasses.replace(method, go_signature=go.signature, go_provider=provider)
    problems.add(f"{method.export}: Go package {package.folder} declares no method {method.name}")
    return method


def _go_capability(cap: Capability, package: GoPdkCapability, module: str, problems: Problems) -> Capability:
    interfaces = tuple(
        GoInterface(name=i.name, methods=tuple(m.name for m in i.methods), doc=i.doc) for i in package.interfaces
    )
    return dataclasses.replace(
        cap,
        methods=tuple(_go_method(m, package, problems) for m in cap.methods),
        go_package=f"{module}/{package.folder}" if module else package.folder,
        go_agent=package.agent,
        go_register=package.register,
        go_interfaces=interfaces,
    )


def _macro_exports(module: RustModule) -> list[str]:
    return [e.export for macro in module.macros for e in macro.exports]


def attach_capability(cap: Capability, rust: RustPdk, go: GoPdk, problems: Problems) -> Capability:
    exports = set(cap.exports)
    rust_module = next(
        ((n, m) for n, m in rust.capability_modules.items() if exports & set(_macro_exports(m))),
        None,
    )
    if rust_module is None:
        problems.add(f"capability {cap.name}: no Rust module registers its exports")
    else:
        name, module = rust_module
        macro_exports = _macro_exports(module)
        problems.compare(f"capability {cap.name}", exports, macro_exports, f"Rust module {name}'s macros")
        if exports <= set(macro_exports):
            cap = _rust_capability(cap, module, name, problems)
    package = next((p for p in go.capabilities if exports & set(p.exports)), None)
    if package is None:
        problems.add(f"capability {cap.name}: no Go package has //go:wasmexport for its exports")
        return cap
    problems.compare(f"capability {cap.name}", exports, package.exports, f"Go package {package.folder}")
    return _go_capability(cap, package, go.module, problems)


def check_all_exports(capabilities: Iterable[Capability], rust: RustPdk, go: GoPdk, problems: Problems) -> None:
    """No PDK may export a function that no capability declares."""
    declared = {e for c in capabilities for e in c.exports}
    rust_exports = {e.export for m in rust.capability_modules.values() for x in m.macros for e in x.exports}
    go_exports = {e for p in go.capabilities for e in p.exports}
    problems.compare("capability exports", declared, rust_exports, "the Rust PDK")
    problems.compare("capability exports", declared, go_exports, "the Go PDK")


# --- host services ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIndex:
    """Every PDK's wrapper of each wasm import."""

    rust: Mapping[str, tuple[str, str, RustModule, RustImport]]  # import -> (stem, module name, module, import)
    go: Mapping[str, tuple[str, str]]  # import -> (function, signature)
    python: Mapping[str, tuple[str, PythonHostImport]]  # import -> (file stem, import)

    @staticmethod
    def of(rust: RustPdk, go: GoPdk, python: Mapping[str, tuple[PythonHostImport, ...]]) -> ImportIndex:
        rust_index = {
            i.name: (stem, public, module, i)
            for stem, (public, module) in rust.host_modules.items()
            for i in module.imports
        }
        go_index = {
            i.name: (i.function.name, i.function.signature)
            for imports in go.host_files.values()
            for i in imports
            if i.function is not None
        }
        # Stale duplicates (nd_host_httpclient.py) lose to the file named like the Rust module.
        python_index: dict[str, tuple[str, PythonHostImport]] = {}
        for stem, imports in python.items():
            for i in imports:
                rust_stem = rust_index[i.name][0] if i.name in rust_index else ""
                if i.name not in python_index or stem == rust_stem:
                    python_index[i.name] = (stem, i)
        return ImportIndex(rust_index, go_index, python_index)


def _with_rust(func: HostFunction, index: ImportIndex) -> HostFunction:
    if func.import_name not in index.rust:
        return func
    _, _, module, imported = index.rust[func.import_name]
    wrapper = next((f for f in module.functions if func.import_name in f.calls), None)
    if wrapper is None:
        return func
    params = func.params
    if len(wrapper.params) == len(params):
        params = tuple(
            dataclasses.replace(p, rust_name=name, rust_type=typ)
            for p, (name, typ) in zip(params, wrapper.params, strict=True)
        )
    return dataclasses.replace(
        func,
        params=params,
        results=_rust_results(func, module, imported, wrapper.returns),
        rust_function=wrapper.name,
        rust_signature=wrapper.signature,
    )


def _rust_results(
    func: HostFunction, module: RustModule, imported: RustImport, returns: tuple[str, ...]
) -> tuple[Param, ...]:
    """Rust names/types of the results: the response struct's fields, else the wrapper's Ok type."""
    response = module.structs.get(imported.response)
    if response is not None:
        fields = [(f.name, f.type) for f in response.fields if f.json != "error"]
    else:
        # A raw (binary-framed) import has no response struct: read the wrapper's return instead.
        fields = [(to_snake_case(r.name), typ) for r, typ in zip(func.results, returns, strict=False)]
    if len(fields) != len(func.results):
        return func.results
    pairs = zip(func.results, fields, strict=True)
    return tuple(dataclasses.replace(r, rust_name=n, rust_type=t) for r, (n, t) in pairs)


def _with_python(func: HostFunction, index: ImportIndex) -> HostFunction:
    found = index.python.get(func.import_name)
    wrapper = found[1].wrapper if found else None
    if wrapper is None:
        return func
    params = func.params
    if len(wrapper.params) == len(params):
        pairs = zip(params, wrapper.params, strict=True)
        params = tuple(dataclasses.replace(p, python_type=typ) for p, (_, typ) in pairs)
    return dataclasses.replace(func, params=params, python_function=wrapper.name)


def attach_service(service: HostService, rust: RustPdk, index: ImportIndex, problems: Problems) -> HostService:
    functions = []
    for func in service.functions:
        func = _with_python(_with_rust(func, index), index)
        go = index.go.get(func.import_name)
        if go is not None:
            func = dataclasses.replace(func, go_function=go[0], go_signature=go[1])
        if not func.rust_function or not func.go_function:
            problems.add(f"host function {func.import_name}: no Rust or Go PDK wrapper calls it")
        functions.append(func)
    first = index.rust.get(service.functions[0].import_name)
    rust_module = first[1] if first else ""
    types = service.types
    if first is not None:
        types = rust_types(types, first[2], f"Rust host module {rust_module}", problems)
    python = index.python.get(service.functions[0].import_name)
    return dataclasses.replace(
        service,
        functions=tuple(functions),
        types=types,
        rust_module=rust_module,
        python_module=python[0] if python else "",
    )


def check_all_imports(
    services: Iterable[HostService],
    rust: RustPdk,
    go: GoPdk,
    python: Mapping[str, tuple[PythonHostImport, ...]],
    problems: Problems,
) -> None:
    declared = {f.import_name for s in services for f in s.functions}
    problems.compare(
        "host imports",
        declared,
        (i.name for _, m in rust.host_modules.values() for i in m.imports),
        "the Rust PDK (#[host_fn] / #[link] externs)",
    )
    problems.compare(
        "host imports", declared, (i.name for f in go.host_files.values() for i in f), "the Go PDK (//go:wasmimport)"
    )
    if python:
        problems.compare(
            "host imports", declared, (i.name for f in python.values() for i in f), "the Python PDK (@extism.import_fn)"
        )


def import_namespace(
    rust: RustPdk, go: GoPdk, python: Mapping[str, tuple[PythonHostImport, ...]], problems: Problems
) -> str:
    """The one wasm import module every PDK uses."""
    spaces = {i.namespace for f in go.host_files.values() for i in f}
    spaces |= {i.namespace for _, m in rust.host_modules.values() for i in m.imports if i.namespace}
    spaces |= {i.namespace for f in python.values() for i in f}
    if len(spaces) > 1:
        problems.add(f"host imports use several wasm import modules: {', '.join(sorted(spaces))}")
    return min(spaces) if spaces else ""
