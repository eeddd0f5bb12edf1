"""Which permissions a manifest declares and which ones the plugin's code needs, read through the spec."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Literal

from nd_lsp.check.discovery import plugin_source_files
from nd_lsp.frontends.facts import HostCall, HostImport, JsonMember, JsonNode, ManifestFacts, Position, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Fix, TextEdit
from nd_lsp.rules.manifest_edits import insert_member, replace_value
from nd_lsp.rules.plugin_api import plugin_exports, resolve_host_call, resolve_host_import
from nd_lsp.specs.model import HostService, Spec

NeedKind = Literal["host_function", "capability", "extism_http"]
# `PermissionUse.used_by` values: "<kind>:<name>" or a bare kind.
_USED_BY_SERVICE = "host_service"
_USED_BY_CAPABILITY = "capability"
_USED_BY_OPTION = "manifest_option"
_USED_BY_EXTISM_HTTP = "extism_http"
# Runtime facts naming the Extism calls that need a permission are keyed to these rules.
_PERMISSION_RULES = frozenset({"ND303", "ND304"})


# --- the manifest side -------------------------------------------------------------------------


def last_member(obj: JsonNode, key: str) -> JsonMember | None:
    """The member Navidrome reads: Go's decoder keeps the last of duplicate keys."""
    return next((m for m in reversed(obj.members) if m.key == key), None)


def permissions_key(spec: Spec) -> str:
    """The top-level manifest key whose schema lists the permissions."""
    keys = set(spec.permission_keys())
    for key, node in spec.manifest_schema.get("properties", {}).items():
        if keys and set(spec.schema_node(node).get("properties", {})) == keys:
            return str(key)
    return ""


def canonical_key(known: Iterable[str], key: str) -> str | None:
    """The schema key a manifest key means: exact, else ignoring case (Go's encoding/json matches
    struct fields case-insensitively, so `subsonicAPI` still declares `subsonicapi`)."""
    known = tuple(known)
    if key in known:
        return key
    folded = key.casefold()
    return next((k for k in known if k.casefold() == folded), None)


@frozen_dataclass
class DeclaredPermission:
    """A permission the manifest declares, with the member that declares it."""

    key: str  # canonical permission key of the spec
    member: JsonMember  # the manifest member that declares it (the last one when repeated)

    @property
    def value(self) -> JsonNode:
        return self.member.value


@frozen_dataclass
class ManifestPermissions:
    """The manifest's permissions object and what it declares."""

    manifest: ManifestFacts
    root: JsonNode
    member: JsonMember | None  # the top-level permissions member, when present
    declared: Mapping[str, DeclaredPermission]

    @property
    def object(self) -> JsonNode | None:
        if self.member is not None and self.member.value.kind == "object":
            return self.member.value
        return None

    def anchor(self) -> Span:
        """Where a finding about the permissions as a whole points: their key, else the root's `{`."""
        if self.member is not None:
            return self.member.key_span
        start = self.root.span.start
        return Span(self.root.span.path, start, Position(start.line, start.column + 1))


def manifest_permissions(ctx: RuleContext) -> ManifestPermissions | None:
    """None when there is no readable manifest (ND301/ND308 report that)."""
    manifest = ctx.plugin.manifest
    if manifest is None or manifest.root is None or manifest.root.kind != "object":
        return None
    key = permissions_key(ctx.spec)
    member = next((m for m in reversed(manifest.root.members) if key and canonical_key((key,), m.key)), None)
    declared: dict[str, DeclaredPermission] = {}
    if member is not None and member.value.kind == "object":
        known = ctx.spec.permission_keys()
        for entry in member.value.members:
            canonical = canonical_key(known, entry.key)
            # A null permission is no permission: Go leaves the pointer nil.
            if canonical is not None and entry.value.kind != "null":
                declared[canonical] = DeclaredPermission(canonical, entry)
    return ManifestPermissions(manifest, manifest.root, member, declared)


def placeholder_value(spec: Spec) -> dict[str, str]:
    """What a new permission entry holds: the string property every permission schema has (its
    explanation for the user), left empty for the author to fill."""
    schemas = list(spec.permission_schemas().values())
    shared: set[str] | None = None
    for schema in schemas:
        strings = {k for k, v in schema.get("properties", {}).items() if spec.schema_node(v).get("type") == "string"}
        shared = strings if shared is None else shared & strings
    return {key: "" for key in sorted(shared or ())[:1]}


def add_permission_fix(ctx: RuleContext, manifest: ManifestPermissions, permission: str) -> Fix | None:
    """Add `permission` to manifest.json, creating the permissions object when it is missing."""
    text = manifest.manifest.text
    value = placeholder_value(ctx.spec)
    title = f'Add the "{permission}" permission to manifest.json'
    edit: TextEdit
    if manifest.member is None:
        key = permissions_key(ctx.spec)
        if not key:
            return None
        edit = insert_member(text, manifest.root, key, {permission: value})
    elif manifest.member.value.kind == "null":
        edit = replace_value(text, manifest.member.value, {permission: value})
    elif manifest.object is not None:
        edit = insert_member(text, manifest.object, permission, value)
    else:
        return None
    return Fix(title, (edit,), preferred=True)


# --- the code side -----------------------------------------------------------------------------


@frozen_dataclass
class PermissionNeed:
    """One place in the code that works only when the manifest declares `permission`."""

    permission: str
    span: Span
    kind: NeedKind
    what: str  # the call, import or capability, as the code names it
    service: HostService | None = None
    import_name: str = ""  # the wasm import that stays unresolved without the permission


def _call_name(call: HostCall) -> str:
    return f"{call.service}::{call.function}" if call.kind == "rust_wrapper" else call.function


def _host_needs(ctx: RuleContext) -> Iterator[PermissionNeed]:
    for call in ctx.plugin.host_calls():
        resolved = resolve_host_call(ctx.spec, call)
        if resolved is not None and resolved[0].permission:
            service, function = resolved
            yield PermissionNeed(
                service.permission, call.name_span, "host_function", _call_name(call), service, function.import_name
            )
    for imp in ctx.plugin.host_imports():
        if imp.namespace != ctx.spec.layout.import_namespace:
            continue
        found = resolve_host_import(ctx.spec, imp)
        if found is not None and found[0].permission:
            yield PermissionNeed(found[0].permission, imp.name_span, "host_function", imp.name, found[0], imp.name)


def _capability_needs(ctx: RuleContext) -> Iterator[PermissionNeed]:
    needs: dict[str, list[str]] = {}
    for link in ctx.spec.capability_permissions:
        needs.setdefault(link.capability, []).append(link.permission)
    seen: set[tuple[str, str]] = set()
    for export in plugin_exports(ctx):
        if export.capability is None:
            continue
        for permission in needs.get(export.capability.name, ()):
            # One finding per capability and file is enough: every export of it needs the same.
            key = (export.capability.name, str(export.span.path))
            if key not in seen:
                seen.add(key)
                # The macro name, not the whole invocation: as narrow as the token that exports.
                span = export.registration.name_span if export.registration is not None else export.span
                yield PermissionNeed(permission, span, "capability", export.capability.name)


def _extism_http_permissions(spec: Spec) -> list[str]:
    return sorted({u.permission for u in spec.permission_uses if u.used_by == _USED_BY_EXTISM_HTTP})


def extism_http_callees(spec: Spec) -> frozenset[str]:
    """The Extism PDK calls that send HTTP through Extism's own host function, which Navidrome allows
    only towards the hosts of a declared http permission: runtime facts of the permission rules."""
    if not _extism_http_permissions(spec):
        return frozenset()
    return frozenset(f.item for f in spec.runtime_facts if f.rule in _PERMISSION_RULES)


def _same_callable(callee: str, item: str) -> bool:
    """`extism_pdk::http::request`, `extism.Http.request`, a Go import path + "." + function."""
    normal_callee, normal_item = callee.replace("::", "."), item.replace("::", ".")
    return normal_callee == normal_item or normal_callee.endswith("/" + normal_item)


def _mentions_http(callee: str) -> bool:
    """Without the spec naming Extism's HTTP calls, any library call with "http" in its path might be one."""
    return "http" in callee.casefold()


def _extism_http_needs(ctx: RuleContext) -> Iterator[PermissionNeed]:
    callees = extism_http_callees(ctx.spec)
    if not callees:
        return
    permissions = _extism_http_permissions(ctx.spec)
    for call in ctx.plugin.calls():
        if any(_same_callable(call.callee, item) for item in callees):
            for permission in permissions:
                yield PermissionNeed(permission, call.name_span, "extism_http", call.callee)


def _may_use_extism_http(ctx: RuleContext) -> bool:
    if not _extism_http_permissions(ctx.spec):
        return False
    if extism_http_callees(ctx.spec):
        return any(True for _ in _extism_http_needs(ctx))
    return any(_mentions_http(call.callee) for call in ctx.plugin.calls())


def permission_needs(ctx: RuleContext) -> list[PermissionNeed]:
    """Every use in the code that needs a permission, in source order."""
    needs = [*_host_needs(ctx), *_capability_needs(ctx), *_extism_http_needs(ctx)]
    return sorted(needs, key=lambda n: (str(n.span.path), n.span.start))


# --- is a declared permission used? --------------------------------------------------------------


@frozen_dataclass
class CodeUsage:
    """What the code touches, as far as the analysis can tell."""

    services: frozenset[str]  # host services called (resolved, or recognised by their name prefix)
    capabilities: frozenset[str]  # capabilities the plugin exports
    extism_http: bool
    complete: bool  # every source was read cleanly and every host call was attributed to a service


def _service_by_prefix(spec: Spec, name: str, kind: str) -> HostService | None:
    """The service an unknown host function most likely belongs to (`kvstore_getall` → KVStore)."""
    for service in spec.host_services:
        if kind == "go_wrapper" and service.name and name.startswith(service.name):
            return service
        prefixes = {f.import_name.split("_", 1)[0] for f in service.functions}
        if kind != "go_wrapper" and name.split("_", 1)[0] in prefixes:
            return service
    return None


def _call_service(spec: Spec, call: HostCall) -> HostService | None:
    resolved = resolve_host_call(spec, call)
    if resolved is not None:
        return resolved[0]
    if call.kind == "rust_wrapper":
        return next((s for s in spec.host_services if s.rust_module == call.service), None)
    return _service_by_prefix(spec, call.function, call.kind)


def _import_service(spec: Spec, imp: HostImport) -> HostService | None:
    resolved = resolve_host_import(spec, imp)
    return resolved[0] if resolved is not None else _service_by_prefix(spec, imp.name, "raw_import")


def sources_complete(ctx: RuleContext) -> bool:
    """False when a source file could not be read or has syntax errors: its uses are unknown."""
    files = ctx.plugin.files
    if not files or any(f.error or f.has_syntax_errors for f in files.values()):
        return False
    on_disk = ctx.plugin.sources_on_disk
    if on_disk is None:
        try:
            on_disk = frozenset(path for path, _ in plugin_source_files(ctx.plugin.root))
        except OSError:
            return False
    return on_disk <= files.keys()


def code_usage(ctx: RuleContext) -> CodeUsage:
    spec = ctx.spec
    services: set[str] = set()
    complete = sources_complete(ctx)
    for call in ctx.plugin.host_calls():
        service = _call_service(spec, call)
        if service is None:
            complete = False
        else:
            services.add(service.name)
    for imp in ctx.plugin.host_imports():
        if imp.namespace != spec.layout.import_namespace:
            continue
        service = _import_service(spec, imp)
        if service is None:
            complete = False
        else:
            services.add(service.name)
    capabilities = frozenset(e.capability.name for e in plugin_exports(ctx) if e.capability is not None)
    return CodeUsage(frozenset(services), capabilities, _may_use_extism_http(ctx), complete)


def _truthy(node: JsonNode | None) -> bool:
    if node is None or node.kind == "null":
        return False
    return node.value is not False


def _option_set(declared: DeclaredPermission, option: str) -> bool:
    """`manifest_option:library.filesystem`: the option's value inside the permission is truthy."""
    path = option.split(".")
    if path and path[0] == declared.key:
        path = path[1:]
    node: JsonNode | None = declared.value
    for key in path:
        if node is None or node.kind != "object":
            return False
        found = last_member(node, key)
        node = found.value if found is not None else None
    return _truthy(node)


def _use_holds(use_by: str, declared: DeclaredPermission, usage: CodeUsage) -> bool:
    kind, _, name = use_by.partition(":")
    if kind == _USED_BY_SERVICE:
        return name in usage.services
    if kind == _USED_BY_CAPABILITY:
        return name in usage.capabilities
    if kind == _USED_BY_OPTION:
        return _option_set(declared, name)
    if kind == _USED_BY_EXTISM_HTTP:
        return usage.extism_http
    return True  # a kind of use this version of nd-lsp cannot judge: assume it holds


def is_used(
    ctx: RuleContext, declared: DeclaredPermission, all_declared: Mapping[str, DeclaredPermission], usage: CodeUsage
) -> bool:
    """Whether anything in the plugin needs a declared permission (its services, its capabilities,
    the other permissions that require it, and the spec's further uses of it)."""
    spec = ctx.spec
    permission = declared.key
    if any(s.permission == permission and s.name in usage.services for s in spec.host_services):
        return True
    if any(c.permission == permission and c.capability in usage.capabilities for c in spec.capability_permissions):
        return True
    if any(d.requires == permission and d.permission in all_declared for d in spec.permission_dependencies):
        return True
    return any(_use_holds(u.used_by, declared, usage) for u in spec.permission_uses if u.permission == permission)
