"""Read the generated Go PDK: capability packages (`//go:wasmexport`) and host wrappers (`//go:wasmimport`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nd_lsp.specs.go_source import GoFile, GoFunc, GoInterface, parse_go_file
from nd_lsp.specs.source_tree import SourceTree

GO_PDK_DIR = "plugins/pdk/go"
GO_HOST_FOLDER = "host"
_WASMEXPORT = re.compile(r"^//go:wasmexport\s+(\S+)")
_WASMIMPORT = re.compile(r"^//go:wasmimport\s+(\S+)\s+(\S+)")
_MODULE = re.compile(r"^module\s+(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class GoPdkCapability:
    """One Go PDK capability package, as plugin code imports it."""

    folder: str  # package folder name under plugins/pdk/go, e.g. "metadata"
    package: str
    interfaces: tuple[GoInterface, ...]
    register: str  # the function a plugin calls with its implementation
    agent: str  # the interface `register` takes
    exports: tuple[str, ...]  # //go:wasmexport names


@dataclass(frozen=True)
class GoHostImport:
    name: str  # wasm import name
    namespace: str
    function: GoFunc | None  # the exported wrapper that calls it


@dataclass(frozen=True)
class GoPdk:
    module: str  # module path from plugins/pdk/go/go.mod
    folders: tuple[str, ...]  # package folders
    capabilities: tuple[GoPdkCapability, ...]
    host_files: dict[str, tuple[GoHostImport, ...]]  # file stem (nd_host_kvstore) -> imports


def _package_files(source: SourceTree, folder: str) -> list[GoFile]:
    # The `_stub.go` twins (build tag !wasip1) repeat the API without the wasm directives.
    names = source.list_dir(folder)
    wanted = [n for n in names if n.endswith(".go") and not n.endswith(("_stub.go", "_test.go"))]
    files = []
    for name in wanted:
        text = source.read_text(f"{folder}/{name}")
        if text is not None:
            files.append(parse_go_file(f"{folder}/{name}", text))
    return files


def _directive(func: GoFunc, pattern: re.Pattern[str]) -> re.Match[str] | None:
    return next((m for c in func.comments if (m := pattern.match(c)) is not None), None)


def _capability_package(folder: str, files: list[GoFile]) -> GoPdkCapability | None:
    funcs = [f for file in files for f in file.funcs]
    exports = tuple(m.group(1) for f in funcs if (m := _directive(f, _WASMEXPORT)) is not None)
    if not exports:
        return None
    interfaces = tuple(i for file in files for i in file.interfaces)
    names = {i.name for i in interfaces}
    # The registration function is the exported one that takes one of the package's interfaces.
    register = next(
        (f for f in funcs if f.name[:1].isupper() and len(f.params) == 1 and f.params[0].type in names),
        None,
    )
    return GoPdkCapability(
        folder=folder,
        package=files[0].package,
        interfaces=interfaces,
        register=register.name if register else "",
        agent=register.params[0].type if register else "",
        exports=exports,
    )


def _host_imports(file: GoFile) -> tuple[GoHostImport, ...]:
    raw = {f.name: m for f in file.funcs if (m := _directive(f, _WASMIMPORT)) is not None}
    wrappers = [f for f in file.funcs if f.name[:1].isupper()]
    found = []
    for func_name, match in raw.items():
        wrapper = next((w for w in wrappers if func_name in w.calls), None)
        found.append(GoHostImport(match.group(2), match.group(1), wrapper))
    return tuple(found)


def read_go_pdk(source: SourceTree) -> GoPdk:
    go_mod = source.read_text(f"{GO_PDK_DIR}/go.mod") or ""
    module = _MODULE.search(go_mod)
    folders = source.list_folders(GO_PDK_DIR)
    capabilities = []
    for folder in folders:
        if folder == GO_HOST_FOLDER:
            continue
        package = _capability_package(folder, _package_files(source, f"{GO_PDK_DIR}/{folder}"))
        if package is not None:
            capabilities.append(package)
    host_files = {
        file.path.rsplit("/", 1)[-1].removesuffix(".go"): _host_imports(file)
        for file in _package_files(source, f"{GO_PDK_DIR}/{GO_HOST_FOLDER}")
    }
    return GoPdk(
        module=module.group(1) if module else "",
        folders=folders,
        capabilities=tuple(capabilities),
        host_files={stem: imports for stem, imports in host_files.items() if imports},
    )
