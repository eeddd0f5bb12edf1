"""The go.mod front-end: module path, requirements and local replacements, best effort on broken files."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from nd_lsp.frontends.facts import BuildFacts, Dependency, Span
from nd_lsp.frozen_dataclass import frozen_dataclass

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\S+')


@frozen_dataclass
class _Token:
    """One word of a go.mod line."""

    text: str
    column: int  # code-point column of the token on its line
    width: int  # as written, quotes included


def _tokens(line: str) -> list[_Token]:
    """The words of a go.mod line without its `//` comment (quoted paths keep their spaces)."""
    found = []
    for match in _TOKEN.finditer(line):
        if match.group(0).startswith("//"):
            break
        word = match.group(0)
        if word[:1] in {'"', "`"} and len(word) >= 2:
            word = word[1:-1]
        found.append(_Token(word, match.start(), len(match.group(0))))
    return found


def read_gomod(path: Path, text: str) -> BuildFacts:
    """The facts of a go.mod file. Lines that cannot be read are skipped; the file never raises."""
    module = ""
    requires: list[Dependency] = []
    replacements: dict[str, str] = {}
    block = ""
    for number, line in enumerate(text.splitlines()):
        tokens = _tokens(line)
        if not tokens:
            continue
        if block:
            if tokens[0].text == ")":
                block = ""
                continue
            directive, args = block, tokens
        else:
            directive, args = tokens[0].text, tokens[1:]
            if args and args[0].text == "(":
                block = directive
                continue
        if directive == "module" and args:
            module = args[0].text
        elif directive == "require" and args:
            requires.append(_requirement(path, number, args))
        elif directive == "replace":
            replaced = _replacement(args)
            if replaced is not None:
                replacements[replaced[0]] = replaced[1]
    dependencies = tuple(replace(d, path=replacements[d.name]) if d.name in replacements else d for d in requires)
    return BuildFacts(path=path, kind="gomod", dependencies=dependencies, module=module)


def _requirement(path: Path, number: int, args: list[_Token]) -> Dependency:
    """`require a/b v1.2.3` (or a line of a require block); the span covers the path and version."""
    last = args[1] if len(args) > 1 else args[0]
    span = Span.at(path, number, args[0].column, number, last.column + last.width)
    version = args[1].text if len(args) > 1 else ""
    return Dependency(name=args[0].text, span=span, version=version)


def _replacement(args: list[_Token]) -> tuple[str, str] | None:
    """`old [v] => new [v]`: only a local folder (`./x`, `../x`, `/x`) is a path replacement."""
    words = [t.text for t in args]
    if "=>" not in words:
        return None
    arrow = words.index("=>")
    if arrow == 0 or arrow + 1 >= len(words):
        return None
    target = words[arrow + 1]
    if target.startswith(("./", "../", "/")) or target in {".", ".."}:
        return words[0], target
    return None
