"""The `nd-lsp` command: check, specs, rules, explain, docs and serve.

Each subcommand imports what it needs when it runs: `nd-lsp check` in CI must not pay for the language
server's libraries (pygls, lsprotocol, jedi).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeAlias

from nd_lsp import __version__


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    delegated = _delegate(args_list)
    if delegated is not None:
        return delegated
    parser = build_parser(only=args_list[0] if args_list[:1] and args_list[0] in SUBCOMMANDS else None)
    args = parser.parse_args(args_list)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except BrokenPipeError:  # `nd-lsp rules | head`: the reader left; nothing else to say
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130


# The cyclic garbage collector's defaults (a young collection every 700 allocations) suit a long-running
# program. A command is a short batch run that makes tens of thousands of short-lived objects (classes at
# import, the spec, facts) and frees them by reference counting, so its collections are made rarer
# (measured: ~5 ms of checking one plugin, ~6% of checking 200). The language server tunes its own.
BATCH_GC_THRESHOLDS = (50_000, 50, 1000)


def run() -> NoReturn:
    """The `nd-lsp` command itself (the console script and `python -m nd_lsp`): `main`, its output
    flushed, then out of the process without tearing the interpreter down.

    A normal exit frees every module and object one by one and runs the collector over them: ~27 ms
    after checking the Python example, more than reading and checking it (mypy leaves the same way).
    Nothing is left to do at that point: worker processes are joined and the output is written.
    """
    if sys.argv[1:2] != ["serve"]:
        gc.set_threshold(*BATCH_GC_THRESHOLDS)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that left, or a stream already closed
            stream.flush()
    os._exit(code)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of `only` that one: `nd-lsp check` need not build the other
    five (measured: ~1 ms per run, most of it gettext looking up translations for each parser)."""
    parser = argparse.ArgumentParser(
        prog="nd-lsp", description="Language server and CI checker for Navidrome plugins (Rust, Go, Python)."
    )
    parser.add_argument("--version", action="version", version=version_text())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add_subcommand in SUBCOMMANDS.items():
        if only is None or name == only:
            add_subcommand(commands)
    return parser


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_check(commands: Subparsers) -> None:
    from nd_lsp.check import cli as check_cli

    check = commands.add_parser("check", help="check plugins and report findings (for CI)")
    check_cli.add_arguments(check)
    check.set_defaults(handler=check_cli.run)


def _add_specs(commands: Subparsers) -> None:
    from nd_lsp.specs import cli as specs_cli

    specs = commands.add_parser("specs", help="the Navidrome versions nd-lsp knows")
    specs_cli.add_arguments(specs)
    specs.set_defaults(handler=specs_cli.run)


def _add_rules(commands: Subparsers) -> None:
    rules = commands.add_parser("rules", help="list every rule")
    rules.set_defaults(handler=_run_rules)


def _add_explain(commands: Subparsers) -> None:
    explain = commands.add_parser("explain", help="explain one rule, with examples")
    explain.add_argument("code", metavar="CODE", help="a rule code such as ND201")
    explain.set_defaults(handler=_run_explain)


def _add_docs(commands: Subparsers) -> None:
    docs = commands.add_parser("docs", help="regenerate docs/rules.md from the rules")
    docs.add_argument("--output", type=Path, default=None, help="where to write (default: docs/rules.md)")
    docs.add_argument("--check", action="store_true", help="only report whether the file is up to date")
    docs.set_defaults(handler=_run_docs)


def _add_serve(commands: Subparsers) -> None:
    commands.add_parser("serve", help="run the language server over stdio (see `serve --help`)")


def version_text() -> str:
    from nd_lsp.specs.loader import available_versions

    versions = available_versions()
    specs = f"{versions[0]} to {versions[-1]}" if versions else "none"
    return f"nd-lsp {__version__} (Navidrome specs: {specs})"


def _delegate(argv: list[str]) -> int | None:
    """`serve` and `specs generate` parse their own arguments: everything after the name is theirs."""
    if argv[:1] == ["serve"]:
        from nd_lsp.server import main as serve

        result: int | None = serve(argv[1:])
        return result or 0
    if argv[:2] == ["specs", "generate"]:
        from nd_lsp.specs.cli import run_generate

        return run_generate(argv[2:])
    return None


def _run_rules(args: argparse.Namespace) -> int:
    from nd_lsp.check.rules_docs import catalogue_text
    from nd_lsp.rules.registry import all_rules

    sys.stdout.write(catalogue_text(all_rules()))
    return 0


def _run_explain(args: argparse.Namespace) -> int:
    from nd_lsp.check.rules_docs import explain_text
    from nd_lsp.rules.registry import all_rules, rule_by_code

    rule = rule_by_code(args.code)
    if rule is None:
        codes = ", ".join(r.code for r in all_rules())
        print(f"nd-lsp: error: no rule {args.code!r}; known codes: {codes}", file=sys.stderr)
        return 2
    sys.stdout.write(explain_text(rule))
    return 0


def _run_docs(args: argparse.Namespace) -> int:
    from nd_lsp.check.rules_docs import rules_markdown
    from nd_lsp.rules.registry import all_rules

    target: Path = args.output or default_docs_path()
    text = rules_markdown(all_rules())
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if args.check:
        if current == text:
            return 0
        print(f"nd-lsp: {target} is out of date; run `nd-lsp docs`", file=sys.stderr)
        return 1
    if current != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def default_docs_path() -> Path:
    """docs/rules.md of the source checkout nd-lsp runs from, else of the working folder."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "docs" / "rules.md"
    return Path("docs") / "rules.md"


# In the order `nd-lsp --help` lists them.
SUBCOMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "check": _add_check,
    "specs": _add_specs,
    "rules": _add_rules,
    "explain": _add_explain,
    "docs": _add_docs,
    "serve": _add_serve,
}
