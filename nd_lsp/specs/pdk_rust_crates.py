"""The generated Rust PDK crates as a whole: which crate re-exports which, and their modules."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from tree_sitter import Node

from nd_lsp.specs.go_source import node_text
from nd_lsp.specs.pdk_rust import RustModule, is_pub, parse_rust, parse_rust_module
from nd_lsp.specs.source_tree import SourceTree

RUST_PDK_DIR = "plugins/pdk/rust"
_PACKAGE_NAME = re.compile(r'^\s*name\s*=\s*"([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class RustLib:
    """What a crate's lib.rs declares: modules, re-exported crates, and host module names."""

    modules: tuple[str, ...]  # `pub mod x;`
    crate_aliases: dict[str, str]  # `pub use nd_pdk_host as host;` -> {"nd_pdk_host": "host"}
    glob_crates: tuple[str, ...]  # `pub use nd_pdk_capabilities::*;`
    reexports: dict[str, str]  # `pub mod kvstore { pub use super::nd_host_kvstore::*; }` -> file -> mod


def _use_target(use: Node) -> tuple[str, str, bool]:
    """(path, alias, is_glob) of a `use` declaration."""
    arg = use.child_by_field_name("argument")
    if arg is None:
        return "", "", False
    if arg.type == "use_as_clause":
        return node_text(arg.child_by_field_name("path")), node_text(arg.child_by_field_name("alias")), False
    if arg.type == "use_wildcard":
        return node_text(arg.named_children[0]) if arg.named_children else "", "", True
    return node_text(arg), "", False


def parse_rust_lib(text: str) -> RustLib:
    modules: list[str] = []
    aliases: dict[str, str] = {}
    globs: list[str] = []
    reexports: dict[str, str] = {}
    for item in parse_rust(text).named_children:
        if item.type == "use_declaration" and is_pub(item):
            path, alias, glob = _use_target(item)
            if alias:
                aliases[path] = alias
            elif glob:
                globs.append(path)
        elif item.type == "mod_item" and is_pub(item):
            name = node_text(item.child_by_field_name("name"))
            body = item.child_by_field_name("body")
            if body is None:
                modules.append(name)
                continue
            for use in (u for u in body.named_children if u.type == "use_declaration"):
                path, _, glob = _use_target(use)
                if glob and path.startswith("super::"):
                    reexports[path.removeprefix("super::")] = name
    return RustLib(tuple(modules), aliases, tuple(globs), reexports)


@dataclass(frozen=True)
class RustPdk:
    """The Rust PDK: the crate plugins depend on and the modules it re-exports."""

    crate: str  # the umbrella crate plugins depend on, as Rust code names it ("nd_pdk")
    host_module: str  # its alias for the host crate ("host")
    types_module: str  # its alias for the shared types crate, empty before that crate existed
    capability_modules: dict[str, RustModule]  # module name -> module
    host_modules: dict[str, tuple[str, RustModule]]  # file stem -> (public module name, module)
    types: RustModule | None


def _crate_idents(source: SourceTree) -> dict[str, str]:
    """Crate identifier (nd_pdk_host) -> its folder under plugins/pdk/rust."""
    found = {}
    for folder in source.list_folders(RUST_PDK_DIR):
        cargo = source.read_text(f"{RUST_PDK_DIR}/{folder}/Cargo.toml") or ""
        # The [package] name is the first `name =` line of a generated Cargo.toml.
        match = _PACKAGE_NAME.search(cargo)
        if match is not None:
            found[match.group(1).replace("-", "_")] = folder
    return found


def _lib(source: SourceTree, folder: str) -> tuple[str, RustLib]:
    text = source.read_text(f"{RUST_PDK_DIR}/{folder}/src/lib.rs") or ""
    return text, parse_rust_lib(text)


def _module(source: SourceTree, folder: str, stem: str) -> RustModule | None:
    path = f"{RUST_PDK_DIR}/{folder}/src/{stem}.rs"
    text = source.read_text(path)
    return parse_rust_module(path, text) if text is not None else None


_NO_LIB = ("", RustLib((), {}, (), {}))


def _capability_modules(
    source: SourceTree, crates: dict[str, str], libs: dict[str, tuple[str, RustLib]], umbrella: RustLib
) -> dict[str, RustModule]:
    """Modules of the crates the umbrella glob-re-exports (`pub use nd_pdk_capabilities::*`)."""
    found = {}
    for ident in umbrella.glob_crates:
        for name in libs.get(ident, _NO_LIB)[1].modules:
            module = _module(source, crates[ident], name)
            if module is not None:
                found[name] = module
    return found


def read_rust_pdk(source: SourceTree) -> RustPdk:
    crates = _crate_idents(source)
    libs = {ident: _lib(source, folder) for ident, folder in crates.items()}
    # The umbrella crate is the one re-exporting the others.
    umbrella = next((i for i, (_, lib) in libs.items() if lib.glob_crates or lib.crate_aliases), "")
    umbrella_lib = libs.get(umbrella, _NO_LIB)[1]
    pdk = RustPdk(umbrella, "", "", _capability_modules(source, crates, libs, umbrella_lib), {}, None)
    for ident, alias in umbrella_lib.crate_aliases.items():
        text, lib = libs.get(ident, _NO_LIB)
        if lib.reexports:
            # The host crate: `pub mod kvstore { pub use super::nd_host_kvstore::*; }` per service.
            modules = {stem: (public, _module(source, crates[ident], stem)) for stem, public in lib.reexports.items()}
            hosts = {stem: (public, m) for stem, (public, m) in modules.items() if m is not None}
            pdk = dataclasses.replace(pdk, host_module=alias, host_modules=hosts)
        elif text:
            types = parse_rust_module(f"{RUST_PDK_DIR}/{crates[ident]}/src/lib.rs", text)
            pdk = dataclasses.replace(pdk, types_module=alias, types=types)
    return pdk
