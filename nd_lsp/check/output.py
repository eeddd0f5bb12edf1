"""What `nd-lsp check` prints: the report model and the text, json and github formats (sarif.py: SARIF)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from nd_lsp.frozen_dataclass import frozen_dataclass
from nd_lsp.rules.finding import Finding, Severity

FORMATS = ("text", "json", "github", "sarif")


@frozen_dataclass
class Problem:
    """Something nd-lsp could not read or use (a file, a config, a path), with the reason."""

    path: Path
    reason: str


@frozen_dataclass
class PluginReport:
    """The outcome of checking one plugin: its target version, findings and problems."""

    root: Path
    version: str  # "" when the plugin could not be checked
    version_source: str
    findings: tuple[Finding, ...] = ()
    problems: tuple[Problem, ...] = ()
    fail_on: Severity = Severity.ERROR

    @property
    def failing(self) -> int:
        """Findings at or above this plugin's failure level."""
        return sum(1 for f in self.findings if f.severity.rank >= self.fail_on.rank)


@frozen_dataclass
class Report:
    """Everything `nd-lsp check` found, for the output formats to print."""

    plugins: tuple[PluginReport, ...]
    cwd: Path
    problems: tuple[Problem, ...] = ()  # not tied to a plugin: a path that does not exist
    color: bool = False

    @property
    def findings(self) -> list[Finding]:
        return [f for p in self.plugins for f in p.findings]

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(q for p in self.plugins for q in p.problems)]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings at or above the failure level, 2 unreadable input (wins over 1)."""
        if self.all_problems:
            return 2
        return 1 if any(p.failing for p in self.plugins) else 0

    def display_path(self, path: Path) -> str:
        """Relative to the working folder when the file is under it, else absolute."""
        return display_path(path, self.cwd)


def display_path(path: Path, cwd: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return str(absolute)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (str(f.path), f.span.start, f.code))


# ---------------------------------------------------------------------------------------------- text


SEVERITY_COLORS = {
    Severity.ERROR: "31",  # red
    Severity.WARNING: "33",  # yellow
    Severity.INFORMATION: "34",  # blue
    Severity.HINT: "36",  # cyan
}


@frozen_dataclass
class Palette:
    """ANSI styles, or none at all when the output is not a colour terminal."""

    enabled: bool

    def paint(self, text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.enabled else text

    def severity(self, text: str, severity: Severity) -> str:
        return self.paint(text, "1;" + SEVERITY_COLORS[severity])


def render_text(report: Report) -> str:
    palette = Palette(report.color)
    lines: list[str] = []
    findings = sorted_findings(report.findings)
    for _, group in groupby(findings, key=lambda f: f.path):
        if lines:
            lines.append("")  # a blank line between files
        for finding in group:
            lines.append(_text_line(report, finding, palette))
    if lines:
        lines.append("")
    lines.append(palette.paint(summary_line(report), "1"))
    return "\n".join(lines) + "\n"


def _text_line(report: Report, finding: Finding, palette: Palette) -> str:
    start = finding.span.start
    where = palette.paint(f"{report.display_path(finding.path)}:{start.line + 1}:{start.column + 1}:", "1")
    fixable = " [fix available]" if finding.fixes else ""
    return f"{where} {palette.severity(finding.code, finding.severity)} {finding.message}{fixable}"


def problem_line(report: Report, problem: Problem) -> str:
    return f"{report.display_path(problem.path)}: {problem.reason}"


def summary_line(report: Report) -> str:
    """ "3 findings (2 errors, 1 warning) in 2 plugins, checked against Navidrome 0.63.2"."""
    findings = report.findings
    plugins = _count(len(report.plugins), "plugin", "plugins")
    head = (
        f"{_count(len(findings), 'finding', 'findings')} ({_severity_counts(findings)})"
        if findings
        else ("No findings")
    )
    text = f"{head} in {plugins}"
    checked = [p for p in report.plugins if p.version]
    if checked:
        text += f", checked against Navidrome {_versions_text(checked)}"
    problems = report.all_problems
    if problems:
        text += f"; {_count(len(problems), 'problem', 'problems')} reported on stderr"
    return text


def _severity_counts(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    words = {
        Severity.ERROR: ("error", "errors"),
        Severity.WARNING: ("warning", "warnings"),
        Severity.INFORMATION: ("information", "information"),
        Severity.HINT: ("hint", "hints"),
    }
    ordered = sorted(counts, key=lambda s: -s.rank)
    return ", ".join(_count(counts[s], *words[s]) for s in ordered)


def _versions_text(plugins: list[PluginReport]) -> str:
    versions = sorted({p.version for p in plugins})
    if len(versions) == 1:
        sources = {p.version_source for p in plugins}
        return versions[0] + (f" ({sources.pop()})" if len(sources) == 1 else "")
    return ", ".join(versions[:-1]) + " and " + versions[-1]


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


# ---------------------------------------------------------------------------------------------- json


def render_json(report: Report) -> str:
    return json.dumps([finding_json(report, f) for f in sorted_findings(report.findings)], indent=2) + "\n"


def finding_json(report: Report, finding: Finding) -> dict[str, object]:
    span = finding.span
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": report.display_path(finding.path),
        "line": span.start.line + 1,
        "column": span.start.column + 1,
        "end_line": span.end.line + 1,
        "end_column": span.end.column + 1,
        "url": finding.url,
        "fix": bool(finding.fixes),
    }


# -------------------------------------------------------------------------------------------- github

GITHUB_COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
    Severity.HINT: "notice",
}


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per finding and per problem."""
    lines = [_github_finding(report, f) for f in sorted_findings(report.findings)]
    for problem in report.all_problems:
        where = escape_property(report.display_path(problem.path))
        lines.append(f"::error file={where}::{escape_data(problem.reason)}")
    return "".join(line + "\n" for line in lines)


def _github_finding(report: Report, finding: Finding) -> str:
    span = finding.span
    properties = {
        "file": report.display_path(finding.path),
        "line": span.start.line + 1,
        "col": span.start.column + 1,
        "endLine": span.end.line + 1,
        "endColumn": span.end.column + 1,
        "title": finding.code,
    }
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{GITHUB_COMMANDS[finding.severity]} {joined}::{escape_data(finding.message)}"


def escape_data(text: str) -> str:
    """The message part of a workflow command (GitHub's escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command (GitHub's escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
