"""Typed model of one capability spec: Navidrome's plugin API at one release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from nd_lsp.frozen_dataclass import frozen_dataclass

SPEC_FORMAT = 1


@frozen_dataclass
class Field:
    """A field of a request/response struct, as Go, JSON and Rust name it."""

    name: str  # Go field name, e.g. "MBZRecordingID"
    json: str  # JSON key, e.g. "mbzRecordingId"
    type: str  # Go type as written, e.g. "[]types.ArtistRef"
    omitempty: bool = False
    rust_name: str = ""  # e.g. "mbz_recording_id"
    rust_type: str = ""  # e.g. "Vec<nd_pdk_types::ArtistRef>"
    doc: str = ""
    deprecated: str = ""  # the doc's "Deprecated:" note, e.g. "use Artists." (SongRef.Artist)


@frozen_dataclass
class TypeDef:
    """A struct (or alias) that plugins send or receive."""

    name: str
    doc: str = ""
    fields: tuple[Field, ...] = ()
    # A Go type alias or Rust `pub type` (e.g. "types.ArtistRef"); empty for a struct.
    alias_of: str = ""
    deprecated: str = ""  # deprecation note, empty when not deprecated
    rust_alias_of: str = ""  # the Rust PDK's `pub type` target, e.g. "nd_pdk_types::ArtistRef"
    rust_deprecated: str = ""  # the Rust `#[deprecated(note)]`, e.g. "use nd_pdk::types::ArtistRef"

    def field_by_json(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.json == key), None)


@frozen_dataclass
class Constant:
    """An exported constant (e.g. the scrobbler error strings)."""

    name: str  # Go name
    value: str  # literal value as a Python string (strings unquoted)
    type: str = ""
    rust_name: str = ""
    doc: str = ""


@frozen_dataclass
class CapabilityMethod:
    """One `//nd:export` method of a capability interface."""

    name: str  # Go method name in plugins/capabilities, e.g. "GetArtistBiography"
    export: str  # wasm export, e.g. "nd_get_artist_biography"
    doc: str = ""
    input: str = ""  # input struct name, empty when the method takes none
    output: str = ""  # Go output type without pointer/error, e.g. "ArtistBiographyResponse", "bool"
    output_pointer: bool = False  # Go PDK returns *Output
    # as the Go PDK declares it, e.g. "GetArtistBiography(ArtistRequest) (*ArtistBiographyResponse, error)"
    go_signature: str = ""
    go_provider: str = ""  # Go PDK provider interface of an optional capability, e.g. "ArtistBiographyProvider"
    rust_trait: str = ""  # e.g. "ArtistBiographyProvider" (or the capability trait when required)
    rust_method: str = ""  # e.g. "get_artist_biography"
    # e.g. "fn get_artist_biography(&self, req: ArtistRequest) -> Result<ArtistBiographyResponse, Error>"
    rust_signature: str = ""
    rust_input: str = ""  # Rust input type name
    rust_output: str = ""  # Rust Ok type, e.g. "ArtistBiographyResponse", "bool", "()"
    rust_macro: str = ""  # register macro that exports this method, e.g. "register_metadata_artist_biography"


@frozen_dataclass
class RustTrait:
    """A trait of the Rust PDK that a plugin implements for one capability."""

    name: str
    methods: tuple[str, ...]  # rust method names
    macro: str
    doc: str = ""


@frozen_dataclass
class RustMacro:
    """A register macro of the Rust PDK (`nd_pdk::register_x!(T)`) and the exports it generates."""

    name: str  # without the "!"
    trait: str
    exports: tuple[str, ...]
    doc: str = ""


@frozen_dataclass
class GoInterface:
    """A Go PDK interface: the capability marker/agent or one provider."""

    name: str
    methods: tuple[str, ...]  # Go method names
    doc: str = ""


@frozen_dataclass
class Capability:
    """A plugin capability (`//nd:capability`): the exports Navidrome calls and their PDK forms."""

    name: str  # `name=` of //nd:capability: Go package / Rust module, e.g. "metadata"
    interface: str  # interface in plugins/capabilities, e.g. "MetadataAgent"
    required: bool
    doc: str = ""
    methods: tuple[CapabilityMethod, ...] = ()
    types: tuple[TypeDef, ...] = ()
    constants: tuple[Constant, ...] = ()
    go_package: str = ""  # import path of the Go PDK package
    go_agent: str = ""  # Go marker / required interface, e.g. "Metadata"
    go_register: str = ""  # registration function, e.g. "Register"
    go_interfaces: tuple[GoInterface, ...] = ()
    rust_module: str = ""  # e.g. "metadata" (nd_pdk::metadata)
    rust_traits: tuple[RustTrait, ...] = ()
    rust_macros: tuple[RustMacro, ...] = ()

    @property
    def exports(self) -> tuple[str, ...]:
        return tuple(m.export for m in self.methods)

    def type_by_name(self, name: str) -> TypeDef | None:
        return next((t for t in self.types if t.name == name), None)


@frozen_dataclass
class Param:
    """One parameter or result of a host function: its Go, JSON, Rust and Python spellings."""

    name: str  # Go parameter name, e.g. "ttlSeconds"
    json: str  # JSON key, e.g. "ttlSeconds"
    type: str  # Go type, e.g. "int64"
    rust_name: str = ""  # e.g. "ttl_seconds"
    rust_type: str = ""  # e.g. "i64", "&str"
    python_type: str = ""


@frozen_dataclass
class Constraint:
    """An argument limit stated by a doc comment or by the host implementation."""

    param: str  # Go parameter name (or dotted path into a struct param, e.g. "options.maxItems")
    kind: str  # "non_empty" | "positive" | "max_bytes" | "max_value" | "unset" | "cron" | "contains" | "url"
    value: str = ""  # limit or needle, e.g. "256", "u="
    text: str = ""  # the sentence it comes from
    severity: str = "error"
    source: str = ""  # Navidrome file it comes from
    # The rule code that reports a violation (e.g. "ND201"); empty: the generic one for its kind
    # (cron -> ND205, url -> ND206, anything else -> ND209).
    rule: str = ""


@frozen_dataclass
class HostFunction:
    """A host function Navidrome offers to plugins, with its wasm import and PDK wrappers."""

    name: str  # Go method name, e.g. "DeleteByPrefix"
    import_name: str  # wasm import in extism:host/user, e.g. "kvstore_deletebyprefix"
    doc: str = ""
    params: tuple[Param, ...] = ()
    results: tuple[Param, ...] = ()  # named non-error results; an anonymous one has json "result"
    has_error: bool = True
    go_function: str = ""  # e.g. "KVStoreDeleteByPrefix"
    go_signature: str = ""  # e.g. "func KVStoreDeleteByPrefix(prefix string) (int64, error)"
    rust_function: str = ""  # e.g. "delete_by_prefix"
    rust_signature: str = ""  # e.g. "pub fn delete_by_prefix(prefix: &str) -> Result<i64, Error>"
    python_function: str = ""  # wrapper of the generated Python PDK (v0.60.0-v0.62.0 only)
    constraints: tuple[Constraint, ...] = ()
    # `//nd:hostfunc raw=true` (v0.60.2-v0.60.3): the response is binary-framed, not JSON.
    raw: bool = False

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name or p.json == name), None)


@frozen_dataclass
class HostService:
    """A host service (`//nd:hostservice`): a group of host functions behind one permission."""

    name: str  # `name=` of //nd:hostservice, e.g. "KVStore"
    interface: str  # e.g. "KVStoreService"
    permission: str  # manifest permission key; empty when always available
    doc: str = ""
    functions: tuple[HostFunction, ...] = ()
    types: tuple[TypeDef, ...] = ()
    rust_module: str = ""  # e.g. "kvstore" (nd_pdk::host::kvstore)
    python_module: str = ""  # e.g. "nd_host_kvstore" (v0.60.0-v0.62.0 only)

    def function_by_import(self, import_name: str) -> HostFunction | None:
        return next((f for f in self.functions if f.import_name == import_name), None)


@frozen_dataclass
class PermissionDependency:
    """`permission` needs `requires` declared too (e.g. subsonicapi needs users)."""

    permission: str
    requires: str
    message: str = ""
    source: str = ""


@frozen_dataclass
class CapabilityPermission:
    """A capability whose exports make the manifest need a permission (scrobbler needs users)."""

    capability: str
    permission: str
    message: str = ""
    source: str = ""


@frozen_dataclass
class PermissionExport:
    """A permission that makes Navidrome refuse the plugin unless it has an export."""

    permission: str
    export: str
    message: str = ""
    source: str = ""


@frozen_dataclass
class PermissionUse:
    """Besides a host service, what makes a permission used (e.g. library.filesystem)."""

    permission: str
    used_by: str  # "host_service:<Name>" | "capability:<name>" | "manifest_option:<key>" | "extism_http"
    # ... | "filesystem:<mount>" (the permission mounts a folder, e.g. storage -> /storage, used by file I/O)
    note: str = ""
    source: str = ""


@frozen_dataclass
class RuntimeFact:
    """A fact about how Navidrome runs plugins, keyed to a rule (e.g. sleep functions for ND401)."""

    rule: str  # e.g. "ND401"
    language: str  # "rust" | "go" | "python"
    item: str  # e.g. "std::thread::sleep"
    note: str = ""
    source: str = ""


@frozen_dataclass
class CronGrammar:
    """Which robfig/cron options the scheduler's parser enables in this release."""

    seconds: bool = False  # an optional leading seconds field (6 fields)
    descriptors: bool = True  # @daily, @every 5m
    random: bool = False  # crontab(5) `a~b`
    bare_duration: bool = False  # "5m" == "@every 5m"
    timezone_prefix: bool = True  # TZ= / CRON_TZ=
    source: str = ""


@frozen_dataclass
class PdkLayout:
    """Where a plugin author finds the PDK: crate/module paths and the extism namespace."""

    rust_crate: str = ""  # "nd_pdk"
    rust_host_module: str = ""  # "host"  (nd_pdk::host::<svc>)
    rust_types_module: str = ""  # "types" where the shared types crate exists
    go_module: str = ""  # "github.com/navidrome/navidrome/plugins/pdk/go"
    go_host_package: str = ""  # "github.com/navidrome/navidrome/plugins/pdk/go/host"
    go_pdk_package: str = ""  # "github.com/navidrome/navidrome/plugins/pdk/go/pdk"
    go_types_package: str = ""  # "github.com/navidrome/navidrome/plugins/pdk/go/types"
    import_namespace: str = ""  # "extism:host/user"
    python_pdk: bool = False  # the generated Python host wrappers exist in this release


@frozen_dataclass
class NavidromeRelease:
    """A Navidrome release (or master) a spec was generated from."""

    version: str  # "0.63.2" or "master"
    tag: str  # "v0.63.2", or "" for master
    commit: str
    date: str  # ISO date of the commit, "2026-07-11"


@frozen_dataclass
class Spec:
    """Everything nd-lsp knows about Navidrome's plugin API at one release."""

    format: int
    generator: str
    navidrome: NavidromeRelease
    layout: PdkLayout
    capabilities: tuple[Capability, ...]
    host_services: tuple[HostService, ...]
    shared_types: tuple[TypeDef, ...] = ()
    manifest_schema: Mapping[str, Any] = field(default_factory=dict)
    permission_dependencies: tuple[PermissionDependency, ...] = ()
    capability_permissions: tuple[CapabilityPermission, ...] = ()
    permission_exports: tuple[PermissionExport, ...] = ()
    permission_uses: tuple[PermissionUse, ...] = ()
    runtime_facts: tuple[RuntimeFact, ...] = ()
    cron: CronGrammar = field(default_factory=CronGrammar)

    @property
    def version(self) -> str:
        return self.navidrome.version

    def capability(self, name: str) -> Capability | None:
        return next((c for c in self.capabilities if c.name == name), None)

    def host_service(self, name: str) -> HostService | None:
        return next((s for s in self.host_services if s.name == name), None)

    def all_exports(self) -> dict[str, tuple[Capability, CapabilityMethod]]:
        return {m.export: (c, m) for c in self.capabilities for m in c.methods}

    def all_host_functions(self) -> dict[str, tuple[HostService, HostFunction]]:
        return {f.import_name: (s, f) for s in self.host_services for f in s.functions}

    def schema_node(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow a local `$ref` ("#/$defs/X") of the manifest schema."""
        ref = node.get("$ref", "")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = self.manifest_schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return target if isinstance(target, Mapping) else {}

    def permission_schemas(self) -> dict[str, Mapping[str, Any]]:
        """Each manifest permission key with its (resolved) schema."""
        root = self.manifest_schema.get("properties", {}).get("permissions", {})
        props = self.schema_node(root).get("properties", {})
        return {key: self.schema_node(value) for key, value in props.items()}

    def permission_keys(self) -> tuple[str, ...]:
        return tuple(self.permission_schemas())


def as_tuple(items: Sequence[Any] | None) -> tuple[Any, ...]:
    return tuple(items or ())
