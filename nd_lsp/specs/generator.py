"""Generate the spec of one Navidrome release from its source: annotations, generated PDKs, curated facts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from nd_lsp import __version__
from nd_lsp.specs.api_source import read_capabilities, read_host_services, read_shared_types, shared_typedefs
from nd_lsp.specs.curated import CuratedFacts, apply_curated, load_curated
from nd_lsp.specs.loader import MASTER, normalize_version, spec_to_dict
from nd_lsp.specs.manifest_source import read_manifest_schema, read_service_permissions
from nd_lsp.specs.model import SPEC_FORMAT, HostService, NavidromeRelease, PdkLayout, Spec, TypeDef
from nd_lsp.specs.pdk_attach import (
    ImportIndex,
    Problems,
    attach_capability,
    attach_service,
    check_all_exports,
    check_all_imports,
    import_namespace,
    rust_types,
)
from nd_lsp.specs.pdk_go import GO_HOST_FOLDER, GoPdk, read_go_pdk
from nd_lsp.specs.pdk_python import read_python_pdk
from nd_lsp.specs.pdk_rust_crates import RustPdk, read_rust_pdk
from nd_lsp.specs.source_tree import SourceTree

# Folders of the Go PDK module besides the host wrappers: the Extism helpers and the shared types.
GO_PDK_HELPERS = "pdk"
GO_SHARED_TYPES = "types"


def release_of(source: SourceTree, version: str) -> NavidromeRelease:
    version = normalize_version(version)
    revision = source.revision()
    tag = "" if version == MASTER else revision.tag or f"v{version}"
    return NavidromeRelease(version=version, tag=tag, commit=revision.commit, date=revision.date)


def _go_package(go: GoPdk, folder: str) -> str:
    return f"{go.module}/{folder}" if folder in go.folders and go.module else ""


def pdk_layout(rust: RustPdk, go: GoPdk, python_pdk: bool, namespace: str) -> PdkLayout:
    return PdkLayout(
        rust_crate=rust.crate,
        rust_host_module=rust.host_module,
        rust_types_module=rust.types_module,
        go_module=go.module,
        go_host_package=_go_package(go, GO_HOST_FOLDER),
        go_pdk_package=_go_package(go, GO_PDK_HELPERS),
        go_types_package=_go_package(go, GO_SHARED_TYPES),
        import_namespace=namespace,
        python_pdk=python_pdk,
    )


def with_loader_permissions(
    services: Iterable[HostService], table: Mapping[str, str] | None, known: Iterable[str], problems: Problems
) -> tuple[HostService, ...]:
    """Services carrying the permission Navidrome's loader checks, which must match the annotation."""
    permission_keys = set(known)
    checked = []
    for service in services:
        permission = service.permission
        if table is not None:
            if service.name not in table:
                problems.add(f"host service {service.name}: the loader's hostServices table never registers it")
            elif table[service.name] != permission:
                problems.add(
                    f"host service {service.name}: annotated permission={permission or '(none)'} but the loader "
                    f"checks {table[service.name] or '(nothing)'}"
                )
                permission = table[service.name]
        if permission and permission not in permission_keys:
            problems.add(f"host service {service.name}: permission {permission!r} is not in the manifest schema")
        checked.append(dataclasses.replace(service, permission=permission))
    return tuple(checked)


def _shared_types(source: SourceTree, rust: RustPdk, problems: Problems) -> tuple[TypeDef, ...]:
    shared = shared_typedefs(read_shared_types(source))
    if rust.types is None:
        return shared
    return rust_types(shared, rust.types, "the Rust types crate", problems)


def _permission_keys(schema: Mapping[str, object]) -> tuple[str, ...]:
    # A bare Spec answers permission_keys() by resolving the schema's $refs.
    probe = Spec(SPEC_FORMAT, "", NavidromeRelease("", "", "", ""), PdkLayout(), (), (), manifest_schema=schema)
    return probe.permission_keys()


def generate_spec(source: SourceTree, version: str, curated: CuratedFacts | None = None) -> Spec:
    """The spec of the Navidrome release `source` shows, named `version` ("0.63.2", "master")."""
    release = release_of(source, version)
    problems = Problems()
    schema = read_manifest_schema(source)
    rust, go, python = read_rust_pdk(source), read_go_pdk(source), read_python_pdk(source)
    shared = read_shared_types(source)
    capabilities = tuple(attach_capability(c, rust, go, problems) for c in read_capabilities(source, shared))
    check_all_exports(capabilities, rust, go, problems)
    services = with_loader_permissions(
        read_host_services(source), read_service_permissions(source, schema), _permission_keys(schema), problems
    )
    index = ImportIndex.of(rust, go, python)
    services = tuple(attach_service(s, rust, index, problems) for s in services)
    check_all_imports(services, rust, go, python, problems)
    layout = pdk_layout(rust, go, bool(python), import_namespace(rust, go, python, problems))
    shared_types = _shared_types(source, rust, problems)
    problems.raise_if_any(release.version)
    spec = Spec(
        format=SPEC_FORMAT,
        generator=f"nd-lsp {__version__}",
        navidrome=release,
        layout=layout,
        capabilities=capabilities,
        host_services=services,
        shared_types=shared_types,
        manifest_schema=schema,
    )
    return apply_curated(spec, curated if curated is not None else load_curated(), source)


def spec_json(spec: Spec) -> str:
    """The text of a spec file: exactly what the loader reads back."""
    return json.dumps(spec_to_dict(spec), indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def write_spec(spec: Spec, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec.version}.json"
    path.write_text(spec_json(spec), encoding="utf-8")
    return path
