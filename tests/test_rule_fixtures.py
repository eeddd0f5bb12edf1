"""Every rule fixture under tests/fixtures/rules gets exactly the findings drawn into it, and each
finding's fix applies cleanly: the finding disappears and the file still parses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_expectations import Expected, fixture_expectations, fixture_folders

from nd_lsp.check.discovery import language_of
from nd_lsp.check.edits import apply_edits
from nd_lsp.check.engine import Analyzer
from nd_lsp.config import load_settings
from nd_lsp.frontends.manifest import read_manifest
from nd_lsp.rules.finding import Finding
from nd_lsp.specs.loader import load_spec

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
FOLDERS = fixture_folders(FIXTURES)


def _ids(folder: Path) -> str:
    return folder.relative_to(FIXTURES).as_posix()


def _as_expected(folder: Path, finding: Finding) -> Expected:
    span = finding.span
    return Expected(
        finding.path.relative_to(folder).as_posix(),
        span.start.line,
        span.start.column,
        span.end.line,
        span.end.column,
        finding.code,
    )


def _check(folder: Path, overlays: dict[Path, str] | None = None) -> list[Finding]:
    result = Analyzer().check(folder, load_settings(folder), overlays or {})
    return result.findings


@pytest.mark.parametrize("folder", FOLDERS, ids=_ids)
def test_fixture_gets_exactly_the_findings_drawn_in_it(folder: Path) -> None:
    expected = fixture_expectations(folder)
    actual = sorted(_as_expected(folder, f) for f in _check(folder))
    assert [a.describe() for a in actual] == [e.describe() for e in expected]


def _parses(path: Path, text: str) -> bool:
    language = language_of(path)
    if language == "manifest":
        return not read_manifest(path, text).syntax_error
    if language is None:
        return True
    return not Analyzer().read_source(path, language, text, load_spec("master").layout).has_syntax_errors


@pytest.mark.parametrize("folder", FOLDERS, ids=_ids)
def test_each_fix_removes_its_finding_and_nothing_else_appears(folder: Path) -> None:
    findings = _check(folder)
    for finding in findings:
        for fix in finding.fixes:
            overlays: dict[Path, str] = {}
            for edit in fix.edits:
                path = edit.span.path
                base = overlays.get(path) or (path.read_text(encoding="utf-8") if path.exists() else "")
                overlays[path] = apply_edits(base, [edit])
            after = _check(folder, overlays)
            same_code_before = sum(1 for f in findings if f.code == finding.code)
            same_code_after = sum(1 for f in after if f.code == finding.code)
            assert same_code_after < same_code_before, f"{fix.title!r} did not remove {finding.code}"
            new_codes = {f.code for f in after} - {f.code for f in findings}
            assert not new_codes, f"{fix.title!r} introduced {sorted(new_codes)}"
            for path, text in overlays.items():
                before = path.read_text(encoding="utf-8") if path.exists() else ""
                if _parses(path, before):
                    assert _parses(path, text), f"{fix.title!r} left {path.name} unparseable"


@pytest.mark.parametrize(
    "folder", [f for f in FOLDERS if (f / ".fixed").is_dir()], ids=_ids
)
def test_preferred_fixes_give_the_fixed_files(folder: Path) -> None:
    edits = [fix.edits for f in _check(folder) for fix in f.fixes[:1]]
    by_path: dict[Path, list] = {}
    for group in edits:
        for edit in group:
            by_path.setdefault(edit.span.path, []).append(edit)
    for fixed in sorted((folder / ".fixed").rglob("*")):
        if fixed.is_file():
            original = folder / fixed.relative_to(folder / ".fixed")
            result = apply_edits(original.read_text(encoding="utf-8"), by_path.get(original, []))
            assert result == fixed.read_text(encoding="utf-8"), f"fixed {original.name} differs"
