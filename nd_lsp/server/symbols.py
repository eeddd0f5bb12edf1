"""Document symbols: the plugin's capabilities (impls, registered types) and exports in one file."""

from __future__ import annotations

from lsprotocol import types

from nd_lsp.check.discovery import plugin_root_for
from nd_lsp.check.engine import Analyzer
from nd_lsp.frontends.facts import FileFacts, ImplBlock, PluginFacts, Registration, Span
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.plugin_api import PluginExport, plugin_exports
from nd_lsp.server.cursor import RequestContext

Kind = types.SymbolKind
MAX_SYMBOLS = 1000


def document_symbols(ctx: RequestContext, analyzer: Analyzer) -> list[types.DocumentSymbol]:
    language = ctx.language
    if language is None or language == "manifest":
        return []
    facts = analyzer.read_source(ctx.path, language, ctx.text, ctx.spec.layout)
    symbols = [_impl_symbol(ctx, impl) for impl in facts.impls if _is_capability_impl(ctx, impl)]
    symbols += [_registration_symbol(ctx, reg) for reg in facts.registrations if reg.language == "go"]
    symbols += _export_symbols(ctx, [e for e in _exports(ctx, facts) if e.span.path == ctx.path])
    symbols.sort(key=lambda symbol: (symbol.range.start.line, symbol.range.start.character))
    return _capped(symbols, MAX_SYMBOLS)


def _capped(symbols: list[types.DocumentSymbol], limit: int) -> list[types.DocumentSymbol]:
    """The first `limit` symbols (children included) in source order: a generated file with thousands of
    exports must not become a reply of megabytes; a real plugin has a few dozen."""
    kept: list[types.DocumentSymbol] = []
    left = limit
    for symbol in symbols:
        if left <= 0:
            break
        left -= 1
        if symbol.children and len(symbol.children) > left:
            symbol.children = symbol.children[:left]
        left -= len(symbol.children or [])
        kept.append(symbol)
    return kept


def _is_capability_impl(ctx: RequestContext, impl: ImplBlock) -> bool:
    traits = {t.name for c in ctx.spec.capabilities for t in c.rust_traits}
    return impl.language == "rust" and impl.trait in traits


def _exports(ctx: RequestContext, facts: FileFacts) -> list[PluginExport]:
    plugin = PluginFacts(root=plugin_root_for(ctx.path), files={ctx.path: facts})
    exports = plugin_exports(RuleContext(plugin=plugin, spec=ctx.spec))
    seen: set[str] = set()
    unique = []
    for export in exports:
        if export.name not in seen:
            seen.add(export.name)
            unique.append(export)
    return unique


def _range(ctx: RequestContext, span: Span) -> types.Range:
    index = ctx.line_index
    return types.Range(
        start=index.from_facts(span.start.line, span.start.column),
        end=index.from_facts(span.end.line, span.end.column),
    )


def _covering(ctx: RequestContext, spans: list[Span]) -> types.Range:
    first = min(spans, key=lambda s: (s.start.line, s.start.column))
    last = max(spans, key=lambda s: (s.end.line, s.end.column))
    return types.Range(start=_range(ctx, first).start, end=_range(ctx, last).end)


def _impl_symbol(ctx: RequestContext, impl: ImplBlock) -> types.DocumentSymbol:
    children = [
        types.DocumentSymbol(
            name=m.name, kind=Kind.Method, range=_range(ctx, m.span), selection_range=_range(ctx, m.span)
        )
        for m in impl.methods
    ]
    selection = _range(ctx, impl.trait_span or impl.span)
    return types.DocumentSymbol(
        name=f"impl {impl.trait} for {impl.type_name}",
        kind=Kind.Class,
        detail="capability",
        range=_covering(ctx, [impl.span, *(m.span for m in impl.methods)]),
        selection_range=selection,
        children=children or None,
    )


def _registration_symbol(ctx: RequestContext, reg: Registration) -> types.DocumentSymbol:
    package = reg.package.rstrip("/").rsplit("/", 1)[-1]
    return types.DocumentSymbol(
        name=f"{package}.{reg.name}({reg.target})" if reg.target else f"{package}.{reg.name}",
        kind=Kind.Class,
        detail="capability registration",
        range=_range(ctx, reg.span),
        selection_range=_range(ctx, reg.name_span),
    )


def _export_symbols(ctx: RequestContext, exports: list[PluginExport]) -> list[types.DocumentSymbol]:
    """Exports a macro or a Go package import generates are grouped under it; defined ones stand alone."""
    groups: dict[Span, list[PluginExport]] = {}
    for export in exports:
        groups.setdefault(export.span, []).append(export)
    symbols = []
    for span, group in groups.items():
        children = [_export_symbol(ctx, export) for export in group]
        origin = group[0]
        if origin.origin not in ("macro", "go_package"):
            symbols.extend(children)
            continue
        symbols.append(
            types.DocumentSymbol(
                name=_origin_name(origin),
                kind=Kind.Module if origin.origin == "go_package" else Kind.Class,
                detail=f"{len(group)} export{'s' if len(group) > 1 else ''}",
                range=_range(ctx, span),
                selection_range=_range(ctx, span),
                children=children,
            )
        )
    return symbols


def _origin_name(export: PluginExport) -> str:
    registration = export.registration
    if registration is not None:
        target = f"({registration.target})" if registration.target else ""
        return f"{registration.name}!{target}"
    capability = export.capability
    return f"import {capability.go_package.rsplit('/', 1)[-1]}" if capability else export.name


def _export_symbol(ctx: RequestContext, export: PluginExport) -> types.DocumentSymbol:
    detail = f"{export.capability.name} export" if export.capability else "export (no capability)"
    return types.DocumentSymbol(
        name=export.name,
        kind=Kind.Function,
        detail=detail,
        range=_range(ctx, export.span),
        selection_range=_range(ctx, export.span),
    )
