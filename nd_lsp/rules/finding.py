"""Findings, fixes and the rule base class: what rules yield and what the faces print or publish."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from nd_lsp.frontends.facts import Language, Span
from nd_lsp.frozen_dataclass import frozen_dataclass

if TYPE_CHECKING:
    from nd_lsp.rules.context import RuleContext

DOCS_URL = "https://github.com/nd-lsp/nd-lsp/blob/main/docs/rules.md"


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "information": 1, "hint": 0}[self.value]


@frozen_dataclass
class TextEdit:
    """Replace `span` (which may be empty: an insertion) with `new_text`."""

    span: Span
    new_text: str


@frozen_dataclass
class Fix:
    """A quick fix: the edits, how safe they are to apply, and whether the editor may prefer it."""

    title: str
    edits: tuple[TextEdit, ...]
    applicability: Literal["safe", "unsafe", "display"] = "safe"
    preferred: bool = False


@frozen_dataclass
class Related:
    """Another place a finding points to, with what it is."""

    span: Span
    message: str


@frozen_dataclass
class Finding:
    """One problem a rule found: where, how severe, the message, and the fixes."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()
    tags: frozenset[Literal["deprecated", "unnecessary"]] = frozenset()

    @property
    def path(self) -> Path:
        return self.span.path

    @property
    def url(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}-{self.name}"


@frozen_dataclass
class RuleDoc:
    """The sections of a rule's docstring: *What it does*, *Why is this bad?*, *Example*, *Use instead*."""

    summary: str
    what_it_does: str
    why_bad: str
    example: str
    use_instead: str


class Rule:
    """A rule reads facts and the target spec and yields findings.

    Subclasses set `code`, `name`, `severity`, `languages`, and write their docstring in fixed
    sections (`## What it does`, `## Why is this bad?`, `## Example`, `## Use instead`): `nd-lsp explain`
    and docs/rules.md are generated from it. Subclasses are registered by being defined in a module of
    `nd_lsp.rules` (see registry.py).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    languages: ClassVar[tuple[Language, ...]]

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(
        self,
        span: Span,
        message: str,
        *,
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        fixes: Iterable[Fix] = (),
        tags: Iterable[Literal["deprecated", "unnecessary"]] = (),
    ) -> Finding:
        return Finding(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            span=span,
            related=tuple(related),
            fixes=tuple(fixes),
            tags=frozenset(tags),
        )

    @classmethod
    def doc(cls) -> RuleDoc:
        text = inspect.cleandoc(cls.__doc__ or "")
        sections = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
        summary = text.split("\n## ", 1)[0].strip()
        return RuleDoc(
            summary=summary,
            what_it_does=sections.get("What it does", "").strip(),
            why_bad=sections.get("Why is this bad?", "").strip(),
            example=sections.get("Example", "").strip(),
            use_instead=sections.get("Use instead", "").strip(),
        )
