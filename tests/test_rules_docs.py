"""docs/rules.md, `nd-lsp rules` and `nd-lsp explain` come from the rules' docstrings and stay in step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nd_lsp.check.rules_docs import anchor, missing_sections, rules_markdown
from nd_lsp.frontends.facts import Span
from nd_lsp.rules.registry import all_rules
from nd_lsp.specs.loader import load_spec, newest_release
from nd_lsp.specs.model import Spec

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
RULES = all_rules()


def nd_lsp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nd_lsp", *args], capture_output=True, text=True, timeout=60)


def github_slug(heading: str) -> str:
    """How GitHub turns a Markdown heading into its anchor."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_docs_rules_md_is_up_to_date() -> None:
    assert DOCS.is_file(), "run `nd-lsp docs`"
    assert DOCS.read_text(encoding="utf-8") == rules_markdown(RULES), "docs/rules.md is stale: run `nd-lsp docs`"


def test_nd_lsp_docs_check_agrees_that_the_docs_are_current() -> None:
    assert nd_lsp("docs", "--check").returncode == 0


def test_nd_lsp_docs_writes_the_file_it_is_given(tmp_path: Path) -> None:
    target = tmp_path / "out" / "rules.md"
    result = nd_lsp("docs", "--output", str(target))
    assert result.returncode == 0
    assert target.read_text(encoding="utf-8") == rules_markdown(RULES)
    target.write_text("stale\n")
    assert nd_lsp("docs", "--output", str(target), "--check").returncode == 1


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_documents_what_why_example_and_use_instead(rule: type) -> None:
    assert missing_sections(rule) == []
    assert "```" in rule.doc().example, "the Example section needs a fenced code block"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_finding_url_points_at_a_heading_of_the_docs(rule: type) -> None:
    finding = rule().finding(Span.at(Path("x.rs"), 0, 0, 0, 1), "message")
    fragment = finding.url.split("#", 1)[1]
    headings = [line[3:] for line in rules_markdown(RULES).splitlines() if line.startswith("## ")]
    assert fragment == anchor(rule)
    assert fragment in {github_slug(h) for h in headings}


def test_rule_codes_and_names_are_unique_and_well_formed() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)
    for rule in RULES:
        assert re.fullmatch(r"ND\d{3}", rule.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)


def test_rules_lists_every_rule_with_severity_and_languages() -> None:
    result = nd_lsp("rules")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "severity", "languages"]
    assert [line.split()[0] for line in lines[1:]] == [r.code for r in RULES]
    for line, rule in zip(lines[1:], RULES, strict=True):
        assert line.split()[1:3] == [rule.name, rule.severity.value]


def test_explain_prints_the_sections_and_the_examples_of_a_rule() -> None:
    rule = RULES[0]
    result = nd_lsp("explain", rule.code.lower())
    assert result.returncode == 0
    assert result.stdout.startswith(f"{rule.code} {rule.name}\n")
    for title in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert f"\n{title}\n" in result.stdout
    assert rule.doc().example in result.stdout
    assert rule.doc().use_instead in result.stdout


def test_explain_of_an_unknown_code_exits_2_with_a_message() -> None:
    result = nd_lsp("explain", "ND000")
    assert result.returncode == 2
    assert "no rule 'ND000'" in result.stderr
    assert RULES[0].code in result.stderr


# -- every language a rule covers has its bad and its good example ------------------------------

# Fence languages of each `languages` entry (a Rust case may be about Cargo.toml).
FENCES = {"rust": {"rust", "toml"}, "go": {"go"}, "python": {"python"}, "manifest": {"json"}}
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def fenced(section: str) -> list[tuple[str, str]]:
    """(language, code) of each fenced block of a docstring section."""
    return FENCE.findall(section)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_language_of_a_rule_has_a_bad_and_a_good_example(rule: type) -> None:
    doc = rule.doc()
    for section, title in ((doc.example, "Example"), (doc.use_instead, "Use instead")):
        languages = {language for language, _ in fenced(section)}
        missing = [lang for lang in rule.languages if not FENCES[lang] & languages]
        assert missing == [], f"{rule.code}: `## {title}` has no fenced example for {missing}"


def _newest_spec() -> Spec:
    return load_spec(newest_release())


def _good_code(language: str) -> str:
    return "\n".join(code for rule in RULES for lang, code in fenced(rule.doc().use_instead) if lang == language)


def test_good_examples_name_only_host_functions_that_exist() -> None:
    spec = _newest_spec()
    services = spec.host_services
    go_functions = {f.go_function for s in services for f in s.functions}
    rust_functions = {(s.rust_module, f.rust_function) for s in services for f in s.functions}
    imports = set(spec.all_host_functions())
    go_used = set(re.findall(r"\bhost\.([A-Z]\w+)\(", _good_code("go")))
    rust_used = set(re.findall(r"nd_pdk::host::(\w+)::(\w+)\(", _good_code("rust")))
    python = _good_code("python")
    imports_used = set(re.findall(r'import_fn\("extism:host/user", "(\w+)"\)', python))
    stubs_called = set(re.findall(r"\b_([a-z]+_[a-z]+)\(extism\.memory", python))
    assert go_used and rust_used and imports_used and stubs_called
    assert go_used - go_functions == set()
    assert rust_used - rust_functions == set()
    assert (imports_used | stubs_called) - imports == set()


def test_good_examples_name_only_exports_and_macros_that_exist() -> None:
    spec = _newest_spec()
    exports = set(spec.all_exports())
    macros = {m.rust_macro for c in spec.capabilities for m in c.methods if m.rust_macro}
    python_exports = set(re.findall(r"^def (nd_\w+)\(", _good_code("python"), re.M))
    rust_macros = set(re.findall(r"\b(register_\w+)!", _good_code("rust")))
    assert python_exports and rust_macros
    assert python_exports - exports == set()
    assert rust_macros - macros == set()
