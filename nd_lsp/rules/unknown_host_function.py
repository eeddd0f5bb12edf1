"""ND204: a host function (import or PDK wrapper) that the target Navidrome version does not have."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from nd_lsp.frontends.extism_python import EXTISM_MODULE, IMPORT_DECORATOR
from nd_lsp.frontends.facts import HostCall, HostImport, PackageImport, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity, TextEdit
from nd_lsp.rules.plugin_api import resolve_host_call, suggest
from nd_lsp.specs.model import HostService, Spec

# A namespace this close to the spec's import namespace is a typo of it, not another host's namespace.
_NAMESPACE_TYPO = 0.8
# Extism's own kernel functions (input, output, memory): a real namespace next to the host's.
EXTISM_KERNEL_NAMESPACE = "extism:host/env"
# The one spelling of the import decorator that extism-py's compiler looks for (Extism's name).
EXTISM_IMPORT_DECORATOR = f"{EXTISM_MODULE}.{IMPORT_DECORATOR}"


@frozen_dataclass
class Unknown:
    """A host function name the target spec lacks: how to name it, and what the same service offers."""

    shown: str  # as the message names it: "nd_pdk::host::library::get_all", "host.KVStoreDeletePrefix"
    name: str  # the name token's text
    candidates: tuple[str, ...]  # the same service's names first
    fallback: tuple[str, ...]  # every name of the same kind
    consequence: str


class UnknownHostFunction(Rule):
    """A host function that does not exist in the target Navidrome version.

    ## What it does
    Checks every host function the plugin uses against the host services of the target Navidrome version:
    Rust `nd_pdk::host::<service>::<function>` calls, Go `host.<Function>` calls, Python
    `@extism.import_fn(namespace, name)` declarations (and calls of the generated Python PDK wrappers of
    Navidrome 0.60-0.62), and raw imports (`#[host_fn]`, `//go:wasmimport`). It suggests the closest
    function of the same service, and reports an import declared outside the host's import namespace,
    or (Python) in a module other than the one defining the exports, which extism-py compiles, or
    with a decorator spelt other than `@extism.import_fn(...)`.

    ## Why is this bad?
    Rust and Go do not compile. A Python plugin builds, but Navidrome refuses to load it: the import
    cannot be resolved, because the host only provides the functions of its own namespace and version.
    extism-py detects `@extism.import_fn` stubs only in the file it compiles and only in that
    spelling, and numbers the stubs it detects while the runtime numbers them all: a stub kept in a
    helper module or decorated `@import_fn(...)` is never imported, and stubs after it call the wrong
    host function.

    ## Example
    ```rust
    let libraries = nd_pdk::host::library::get_all()?;
    ```
    ```go
    deleted, err := host.KVStoreDeletePrefix("session:")
    ```
    ```python
    @extism.import_fn("extism:host/user", "kvstore_sett")
    def _kvstore_set(offset: int) -> int: ...
    ```

    ## Use instead
    ```rust
    let libraries = nd_pdk::host::library::get_all_libraries()?;
    ```
    ```go
    deleted, err := host.KVStoreDeleteByPrefix("session:")
    ```
    ```python
    @extism.import_fn("extism:host/user", "kvstore_set")
    def _kvstore_set(offset: int) -> int: ...
    ```
    """

    code = "ND204"
    name = "unknown-host-function"
    severity = Severity.ERROR
    languages = ("rust", "go", "python")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        entry_files = _python_entry_files(ctx)
        for imp in ctx.plugin.host_imports():
            if imp.language == "python" and imp.decorator not in ("", EXTISM_IMPORT_DECORATOR):
                yield self._unrecognised_decorator(ctx, imp)
            yield from self._check_import(ctx, imp)
            if imp.language == "python" and entry_files and imp.span.path not in entry_files:
                yield self._outside_entry_file(imp, entry_files)
        for package in ctx.plugin.imports():
            unknown = _unknown_python_import(ctx, package)
            if unknown is not None:
                yield self._report(ctx, package.span, unknown)
        for call in ctx.plugin.host_calls():
            if call.kind == "raw_import" or resolve_host_call(ctx.spec, call) is not None:
                continue  # a raw call is judged at its import declaration
            unknown = _unknown_call(ctx, call)
            if unknown is not None:
                yield self._report(ctx, call.name_span, unknown)

    def _check_import(self, ctx: RuleContext, imp: HostImport) -> Iterator[Finding]:
        expected = ctx.spec.layout.import_namespace
        functions = ctx.spec.all_host_functions()
        known_name = imp.name in functions or bool(ctx.history.of_item("import", imp.name).versions)
        if expected and imp.namespace and imp.namespace != expected:
            typo = imp.namespace != EXTISM_KERNEL_NAMESPACE and _similar(imp.namespace, expected) >= _NAMESPACE_TYPO
            if known_name or typo:
                yield self._wrong_namespace(ctx, imp, expected)
            return  # another host's import (extism's own kernel functions, say): not Navidrome's business
        if known_name:
            return  # present here, or ND111's (another version has it)
        service_prefix = imp.name.split("_", 1)[0]
        same_service = tuple(n for n in functions if n.split("_", 1)[0] == service_prefix)
        unknown = Unknown(
            shown=imp.name,
            name=imp.name,
            candidates=same_service,
            fallback=tuple(functions),
            consequence=(
                f"Navidrome cannot resolve the import `{expected or imp.namespace}::{imp.name}` "
                "and refuses to load the plugin"
            ),
        )
        fixable = imp.language != "rust" or imp.local_name != imp.name  # a Rust fn name is also its callers' name
        yield self._report(ctx, imp.name_span, unknown, fixable=fixable)

    def _unrecognised_decorator(self, ctx: RuleContext, imp: HostImport) -> Finding:
        """extism-py reads `import_fn` decorators as text and numbers the stubs it recognises; the
        runtime numbers every stub, so one it misses shifts the stubs after it as well."""
        message = (
            f"extism-py finds host imports by reading decorators as written and recognises only "
            f"`@{EXTISM_IMPORT_DECORATOR}(...)`: `{imp.name}` is not imported, and as the runtime numbers "
            f"every stub but the build only the recognised ones, `{imp.local_name}` calls another host "
            "function or none"
        )
        shifted = [
            other.local_name
            for other in ctx.plugin.host_imports()
            if other.span.path == imp.span.path
            and other.span.start > imp.span.start
            and other.decorator == EXTISM_IMPORT_DECORATOR
        ]
        if shifted:
            message += f", and so does `{shifted[0]}` (declared after it)"
        message += f". Write `@{EXTISM_IMPORT_DECORATOR}(...)`"
        end = replace(imp.span.start, column=imp.span.start.column + len(imp.decorator))
        callee = Span(imp.span.path, imp.span.start, end)
        fixes = []
        if _binds_module(ctx, imp.span.path, EXTISM_MODULE) and _text(ctx, callee) == imp.decorator:
            edit = TextEdit(callee, EXTISM_IMPORT_DECORATOR)
            fixes.append(Fix(f"Use `@{EXTISM_IMPORT_DECORATOR}`", (edit,), preferred=True))
        return self.finding(callee, message, fixes=fixes)

    def _outside_entry_file(self, imp: HostImport, entry_files: dict[Path, Span]) -> Finding:
        entry, first_export = next(iter(entry_files.items()))
        message = (
            f"`{imp.name}` is declared in {imp.span.path.name}, but extism-py links only the `import_fn` "
            f"stubs of the file it compiles ({entry.name}, where the exports are): the import is never made "
            f"and calling `{imp.local_name}` fails at run time. Move the stub into {entry.name}"
        )
        related = [Related(first_export, f"an export of {entry.name}")]
        return self.finding(imp.name_span, message, related=related)

    def _wrong_namespace(self, ctx: RuleContext, imp: HostImport, expected: str) -> Finding:
        span = imp.namespace_span or imp.span
        message = (
            f"`{imp.name}` is imported from `{imp.namespace}`, but Navidrome provides its host functions only in "
            f"`{expected}`: the import cannot be resolved and the plugin does not load. Use `{expected}`"
        )
        fixes = []
        if imp.namespace_span is not None and _text(ctx, imp.namespace_span) == imp.namespace:
            fixes.append(Fix(f"Use `{expected}`", (TextEdit(imp.namespace_span, expected),), preferred=True))
        return self.finding(span, message, fixes=fixes)

    def _report(self, ctx: RuleContext, span: Span, unknown: Unknown, *, fixable: bool = True) -> Finding:
        choice = suggest(unknown.name, unknown.candidates) or suggest(unknown.name, unknown.fallback)
        message = f"`{unknown.shown}` is not a host function of Navidrome {ctx.spec.version}: {unknown.consequence}"
        fixes: list[Fix] = []
        if choice:
            message += f". Did you mean `{choice[0]}`?"
            if fixable and _text(ctx, span) == unknown.name:
                fixes.append(Fix(f"Rename to `{choice[0]}`", (TextEdit(span, choice[0]),), preferred=True))
        return self.finding(span, message, fixes=fixes)


def _binds_module(ctx: RuleContext, path: Path, module: str) -> bool:
    """Whether the file imports `module` under its own name (`import extism`)."""
    facts = ctx.plugin.files.get(path)
    return facts is not None and any(i.path == module and i.local_name == module for i in facts.imports)


def _python_entry_files(ctx: RuleContext) -> dict[Path, Span]:
    """The Python files that define the plugin's exports (the file extism-py compiles), each with
    its first export; empty while no file exports anything yet."""
    entries: dict[Path, Span] = {}
    for export in ctx.plugin.exports():
        if export.language == "python":
            entries.setdefault(export.span.path, export.name_span)
    return entries


def _unknown_call(ctx: RuleContext, call: HostCall) -> Unknown | None:
    spec, history = ctx.spec, ctx.history
    if call.kind == "rust_wrapper":
        if history.of_item("rust_host", f"{call.service}::{call.function}").versions:
            return None
        service = next((s for s in spec.host_services if s.rust_module == call.service), None)
        crate = spec.layout.rust_crate
        host = spec.layout.rust_host_module
        shown = "::".join(p for p in (crate, host, call.service, call.function) if p)
        return Unknown(
            shown=shown,
            name=call.function,
            candidates=tuple(f.rust_function for f in service.functions) if service else (),
            fallback=tuple(f.rust_function for s in spec.host_services for f in s.functions if f.rust_function),
            consequence="the plugin does not compile",
        )
    if call.kind == "go_wrapper":
        if history.of_item("go_host", call.function).versions:
            return None
        service = _go_service(spec, call.function)
        return Unknown(
            shown=f"host.{call.function}",
            name=call.function,
            candidates=tuple(f.go_function for f in service.functions) if service else (),
            fallback=tuple(f.go_function for s in spec.host_services for f in s.functions if f.go_function),
            consequence="the plugin does not compile",
        )
    return _unknown_python_wrapper(ctx, call)


def _unknown_python_wrapper(ctx: RuleContext, call: HostCall) -> Unknown | None:
    """Only calls into a module of the generated Python PDK count: other imports are not host calls."""
    return _python_wrapper(ctx, call.service, call.function)


def _unknown_python_import(ctx: RuleContext, imp: PackageImport) -> Unknown | None:
    """`from <generated module> import <name>` where the module has no such wrapper (the span is the name)."""
    if imp.language != "python":
        return None
    module, name = imp.path.rsplit(".", 1)[-1], _text(ctx, imp.span)
    if not name or name == module:
        return None  # `import nd_host_x` itself
    return _python_wrapper(ctx, module, name)


def _python_wrapper(ctx: RuleContext, module: str, function: str) -> Unknown | None:
    service = next((s for s in ctx.spec.host_services if s.python_module and s.python_module == module), None)
    if service is None or ctx.history.of_item("python_host", function).versions:
        return None
    if function[:1].isupper():
        # A class of the module (its error type, a result dataclass): the spec lists only the
        # wrapper functions, which are snake_case, so a CamelCase name is never a wrapper typo.
        return None
    return Unknown(
        shown=f"{module}.{function}",
        name=function,
        candidates=tuple(f.python_function for f in service.functions if f.python_function),
        fallback=(),
        consequence=f"the generated module `{module}` has no such wrapper, so importing it fails with ImportError",
    )


def _go_service(spec: Spec, function: str) -> HostService | None:
    """The service whose Go functions share the longest name prefix with `function` (KVStore...)."""
    lowered = function.lower()
    matching = [s for s in spec.host_services if lowered.startswith(s.name.lower())]
    return max(matching, key=lambda s: len(s.name), default=None)


def _similar(a: str, b: str) -> float:
    import difflib  # for did-you-mean only: a check that suggests nothing need not import it (~1 ms)

    return difflib.SequenceMatcher(None, a, b).ratio()


def _text(ctx: RuleContext, span: Span) -> str:
    lines = ctx.source(span.path).split("\n")
    if span.start.line != span.end.line or span.start.line >= len(lines):
        return ""
    return lines[span.start.line][span.start.column : span.end.column]
