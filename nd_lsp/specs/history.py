"""When each API item (export, macro, host import, type, permission) exists across Navidrome releases."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path

from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.specs.loader import MASTER, available_versions, load_spec, load_spec_file, spec_dir, version_key
from nd_lsp.specs.model import Capability, Spec


@frozen_dataclass
class ItemHistory:
    """The versions, oldest first, whose spec has one API item."""

    versions: tuple[str, ...]  # versions (oldest first) whose spec has the item

    @property
    def since(self) -> str:
        return self.versions[0] if self.versions else ""

    @property
    def last(self) -> str:
        return self.versions[-1] if self.versions else ""

    def describe(self) -> str:
        if not self.versions:
            return "in no Navidrome release"
        if self.since == MASTER:
            return "only on Navidrome's master branch (unreleased)"
        return f"since Navidrome {self.since}"


def _spec_items(spec: Spec) -> Iterable[tuple[str, str]]:
    for cap in spec.capabilities:
        yield "capability", cap.name
        for method in cap.methods:
            yield "export", method.export
            if method.rust_method:
                yield "rust_method", f"{method.rust_trait}::{method.rust_method}"
            yield "go_method", f"{cap.name}.{method.name}"
        for macro in cap.rust_macros:
            yield "macro", macro.name
        for trait in cap.rust_traits:
            yield "rust_item", f"{cap.rust_module}::{trait.name}"
        for typ in cap.types:
            yield "rust_item", f"{cap.rust_module}::{typ.name}"
            yield "go_item", f"{cap.name}.{typ.name}"
        for iface in cap.go_interfaces:
            yield "go_item", f"{cap.name}.{iface.name}"
    for service in spec.host_services:
        yield "host_service", service.name
        for func in service.functions:
            yield "import", func.import_name
            yield "rust_host", f"{service.rust_module}::{func.rust_function}"
            yield "go_host", func.go_function
            if func.python_function:
                yield "python_host", func.python_function
    for typ in spec.shared_types:
        yield "shared_type", typ.name
    for key in spec.permission_keys():
        yield "permission", key
    yield from _pdk_paths(spec)


def _pdk_paths(spec: Spec) -> Iterable[tuple[str, str]]:
    """PDK items by the path a plugin writes: "rust_path" after the crate ("host::kvstore::set"), "go_path"
    as package name + item ("metadata.ArtistRequest"), "go_package" / "python_module" by import path."""
    for cap in spec.capabilities:
        yield from _rust_capability_paths(cap)
        yield from _go_capability_paths(cap)
    yield from _host_paths(spec)
    layout = spec.layout
    types_rust, types_go = layout.rust_types_module, _package_name(layout.go_types_package)
    for typ in spec.shared_types:
        if types_rust:
            yield "rust_path", f"{types_rust}::{typ.name}"
        if types_go:
            yield "go_path", f"{types_go}.{typ.name}"
    for package in (layout.go_host_package, layout.go_types_package, layout.go_pdk_package):
        if package:
            yield "go_package", package


def _package_name(import_path: str) -> str:
    return import_path.rsplit("/", 1)[-1]


def _rust_capability_paths(cap: Capability) -> Iterable[tuple[str, str]]:
    for macro in cap.rust_macros:
        yield "rust_path", macro.name
    module = cap.rust_module
    if not module:
        return
    yield "rust_path", module
    # Items are re-exported at the module root and live in its `traits` / `types` submodules.
    for trait in cap.rust_traits:
        yield "rust_path", f"{module}::{trait.name}"
        yield "rust_path", f"{module}::traits::{trait.name}"
    for typ in cap.types:
        yield "rust_path", f"{module}::{typ.name}"
        yield "rust_path", f"{module}::types::{typ.name}"
    for constant in cap.constants:
        if constant.rust_name:
            yield "rust_path", f"{module}::{constant.rust_name}"


def _go_capability_paths(cap: Capability) -> Iterable[tuple[str, str]]:
    if not cap.go_package:
        return
    yield "go_package", cap.go_package
    package = _package_name(cap.go_package)
    names = [t.name for t in cap.types] + [i.name for i in cap.go_interfaces] + [c.name for c in cap.constants]
    for name in [*names, cap.go_register]:
        if name:
            yield "go_path", f"{package}.{name}"


def _host_paths(spec: Spec) -> Iterable[tuple[str, str]]:
    host_rust, host_go = spec.layout.rust_host_module, _package_name(spec.layout.go_host_package)
    for service in spec.host_services:
        if host_rust and service.rust_module:
            prefix = f"{host_rust}::{service.rust_module}"
            yield "rust_path", prefix
            for func in service.functions:
                yield "rust_path", f"{prefix}::{func.rust_function}"
            for typ in service.types:
                yield "rust_path", f"{prefix}::{typ.name}"
        if host_go:
            for func in service.functions:
                yield "go_path", f"{host_go}.{func.go_function}"
            for typ in service.types:
                yield "go_path", f"{host_go}.{typ.name}"
        if service.python_module:
            yield "python_module", service.python_module


@frozen_dataclass
class ApiHistory:
    """Index of (kind, name) -> the versions that have it."""

    index: dict[tuple[str, str], ItemHistory]
    versions: tuple[str, ...]

    @staticmethod
    @functools.lru_cache(maxsize=1)
    def load() -> ApiHistory:
        """The history of the shipped specs: from the index the generator writes beside them (reading
        every spec costs more than a whole `nd-lsp check`), else computed from the specs."""
        index = spec_dir() / HISTORY_INDEX
        if index.is_file():
            history = ApiHistory.from_json(json.loads(index.read_text(encoding="utf-8")))
            if history.versions == available_versions():
                return history
        return ApiHistory.of(load_spec(v) for v in available_versions())

    @staticmethod
    def of(specs: Iterable[Spec]) -> ApiHistory:
        ordered = sorted(specs, key=lambda s: version_key(s.version))
        seen: dict[tuple[str, str], list[str]] = {}
        for spec in ordered:
            for item in set(_spec_items(spec)):
                seen.setdefault(item, []).append(spec.version)
        return ApiHistory(
            index={k: ItemHistory(tuple(v)) for k, v in seen.items()},
            versions=tuple(s.version for s in ordered),
        )

    def of_item(self, kind: str, name: str) -> ItemHistory:
        return self.index.get((kind, name), ItemHistory(()))

    def to_json(self) -> dict[str, object]:
        """Compact form: each item lists the positions of its versions in `versions`."""
        position = {v: i for i, v in enumerate(self.versions)}
        items: dict[str, dict[str, list[int]]] = {}
        for (kind, name), history in sorted(self.index.items()):
            items.setdefault(kind, {})[name] = [position[v] for v in history.versions]
        return {"versions": list(self.versions), "items": items}

    @staticmethod
    def from_json(raw: dict[str, object]) -> ApiHistory:
        versions = tuple(str(v) for v in raw.get("versions", []))  # type: ignore[attr-defined]
        items: dict[str, dict[str, list[int]]] = raw.get("items", {})  # type: ignore[assignment]
        # Hundreds of items share a handful of version lists: one ItemHistory each (measured: building
        # one per item took ~1.3 ms of every check).
        shared: dict[tuple[int, ...], ItemHistory] = {}
        index: dict[tuple[str, str], ItemHistory] = {}
        for kind, names in items.items():
            for name, positions in names.items():
                key = tuple(positions)
                history = shared.get(key)
                if history is None:
                    history = shared[key] = ItemHistory(tuple(versions[i] for i in key))
                index[kind, name] = history
        return ApiHistory(index=index, versions=versions)


HISTORY_INDEX = "_history.json"


def write_history_index(folder: Path) -> Path:
    """Recompute the history index from every spec file in `folder` (run after generating a spec)."""
    specs = [load_spec_file(p) for p in sorted(folder.glob("*.json")) if not p.name.startswith("_")]
    path = folder / HISTORY_INDEX
    text = json.dumps(ApiHistory.of(specs).to_json(), separators=(",", ":"), sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path
