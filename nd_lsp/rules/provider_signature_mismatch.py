"""ND106: a Go method that is (or nearly is) a provider method but does not satisfy the provider interface."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nd_lsp.frontends.facts import ImplBlock, MethodDef, PackageImport, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Related, Rule, Severity, TextEdit
from nd_lsp.rules.plugin_api import capability_for_go_package
from nd_lsp.specs.model import Capability, CapabilityMethod

# How close a method name must be to a provider method to be taken for a misspelt one.
_NAME_SIMILARITY = 0.85
_SHORTEST_PREFIX = 6  # `GetArtistBio` for GetArtistBiography; shorter prefixes are too ambiguous
_GO_ERROR = "error"  # Go's built-in error type: every provider method returns it last


@frozen_dataclass
class _Provided:
    """A type handed to a capability package (by Register or by an interface assertion)."""

    type_name: str
    capability: Capability
    span: Span  # the Register call / the assertion
    by_value: bool = False  # `Register(T{})`: pointer-receiver methods are not in a value's method set
    target_span: Span | None = None
    asserted: bool = False  # named by `var _ pkg.XProvider = (*T)(nil)`: the compiler checks it


@frozen_dataclass
class _Mismatch:
    """Where a method differs from the provider method it looks like, and how."""

    span: Span
    what: str  # what differs, for the message


class ProviderSignatureMismatch(Rule):
    """A method of a registered Go type that looks like a provider method but does not match it.

    ## What it does
    For a type passed to a capability package's `Register` (or asserted to a provider interface with
    `var _ pkg.XProvider = (*T)(nil)`), finds methods whose name is, or nearly is, a method of an
    optional capability (`GetArtistBio`, `getArtistBiography`) and whose name or signature does not
    satisfy the provider interface: a value returned instead of a pointer, the wrong request type, a
    missing `error` result.

    ## Why is this bad?
    `Register` takes `interface{}` and checks each provider interface at run time. A method that does
    not match exactly is simply not found: the plugin compiles, loads, and Navidrome gets "not
    implemented" for that function, without any error.

    ## Example
    ```go
    func init() { metadata.Register(&plugin{}) }

    func (p *plugin) GetArtistBiography(req metadata.ArtistRequest) (metadata.ArtistBiographyResponse, error) {
        return metadata.ArtistBiographyResponse{Biography: "..."}, nil
    }
    ```

    ## Use instead
    ```go
    func init() { metadata.Register(&plugin{}) }

    var _ metadata.ArtistBiographyProvider = (*plugin)(nil) // the compiler now checks the signature

    func (p *plugin) GetArtistBiography(req metadata.ArtistRequest) (*metadata.ArtistBiographyResponse, error) {
        return &metadata.ArtistBiographyResponse{Biography: "..."}, nil
    }
    ```
    """

    code = "ND106"
    name = "provider-signature-mismatch"
    severity = Severity.ERROR
    languages = ("go",)

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        impls = [i for i in ctx.plugin.impls() if i.language == "go"]
        seen: set[tuple[str, str]] = set()
        for provided in _provided_types(ctx):
            key = (provided.type_name, provided.capability.name)
            if key in seen:
                continue
            seen.add(key)
            blocks = [i for i in impls if i.type_name == provided.type_name]
            names = {m.name for block in blocks for m in block.methods}
            for block in blocks:
                for method in block.methods:
                    yield from self._check_method(ctx, provided, block, method, names)
            yield from self._check_receivers(ctx, provided, blocks)

    def _check_receivers(self, ctx: RuleContext, provided: _Provided, blocks: list[ImplBlock]) -> Iterator[Finding]:
        """`Register(T{})` hands over a value: methods declared on *T are not part of it."""
        if not provided.by_value or provided.target_span is None:
            return
        providers = {m.name: m for m in provided.capability.methods if m.go_provider}
        lost = [m for b in blocks for m in b.methods if m.pointer_receiver and m.name in providers]
        if not lost:
            return
        names = ", ".join(m.name for m in lost)
        message = (
            f"{provided.capability.name}.{provided.capability.go_register} is given a {provided.type_name} value, "
            f"but {names} {'is' if len(lost) == 1 else 'are'} declared on *{provided.type_name}: a value's method "
            f"set lacks pointer-receiver methods, so Navidrome gets \"not implemented\" for "
            f"{', '.join(providers[m.name].export for m in lost)}. Pass &{provided.type_name}{{}} instead."
        )
        target = provided.target_span
        insert = Span(target.path, target.start, target.start)
        fix = Fix(f"Pass a pointer: &{provided.type_name}{{}}", (TextEdit(insert, "&"),), preferred=True)
        related = [Related(m.span, f"{m.name} has a pointer receiver") for m in lost]
        yield self.finding(target, message, related=related, fixes=[fix])

    def _check_method(
        self, ctx: RuleContext, provided: _Provided, block: ImplBlock, method: MethodDef, names: set[str]
    ) -> Iterator[Finding]:
        wanted = _intended_method(provided.capability, method.name, names)
        if wanted is None:
            return
        imports = _imports_of(ctx, method.span)
        alias = _local_name(imports, provided.capability.go_package)
        mismatches = _mismatches(method, wanted, provided.capability, alias)
        if not mismatches:
            return
        expected = _expected_signature(ctx, method, wanted, provided.capability, alias)
        provider = wanted.go_provider or provided.capability.go_agent
        if provided.asserted:
            consequence = "the interface assertion does not compile"
        else:
            consequence = (
                f"{provided.capability.go_register} accepts any value and checks providers at run time, so "
                f'this compiles and Navidrome gets "not implemented" for {wanted.export}'
            )
        message = (
            f"{provided.type_name}.{method.name} does not satisfy {provided.capability.name}.{provider}: "
            f"{'; '.join(m.what for m in mismatches)}. In Navidrome {ctx.spec.version} {consequence}. "
            f"Declare it as `{expected}`."
        )
        fix = Fix(
            title=f"Change the signature to {expected}",
            edits=(TextEdit(_signature_span(method), expected),),
            applicability="unsafe",  # the body may need `&` on its return values
            preferred=True,
        )
        related = [Related(provided.span, f"{provided.type_name} is handed to {provided.capability.name} here")]
        yield self.finding(mismatches[0].span, message, related=related, fixes=[fix])


def _provided_types(ctx: RuleContext) -> Iterator[_Provided]:
    """Types given to an optional capability: only those are checked at run time, not by the compiler."""
    for registration in ctx.plugin.registrations():
        capability = capability_for_go_package(ctx.spec, registration.package)
        if registration.language != "go" or capability is None or not registration.target:
            continue
        if registration.name == capability.go_register and _has_providers(capability):
            yield _Provided(
                registration.target,
                capability,
                registration.span,
                registration.by_value,
                registration.target_span,
            )
    for facts in ctx.plugin.files.values():
        for assertion in facts.interface_assertions:
            capability = capability_for_go_package(ctx.spec, assertion.package)
            if capability is not None and _has_providers(capability):
                yield _Provided(assertion.type_name, capability, assertion.span, asserted=True)


def _has_providers(capability: Capability) -> bool:
    return any(m.go_provider for m in capability.methods)


def _intended_method(capability: Capability, name: str, all_names: set[str]) -> CapabilityMethod | None:
    """The provider method `name` is, or is a near miss of (when the type lacks the real one)."""
    methods = [m for m in capability.methods if m.go_provider]
    exact = next((m for m in methods if m.name == name), None)
    if exact is not None:
        return exact
    candidates = [m for m in methods if m.name not in all_names]
    for method in candidates:
        if name.lower() == method.name.lower():
            return method
    prefixed = [m for m in candidates if len(name) >= _SHORTEST_PREFIX and m.name.startswith(name)]
    if len(prefixed) == 1:
        return prefixed[0]
    import difflib  # for did-you-mean only: a check that suggests nothing need not import it (~1 ms)
    scored = sorted(
        ((difflib.SequenceMatcher(None, name.lower(), m.name.lower()).ratio(), m.name, m) for m in candidates),
        key=lambda item: (-item[0], item[1]),
    )
    if scored and scored[0][0] >= _NAME_SIMILARITY:
        return scored[0][2]
    return None


def _bare(type_text: str) -> tuple[bool, str, str]:
    """(pointer, package qualifier, name) of a type as written: `*md.ArtistRequest` -> (True, md, ArtistRequest)."""
    text = type_text.replace(" ", "")
    pointer = text.startswith("*")
    qualifier, _, name = text.lstrip("*").rpartition(".")
    return pointer, qualifier, name


def _same_type(written: str, expected_name: str, expected_pointer: bool, capability: Capability, alias: str) -> bool:
    pointer, qualifier, name = _bare(written)
    if pointer != expected_pointer or name != expected_name:
        return False
    if capability.type_by_name(expected_name) is not None:
        return qualifier == alias
    return qualifier == ""


def _mismatches(method: MethodDef, wanted: CapabilityMethod, capability: Capability, alias: str) -> list[_Mismatch]:
    found: list[_Mismatch] = []
    if method.name != wanted.name:
        found.append(_Mismatch(method.span, f"the provider method is named {wanted.name}, not {method.name}"))
    found.extend(_param_mismatches(method, wanted, capability, alias))
    found.extend(_result_mismatches(method, wanted, capability, alias))
    return found


def _param_mismatches(
    method: MethodDef, wanted: CapabilityMethod, capability: Capability, alias: str
) -> list[_Mismatch]:
    expected = (wanted.input,) if wanted.input else ()
    if len(method.params) == len(expected) and all(
        _same_type(p, e, False, capability, alias) for p, e in zip(method.params, expected, strict=True)
    ):
        return []
    span = _joined(method.param_spans) or method.span
    if not expected:
        return [_Mismatch(span, "it must take no parameters")]
    written = ", ".join(method.params) or "nothing"
    return [_Mismatch(span, f"it must take {_qualified(wanted.input, capability, alias)}, not {written}")]


def _result_mismatches(
    method: MethodDef, wanted: CapabilityMethod, capability: Capability, alias: str
) -> list[_Mismatch]:
    expected = _expected_results(wanted, capability, alias)
    written = tuple(r.replace(" ", "") for r in method.results)
    if written == tuple(e.replace(" ", "") for e in expected):
        return []
    span = _joined(method.result_spans) or method.signature_span or method.span
    if len(written) == len(expected) and wanted.output:
        pointer, _, name = _bare(written[0])
        if name == wanted.output and pointer != wanted.output_pointer:
            what = "a pointer" if wanted.output_pointer else "a value"
            return [_Mismatch(method.result_spans[0], f"it must return {what}: {expected[0]}, not {written[0]}")]
    if expected[-1] not in written:
        return [_Mismatch(span, f"it must return ({', '.join(expected)}); the error result is missing")]
    if len(written) == len(expected):
        # Same arity: point at the first result that differs.
        differing = next(i for i, (w, e) in enumerate(zip(written, expected, strict=True)) if w != e.replace(" ", ""))
        span = method.result_spans[differing]
    return [_Mismatch(span, f"it must return ({', '.join(expected)}), not ({', '.join(written)})")]


def _expected_results(wanted: CapabilityMethod, capability: Capability, alias: str) -> tuple[str, ...]:
    if not wanted.output:
        return (_GO_ERROR,)
    output = _qualified(wanted.output, capability, alias)
    return (f"*{output}" if wanted.output_pointer else output, _GO_ERROR)


def _qualified(type_name: str, capability: Capability, alias: str) -> str:
    if capability.type_by_name(type_name) is not None and alias:
        return f"{alias}.{type_name}"
    return type_name


def _joined(spans: tuple[Span, ...]) -> Span | None:
    if not spans:
        return None
    return Span(spans[0].path, spans[0].start, spans[-1].end)


def _signature_span(method: MethodDef) -> Span:
    return method.signature_span or method.span


def _expected_signature(
    ctx: RuleContext, method: MethodDef, wanted: CapabilityMethod, capability: Capability, alias: str
) -> str:
    results = _expected_results(wanted, capability, alias)
    result_text = results[0] if len(results) == 1 else f"({', '.join(results)})"
    if not wanted.input:
        return f"{wanted.name}() {result_text}"
    parameter = _parameter_name(ctx, method) or "req"
    return f"{wanted.name}({parameter} {_qualified(wanted.input, capability, alias)}) {result_text}"


def _parameter_name(ctx: RuleContext, method: MethodDef) -> str:
    """The name the author gave the request parameter: the word between `(` and its type."""
    if not method.param_spans or method.param_spans[0].start.line != method.span.start.line:
        return ""
    lines = ctx.source(method.span.path).splitlines()
    if method.span.start.line >= len(lines):
        return ""
    line = lines[method.span.start.line]
    before = line[method.span.end.column : method.param_spans[0].start.column].strip().lstrip("(").strip()
    return before if before.isidentifier() else ""


def _imports_of(ctx: RuleContext, span: Span) -> list[PackageImport]:
    facts = ctx.plugin.files.get(span.path)
    return facts.imports if facts is not None else []


def _local_name(imports: list[PackageImport], package: str) -> str:
    found = next((i.local_name for i in imports if i.path == package), "")
    return "" if found in {"_", "."} else found
