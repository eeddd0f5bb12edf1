"""Read the expected findings drawn into rule fixtures (carets under the token, or expected.txt)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# `//   ^^^^ ND201` or `#   ^^^^ ND201`: the carets mark columns of the nearest code line above.
CARET_LINE = re.compile(r"^\s*(?://|#)\s*(\^+)\s+(ND\d{3})\b")
# expected.txt: `manifest.json:3:5-3:12 ND302` (1-based, end exclusive)
EXPECTED_LINE = re.compile(r"^(\S+):(\d+):(\d+)-(\d+):(\d+)\s+(ND\d{3})\s*$")
SOURCE_SUFFIXES = {".rs", ".go", ".py"}


@dataclass(frozen=True, order=True)
class Expected:
    path: str  # relative to the fixture folder
    line: int  # 0-based
    column: int
    end_line: int
    end_column: int
    code: str

    def describe(self) -> str:
        return f"{self.path}:{self.line + 1}:{self.column + 1}-{self.end_line + 1}:{self.end_column + 1} {self.code}"


def caret_expectations(path: Path, relative: str) -> list[Expected]:
    found: list[Expected] = []
    target = -1
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        match = CARET_LINE.match(line)
        if match is None:
            target = number
            continue
        start = match.start(1)
        found.append(Expected(relative, target, start, target, start + len(match.group(1)), match.group(2)))
    return found


def fixture_expectations(folder: Path) -> list[Expected]:
    expected: list[Expected] = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if relative.startswith(".fixed/") or not path.is_file():
            continue
        if path.suffix in SOURCE_SUFFIXES:
            expected += caret_expectations(path, relative)
    listing = folder / "expected.txt"
    if listing.is_file():
        for raw in listing.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            match = EXPECTED_LINE.match(raw.strip())
            if match is None:
                raise ValueError(f"{listing}: cannot read line {raw!r}")
            rel, line, col, end_line, end_col, code = match.groups()
            expected.append(
                Expected(rel, int(line) - 1, int(col) - 1, int(end_line) - 1, int(end_col) - 1, code)
            )
    return sorted(expected)


def fixture_folders(base: Path) -> list[Path]:
    """Every fixture: a folder holding a plugin (manifest.json, Cargo.toml, go.mod or sources)."""
    folders = []
    for marker in sorted(base.rglob("*")):
        is_fixture = marker.is_dir() and ".fixed" not in marker.parts and _is_plugin(marker)
        if is_fixture and not any(parent in folders for parent in marker.parents):
            folders.append(marker)
    return folders


def _is_plugin(folder: Path) -> bool:
    return any((folder / name).is_file() for name in ("manifest.json", "Cargo.toml", "go.mod", "expected.txt"))
