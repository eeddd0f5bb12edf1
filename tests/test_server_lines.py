"""The server's line model: LSP line ends (\\r\\n, \\r, \\n only), client units, and front-end spans."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.workspace import PositionCodec

from nd_lsp.server.documents import LspTextDocument
from nd_lsp.server.lines import LineIndex, split_lines

UTF16 = PositionCodec(types.PositionEncodingKind.Utf16)


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\nb", ["a\n", "b"]),
        ("a\r\nb\r\n", ["a\r\n", "b\r\n"]),
        ("a\rb\n", ["a\r", "b\n"]),
        ("a\u2028b\x0cc\x85d\n", ["a\u2028b\x0cc\x85d\n"]),  # characters, not line ends, for an editor
        ("", [""]),
        ("\n", ["\n"]),
    ],
)
def test_lines_end_at_lsp_line_ends_only(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


def edit(text: str, start: types.Position, end: types.Position, new: str) -> str:
    doc = LspTextDocument("file:///x.rs", text)
    doc.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=new))
    return doc.source


def test_an_edit_after_a_line_separator_lands_where_the_editor_put_it() -> None:
    assert edit("// a\u2028b\nfn x() {}\n", pos(1, 3), pos(1, 4), "y") == "// a\u2028b\nfn y() {}\n"


def test_an_edit_after_a_lone_cr_lands_on_the_next_line() -> None:
    assert edit("// a\rfn x() {}\n", pos(1, 3), pos(1, 4), "y") == "// a\rfn y() {}\n"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (pos(10**6, 0), pos(10**6, 0), "ab\n😀c\n!"),  # past the end: appended
        (pos(0, 99), pos(0, 99), "ab!\n😀c\n"),  # past the end of a line: at its end, before the line end
        (pos(1, 1), pos(1, 1), "ab\n😀!c\n"),  # inside a surrogate pair: after the code point
        (pos(1, 0), pos(0, 1), "a!😀c\n"),  # a reversed range: the text between the two is replaced
    ],
)
def test_positions_are_clamped_like_an_editor_clamps(start: types.Position, end: types.Position, expected: str) -> None:
    assert edit("ab\n😀c\n", start, end, "!") == expected


def test_front_end_spans_map_through_a_lone_cr() -> None:
    # The front-ends count "x\ry" as one line: column 2 of line 0 is the "y", on the client's line 1.
    index = LineIndex("x\ry\nz", UTF16)
    assert index.from_facts(0, 2) == pos(1, 0)
    assert index.from_facts(1, 1) == pos(2, 1)


def test_front_end_spans_count_utf16_units() -> None:
    index = LineIndex('s = "😀x"\n', UTF16)
    assert index.from_facts(0, 6) == pos(0, 7)


def test_an_offset_inside_crlf_moves_before_it() -> None:
    index = LineIndex("ab\r\ncd", UTF16)
    assert index.position(3) == pos(0, 2)
    assert index.offset(pos(0, 99)) == 2
    assert index.offset(pos(1, 1)) == 5
