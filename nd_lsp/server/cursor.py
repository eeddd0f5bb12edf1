"""What API item sits under or before the cursor, per language, from a light scan of the text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.workspace import PositionCodec

from nd_lsp.check.discovery import language_of
from nd_lsp.frontends.facts import Language
from nd_lsp.server.lines import LineIndex
from nd_lsp.specs.model import Spec

WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
LOOKBEHIND_CHARS = 4000  # how far back a scan for an enclosing call, brace or block looks


@dataclass(frozen=True)
class RequestContext:
    """One open document at request time, with the spec of its plugin's target version."""

    path: Path
    text: str
    lines: list[str]
    spec: Spec
    codec: PositionCodec
    snippets: bool = True  # the client accepts snippet completions
    markdown: bool = True  # the client renders Markdown in hover, completion and signature documentation

    def markup(self, text: str) -> types.MarkupContent:
        kind = types.MarkupKind.Markdown if self.markdown else types.MarkupKind.PlainText
        return types.MarkupContent(kind=kind, value=text)

    @functools.cached_property
    def line_index(self) -> LineIndex:
        """Positions of this text: for spans from the front-ends (which count lines at \\n only)."""
        return LineIndex(self.text, self.codec)

    @property
    def language(self) -> Language | None:
        return language_of(self.path)

    def cursor(self, position: types.Position) -> Cursor | None:
        """The cursor in code points; None past the end of the document."""
        # The empty line after a final newline is a line the cursor can be on, though `lines` omits it.
        ends_with_newline = not self.lines or self.lines[-1].endswith("\n")
        last = len(self.lines) if ends_with_newline else len(self.lines) - 1
        if not 0 <= position.line <= last:
            return None
        line_text = self.lines[position.line].rstrip("\r\n") if position.line < len(self.lines) else ""
        column = _code_points(self.codec, line_text, position.character)
        if column is None:
            return None
        offset = sum(len(line) for line in self.lines[: position.line]) + column
        return Cursor(position.line, column, line_text, self.text[max(0, offset - LOOKBEHIND_CHARS) : offset])

    def client_range(self, line: int, start: int, end: int) -> types.Range:
        text = self.lines[line] if line < len(self.lines) else ""
        return types.Range(
            start=types.Position(line=line, character=self.codec.client_num_units(text[:start])),
            end=types.Position(line=line, character=self.codec.client_num_units(text[:end])),
        )


def _code_points(codec: PositionCodec, line: str, character: int) -> int | None:
    units = 0
    for index, char in enumerate(line):
        if units >= character:
            return index
        units += codec.client_num_units(char)
    return len(line) if character <= units else None


@dataclass(frozen=True)
class Cursor:
    line: int
    column: int  # code points
    line_text: str
    before: str  # the document text before the cursor (up to LOOKBEHIND_CHARS)

    @property
    def prefix(self) -> str:
        return self.line_text[: self.column]

    def word_bounds(self) -> tuple[int, int]:
        """Start and end column of the identifier under (or just before) the cursor."""
        start = self.column
        while start > 0 and self.line_text[start - 1] in WORD_CHARS:
            start -= 1
        end = self.column
        while end < len(self.line_text) and self.line_text[end] in WORD_CHARS:
            end += 1
        return start, end

    def word(self) -> str:
        start, end = self.word_bounds()
        return self.line_text[start:end]

    def partial(self) -> str:
        """The identifier being typed: the word characters just before the cursor."""
        start, _ = self.word_bounds()
        return self.line_text[start : self.column]

    def qualifier(self, separator: str) -> list[str]:
        """The path written before the word under the cursor: `a::b::word` gives ["a", "b"]."""
        start, _ = self.word_bounds()
        segments: list[str] = []
        text = self.line_text[:start]
        while text.endswith(separator):
            text = text[: -len(separator)].rstrip() if separator != "." else text[: -len(separator)]
            match = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", text)
            if match is None:
                break
            segments.insert(0, match.group())
            text = text[: match.start()]
        return segments

    def char_after_word(self) -> str:
        _, end = self.word_bounds()
        rest = self.line_text[end:].lstrip()
        return rest[:1]


def unclosed_opener(text: str, opener: str, closer: str) -> int | None:
    """Index of the innermost `opener` in `text` not closed before its end (strings and comments are
    not understood: this is a heuristic for half-written code)."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        if char == closer:
            depth += 1
        elif char == opener:
            if depth == 0:
                return index
            depth -= 1
    return None


def enclosing_call(before: str) -> tuple[str, int] | None:
    """The callee written before the innermost unclosed `(` and the index of the argument the cursor is
    in (top-level commas counted), e.g. `kvstore::set("k", ` gives ("kvstore::set", 1)."""
    paren = unclosed_opener(before, "(", ")")
    if paren is None:
        return None
    match = re.search(r"([A-Za-z_][\w]*(?:(?:::|\.)[A-Za-z_]\w*)*)\s*$", before[:paren])
    if match is None:
        return None
    return match.group(1), _top_level_commas(before[paren + 1 :])


def _top_level_commas(text: str) -> int:
    depth = 0
    count = 0
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            count += 1
    return count


def go_imports(text: str) -> dict[str, str]:
    """Local name -> import path of a Go file's imports (dot and blank imports left out)."""
    found: dict[str, str] = {}
    blocks = re.findall(r"\bimport\s*\(([^)]*)\)", text) + re.findall(r"\bimport\s+((?:\w+\s+)?\"[^\"]+\")", text)
    for block in blocks:
        for alias, path in re.findall(r"(?:^|\n|;)\s*(\w+\s+)?\"([^\"]+)\"", block):
            local = alias.strip() or path.rstrip("/").rsplit("/", 1)[-1]
            if local not in {"_", "."}:
                found[local] = path
    return found


def rust_host_modules(spec: Spec) -> dict[str, str]:
    """Rust host module name -> host service name."""
    return {s.rust_module: s.name for s in spec.host_services if s.rust_module}


def rust_capability_modules(spec: Spec) -> dict[str, str]:
    return {c.rust_module: c.name for c in spec.capabilities if c.rust_module}


def python_host_stubs(text: str) -> dict[str, str]:
    """Local function name -> host import name, from `@extism.import_fn("ns", "name")` + `def local(`."""
    pattern = r"import_fn\(\s*[\"'][^\"']*[\"']\s*,\s*[\"'](\w+)[\"']\s*\)\s*\n(?:\s*@.*\n)*\s*def\s+(\w+)"
    return {local: name for name, local in re.findall(pattern, text)}


def json_path_at(before: str) -> tuple[list[str], bool, str]:
    """Where the cursor is in a (possibly broken) JSON document.

    Returns the keys of the objects enclosing the cursor (outermost first), whether the cursor is
    where a key is written, and the text typed so far inside an open string.
    """
    stack: list[str | None] = []  # key of each enclosing object/array (None for arrays and the root)
    expecting_key = False
    last_key = ""
    index = 0
    partial = ""
    while index < len(before):
        char = before[index]
        if char == '"':
            end = _string_end(before, index)
            if end is None:  # the cursor is inside this string
                partial = before[index + 1 :]
                return _keys(stack), expecting_key, partial
            if expecting_key:
                last_key = before[index + 1 : end]
            index = end + 1
            continue
        if char == "{":
            stack.append(last_key if stack else None)
            expecting_key = True
        elif char == "[":
            stack.append(None)
            expecting_key = False
        elif char in "}]":
            if stack:
                stack.pop()
            expecting_key = False
        elif char == ":":
            expecting_key = False
        elif char == ",":
            expecting_key = bool(stack) and _in_object(before, index)
        index += 1
    return _keys(stack), expecting_key, partial


def _in_object(before: str, comma: int) -> bool:
    square = unclosed_opener(before[:comma], "[", "]")
    curly = unclosed_opener(before[:comma], "{", "}")
    return curly is not None and (square is None or curly > square)


def _string_end(text: str, start: int) -> int | None:
    index = start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index
        if text[index] == "\n":  # an unterminated string ends at the line's end
            return index
        index += 1
    return None


def _keys(stack: list[str | None]) -> list[str]:
    return [key or "" for key in stack[1:]]


def json_key_under_cursor(line_text: str, column: int) -> tuple[str, int] | None:
    """The JSON key whose quoted text contains the cursor (`"permissions": ...`) and the column of its
    opening quote."""
    for match in re.finditer(r'"([^"\\]*)"\s*:', line_text):
        if match.start() <= column <= match.end(1) + 1:
            return match.group(1), match.start()
    return None
