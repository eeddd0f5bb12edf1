"""Apply text edits (0-based line / code-point column spans) to a document's text."""

from __future__ import annotations

from collections.abc import Iterable

from nd_lsp.frontends.facts import Position
from nd_lsp.rules.finding import TextEdit


def offset_of(text: str, position: Position) -> int:
    """The string index of a position; past the end of a line clamps to the line's end."""
    line_start = 0
    for _ in range(position.line):
        newline = text.find("\n", line_start)
        if newline < 0:
            return len(text)
        line_start = newline + 1
    line_end = text.find("\n", line_start)
    if line_end < 0:
        line_end = len(text)
    return min(line_start + position.column, line_end)


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits to one text; the last edit in the text is applied first."""
    ordered = sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True)
    for edit in ordered:
        start, end = offset_of(text, edit.span.start), offset_of(text, edit.span.end)
        text = text[:start] + edit.new_text + text[end:]
    return text
