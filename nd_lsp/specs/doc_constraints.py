"""Argument limits stated in host-function doc comments ("must not be empty", "max 256 bytes")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nd_lsp.specs.model import Constraint, Param

# One sentence or parameter line at a time; the phrases are the ones Navidrome's docs use.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:must not|cannot|can't) be empty\b", re.IGNORECASE), "non_empty"),
    (re.compile(r"\bmust be (?:> ?0|greater than 0|positive)\b", re.IGNORECASE), "positive"),
    (re.compile(r"\bmax(?:imum)?(?: of)? (\d+) bytes\b", re.IGNORECASE), "max_bytes"),
)
_PARAM_LINE = re.compile(r"^\s*-\s+([A-Za-z_][\w.]*):\s*(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z_]\w*")


def _limits(text: str) -> Iterable[tuple[str, str]]:
    for pattern, kind in _PHRASES:
        match = pattern.search(text)
        if match is not None:
            yield kind, (match.group(1) if match.groups() else "")


def _sentences(lines: Sequence[str]) -> Iterable[str]:
    paragraph = " ".join(line.strip() for line in lines)
    return (s for s in _SENTENCE_END.split(paragraph) if s)


def _split_doc(doc: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(parameter lines as (name, text), prose lines) of one doc comment."""
    params: list[tuple[str, str]] = []
    prose: list[str] = []
    for line in doc.splitlines():
        match = _PARAM_LINE.match(line)
        if match is not None:
            params.append((match.group(1), match.group(2).strip()))
        else:
            prose.append(line)
    return params, prose


def _param_named(word: str, params: Sequence[Param]) -> Param | None:
    return next((p for p in params if word in (p.name, p.json)), None)


def constraints_from_doc(doc: str, params: Sequence[Param], source: str) -> tuple[Constraint, ...]:
    """Limits found in `- name: ...` parameter lines and in sentences that name a parameter."""
    found: dict[tuple[str, str, str], Constraint] = {}

    def add(param: Param, kind: str, value: str, text: str) -> None:
        key = (param.name, kind, value)
        found.setdefault(key, Constraint(param.name, kind, value, text=text, source=source))

    param_lines, prose = _split_doc(doc)
    for name, text in param_lines:
        param = _param_named(name, params)
        if param is not None:
            for kind, value in _limits(text):
                add(param, kind, value, f"{name}: {text}")
    for sentence in _sentences(prose):
        limits = list(_limits(sentence))
        named = [p for w in _WORD.findall(sentence) if (p := _param_named(w, params)) is not None]
        if limits and named:
            for kind, value in limits:
                add(named[0], kind, value, sentence)
    return tuple(found.values())
