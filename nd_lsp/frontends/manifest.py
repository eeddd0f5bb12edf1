"""Read manifest.json into facts: a strict JSON parser that keeps the span of every key and value."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nd_lsp.frontends.facts import JsonMember, JsonNode, LiteralValue, ManifestFacts, Position, Span

# Go's encoding/json allows 10000 levels; no real manifest comes near this, and every consumer of
# the tree (rules, to_python) may recurse, so deeper input is reported instead of analysed.
MAX_DEPTH = 100
BOM = "\ufeff"

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_WHITESPACE_CHARS = frozenset(" \t\n\r")
_STRING_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_TAIL = re.compile(r"[0-9A-Za-z.+\-]*")
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]{0,3}")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Compiled on first use (re caches it): only a non-ASCII string can hold one, and compiling the pattern
# costs ~0.3 ms of every `nd-lsp check`.
_LONE_SURROGATE = r"[\ud800-\udfff]"
# Python refuses int() of longer digit strings; such numbers are floats (inf) to Go as well.
_MAX_INT_DIGITS = 4000
_LITERALS: dict[str, tuple[Literal["bool", "null"], LiteralValue]] = {
    "true": ("bool", True),
    "false": ("bool", False),
    "null": ("null", None),
}


class JsonSyntaxError(Exception):
    """The first place where a text stops being JSON: a description and the offending characters."""

    def __init__(self, description: str, offset: int, length: int = 1) -> None:
        super().__init__(description)
        self.description = description
        self.offset = offset
        self.length = length


@dataclass
class _OpenContainer:
    """An object or array whose closing bracket has not been read yet."""

    kind: Literal["object", "array"]
    start: int
    members: list[JsonMember] = field(default_factory=list)
    items: list[JsonNode] = field(default_factory=list)
    key: str = ""
    key_span: Span | None = None

    @property
    def closer(self) -> str:
        return "}" if self.kind == "object" else "]"

    def add(self, node: JsonNode) -> None:
        if self.kind == "array":
            self.items.append(node)
        else:
            assert self.key_span is not None
            self.members.append(JsonMember(self.key, self.key_span, node))


class _JsonReader:
    """Parses one JSON text without recursion, so any nesting depth is safe to read."""

    def __init__(self, path: Path, text: str, start: int = 0) -> None:
        self.path = path
        self.text = text
        self.start = start
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return Position(line, offset - self.line_starts[line])

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, self.position(start), self.position(end))

    def parse(self) -> JsonNode:
        text = self.text
        pos = self._skip(self.start)
        if pos >= len(text):
            raise JsonSyntaxError("the file is empty: a manifest is a JSON object", pos, 0)
        stack: list[_OpenContainer] = []
        while True:
            node, pos = self._value_or_open(stack, pos)
            while node is not None:
                if not stack:
                    self._expect_end(pos)
                    return node
                node, pos = self._after_value(stack, node, pos)

    def _value_or_open(self, stack: list[_OpenContainer], pos: int) -> tuple[JsonNode | None, int]:
        """Read a scalar, or open a container (returning None unless it is empty)."""
        pos = self._skip(pos)
        char = self.text[pos : pos + 1]
        if char not in ("{", "["):
            return self._scalar(pos)
        if len(stack) >= MAX_DEPTH:
            raise JsonSyntaxError(f"nested deeper than {MAX_DEPTH} levels; nd-lsp does not read further", pos)
        container = _OpenContainer("object" if char == "{" else "array", pos)
        stack.append(container)
        pos = self._skip(pos + 1)
        if self.text.startswith(container.closer, pos):
            stack.pop()
            return self._close(container, pos + 1), pos + 1
        if container.kind == "object":
            pos = self._key(container, pos, after_comma=False)
        return None, pos

    def _after_value(self, stack: list[_OpenContainer], node: JsonNode, pos: int) -> tuple[JsonNode | None, int]:
        """Attach a finished value to its container; return the container itself once it closes."""
        container = stack[-1]
        container.add(node)
        pos = self._skip(pos)
        char = self.text[pos : pos + 1]
        if char == ",":
            comma = pos
            pos = self._skip(pos + 1)
            if self.text.startswith(container.closer, pos):
                raise JsonSyntaxError(f"trailing comma: JSON does not allow a ',' before '{container.closer}'", comma)
            if container.kind == "object":
                pos = self._key(container, pos, after_comma=True)
            return None, pos
        if char == container.closer:
            stack.pop()
            return self._close(container, pos + 1), pos + 1
        what = "an object member" if container.kind == "object" else "an array item"
        hint = " (a comma is missing)" if char in ('"', "{", "[") or char.isalnum() else ""
        raise self._unexpected(f"expected ',' or '{container.closer}' after {what}{hint}", pos)

    def _close(self, container: _OpenContainer, end: int) -> JsonNode:
        span = self.span(container.start, end)
        if container.kind == "object":
            return JsonNode("object", span, members=tuple(container.members))
        return JsonNode("array", span, items=tuple(container.items))

    def _key(self, container: _OpenContainer, pos: int, *, after_comma: bool) -> int:
        """Read `"key" :` and return the position of the value."""
        char = self.text[pos : pos + 1]
        if char != '"':
            if char == "'":
                raise JsonSyntaxError("keys must be written in double quotes, not single quotes", pos)
            if char in ("/", "#"):
                raise JsonSyntaxError("JSON does not allow comments", pos)
            expected = "a double-quoted key" if after_comma else "a double-quoted key or '}'"
            raise self._unexpected(f"expected {expected}", pos)
        key, end = self._string(pos)
        container.key, container.key_span = key, self.span(pos, end)
        colon = self._skip(end)
        if not self.text.startswith(":", colon):
            raise self._unexpected(f"expected ':' after the key \"{_shorten(key)}\"", colon)
        return colon + 1

    def _scalar(self, pos: int) -> tuple[JsonNode, int]:
        char = self.text[pos : pos + 1]
        if char == '"':
            value, end = self._string(pos)
            return JsonNode("string", self.span(pos, end), value=value), end
        if char == "-" or char.isdigit():
            return self._number(pos)
        word = _WORD.match(self.text, pos)
        if word is not None:
            return self._literal(word.group(), pos)
        raise self._not_a_value(pos)

    def _literal(self, word: str, pos: int) -> tuple[JsonNode, int]:
        end = pos + len(word)
        if word in _LITERALS:
            kind, value = _LITERALS[word]
            return JsonNode(kind, self.span(pos, end), value=value), end
        if word.lower() in _LITERALS:
            raise JsonSyntaxError(f"'{word}' is not JSON: write '{word.lower()}' in lowercase", pos, len(word))
        if word in ("NaN", "Infinity"):
            raise JsonSyntaxError(f"'{word}' is not a JSON number", pos, len(word))
        import difflib  # only for this error message: importing it costs ~1 ms of every check

        close = difflib.get_close_matches(word.lower(), _LITERALS, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "strings must be written in double quotes"
        raise JsonSyntaxError(f"'{_shorten(word)}' is not a JSON value: {hint}", pos, len(word))

    def _number(self, pos: int) -> tuple[JsonNode, int]:
        match = _NUMBER.match(self.text, pos)
        end = match.end() if match else pos
        tail = _NUMBER_TAIL.match(self.text, end)
        if match is None or (tail is not None and tail.end() > end):
            token_end = tail.end() if tail is not None else end
            token = self.text[pos:token_end]
            raise JsonSyntaxError(f"'{_shorten(token)}' is not a valid JSON number", pos, max(1, token_end - pos))
        token = match.group()
        is_float = any(c in token for c in ".eE") or len(token) > _MAX_INT_DIGITS
        value: int | float = float(token) if is_float else int(token)
        return JsonNode("number", self.span(pos, end), value=value), end

    def _string(self, start: int) -> tuple[str, int]:
        """Read a string starting at its opening quote; return its value and the offset after it."""
        text = self.text
        pos = start + 1
        has_escape = False
        while True:
            chunk = _STRING_CHUNK.match(text, pos)
            pos = chunk.end() if chunk else pos
            if pos >= len(text):
                raise JsonSyntaxError("unterminated string: the closing '\"' is missing", start)
            char = text[pos]
            if char == '"':
                break
            if char == "\\":
                escape = _ESCAPE.match(text, pos)
                if escape is None:
                    raise self._bad_escape(pos)
                has_escape = True
                pos = escape.end()
                continue
            if char in "\r\n":
                raise JsonSyntaxError("unterminated string: the closing '\"' is missing before the line ends", start)
            raise JsonSyntaxError(
                f"control character U+{ord(char):04X} inside a string: write it as an escape (\\t, \\u00XX)",
                pos,
            )
        raw = text[start : pos + 1]
        value = json.loads(raw) if has_escape else raw[1:-1]
        # Go's decoder turns an unpaired surrogate escape into U+FFFD; so do we (and it keeps every
        # later encode of the value safe).
        return _without_lone_surrogates(value), pos + 1

    def _bad_escape(self, pos: int) -> JsonSyntaxError:
        following = self.text[pos + 1 : pos + 2]
        if following == "u":
            digits = _HEX_DIGITS.match(self.text, pos + 2)
            shown = self.text[pos : digits.end() if digits else pos + 2]
            return JsonSyntaxError(f"invalid escape '{shown}': \\u needs four hexadecimal digits", pos, len(shown))
        if not following:
            return JsonSyntaxError("unterminated string: the closing '\"' is missing", pos)
        return JsonSyntaxError(
            f"invalid escape '\\{following}': JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX",
            pos,
            2,
        )

    def _not_a_value(self, pos: int) -> JsonSyntaxError:
        char = self.text[pos : pos + 1]
        if not char:
            return JsonSyntaxError("unexpected end of file: a value is missing", pos, 0)
        if char == "'":
            return JsonSyntaxError("strings must be written in double quotes, not single quotes", pos)
        if char in ("/", "#"):
            return JsonSyntaxError("JSON does not allow comments", pos)
        if char in ("}", "]"):
            return JsonSyntaxError(f"expected a value before '{char}'", pos)
        if char == ",":
            return JsonSyntaxError("expected a value before ','", pos)
        return self._unexpected("expected a JSON value (object, array, string, number, true, false or null)", pos)

    def _unexpected(self, expected: str, pos: int) -> JsonSyntaxError:
        char = self.text[pos : pos + 1]
        if not char:
            return JsonSyntaxError(f"unexpected end of file: {expected}", pos, 0)
        return JsonSyntaxError(f"{expected}, found {_describe(char)}", pos)

    def _expect_end(self, pos: int) -> None:
        pos = self._skip(pos)
        if pos < len(self.text):
            char = self.text[pos]
            if char in ("/", "#"):
                raise JsonSyntaxError("JSON does not allow comments", pos)
            raise JsonSyntaxError(f"unexpected {_describe(char)} after the end of the JSON document", pos)

    def _skip(self, pos: int) -> int:
        if self.text[pos : pos + 1] not in _WHITESPACE_CHARS:
            return pos
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos


def _describe(char: str) -> str:
    if char.isprintable() and not char.isspace():
        return f"'{char}'"
    return f"U+{ord(char):04X}"


def _without_lone_surrogates(value: str) -> str:
    return value if value.isascii() else re.sub(_LONE_SURROGATE, "\ufffd", value)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_json(path: Path, text: str) -> JsonNode:
    """Parse a JSON document (a leading BOM is skipped). Raises JsonSyntaxError."""
    return _JsonReader(path, text, 1 if text.startswith(BOM) else 0).parse()


def read_manifest(path: Path, text: str) -> ManifestFacts:
    """The manifest's JSON tree with spans, or the first syntax error with its exact position.

    A byte-order mark is reported as a syntax error (Go's encoding/json rejects it, so Navidrome
    cannot load the plugin), but the rest of the file is still read so other checks keep working.
    """
    reader = _JsonReader(path, text, 1 if text.startswith(BOM) else 0)
    try:
        root: JsonNode | None = reader.parse()
    except JsonSyntaxError as error:
        return _syntax_error(reader, path, text, error, None)
    if text.startswith(BOM):
        bom = JsonSyntaxError("the file starts with a UTF-8 byte-order mark (BOM), which Go's JSON parser rejects", 0)
        return _syntax_error(reader, path, text, bom, root)
    return ManifestFacts(path=path, root=root, text=text)


def _syntax_error(
    reader: _JsonReader, path: Path, text: str, error: JsonSyntaxError, root: JsonNode | None
) -> ManifestFacts:
    start = reader.position(error.offset)
    end = reader.position(min(len(text), error.offset + error.length))
    message = f"{error.description} (line {start.line + 1}, column {start.column + 1})"
    return ManifestFacts(
        path=path, root=root, syntax_error=message, syntax_error_span=Span(path, start, end), text=text
    )
