"""Find `nd-lsp: ignore[ND201]` / `nd-lsp: ignore` suppression comments in any language."""

from __future__ import annotations

import re

from nd_lsp.frontends.facts import Language, Suppression

_COMMENT_MARKERS: dict[Language, tuple[str, ...]] = {
    "rust": ("//", "/*"),
    "go": ("//", "/*"),
    "python": ("#",),
    "manifest": (),
}
# Compiled on first use (re caches it): most plugins have no directive, and `nd-lsp check` should not pay
# for compiling it.
_DIRECTIVE = r"nd-lsp:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?"


def find_suppressions(text: str, language: Language) -> list[Suppression]:
    """Suppressions by 0-based line. A directive counts only after a comment marker on its line."""
    markers = _COMMENT_MARKERS[language]
    found: list[Suppression] = []
    if "nd-lsp" not in text:
        return found
    for number, line in enumerate(text.splitlines()):
        if "nd-lsp" not in line:
            continue
        starts = [line.find(m) for m in markers if m in line]
        if not starts:
            continue
        match = re.compile(_DIRECTIVE).search(line, min(starts))
        if match is None:
            continue
        codes = match.group(1)
        parsed = frozenset(c.strip().upper() for c in codes.split(",") if c.strip()) if codes else None
        found.append(Suppression(line=number, codes=parsed))
    return found


def is_suppressed(suppressions: list[Suppression], line: int, code: str) -> bool:
    """A finding on `line` is silenced by a directive on that line or on the line above."""
    return any(
        s.line in (line, line - 1) and (s.codes is None or code in s.codes) for s in suppressions
    )
