"""`nd-lsp check`: find the plugins under the given paths, check each one, print one report."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from nd_lsp.check.output import FORMATS, PluginReport, Problem, Report
from nd_lsp.check.parallel import map_in_processes
from nd_lsp.config import Settings
from nd_lsp.config_files import ConfigError, parse_codes, parse_severity
from nd_lsp.frontends.recent import reading_once
from nd_lsp.lazy_log import LazyLogger

log = LazyLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="plugin folders or files (default: .)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--navidrome-version", metavar="VERSION", help="check against this Navidrome version")
    parser.add_argument(
        "--select", metavar="CODES", type=_codes, help="only these rules (comma-separated codes or prefixes)"
    )
    parser.add_argument("--ignore", metavar="CODES", type=_codes, help="skip these rules (codes or prefixes)")
    parser.add_argument(
        "--fail-on",
        metavar="LEVEL",
        type=_severity,
        help="exit 1 for findings at or above this level: error (default), warning, information",
    )
    parser.add_argument("--config", metavar="FILE", type=Path, help="use this settings file for every plugin")
    parser.add_argument("--no-color", action="store_true", help="never colour the text output")
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=_jobs,
        help="check plugins in up to N processes (default: one per CPU when there are many plugins)",
    )


def run(args: argparse.Namespace) -> int:
    unknown = unknown_codes((args.select or frozenset()) | (args.ignore or frozenset()))
    if unknown:
        print(f"nd-lsp: error: no rule matches {', '.join(sorted(unknown))} (see `nd-lsp rules`)", file=sys.stderr)
        return 2
    cwd = Path(os.getcwd())
    problems: list[Problem] = []
    targets = _targets([Path(p) for p in args.paths], problems)
    fixed_settings = None
    if args.config is not None:
        try:
            fixed_settings = _settings_from_file(args.config)
        except ConfigError as exc:
            print(f"nd-lsp: error: {exc}", file=sys.stderr)
            return 2
    check = functools.partial(_check_target, args=args, fixed=fixed_settings)
    with reading_once():  # (the workers inherit it)
        plugins = tuple(map_in_processes(check, list(targets.items()), args.jobs))
    report = Report(plugins, cwd, tuple(problems), color=_use_color(args, sys.stdout))
    for problem in report.all_problems:
        print(f"nd-lsp: error: {report.display_path(problem.path)}: {problem.reason}", file=sys.stderr)
    sys.stdout.write(_render(report, args.format))
    return report.exit_code


def unknown_codes(codes: frozenset[str]) -> frozenset[str]:
    """Codes or prefixes that match no rule: a typo in --select would otherwise silence every rule."""
    if not codes:
        return frozenset()
    from nd_lsp.rules.registry import all_rules

    known = [rule.code for rule in all_rules()]
    return frozenset(c for c in codes if not any(k.startswith(c) for k in known))


def command_line_settings(args: argparse.Namespace) -> Settings:
    return Settings(
        navidrome_version=args.navidrome_version,
        select=args.select,
        ignore=args.ignore or frozenset(),
        fail_on=args.fail_on,
    )


def _check_target(
    target: tuple[Path, frozenset[Path] | None], args: argparse.Namespace, fixed: Settings | None
) -> PluginReport:
    return _check_plugin(target[0], target[1], args, fixed)


def _check_plugin(
    root: Path, only: frozenset[Path] | None, args: argparse.Namespace, fixed: Settings | None
) -> PluginReport:
    from nd_lsp.check.engine import Analyzer
    from nd_lsp.config_files import settings_from_files
    from nd_lsp.specs.loader import UnknownVersionError

    try:
        from_files = fixed if fixed is not None else settings_from_files(root)
        settings = from_files.merged(command_line_settings(args))
    except ConfigError as exc:
        return PluginReport(root, "", "", problems=(Problem(exc.path, exc.reason),))
    try:
        result = Analyzer().check(root, settings, overlays={})
    except UnknownVersionError as exc:
        where = _version_setting_origin(root, args)
        return PluginReport(root, "", "", problems=(Problem(where, str(exc)),), fail_on=settings.failure_level)
    except Exception as exc:  # one plugin's crash must not hide the other plugins' findings
        log.debug("checking %s failed", root, exc_info=True)
        reason = f"internal error while checking this plugin: {type(exc).__name__}: {exc}"
        return PluginReport(root, "", "", problems=(Problem(root, reason),), fail_on=settings.failure_level)
    findings = tuple(f for f in result.findings if only is None or f.path in only)
    problems = tuple(Problem(p.path, p.reason) for p in result.problems if only is None or p.path in only)
    return PluginReport(root, result.version, result.version_source, findings, problems, settings.failure_level)


def _version_setting_origin(root: Path, args: argparse.Namespace) -> Path:
    """Where an unknown version was written: the command line (shown as the plugin) or a settings file."""
    from nd_lsp.config_files import find_config

    if args.navidrome_version:
        return root
    if args.config is not None:
        return Path(args.config)
    found = find_config(root)
    return found.path if found is not None else root


def _targets(paths: Sequence[Path], problems: list[Problem]) -> dict[Path, frozenset[Path] | None]:
    """Each plugin root with the files to report (None: the whole plugin, as a folder was named)."""
    from nd_lsp.check.discovery import find_plugin_roots, plugin_root_for

    targets: dict[Path, frozenset[Path] | None] = {}
    for given in paths:
        path = Path(os.path.abspath(given))
        if not path.exists():
            problems.append(Problem(given, "no such file or folder"))
        elif path.is_file():
            root = plugin_root_for(path)
            if root not in targets or targets[root] is not None:
                targets[root] = (targets.get(root) or frozenset()) | {path}
        else:
            roots = find_plugin_roots([path], on_error=lambda p, r: problems.append(Problem(p, r)))
            if not roots:
                problems.append(Problem(given, "no Navidrome plugin found here"))
            for root in roots:
                targets[root] = None
    return dict(sorted(targets.items()))


def _settings_from_file(path: Path) -> Settings:
    from nd_lsp.config_files import settings_from_file

    if not path.is_file():
        raise ConfigError(path, "no such file")
    return settings_from_file(path)


def _render(report: Report, output_format: str) -> str:
    from nd_lsp.check import output

    if output_format == "json":
        return output.render_json(report)
    if output_format == "github":
        return output.render_github(report)
    if output_format == "sarif":
        from nd_lsp.check.sarif import render_sarif
        from nd_lsp.rules.registry import all_rules

        return render_sarif(report, all_rules())
    return output.render_text(report)


def _use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    if args.no_color or os.environ.get("NO_COLOR") or args.format != "text":
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _codes(text: str) -> frozenset[str]:
    try:
        return parse_codes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes (1 or more), got {text!r}")
    return int(text)


def _severity(text: str) -> object:
    try:
        return parse_severity(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
