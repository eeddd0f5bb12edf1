"""`nd-lsp check --format sarif`: a SARIF 2.1.0 log that GitHub code scanning accepts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from nd_lsp import __version__
from nd_lsp.check.output import Problem, Report, display_path, sorted_findings
from nd_lsp.check.rules_docs import explain_text, rule_url, rules_markdown
from nd_lsp.frontends.facts import Span
from nd_lsp.rules.finding import DOCS_URL, Finding, Rule, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = DOCS_URL.split("/blob/", 1)[0]
SOURCE_ROOT = "%SRCROOT%"
LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}


def render_sarif(report: Report, rules: Sequence[type[Rule]]) -> str:
    findings = sorted_findings(report.findings)
    descriptors, index = _rule_descriptors(rules, findings)
    run = {
        "tool": {
            "driver": {
                "name": "nd-lsp",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": report.cwd.as_uri() + "/"}},
        # Columns count Unicode code points, as the front-ends do (SARIF's default is UTF-16 units).
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(report)],
        "results": [_result(report, f, index[f.code]) for f in findings],
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _rule_descriptors(
    rules: Sequence[type[Rule]], findings: list[Finding]
) -> tuple[list[dict[str, object]], dict[str, int]]:
    descriptors = [_descriptor(rule) for rule in rules]
    index = {rule.code: i for i, rule in enumerate(rules)}
    for finding in findings:  # a finding of a code outside the registry still needs a descriptor
        if finding.code not in index:
            index[finding.code] = len(descriptors)
            descriptors.append(_bare_descriptor(finding))
    return descriptors, index


def _descriptor(rule: type[Rule]) -> dict[str, object]:
    doc = rule.doc()
    short = doc.summary or doc.what_it_does.split("\n\n", 1)[0] or rule.name
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _one_line(short)},
        "fullDescription": {"text": doc.what_it_does or short},
        "help": {"text": explain_text(rule), "markdown": _rule_markdown(rule)},
        "helpUri": rule_url(rule),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["navidrome", *rule.languages]},
    }


def _rule_markdown(rule: type[Rule]) -> str:
    # The docs page's section for this rule, without the page header and index table.
    page = rules_markdown([rule])
    return page[page.index(f"## {rule.code}") :]


def _bare_descriptor(finding: Finding) -> dict[str, object]:
    return {
        "id": finding.code,
        "name": finding.name,
        "shortDescription": {"text": finding.name},
        "helpUri": finding.url,
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
    }


def _result(report: Report, finding: Finding, rule_index: int) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(report, finding.span)}],
    }
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": _physical(report, r.span),
                "message": {"text": r.message},
            }
            for i, r in enumerate(finding.related)
        ]
    return result


def _physical(report: Report, span: Span) -> dict[str, object]:
    start, end = span.start, span.end
    return {
        "artifactLocation": artifact_location(span.path, report.cwd),
        "region": {
            "startLine": start.line + 1,
            "startColumn": start.column + 1,
            "endLine": end.line + 1,
            "endColumn": end.column + 1,
        },
    }


def artifact_location(path: Path, cwd: Path) -> dict[str, str]:
    """A URI relative to the source root when the file is under it (what code scanning needs)."""
    shown = display_path(path, cwd)
    if Path(shown).is_absolute():
        return {"uri": Path(shown).as_uri()}
    return {"uri": quote(shown), "uriBaseId": SOURCE_ROOT}


def _invocation(report: Report) -> dict[str, object]:
    problems = report.all_problems
    invocation: dict[str, object] = {"executionSuccessful": not problems}
    if problems:
        invocation["toolExecutionNotifications"] = [_notification(report, p) for p in problems]
    return invocation


def _notification(report: Report, problem: Problem) -> dict[str, object]:
    return {
        "level": "error",
        "message": {"text": problem.reason},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(problem.path, report.cwd)}}],
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())
