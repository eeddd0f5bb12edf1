"""Facts the front-ends read from a plugin's sources: what the code says, never what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nd_lsp.frozen_dataclass import frozen_dataclass

Language = Literal["rust", "go", "python", "manifest"]
LiteralValue = str | int | float | bool | None


@frozen_dataclass(order=True)
class Position:
    """0-based line and column; the column counts Unicode code points of the line."""

    line: int
    column: int


@frozen_dataclass
class Span:
    """A range of one file, from `start` to `end`."""

    path: Path
    start: Position
    end: Position

    @staticmethod
    def at(path: Path, line: int, column: int, end_line: int, end_column: int) -> Span:
        return Span(path, Position(line, column), Position(end_line, end_column))

    def contains(self, pos: Position) -> bool:
        return self.start <= pos <= self.end


@frozen_dataclass
class Argument:
    """One argument of a call as written, with its value where the analysis can resolve it.

    `resolved` is True when `value` is known: a literal, a constant of the crate/package/module, or a
    constant passed through a wrapper. Anything unresolved is never a finding.
    """

    span: Span
    text: str
    value: LiteralValue = None
    resolved: bool = False
    # dict / struct / map literal: each key with its span and value (Python request dicts,
    # Go `host.ScrobbleOptions{MaxItems: 6000}`, Rust struct literals).
    entries: tuple[Entry, ...] = ()
    # What kind of literal was written, even when its value is not kept: "str", "bytes", "int",
    # "float", "bool", "none", "list", "dict", "fstring"; "" when not a literal (a call, a name).
    # For a dict, `resolved` means every key is known (no `**spread`, no computed key).
    literal_kind: str = ""
    # A string built at run time whose start is constant (`base + "/x" + id`, `format!("https://h/{}", id)`,
    # `fmt.Sprintf("https://h/%s", id)`): that start, "" when unknown. Only set when `resolved` is False.
    prefix: str = ""


@frozen_dataclass
class Entry:
    """One key of a dict / struct / map literal argument, with its value."""

    key: str
    key_span: Span
    value: Argument


@frozen_dataclass
class MethodDef:
    """A method (Rust impl item, Go method, Python function) with its signature as written."""

    name: str
    span: Span  # the name token
    params: tuple[str, ...] = ()  # parameter types as written (Rust: without &self; Go: without receiver)
    results: tuple[str, ...] = ()  # Go result types / Rust return type as written (one element)
    param_spans: tuple[Span, ...] = ()
    result_spans: tuple[Span, ...] = ()
    signature_span: Span | None = None  # from the name to the end of the signature
    pointer_receiver: bool = False  # Go `func (p *T)`


@frozen_dataclass
class ImplBlock:
    """Rust `impl Trait for Type { ... }`; Go: all methods of one type in one file (trait empty)."""

    language: Language
    type_name: str
    trait: str  # last path segment as written, e.g. "ArtistBiographyProvider"; "" for Go / inherent impls
    # full path as written, resolved through `use`: ("nd_pdk", "metadata", "ArtistBiographyProvider")
    trait_path: tuple[str, ...]
    methods: tuple[MethodDef, ...]
    span: Span  # the impl header (Rust) / the type declaration (Go)
    trait_span: Span | None = None
    type_span: Span | None = None
    insert_at: Position | None = None  # where a method stub can be inserted (before the closing brace)
    indent: str = "    "


@frozen_dataclass
class TypeDecl:
    """A struct/type declaration: what a registration can name."""

    language: Language
    name: str
    span: Span  # the name token
    derives: frozenset[str] = frozenset()  # Rust #[derive(...)] names, e.g. {"Default", "Clone"}
    has_default_impl: bool = False  # Rust `impl Default for T`
    attribute_insert_at: Position | None = None  # Rust: where `#[derive(Default)]` can go (line start)
    # Rust: just before the `)` of the last `#[derive(...)]`, where ", Default" can be merged in.
    derive_insert_at: Position | None = None
    # Go: the struct's embedded fields of this package ("E", or "*E" when embedded by pointer), whose
    # methods are promoted to the struct.
    embeds: tuple[str, ...] = ()


@frozen_dataclass
class Registration:
    """`nd_pdk::register_x!(T)` (Rust) or `pkg.Register(x)` (Go)."""

    language: Language
    name: str  # macro name without "!" / function name ("Register")
    span: Span  # the whole invocation / call
    name_span: Span  # the macro / function name token
    package: str = ""  # Go: import path of the package; Rust: the path before the macro ("nd_pdk") or ""
    target: str = ""  # the registered type name when it can be resolved ("" otherwise)
    target_span: Span | None = None
    enclosing_function: str = ""  # Go: "main", "init", ...; "" at top level
    path_segments: tuple[str, ...] = ()  # Rust macro path as written, e.g. ("nd_pdk", "register_x")
    # Go: the target is passed as a value (`Register(T{})`), whose method set lacks pointer-receiver methods.
    by_value: bool = False
    # Go: the package function whose result is registered (`Register(newPlugin())`) when the target is
    # not spelled in the argument; the cross-file link resolves it to `target`.
    target_constructor: str = ""


@frozen_dataclass
class ExportDef:
    """A function the code itself exports: Rust `#[plugin_fn]`, Go `//go:wasmexport`, Python `@extism.plugin_fn`."""

    language: Language
    name: str
    span: Span  # the whole definition header
    name_span: Span
    kind: Literal["plugin_fn", "wasmexport", "python_plugin_fn"] = "plugin_fn"
    # Python: the decorator's dotted name as written ("extism.plugin_fn", "ex.plugin_fn", "export")
    # and its span. extism-py reads decorators as text, so the spelling decides what it exports.
    decorator: str = ""
    decorator_span: Span | None = None


@frozen_dataclass
class HostImport:
    """A raw declaration of a host function import: Python `@extism.import_fn(ns, name)`,
    Rust `#[host_fn] extern "ExtismHost" { fn x(...); }`, Go `//go:wasmimport ns name`."""

    language: Language
    namespace: str
    name: str  # import name, e.g. "kvstore_set"
    local_name: str  # the function the code calls, e.g. "_kvstore_set"
    span: Span
    name_span: Span  # the import-name string (or the fn name when the name is implicit)
    namespace_span: Span | None = None
    decorator: str = ""  # Python: the decorator's callee as written ("extism.import_fn", "import_fn")


@frozen_dataclass
class HostCall:
    """A call of a Navidrome host function.

    kind:
      "rust_wrapper"   nd_pdk::host::<module>::<function>(...)  -> service=module, function=rust fn name
      "go_wrapper"     host.<Function>(...)                      -> service="", function=Go func name
      "python_wrapper" a wrapper of the old generated Python PDK -> function=wrapper name
      "raw_import"     a call of a HostImport's local function (directly, or through one level of wrapper)
                        -> function=import name; args[0].entries hold the request dict
    """

    language: Language
    kind: Literal["rust_wrapper", "go_wrapper", "python_wrapper", "raw_import"]
    service: str
    function: str
    span: Span
    name_span: Span
    args: tuple[Argument, ...] = ()
    enclosing_function: str = ""
    in_init: bool = False  # Go init(), a Rust static initialiser, Python module level


@frozen_dataclass
class PdkItemUse:
    """A use of a PDK item by path: `use nd_pdk::metadata::{ArtistRequest}`, `metadata.ArtistRequest`."""

    language: Language
    path: tuple[str, ...]  # segments after the crate / PDK module, e.g. ("metadata", "ArtistRequest")
    span: Span  # the last segment
    role: Literal["use", "type", "expr", "macro"] = "use"
    # When the use sits in a method signature of an impl, the method and the slot it fills:
    in_method: str = ""
    slot: Literal["", "input", "output"] = ""


@frozen_dataclass
class PackageImport:
    """A Go import (path and local name) or a Python import of a module."""

    language: Language
    path: str
    local_name: str
    span: Span


@frozen_dataclass
class Call:
    """A call of a qualified, non-local function, with its callee resolved through imports/uses as far
    as syntax allows: "time.Sleep" (Go), "std::thread::sleep" (Rust), "time.sleep" (Python)."""

    language: Language
    callee: str
    span: Span
    name_span: Span
    enclosing_function: str = ""
    in_init: bool = False


@frozen_dataclass
class LocalCall:
    """Go: a call of a function of the plugin's own package (`scheduleWeekly("0 8 * * *")`), kept so a
    wrapper of a host function declared in another file can be resolved with the caller's arguments."""

    language: Language
    callee: str
    span: Span
    name_span: Span
    args: tuple[Argument, ...] = ()
    enclosing_function: str = ""
    in_init: bool = False


@frozen_dataclass
class GlobalWrite:
    """An assignment to a package/module-level variable (Go var, Rust `static mut`, Python `global`)
    inside a function."""

    language: Language
    name: str
    span: Span
    enclosing_function: str


@frozen_dataclass
class InterfaceAssertion:
    """Go `var _ pkg.Iface = (*T)(nil)`: the code states that T implements an interface."""

    language: Language
    package: str  # import path of the interface's package
    interface: str  # e.g. "ArtistBiographyProvider"
    type_name: str  # e.g. "myPlugin"
    span: Span  # the whole declaration
    interface_span: Span
    type_span: Span
    pointer: bool = False  # asserted for *T


@frozen_dataclass
class Suppression:
    """`nd-lsp: ignore[ND201, ND202]` or `nd-lsp: ignore` in a comment on `line` (0-based)."""

    line: int
    codes: frozenset[str] | None  # None: every code


@dataclass
class FileFacts:
    """Everything one front-end read from one source file."""

    path: Path
    language: Language
    impls: list[ImplBlock] = field(default_factory=list)
    types: list[TypeDecl] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    exports: list[ExportDef] = field(default_factory=list)
    host_imports: list[HostImport] = field(default_factory=list)
    host_calls: list[HostCall] = field(default_factory=list)
    pdk_uses: list[PdkItemUse] = field(default_factory=list)
    imports: list[PackageImport] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    global_writes: list[GlobalWrite] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    package: str = ""  # Go package name
    has_syntax_errors: bool = False
    legacy_api: bool = False  # uses the pre-0.60 protobuf plugin API
    error: str = ""  # why the file could not be read (non-UTF-8, too large, unreadable)
    # Go: `var _ pkg.Iface = (*T)(nil)` assertions.
    interface_assertions: list[InterfaceAssertion] = field(default_factory=list)
    # Go: the file's package-level constants with a literal value (Rust: `const`/non-mut `static`
    # items), for resolving arguments across the files of one package / crate.
    constants: dict[str, LiteralValue] = field(default_factory=dict)
    # Go: package-level functions whose first result is a named type of the package: name -> "T" or "*T".
    function_results: dict[str, str] = field(default_factory=dict)
    # Go: the parameter names of the file's package-level functions, and its calls of package functions.
    function_params: dict[str, tuple[str, ...]] = field(default_factory=dict)
    local_calls: list[LocalCall] = field(default_factory=list)


@frozen_dataclass
class JsonNode:
    """A JSON value with the span of the value and, for members of an object, of its key."""

    kind: Literal["object", "array", "string", "number", "bool", "null"]
    span: Span
    value: LiteralValue = None  # scalars
    members: tuple[JsonMember, ...] = ()  # objects, in source order
    items: tuple[JsonNode, ...] = ()  # arrays

    def get(self, key: str) -> JsonNode | None:
        return next((m.value for m in self.members if m.key == key), None)

    def member(self, key: str) -> JsonMember | None:
        return next((m for m in self.members if m.key == key), None)

    def to_python(self) -> object:
        if self.kind == "object":
            return {m.key: m.value.to_python() for m in self.members}
        if self.kind == "array":
            return [i.to_python() for i in self.items]
        return self.value


@frozen_dataclass
class JsonMember:
    """A member of a JSON object: its key (and the key's span) and its value."""

    key: str
    key_span: Span
    value: JsonNode


@frozen_dataclass
class ManifestFacts:
    """manifest.json as written: its JSON tree, or why it is not valid JSON."""

    path: Path
    root: JsonNode | None  # None when the file is not valid JSON
    syntax_error: str = ""
    syntax_error_span: Span | None = None
    text: str = ""


@frozen_dataclass
class Dependency:
    """A dependency of Cargo.toml or go.mod and where its version comes from."""

    name: str
    span: Span  # the dependency's key in Cargo.toml / the require line in go.mod
    version: str = ""
    git: str = ""
    tag: str = ""
    rev: str = ""
    branch: str = ""
    path: str = ""  # a local path (Cargo `path =`, go.mod `replace => ../x`)


@frozen_dataclass
class BuildFacts:
    """Cargo.toml or go.mod: what the plugin depends on and how it builds."""

    path: Path
    kind: Literal["cargo", "gomod"]
    dependencies: tuple[Dependency, ...] = ()
    crate_types: tuple[str, ...] = ()  # Cargo [lib] crate-type
    crate_types_span: Span | None = None
    lib_span: Span | None = None  # Cargo [lib] header (or [package] when [lib] is missing)
    module: str = ""  # go.mod module path
    settings: tuple[tuple[str, object], ...] = ()  # [package.metadata.nd-lsp] entries
    error: str = ""

    def dependency(self, name: str) -> Dependency | None:
        wanted = name.replace("_", "-")
        return next((d for d in self.dependencies if d.name.replace("_", "-") == wanted), None)


@dataclass
class PluginFacts:
    """One plugin: its root folder, its sources' facts, its manifest and build files."""

    root: Path
    files: dict[Path, FileFacts] = field(default_factory=dict)
    manifest: ManifestFacts | None = None
    cargo: BuildFacts | None = None
    gomod: BuildFacts | None = None
    # The sources found on disk when the plugin was read (None: not read from disk), so that rules
    # asking whether every source was read need not list the folders again.
    sources_on_disk: frozenset[Path] | None = None

    @property
    def languages(self) -> frozenset[Language]:
        return frozenset(f.language for f in self.files.values())

    def impls(self) -> list[ImplBlock]:
        return [i for f in self.files.values() for i in f.impls]

    def types(self) -> list[TypeDecl]:
        return [t for f in self.files.values() for t in f.types]

    def registrations(self) -> list[Registration]:
        return [r for f in self.files.values() for r in f.registrations]

    def exports(self) -> list[ExportDef]:
        return [e for f in self.files.values() for e in f.exports]

    def host_imports(self) -> list[HostImport]:
        return [h for f in self.files.values() for h in f.host_imports]

    def host_calls(self) -> list[HostCall]:
        return [h for f in self.files.values() for h in f.host_calls]

    def pdk_uses(self) -> list[PdkItemUse]:
        return [u for f in self.files.values() for u in f.pdk_uses]

    def imports(self) -> list[PackageImport]:
        return [i for f in self.files.values() for i in f.imports]

    def calls(self) -> list[Call]:
        return [c for f in self.files.values() for c in f.calls]

    def global_writes(self) -> list[GlobalWrite]:
        return [g for f in self.files.values() for g in f.global_writes]
