"""`nd-lsp check` through the real command line: output formats, exit codes, settings, suppressions, bad input."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nd_lsp.check.output import escape_data, escape_property
from nd_lsp.specs.loader import available_versions, newest_release, released_versions

pytestmark = pytest.mark.skipif(not released_versions(), reason="no capability specs generated yet")

TIMEOUT = 60
KVSTORE_CALL = 'nd_pdk::host::kvstore::delete_by_prefix("")'
SLEEP_CALL = "std::thread::sleep(std::time::Duration::from_secs(1))"

# A rule that exists only in the test process that imports this text: it reports the word after
# "MARK-" in any source file at that severity, so every severity and message shape can be produced.
TEST_RULE = '''
from nd_lsp.frontends.facts import Span
from nd_lsp.rules.finding import Rule, Severity

class MarkerRule(Rule):
    """Reports MARK-<severity> markers (a test-only rule).

    ## What it does
    Reports markers.
    ## Why is this bad?
    It is a test.
    ## Example
    `MARK-error`
    ## Use instead
    nothing
    """

    code = "ND999"
    name = "test-marker"
    severity = Severity.ERROR
    languages = ("rust",)

    def check(self, ctx):
        for path in ctx.plugin.files:
            for number, line in enumerate(ctx.source(path).splitlines()):
                column = line.find("MARK-")
                if column >= 0:
                    word = line[column + 5 :].split()[0]
                    span = Span.at(path, number, column, number, column + 5 + len(word))
                    message = "marker says: " + line[column + 5 + len(word) :].strip().replace("\\\\n", "\\n")
                    yield self.finding(span, message, severity=Severity(word))
'''


def nd_lsp(
    *args: str, cwd: Path, env: dict[str, str] | None = None, test_rule: bool = False, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run `python -m nd_lsp` (with the test-only rule registered when asked)."""
    if test_rule:
        bootstrap = TEST_RULE + "\nimport sys\nfrom nd_lsp.cli import main\nraise SystemExit(main(sys.argv[1:]))\n"
        command = [sys.executable, "-c", bootstrap, *args]
    else:
        command = [sys.executable, "-m", "nd_lsp", *args]
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def rust_plugin(folder: Path, body: str, *, tag: str | None = None, metadata: str = "") -> Path:
    """A small Rust plugin whose lib.rs holds `body` inside a function (line 3 of the file onwards)."""
    tag = tag or f"v{newest_release()}"
    write(folder / "manifest.json", '{"name": "p", "author": "me", "version": "1.0.0"}\n')
    cargo = (
        '[package]\nname = "p"\nversion = "0.1.0"\n\n[lib]\ncrate-type = ["cdylib"]\n\n[dependencies]\n'
        f'extism-pdk = "1.2"\nnd-pdk = {{ git = "https://github.com/navidrome/navidrome", tag = "{tag}" }}\n'
    )
    write(folder / "Cargo.toml", cargo + metadata)
    write(folder / "src" / "lib.rs", "// a plugin\n\npub fn work() {\n" + body.strip("\n") + "\n}\n")
    (folder / ".git").mkdir(exist_ok=True)  # keep settings lookups inside the test folder
    return folder


@pytest.fixture
def kv_plugin(tmp_path: Path) -> Path:
    return rust_plugin(tmp_path / "kv", f"    let _ = {KVSTORE_CALL};")


# -------------------------------------------------------------------------------------- output formats


def test_text_output_lists_findings_relative_to_the_working_folder_with_a_summary(kv_plugin: Path) -> None:
    result = nd_lsp("check", "kv", "--select", "ND201", cwd=kv_plugin.parent)
    column = f"    let _ = {KVSTORE_CALL}".index('""') + 1
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"kv/src/lib.rs:4:{column}: ND201 ")
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    assert lines[-1] == (
        f"1 finding (1 error) in 1 plugin, checked against Navidrome {newest_release()} "
        f"(Cargo.toml nd-pdk tag v{newest_release()})"
    )


def test_json_output_has_one_object_per_finding_with_one_based_positions(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--format", "json", "--select", "ND201", cwd=kv_plugin)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)
    column = f"    let _ = {KVSTORE_CALL}".index('""') + 1
    assert finding["code"] == "ND201"
    assert finding["name"] == "kvstore-empty-prefix"
    assert finding["severity"] == "error"
    assert finding["path"] == "src/lib.rs"
    assert (finding["line"], finding["column"], finding["end_line"]) == (4, column, 4)
    assert finding["end_column"] > finding["column"]
    assert finding["url"].endswith("docs/rules.md#nd201-kvstore-empty-prefix")
    assert isinstance(finding["fix"], bool)
    assert finding["message"]


def test_json_output_of_a_clean_plugin_is_an_empty_array(tmp_path: Path) -> None:
    rust_plugin(tmp_path, '    let _ = nd_pdk::host::kvstore::delete_by_prefix("cache:");')
    result = nd_lsp("check", "--format", "json", "--select", "ND201", cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_github_output_is_one_workflow_command_per_finding(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--format", "github", "--select", "ND201", cwd=kv_plugin)
    column = f"    let _ = {KVSTORE_CALL}".index('""') + 1
    [line] = result.stdout.splitlines()
    assert line.startswith(f"::error file=src/lib.rs,line=4,col={column},endLine=4,endColumn=")
    assert ",title=ND201::" in line
    assert result.returncode == 1


def test_github_output_uses_warning_and_notice_for_lower_severities(tmp_path: Path) -> None:
    rust_plugin(tmp_path, "    // MARK-warning careful\n    // MARK-information fyi\n    // MARK-hint small")
    result = nd_lsp("check", "--format", "github", "--select", "ND999", cwd=tmp_path, test_rule=True)
    commands = [line.split(" ", 1)[0] for line in result.stdout.splitlines()]
    assert commands == ["::warning", "::notice", "::notice"]


def test_github_output_escapes_messages_and_properties(tmp_path: Path) -> None:
    rust_plugin(tmp_path, r"    // MARK-error 100% done,\nnext: line")
    result = nd_lsp("check", "--format", "github", "--select", "ND999", cwd=tmp_path, test_rule=True)
    [line] = result.stdout.splitlines()
    assert line.endswith("::marker says: 100%25 done,%0Anext: line")


def test_github_escaping_follows_the_actions_toolkit_rules() -> None:
    assert escape_data("50%\r\nok: a,b") == "50%25%0D%0Aok: a,b"
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"


def test_sarif_output_is_a_valid_sarif_2_1_0_log_for_code_scanning(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--format", "sarif", "--select", "ND201", cwd=kv_plugin)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    assert_sarif_shape(log)
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "nd-lsp"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert "ND201" in rule_ids
    [finding] = run["results"]
    assert finding["ruleId"] == "ND201"
    assert driver["rules"][finding["ruleIndex"]]["id"] == "ND201"
    assert finding["level"] == "error"
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/lib.rs", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 4
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == kv_plugin.resolve().as_uri() + "/"
    rule = driver["rules"][finding["ruleIndex"]]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["helpUri"].endswith("#nd201-kvstore-empty-prefix")
    assert "```" in rule["help"]["markdown"]


def test_sarif_levels_map_information_and_hint_to_note(tmp_path: Path) -> None:
    rust_plugin(tmp_path, "    // MARK-warning w\n    // MARK-information i\n    // MARK-hint h")
    result = nd_lsp("check", "--format", "sarif", "--select", "ND999", cwd=tmp_path, test_rule=True)
    log = json.loads(result.stdout)
    assert_sarif_shape(log)
    assert [r["level"] for r in log["runs"][0]["results"]] == ["warning", "note", "note"]


SARIF_LEVELS = {"none", "note", "warning", "error"}


def assert_sarif_shape(log: dict[str, object]) -> None:
    """The parts of the SARIF 2.1.0 schema that GitHub code scanning relies on."""
    assert log["version"] == "2.1.0"
    assert str(log["$schema"]).endswith("sarif-2.1.0.json")
    runs = log["runs"]
    assert isinstance(runs, list) and runs
    for run in runs:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        assert driver["informationUri"].startswith("https://")
        ids = [rule["id"] for rule in driver["rules"]]
        assert len(ids) == len(set(ids))
        for rule in driver["rules"]:
            assert rule["shortDescription"]["text"]
            assert rule["defaultConfiguration"]["level"] in SARIF_LEVELS
        for result in run["results"]:
            assert result["message"]["text"]
            assert result["level"] in SARIF_LEVELS
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            for location in result["locations"]:
                physical = location["physicalLocation"]
                uri = physical["artifactLocation"]["uri"]
                assert not uri.startswith("/") and "\\" not in uri
                assert physical["artifactLocation"]["uriBaseId"] in run["originalUriBaseIds"]
                region = physical["region"]
                assert region["startLine"] >= 1 and region["startColumn"] >= 1
                assert region["endLine"] >= region["startLine"]
                if region["endLine"] == region["startLine"]:
                    assert region["endColumn"] >= region["startColumn"]


def test_text_output_is_coloured_on_a_terminal_unless_no_color(kv_plugin: Path) -> None:
    assert "\x1b[" in run_on_terminal(["check", "--select", "ND201"], kv_plugin, {})
    assert "\x1b[" not in run_on_terminal(["check", "--select", "ND201"], kv_plugin, {"NO_COLOR": "1"})
    assert "\x1b[" not in run_on_terminal(["check", "--select", "ND201", "--no-color"], kv_plugin, {})


def run_on_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"} | env
    process = subprocess.Popen(
        [sys.executable, "-m", "nd_lsp", *args], cwd=cwd, env=full_env, stdout=follower, stderr=subprocess.DEVNULL
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=TIMEOUT)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------ exit codes


def test_a_clean_plugin_exits_0(tmp_path: Path) -> None:
    rust_plugin(tmp_path, '    let _ = nd_pdk::host::kvstore::delete_by_prefix("cache:");')
    result = nd_lsp("check", ".", "--select", "ND201", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("No findings in 1 plugin, checked against Navidrome")


def test_the_installed_script_behaves_like_python_m(kv_plugin: Path) -> None:
    script = shutil.which("nd-lsp")
    if script is None:
        pytest.skip("nd-lsp is not installed (pip install -e .)")
    installed = subprocess.run(
        [script, "check", "--format", "json", "--select", "ND201"], cwd=kv_plugin, capture_output=True, text=True
    )
    module = nd_lsp("check", "--format", "json", "--select", "ND201", cwd=kv_plugin)
    assert (installed.returncode, installed.stdout) == (module.returncode, module.stdout)


def test_a_report_through_a_pipe_arrives_whole_with_its_exit_status(tmp_path: Path) -> None:
    # The command leaves without tearing the interpreter down; what it wrote to a buffered pipe (no
    # PYTHONUNBUFFERED, as in most CI runners) must be flushed first, short reports and long ones alike.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    script = shutil.which("nd-lsp")
    commands = [[sys.executable, "-m", "nd_lsp"], *([[script]] if script else [])]
    for calls in (1, 400):  # 400: far more than a pipe's buffer, under the cap on findings per file
        plugin = rust_plugin(tmp_path / str(calls), "\n".join(f"    let _ = {KVSTORE_CALL};" for _ in range(calls)))
        for command in commands:
            for output in ("text", "json"):
                result = subprocess.run(
                    [*command, "check", "--format", output, "--select", "ND201", "."],
                    cwd=plugin, env=env, capture_output=True, text=True, timeout=TIMEOUT,
                )
                assert result.returncode == 1
                if output == "json":
                    assert len(json.loads(result.stdout)) == calls
                else:
                    assert f"{calls} finding{'s' if calls > 1 else ''} ({calls} error" in result.stdout


def test_a_missing_path_exits_2_but_the_other_plugins_are_still_reported(kv_plugin: Path) -> None:
    result = nd_lsp("check", "kv", "nowhere", "--select", "ND201", cwd=kv_plugin.parent)
    assert result.returncode == 2
    assert "nowhere: no such file or folder" in result.stderr
    assert "kv/src/lib.rs:4:" in result.stdout


def test_a_folder_without_plugins_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here\n")
    result = nd_lsp("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "nd-lsp: error: .: no Navidrome plugin found here" in result.stderr


def test_each_named_folder_without_plugins_is_reported(kv_plugin: Path) -> None:
    (kv_plugin.parent / "docs").mkdir()
    result = nd_lsp("check", "kv", "docs", "--select", "ND201", cwd=kv_plugin.parent)
    assert result.returncode == 2
    assert "docs: no Navidrome plugin found here" in result.stderr
    assert "kv/src/lib.rs:4:" in result.stdout


def test_an_unknown_option_is_a_usage_error(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--format", "xml", cwd=kv_plugin)
    assert result.returncode == 2
    assert "invalid choice: 'xml'" in result.stderr


def test_an_unknown_navidrome_version_exits_2_naming_the_known_ones(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--navidrome-version", "0.99.0", cwd=kv_plugin)
    assert result.returncode == 2
    assert "unknown Navidrome version '0.99.0'" in result.stderr
    assert newest_release() in result.stderr


def test_every_plugin_under_a_folder_is_checked(tmp_path: Path) -> None:
    rust_plugin(tmp_path / "plugins" / "a", f"    let _ = {KVSTORE_CALL};")
    rust_plugin(tmp_path / "plugins" / "b", f"    let _ = {KVSTORE_CALL};")
    result = nd_lsp("check", "--select", "ND201", cwd=tmp_path)
    assert result.returncode == 1
    assert "plugins/a/src/lib.rs:4:" in result.stdout
    assert "plugins/b/src/lib.rs:4:" in result.stdout
    assert "2 findings (2 errors) in 2 plugins" in result.stdout


def test_a_cargo_workspace_root_is_not_checked_as_a_plugin(tmp_path: Path) -> None:
    write(tmp_path / "Cargo.toml", '[workspace]\nmembers = ["kv"]\n')
    rust_plugin(tmp_path / "kv", f"    let _ = {KVSTORE_CALL};")
    result = nd_lsp("check", "--format", "json", cwd=tmp_path)
    assert {f["path"].split("/")[0] for f in json.loads(result.stdout)} == {"kv"}
    assert "in 1 plugin" in nd_lsp("check", cwd=tmp_path).stdout


def test_a_named_file_reports_only_that_file(tmp_path: Path) -> None:
    plugin = rust_plugin(tmp_path, f"    let _ = {KVSTORE_CALL};")
    write(plugin / "src" / "other.rs", f"pub fn more() {{\n    let _ = {KVSTORE_CALL};\n}}\n")
    result = nd_lsp("check", "src/other.rs", "--format", "json", "--select", "ND201", cwd=plugin)
    assert [f["path"] for f in json.loads(result.stdout)] == ["src/other.rs"]


# ------------------------------------------------------------------------------------------- fail-on


def test_warnings_do_not_fail_by_default(tmp_path: Path) -> None:
    rust_plugin(tmp_path, f"    {SLEEP_CALL};")
    result = nd_lsp("check", "--select", "ND401", cwd=tmp_path)
    assert result.returncode == 0
    assert ": ND401 " in result.stdout
    assert "1 finding (1 warning)" in result.stdout


def test_fail_on_warning_fails_for_warnings(tmp_path: Path) -> None:
    rust_plugin(tmp_path, f"    {SLEEP_CALL};")
    assert nd_lsp("check", "--select", "ND401", "--fail-on", "warning", cwd=tmp_path).returncode == 1


def test_fail_on_information_fails_for_information_but_not_for_hints(tmp_path: Path) -> None:
    def exit_code(level: str) -> int:
        return nd_lsp("check", "--select", "ND999", "--fail-on", level, cwd=tmp_path, test_rule=True).returncode

    rust_plugin(tmp_path, "    // MARK-information i")
    assert (exit_code("information"), exit_code("warning")) == (1, 0)
    write(tmp_path / "src" / "lib.rs", "// MARK-hint h\n")
    assert exit_code("information") == 0


def test_an_invalid_fail_on_level_is_a_usage_error(tmp_path: Path) -> None:
    rust_plugin(tmp_path, f"    {SLEEP_CALL};")
    result = nd_lsp("check", "--fail-on", "fatal", cwd=tmp_path)
    assert result.returncode == 2
    assert "'fatal' is not a severity" in result.stderr


# ------------------------------------------------------------------------------ settings and precedence


def test_select_and_ignore_take_codes_and_prefixes(tmp_path: Path) -> None:
    rust_plugin(tmp_path, f"    let _ = {KVSTORE_CALL};\n    {SLEEP_CALL};")

    def codes(*flags: str) -> set[str]:
        return {f["code"] for f in json.loads(nd_lsp("check", "--format", "json", *flags, cwd=tmp_path).stdout)}

    assert codes("--select", "ND201,nd401") == {"ND201", "ND401"}
    assert codes("--select", "ND4") == {"ND401"}
    assert "ND201" not in codes("--ignore", "ND2")
    assert codes("--select", "ND2,ND4", "--ignore", "ND201") == {"ND401"}


def test_an_invalid_code_in_select_is_a_usage_error(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--select", "E501", cwd=kv_plugin)
    assert result.returncode == 2
    assert "'E501' is not a rule code" in result.stderr


def test_nd_lsp_toml_selects_rules_and_the_command_line_wins(tmp_path: Path) -> None:
    rust_plugin(tmp_path, f"    let _ = {KVSTORE_CALL};\n    {SLEEP_CALL};")
    write(tmp_path / "nd-lsp.toml", 'select = ["ND4"]\n')
    from_file = json.loads(nd_lsp("check", "--format", "json", cwd=tmp_path).stdout)
    assert {f["code"] for f in from_file} == {"ND401"}
    from_flag = json.loads(nd_lsp("check", "--format", "json", "--select", "ND201", cwd=tmp_path).stdout)
    assert {f["code"] for f in from_flag} == {"ND201"}


def test_cargo_metadata_settings_apply_to_that_plugin(tmp_path: Path) -> None:
    metadata = '\n[package.metadata.nd-lsp]\nselect = ["ND401"]\nfail-on = "warning"\n'
    rust_plugin(tmp_path, f"    {SLEEP_CALL};", metadata=metadata)
    assert nd_lsp("check", cwd=tmp_path).returncode == 1
    assert nd_lsp("check", "--fail-on", "error", cwd=tmp_path).returncode == 0  # the flag wins


def test_pyproject_settings_pin_the_navidrome_version(tmp_path: Path) -> None:
    oldest = released_versions()[0]
    rust_plugin(tmp_path, f"    {SLEEP_CALL};")
    write(tmp_path / "pyproject.toml", f'[tool.nd-lsp]\nnavidrome-version = "v{oldest}"\nselect = ["ND401"]\n')
    result = nd_lsp("check", cwd=tmp_path)
    assert result.stdout.splitlines()[-1].endswith(f"checked against Navidrome {oldest} (setting)")
    flag = nd_lsp("check", "--navidrome-version", "master", cwd=tmp_path)
    if "master" in available_versions():
        assert flag.stdout.splitlines()[-1].endswith("checked against Navidrome master (setting)")


def test_an_explicit_config_file_is_used_for_every_plugin(tmp_path: Path) -> None:
    rust_plugin(tmp_path / "p", f"    let _ = {KVSTORE_CALL};\n    {SLEEP_CALL};")
    write(tmp_path / "p" / "nd-lsp.toml", 'select = ["ND2"]\n')
    write(tmp_path / "ci.toml", 'select = ["ND4"]\n')
    result = nd_lsp("check", "p", "--format", "json", "--config", "ci.toml", cwd=tmp_path)
    assert {f["code"] for f in json.loads(result.stdout)} == {"ND401"}


def test_a_missing_config_file_is_a_usage_error(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--config", "absent.toml", cwd=kv_plugin)
    assert result.returncode == 2
    assert "absent.toml: no such file" in result.stderr


def test_a_malformed_config_fails_that_plugin_and_the_others_are_still_checked(tmp_path: Path) -> None:
    rust_plugin(tmp_path / "good", f"    let _ = {KVSTORE_CALL};")
    rust_plugin(tmp_path / "bad", f"    let _ = {KVSTORE_CALL};")
    write(tmp_path / "bad" / "nd-lsp.toml", "select = [\n")
    result = nd_lsp("check", "--select", "ND201", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad/nd-lsp.toml: invalid TOML" in result.stderr
    assert "good/src/lib.rs:4:" in result.stdout
    assert "bad/src/lib.rs" not in result.stdout


# ---------------------------------------------------------------------------------------- suppressions


@pytest.mark.parametrize(
    "body",
    [
        f"    let _ = {KVSTORE_CALL}; // nd-lsp: ignore[ND201]",
        f"    // nd-lsp: ignore[ND201]\n    let _ = {KVSTORE_CALL};",
        f"    let _ = {KVSTORE_CALL}; // nd-lsp: ignore",
        f"    // nd-lsp: ignore\n    let _ = {KVSTORE_CALL};",
        f"    let _ = {KVSTORE_CALL}; // nd-lsp: ignore[ND202, ND201]",
    ],
)
def test_suppression_comments_silence_the_finding(tmp_path: Path, body: str) -> None:
    rust_plugin(tmp_path, body)
    result = nd_lsp("check", "--select", "ND201", cwd=tmp_path)
    assert (result.returncode, result.stdout.startswith("No findings")) == (0, True)


@pytest.mark.parametrize(
    "body",
    [
        f"    let _ = {KVSTORE_CALL}; // nd-lsp: ignore[ND202]",
        f"    // nd-lsp: ignore[ND201]\n\n    let _ = {KVSTORE_CALL};",
        f'    let _ = {KVSTORE_CALL}; let s = "nd-lsp: ignore";',
    ],
)
def test_suppressions_for_other_codes_lines_or_outside_comments_do_not_silence(tmp_path: Path, body: str) -> None:
    rust_plugin(tmp_path, body)
    assert nd_lsp("check", "--select", "ND201", cwd=tmp_path).returncode == 1


# ------------------------------------------------------------------------------------- unreadable input


def test_a_non_utf8_file_is_reported_and_the_rest_of_the_plugin_still_checked(kv_plugin: Path) -> None:
    (kv_plugin / "src" / "latin1.rs").write_bytes(b"// caf\xe9\n")
    result = nd_lsp("check", "--select", "ND201", cwd=kv_plugin)
    assert result.returncode == 2
    assert "nd-lsp: error: src/latin1.rs: not valid UTF-8" in result.stderr
    assert "src/lib.rs:4:" in result.stdout


def test_a_dangling_symlink_is_reported_as_unreadable(kv_plugin: Path) -> None:
    (kv_plugin / "src" / "gone.rs").symlink_to(kv_plugin / "src" / "missing.rs")
    result = nd_lsp("check", "--select", "ND201", cwd=kv_plugin)
    assert result.returncode == 2
    assert "src/gone.rs: cannot read" in result.stderr


def test_an_oversized_file_is_reported_not_analysed(kv_plugin: Path) -> None:
    (kv_plugin / "src" / "huge.rs").write_text("// x\n" * 600_000)
    result = nd_lsp("check", "--select", "ND201", cwd=kv_plugin)
    assert result.returncode == 2
    assert "src/huge.rs: file is larger than" in result.stderr


def test_a_named_pipe_is_reported_not_waited_on(kv_plugin: Path) -> None:
    os.mkfifo(kv_plugin / "src" / "pipe.rs")
    result = nd_lsp("check", "--select", "ND201", cwd=kv_plugin, timeout=15)  # a hang fails, not waits
    assert result.returncode == 2
    assert "src/pipe.rs" in result.stderr


def test_problems_appear_in_github_and_sarif_output_too(kv_plugin: Path) -> None:
    (kv_plugin / "src" / "latin1.rs").write_bytes(b"// caf\xe9\n")
    github = nd_lsp("check", "--format", "github", "--select", "ND201", cwd=kv_plugin)
    assert "::error file=src/latin1.rs::not valid UTF-8" in github.stdout
    sarif = json.loads(nd_lsp("check", "--format", "sarif", "--select", "ND201", cwd=kv_plugin).stdout)
    [invocation] = sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/latin1.rs"


# -------------------------------------------------------------------------------------- fast start-up


@pytest.mark.parametrize("language", ["rust", "python"])
def test_the_check_path_imports_no_language_server_library(tmp_path: Path, language: str) -> None:
    plugin = rust_plugin(tmp_path, f"    let _ = {KVSTORE_CALL};") if language == "rust" else python_plugin(tmp_path)
    probe = (
        "import sys\nfrom nd_lsp.cli import main\nmain(['check', '--format', 'json', '.'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'pygls', 'lsprotocol', 'jedi'})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=plugin, capture_output=True, text=True, timeout=TIMEOUT)
    assert '"ND201"' in result.stdout  # the plugin really was analysed
    assert "HEAVY []" in result.stderr


# ---------------------------------------------------------------------------------- every language


def python_plugin(folder: Path) -> Path:
    write(folder / "manifest.json", MANIFEST_WITH_KVSTORE)
    write(
        folder / "plugin" / "__init__.py",
        """
        import extism


        @extism.import_fn("extism:host/user", "kvstore_deletebyprefix")
        def _kvstore_deletebyprefix(offset: int) -> int: ...


        def reset():
            _kvstore_deletebyprefix({"prefix": ""})
        """,
    )
    return folder


def go_plugin(folder: Path) -> Path:
    write(folder / "manifest.json", MANIFEST_WITH_KVSTORE)
    write(
        folder / "go.mod",
        """
        module example.com/p

        go 1.25

        require github.com/navidrome/navidrome/plugins/pdk/go v0.0.0-20260710000000-0123456789ab
        """,
    )
    write(
        folder / "main.go",
        """
        package main

        import "github.com/navidrome/navidrome/plugins/pdk/go/host"

        func reset() {
        \thost.KVStoreDeleteByPrefix("")
        }

        func main() {}
        """,
    )
    return folder


MANIFEST_WITH_KVSTORE = '{"name": "p", "author": "me", "version": "1.0.0", "permissions": {"kvstore": {}}}\n'


@pytest.mark.parametrize(
    ("make_plugin", "path", "line"),
    [(python_plugin, "plugin/__init__.py", 9), (go_plugin, "main.go", 6)],
    ids=["python", "go"],
)
def test_go_and_python_plugins_are_checked_too(tmp_path: Path, make_plugin: object, path: str, line: int) -> None:
    assert callable(make_plugin)
    make_plugin(tmp_path)
    result = nd_lsp("check", "--format", "json", cwd=tmp_path)
    found = [(f["code"], f["path"], f["line"]) for f in json.loads(result.stdout)]
    assert ("ND201", path, line) in found


def test_a_go_pseudo_version_picks_the_release_of_its_date(tmp_path: Path) -> None:
    go_plugin(tmp_path)
    result = nd_lsp("check", cwd=tmp_path)
    assert result.stdout.splitlines()[-1].endswith("(go.mod plugins/pdk/go v0.0.0-20260710000000-0123456789ab)")


def test_a_select_code_that_matches_no_rule_is_a_usage_error(kv_plugin: Path) -> None:
    result = nd_lsp("check", "--select", "ND2,ND991", cwd=kv_plugin)
    assert result.returncode == 2
    assert "no rule matches ND991" in result.stderr


def test_a_plugin_for_the_api_before_navidrome_0_60_gets_one_information_finding(tmp_path: Path) -> None:
    write(tmp_path / "manifest.json", '{"name": "old", "author": "me", "version": "1.0.0"}\n')
    write(tmp_path / "go.mod", "module example.com/old\n\ngo 1.24\n\nrequire github.com/navidrome/navidrome v0.58.0\n")
    write(
        tmp_path / "main.go",
        """
        package main

        import "github.com/navidrome/navidrome/plugins/api"

        type Agent struct{}

        func (Agent) GetArtistBiography(req *api.ArtistBiographyRequest) (*api.ArtistBiographyResponse, error) {
        \treturn nil, nil
        }

        func main() {}
        """,
    )
    result = nd_lsp("check", "--format", "json", cwd=tmp_path)
    [finding] = json.loads(result.stdout)
    assert finding["severity"] == "information"
    assert "0.60" in finding["message"]
    assert result.returncode == 0


def test_an_unknown_version_in_a_settings_file_names_that_file(kv_plugin: Path) -> None:
    write(kv_plugin / "nd-lsp.toml", 'navidrome-version = "0.42.0"\n')
    result = nd_lsp("check", cwd=kv_plugin)
    assert result.returncode == 2
    assert "nd-lsp: error: nd-lsp.toml: unknown Navidrome version '0.42.0'" in result.stderr


def test_a_symlink_loop_does_not_trap_the_check(kv_plugin: Path) -> None:
    (kv_plugin / "src" / "loop").symlink_to(kv_plugin, target_is_directory=True)
    result = nd_lsp("check", "--select", "ND201", cwd=kv_plugin, timeout=20)
    assert result.returncode == 1
    assert result.stdout.count("src/lib.rs:4:") == 1


def test_build_output_and_dependency_folders_are_not_plugins(kv_plugin: Path) -> None:
    for copy in ("target/package/p-0.1.0", "node_modules/x", "vendor/y"):
        rust_plugin(kv_plugin / copy, f"    let _ = {KVSTORE_CALL};")
    result = nd_lsp("check", "--format", "json", "--select", "ND201", cwd=kv_plugin)
    assert [f["path"] for f in json.loads(result.stdout)] == ["src/lib.rs"]


# ------------------------------------------------------------------------------------ many plugins


def test_many_plugins_checked_in_several_processes_give_the_report_of_one_process(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    for copy in range(4):
        for example in sorted(p for p in examples.iterdir() if p.is_dir()):
            shutil.copytree(example, tmp_path / f"{example.name}-{copy}")
    (tmp_path / "artist-info-rs-1" / "src" / "latin1.rs").write_bytes(b"// caf\xe9\n")
    rust_plugin(tmp_path / "zz-bad-config", f"    let _ = {KVSTORE_CALL};")
    write(tmp_path / "zz-bad-config" / "nd-lsp.toml", "select = [\n")
    (tmp_path / ".git").mkdir()
    for output_format in ("text", "json"):
        one = nd_lsp("check", "--jobs", "1", "--format", output_format, cwd=tmp_path)
        several = nd_lsp("check", "--jobs", "2", "--format", output_format, cwd=tmp_path)
        assert one.returncode == several.returncode == 2
        assert several.stdout == one.stdout
        assert several.stderr == one.stderr
    assert "latin1.rs: not valid UTF-8" in one.stderr
    assert "zz-bad-config/nd-lsp.toml: invalid TOML" in one.stderr
    assert {f["path"].split("-")[0] for f in json.loads(one.stdout)} >= {"artist", "now", "album"}


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_a_job_count_below_one_is_a_usage_error(kv_plugin: Path, jobs: str) -> None:
    result = nd_lsp("check", "--jobs", jobs, str(kv_plugin), cwd=kv_plugin.parent)
    assert result.returncode == 2
    assert "--jobs" in result.stderr
