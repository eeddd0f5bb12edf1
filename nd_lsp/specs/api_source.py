"""Navidrome's annotated API (plugins/capabilities, plugins/host, plugins/types) read as ndpgen reads it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nd_lsp.specs.doc_constraints import constraints_from_doc
from nd_lsp.specs.go_source import (
    GoConst,
    GoFile,
    GoInterface,
    GoMethod,
    GoNamedType,
    GoStruct,
    annotation,
    parse_go_file,
)
from nd_lsp.specs.model import Capability, CapabilityMethod, Constant, Field, HostFunction, HostService, Param, TypeDef
from nd_lsp.specs.ndpgen_names import to_json_name
from nd_lsp.specs.source_tree import SourceTree

CAPABILITIES_DIR = "plugins/capabilities"
HOST_DIR = "plugins/host"
TYPES_DIR = "plugins/types"
SHARED_PREFIX = "types."
_CONTEXT = "context.Context"
# Capitalised spellings ndpgen's collectReferencedTypes refuses to treat as struct names.
_NOT_CUSTOM = frozenset({"String", "Bool", "Int", "Int32", "Int64", "Float32", "Float64"})


def go_package_files(source: SourceTree, folder: str) -> list[GoFile]:
    """The files ndpgen parses in a folder: `*.go` but not `*_gen.go`, `*_test.go` or `doc.go`."""
    files = []
    for name in source.list_dir(folder):
        skipped = name.endswith(("_gen.go", "_test.go")) or name == "doc.go"
        if not name.endswith(".go") or skipped:
            continue
        text = source.read_text(f"{folder}/{name}")
        if text is not None:
            files.append(parse_go_file(f"{folder}/{name}", text))
    return files


@dataclass(frozen=True)
class GoPackageIndex:
    """Every struct, named type and const of a package, so files can use each other's types."""

    structs: Mapping[str, GoStruct]
    named: Mapping[str, GoNamedType]
    consts: tuple[GoConst, ...]

    @staticmethod
    def of(files: Iterable[GoFile]) -> GoPackageIndex:
        files = list(files)
        return GoPackageIndex(
            structs={s.name: s for f in files for s in f.structs},
            named={t.name: t for f in files for t in f.named_types},
            consts=tuple(c for f in files for c in f.consts),
        )


def referenced_types(go_type: str) -> set[str]:
    """Custom type names in a Go type string (ndpgen's collectReferencedTypes)."""
    if go_type.startswith("*"):
        return referenced_types(go_type[1:])
    if go_type.startswith("[]"):
        return set() if go_type == "[]byte" else referenced_types(go_type[2:])
    if go_type.startswith("map["):
        depth, rest = 1, go_type[4:]
        for i, ch in enumerate(rest):
            depth += {"[": 1, "]": -1}.get(ch, 0)
            if depth == 0:
                return referenced_types(rest[:i]) | referenced_types(rest[i + 1 :])
        return set()
    if go_type.startswith(SHARED_PREFIX):
        return {go_type}
    if go_type[:1].isupper() and go_type not in _NOT_CUSTOM:
        return {go_type}
    return set()


def close_over_structs(names: set[str], structs: Mapping[str, GoStruct]) -> set[str]:
    """`names` plus every type their struct fields reference, transitively."""
    result = set(names)
    pending = list(names)
    while pending:
        struct = structs.get(pending.pop())
        for field in struct.fields if struct else ():
            for ref in referenced_types(field.type) - result:
                result.add(ref)
                pending.append(ref)
    return result


def parse_json_tag(tag: str) -> tuple[str, bool]:
    """(json name, omitempty) of a struct tag, as ndpgen's parseJSONTag reads it."""
    for part in tag.split(" "):
        if part.startswith('json:"'):
            pieces = part[len('json:"') :].rstrip('"').split(",")
            name = pieces[0] if pieces[0] != "-" else ""
            return name, "omitempty" in pieces[1:]
    return "", False


def _deprecation(doc: str) -> str:
    for line in doc.splitlines():
        if line.strip().startswith("Deprecated:"):
            return line.strip()[len("Deprecated:") :].strip()
    return ""


def struct_typedef(struct: GoStruct) -> TypeDef:
    fields = []
    for f in struct.fields:
        json_name, omitempty = parse_json_tag(f.tag)
        fields.append(
            Field(
                name=f.name,
                json=json_name or to_json_name(f.name),
                type=f.type,
                omitempty=omitempty,
                doc=f.doc,
                deprecated=_deprecation(f.doc),
            )
        )
    return TypeDef(name=struct.name, doc=struct.doc, fields=tuple(fields))


def named_typedef(named: GoNamedType) -> TypeDef:
    return TypeDef(name=named.name, doc=named.doc, alias_of=named.type, deprecated=_deprecation(named.doc))


# --- capabilities ----------------------------------------------------------------------------


def _export_method(method: GoMethod) -> CapabilityMethod | None:
    pairs = annotation(method.comments, "export")
    if not pairs or not pairs.get("name"):
        return None  # ndpgen needs name=: an export without it is never generated
    # One input struct (or none) and the first non-error result, as ndpgen's parseExport reads them.
    outputs = [r.type for r in method.results if r.type != "error"]
    output = outputs[0] if outputs else ""
    return CapabilityMethod(
        name=method.name,
        export=pairs["name"],
        doc=method.doc,
        input=method.params[0].type if len(method.params) == 1 else "",
        output=output.lstrip("*"),
        output_pointer=output.startswith("*"),
    )


def _shared_aliases(referenced: set[str], index: GoPackageIndex, shared: Mapping[str, GoStruct]) -> set[str]:
    """Names of the declared `X = types.Y` aliases whose shared type the capability uses."""
    aliases = {n: t for n, t in index.named.items() if t.is_alias and t.type.startswith(SHARED_PREFIX)}
    used: set[str] = set()
    pending = [r.removeprefix(SHARED_PREFIX) for r in referenced if r.startswith(SHARED_PREFIX)]
    pending += [aliases[r].type.removeprefix(SHARED_PREFIX) for r in referenced if r in aliases]
    while pending:
        canonical = pending.pop()
        if canonical in used or canonical not in shared:
            continue
        used.add(canonical)
        for field in shared[canonical].fields:
            pending += [r.removeprefix(SHARED_PREFIX) for r in referenced_types(field.type)]
    return {n for n, t in aliases.items() if t.type.removeprefix(SHARED_PREFIX) in used}


def _capability_types(
    iface: GoInterface, methods: list[CapabilityMethod], index: GoPackageIndex, shared: Mapping[str, GoStruct]
) -> tuple[tuple[TypeDef, ...], tuple[Constant, ...]]:
    seeds: set[str] = set()
    for method in methods:
        seeds |= referenced_types(method.input) | referenced_types(method.output)
    referenced = close_over_structs(seeds, index.structs)
    # ndpgen also emits the types named after the interface (ScrobblerError for Scrobbler).
    referenced |= {n for n in index.named if n.startswith(iface.name)}
    alias_names = _shared_aliases(referenced, index, shared)
    types = [struct_typedef(index.structs[n]) for n in sorted(referenced) if n in index.structs]
    named = sorted((referenced | alias_names) & set(index.named))
    types += [named_typedef(index.named[n]) for n in named]
    consts = tuple(
        Constant(name=c.name, value=c.value, type=c.type, doc=c.doc) for c in index.consts if c.type in referenced
    )
    return tuple(types), consts


def _capability(iface: GoInterface, index: GoPackageIndex, shared: Mapping[str, GoStruct]) -> Capability | None:
    pairs = annotation(iface.comments, "capability")
    if pairs is None:
        return None
    methods = [m for m in (_export_method(g) for g in iface.methods) if m is not None]
    if not methods:
        return None  # ndpgen drops a capability interface without exports
    types, consts = _capability_types(iface, methods, index, shared)
    return Capability(
        name=pairs.get("name", ""),
        interface=iface.name,
        required=pairs.get("required") == "true",
        doc=iface.doc,
        methods=tuple(methods),
        types=types,
        constants=consts,
    )


def read_shared_types(source: SourceTree) -> dict[str, GoStruct]:
    """Structs of the shared `types` package (v0.63.0+), by name; empty before it existed."""
    return {s.name: s for f in go_package_files(source, TYPES_DIR) for s in f.structs}


def read_capabilities(source: SourceTree, shared: Mapping[str, GoStruct]) -> tuple[Capability, ...]:
    files = go_package_files(source, CAPABILITIES_DIR)
    index = GoPackageIndex.of(files)
    found = (_capability(i, index, shared) for f in files for i in f.interfaces)
    return tuple(c for c in found if c is not None)


# --- host services ---------------------------------------------------------------------------


def _params(params: Iterable[tuple[str, str]]) -> tuple[Param, ...]:
    return tuple(Param(name=name, json=to_json_name(name), type=typ) for name, typ in params)


def _host_function(service: str, method: GoMethod, path: str) -> HostFunction | None:
    pairs = annotation(method.comments, "hostfunc")
    if pairs is None:
        return None
    params = _params((p.name, p.type) for p in method.params if p.type != _CONTEXT)
    returns = [r for r in method.results if r.type != "error"]
    # An anonymous result travels as "result" in the response JSON.
    results = _params((r.name or "result", r.type) for r in returns)
    return HostFunction(
        name=method.name,
        import_name=pairs.get("name") or f"{service.lower()}_{method.name.lower()}",
        doc=method.doc,
        params=params,
        results=results,
        has_error=any(r.type == "error" for r in method.results),
        raw=pairs.get("raw") == "true",
        constraints=constraints_from_doc(method.doc, params, path),
    )


def _service_types(functions: Iterable[HostFunction], index: GoPackageIndex) -> tuple[TypeDef, ...]:
    seeds: set[str] = set()
    for func in functions:
        for param in (*func.params, *func.results):
            seeds |= referenced_types(param.type)
    referenced = close_over_structs(seeds, index.structs)
    return tuple(struct_typedef(index.structs[n]) for n in sorted(referenced) if n in index.structs)


def _host_service(iface: GoInterface, index: GoPackageIndex) -> HostService | None:
    pairs = annotation(iface.comments, "hostservice")
    if pairs is None:
        return None
    name = pairs.get("name", "")
    found = (_host_function(name, m, iface.path) for m in iface.methods)
    functions = tuple(f for f in found if f is not None)
    if not functions:
        return None
    return HostService(
        name=name,
        interface=iface.name,
        permission=pairs.get("permission", ""),
        doc=iface.doc,
        functions=functions,
        types=_service_types(functions, index),
    )


def read_host_services(source: SourceTree) -> tuple[HostService, ...]:
    files = go_package_files(source, HOST_DIR)
    index = GoPackageIndex.of(files)
    found = (_host_service(i, index) for f in files for i in f.interfaces)
    return tuple(s for s in found if s is not None)


def shared_typedefs(shared: Mapping[str, GoStruct]) -> tuple[TypeDef, ...]:
    return tuple(struct_typedef(shared[name]) for name in sorted(shared))
