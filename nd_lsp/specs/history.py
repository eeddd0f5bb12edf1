"""When each API item (export, macro, host import, type, permission) exists across Navidrome releases."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from nd_lsp.specs.loader import MASTER, available_versions, load_spec, version_key
from nd_lsp.specs.model import Spec


@dataclass(frozen=True)
class ItemHistory:
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


@dataclass(frozen=True)
class ApiHistory:
    """Index of (kind, name) -> the versions that have it."""

    index: dict[tuple[str, str], ItemHistory]
    versions: tuple[str, ...]

    @staticmethod
    @functools.lru_cache(maxsize=1)
    def load() -> ApiHistory:
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
