"""Minimal edits of manifest.json that keep its formatting: add a member, remove one, rename a key."""

from __future__ import annotations

import json
import re

from nd_lsp.frontends.facts import JsonMember, JsonNode, Position, Span
from nd_lsp.rules.finding import TextEdit

# Regular expressions as text, compiled on first use (re caches them): a check compiles only those it needs.
_LEADING_WHITESPACE = r"[ \t]*"
_FIRST_KEY_INDENT = r"(?m)^([ \t]+)\""
DEFAULT_INDENT = "  "


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def indent_unit(text: str) -> str:
    """The file's indentation step: the indentation of its first indented key (two spaces when flat)."""
    match = re.search(_FIRST_KEY_INDENT, text)
    return match.group(1) if match else DEFAULT_INDENT


def _line(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line].rstrip("\r") if 0 <= line < len(lines) else ""


def _own_line_indent(text: str, position: Position) -> str | None:
    """The indentation of a line when `position` is its first non-blank character, else None."""
    line = _line(text, position.line)
    indent = re.match(_LEADING_WHITESPACE, line)
    width = indent.end() if indent else 0
    return line[:width] if width == position.column else None


def _line_indent(text: str, line: int) -> str:
    match = re.match(_LEADING_WHITESPACE, _line(text, line))
    return match.group() if match else ""


def _render(value: object, indent: str, unit: str, newline: str) -> str:
    """A JSON value laid out like the file: nested lines start with `indent`."""
    lines = json.dumps(value, indent=unit, ensure_ascii=False).split("\n")
    return (newline + indent).join(lines)


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def insert_member(text: str, obj: JsonNode, key: str, value: object) -> TextEdit:
    """Add `"key": value` as the last member of an object, in the object's layout (one member per
    line with the file's indentation, or inline when the object is written on one line)."""
    newline, unit = newline_of(text), indent_unit(text)
    path = obj.span.path
    if obj.members:
        last = obj.members[-1]
        at = last.value.span.end
        indent = _own_line_indent(text, last.key_span.start)
        if indent is None:
            new_text = f", {json.dumps(key)}: {_compact(value)}"
        else:
            new_text = f",{newline}{indent}{json.dumps(key)}: {_render(value, indent, unit, newline)}"
        return TextEdit(Span(path, at, at), new_text)
    return TextEdit(obj.span, _object_text({key: value}, text, obj, unit, newline))


def replace_value(text: str, node: JsonNode, value: dict[str, object]) -> TextEdit:
    """Replace a value (e.g. a `null`) with an object laid out like the file."""
    return TextEdit(node.span, _object_text(value, text, node, indent_unit(text), newline_of(text)))


def _object_text(value: dict[str, object], text: str, where: JsonNode, unit: str, newline: str) -> str:
    if "\n" not in text.strip():
        return _compact(value)
    return _render(value, _line_indent(text, where.span.start.line), unit, newline)


def remove_member(obj: JsonNode, index: int) -> TextEdit:
    """Delete one member of an object together with exactly one separating comma."""
    members = obj.members
    member = members[index]
    path = obj.span.path
    if len(members) == 1:
        return TextEdit(obj.span, "{}")
    if index < len(members) - 1:
        return TextEdit(Span(path, member.key_span.start, members[index + 1].key_span.start), "")
    previous = members[index - 1]
    return TextEdit(Span(path, previous.value.span.end, member.value.span.end), "")


def rename_key(member: JsonMember, new_key: str) -> TextEdit:
    return TextEdit(member.key_span, json.dumps(new_key, ensure_ascii=False))
