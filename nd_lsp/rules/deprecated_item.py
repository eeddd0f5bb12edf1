"""ND112: use of a deprecated PDK alias, with its replacement."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nd_lsp.frontends.facts import PdkItemUse, Position, Span
from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.context import RuleContext
from nd_lsp.rules.finding import Finding, Fix, Rule, Severity, TextEdit
from nd_lsp.specs.model import Capability, Spec, TypeDef

# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_PATH_BEFORE = r"[\w:]*$"


@frozen_dataclass
class _Replacement:
    """Where a deprecated alias points: `types.ArtistRef` -> module "types", item "ArtistRef"."""

    module: str
    item: str


class DeprecatedItem(Rule):
    """A deprecated PDK alias, such as a capability's own `ArtistRef` after the shared `types` module
    took it over.

    ## What it does
    Finds uses of PDK type aliases the target version marks deprecated and offers the replacement.

    ## Why is this bad?
    A deprecated alias still builds, but it will be removed from a later PDK; the shared type is what
    every capability uses, so code written against it works across capabilities.

    ## Example
    ```rust
    use nd_pdk::scrobbler::ArtistRef;
    ```
    ```go
    artists := []metadata.ArtistRef{}
    ```

    ## Use instead
    ```rust
    use nd_pdk::types::ArtistRef;
    ```
    ```go
    artists := []types.ArtistRef{}
    ```
    """

    code = "ND112"
    name = "deprecated-item"
    severity = Severity.WARNING
    languages = ("rust", "go")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for use in ctx.plugin.pdk_uses():
            found = _deprecated(ctx.spec, use)
            if found is None:
                continue
            _, alias = found
            replacement = _replacement(alias)
            sep = "::" if use.language == "rust" else "."
            target = f"{replacement.module}{sep}{replacement.item}" if replacement else alias.alias_of
            message = (
                f"{use.path[0]}{sep}{alias.name} is a deprecated alias of {target}: it still builds but may "
                f"disappear from a later PDK. Use {target}"
            )
            fixes = _fixes(ctx, use, replacement) if replacement else []
            yield self.finding(use.span, message, fixes=fixes, tags=["deprecated"])


def _deprecated(spec: Spec, use: PdkItemUse) -> tuple[Capability, TypeDef] | None:
    if len(use.path) != 2 or use.role == "macro":
        return None
    module, item = use.path
    for capability in spec.capabilities:
        if module not in {capability.rust_module if use.language == "rust" else _go_name(capability)}:
            continue
        typedef = capability.type_by_name(item)
        if typedef is not None and typedef.deprecated:
            return capability, typedef
    return None


def _go_name(capability: Capability) -> str:
    return capability.go_package.rsplit("/", 1)[-1] if capability.go_package else ""


def _replacement(alias: TypeDef) -> _Replacement | None:
    module, dot, item = alias.alias_of.rpartition(".")
    return _Replacement(module, item) if dot and module and item.isidentifier() else None


def _fixes(ctx: RuleContext, use: PdkItemUse, replacement: _Replacement) -> list[Fix]:
    lines = ctx.source(use.span.path).splitlines()
    if use.span.start.line >= len(lines) or use.span.start.line != use.span.end.line:
        return []
    if use.language == "rust":
        edits = _rust_edits(ctx, use, replacement, lines)
    else:
        edits = _go_edits(ctx, use, replacement, lines)
    if not edits:
        return []
    replaced = edits[0].new_text
    return [Fix(f"Use {replaced}", tuple(edits), preferred=True)]


def _rust_edits(ctx: RuleContext, use: PdkItemUse, replacement: _Replacement, lines: list[str]) -> list[TextEdit]:
    line = lines[use.span.start.line]
    written = re.search(_PATH_BEFORE, line[: use.span.start.column])
    path = (
        f"{ctx.spec.layout.rust_crate}::{ctx.spec.layout.rust_types_module or replacement.module}::{replacement.item}"
    )
    if written is not None and written.group(0).endswith("::"):
        start = Position(use.span.start.line, written.start())
        return [TextEdit(Span(use.span.path, start, use.span.end), path)]
    removal = _list_item_removal(use, line)
    if removal is None or use.role != "use":
        return []
    declaration = next(
        (n for n in range(use.span.start.line, -1, -1) if lines[n].lstrip().startswith(("use ", "pub use "))), None
    )
    if declaration is None:
        return []
    at = Position(declaration, 0)
    return [removal, TextEdit(Span(use.span.path, at, at), f"use {path};\n")]


def _list_item_removal(use: PdkItemUse, line: str) -> TextEdit | None:
    """Delete `Item, ` or `, Item` from a `use a::{...}` list written on one line."""
    start, end = use.span.start.column, use.span.end.column
    after = re.match(r"\s*,\s*", line[end:])
    if after is not None:
        return TextEdit(Span(use.span.path, use.span.start, Position(use.span.end.line, end + after.end())), "")
    before = re.search(r",\s*$", line[:start])
    if before is not None:
        return TextEdit(Span(use.span.path, Position(use.span.start.line, before.start()), use.span.end), "")
    return None


def _go_edits(ctx: RuleContext, use: PdkItemUse, replacement: _Replacement, lines: list[str]) -> list[TextEdit]:
    line = lines[use.span.start.line]
    qualifier = re.search(r"(\w+)\.$", line[: use.span.start.column])
    if qualifier is None:
        return []
    types_package = ctx.spec.layout.go_types_package
    facts = ctx.plugin.files.get(use.span.path)
    imports = facts.imports if facts is not None else []
    imported = next((i for i in imports if i.path == types_package), None)
    local = imported.local_name if imported is not None else replacement.module
    start = Position(use.span.start.line, qualifier.start())
    edits = [TextEdit(Span(use.span.path, start, use.span.end), f"{local}.{replacement.item}")]
    if imported is None and imports and types_package:
        anchor = imports[-1].span.start.line
        single = lines[anchor].lstrip().startswith("import")
        text = f'import "{types_package}"\n' if single else f'\t"{types_package}"\n'
        at = Position(anchor + 1, 0)
        edits.append(TextEdit(Span(use.span.path, at, at), text))
    return edits
