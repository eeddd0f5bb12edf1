"""Findings as LSP diagnostics: ranges in the client's position encoding, fixes carried in `data`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace import PositionCodec

from nd_lsp.check.engine import read_text
from nd_lsp.frontends.facts import Position, Span
from nd_lsp.rules.finding import Finding, Fix, Severity
from nd_lsp.server.documents import uri_of
from nd_lsp.server.lines import LineIndex

SOURCE = "nd-lsp"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}
TAGS = {
    "deprecated": types.DiagnosticTag.Deprecated,
    "unnecessary": types.DiagnosticTag.Unnecessary,
}


class Texts:
    """The text of each file a finding points into: open buffers first, then the disk (read once)."""

    def __init__(self, overlays: Mapping[Path, str]) -> None:
        self._overlays = overlays
        self._texts: dict[Path, str | None] = {}

    def text(self, path: Path) -> str | None:
        """None for a file that cannot be read (its positions are passed on unconverted)."""
        if path not in self._texts:
            if path in self._overlays:
                self._texts[path] = self._overlays[path]
            else:
                try:
                    self._texts[path] = read_text(path, {})
                except (OSError, UnicodeDecodeError, ValueError):
                    self._texts[path] = None
        return self._texts[path]


class RangeConverter:
    """Front-end spans (\\n-counted lines, code-point columns) to LSP ranges: lines ended by \\r\\n, \\r or
    \\n, characters in the negotiated encoding (UTF-16 by default).

    A lone \\r is a line end for the client but not for the front-ends; converting through code-point
    offsets puts every range below one where the client sees it.
    """

    def __init__(self, codec: PositionCodec, texts: Texts) -> None:
        self._codec = codec
        self._texts = texts
        self._indexes: dict[Path, LineIndex | None] = {}

    def _index(self, path: Path) -> LineIndex | None:
        if path not in self._indexes:
            text = self._texts.text(path)
            self._indexes[path] = LineIndex(text, self._codec) if text is not None else None
        return self._indexes[path]

    def position(self, path: Path, pos: Position) -> types.Position:
        index = self._index(path)
        if index is None:
            return types.Position(line=pos.line, character=pos.column)
        return index.from_facts(pos.line, pos.column)

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.path, span.start), end=self.position(span.path, span.end))


def read_problem_diagnostic(reason: str) -> types.Diagnostic:
    """A file the engine did not analyse (too large, not UTF-8, ...): one Information at its start."""
    start = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=start, end=start),
        message=reason,
        severity=types.DiagnosticSeverity.Information,
        source=SOURCE,
    )


def to_diagnostic(finding: Finding, convert: RangeConverter, version: int | None) -> types.Diagnostic:
    return types.Diagnostic(
        range=convert.range(finding.span),
        message=finding.message,
        severity=SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=finding.url),
        source=SOURCE,
        tags=[TAGS[tag] for tag in sorted(finding.tags)] or None,
        related_information=[
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri_of(rel.span.path), range=convert.range(rel.span)),
                message=rel.message,
            )
            for rel in finding.related
        ]
        or None,
        data=diagnostic_data(finding.fixes, convert, version),
    )


def diagnostic_data(fixes: Iterable[Fix], convert: RangeConverter, version: int | None) -> dict[str, Any]:
    """The fixes as ready-made workspace edits, so a code action never recomputes anything.

    `version` is the document version the edits were computed for; an edit is never offered for
    another version, because its ranges would point at the wrong text.
    """
    return {"version": version, "fixes": [_fix_data(fix, convert) for fix in fixes]}


def _fix_data(fix: Fix, convert: RangeConverter) -> dict[str, Any]:
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        rng = convert.range(edit.span)
        changes.setdefault(uri_of(edit.span.path), []).append(
            {
                "range": {
                    "start": {"line": rng.start.line, "character": rng.start.character},
                    "end": {"line": rng.end.line, "character": rng.end.character},
                },
                "newText": edit.new_text,
            }
        )
    return {
        "title": fix.title,
        "preferred": fix.preferred,
        "applicability": fix.applicability,
        "changes": changes,
    }


def diagnostics_by_path(
    findings: Iterable[Finding],
    convert: RangeConverter,
    version_of: Callable[[Path], int | None],
) -> dict[Path, list[types.Diagnostic]]:
    result: dict[Path, list[types.Diagnostic]] = {}
    for finding in findings:
        result.setdefault(finding.path, []).append(to_diagnostic(finding, convert, version_of(finding.path)))
    return result
