"""Line model of the protocol: LSP ends lines at \\r\\n, \\r and \\n only, and counts characters in the
client's encoding; the front-ends count lines at \\n only and columns in code points.

`LineIndex` converts between the three: LSP positions, code-point offsets and the front-ends' positions.
str.splitlines() is not used anywhere: it also splits at \\f, \\x1c-\\x1e, \\x85, U+2028 and U+2029, which
are ordinary characters for an editor.
"""

from __future__ import annotations

import bisect
import itertools
import re

from lsprotocol import types
from pygls.workspace import PositionCodec

LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of text with their ends kept, like splitlines(True) but at LSP line ends only.

    As with splitlines, a text ending in a line end has no empty last line.
    """
    starts = lsp_line_starts(text)
    if starts[-1] == len(text) and len(starts) > 1:
        starts.pop()
    return [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]


def lsp_line_starts(text: str) -> list[int]:
    if "\r" not in text:  # the common case, in C: every keystroke of a 3,000-line file pays for this
        return lf_line_starts(text)
    return [0, *(match.end() for match in LINE_END.finditer(text))]


def lf_line_starts(text: str) -> list[int]:
    """Line starts as the front-ends count lines: after each \\n."""
    return list(itertools.accumulate((len(line) + 1 for line in text.split("\n")[:-1]), initial=0))


class LineIndex:
    """Positions in one text: LSP positions (client units) <-> code-point offsets <-> front-end positions."""

    def __init__(self, text: str, codec: PositionCodec) -> None:
        self.text = text
        self._codec = codec
        self._lsp_starts: list[int] | None = None
        self._lf_starts: list[int] | None = None

    @property
    def lsp_starts(self) -> list[int]:
        if self._lsp_starts is None:
            self._lsp_starts = lsp_line_starts(self.text)
        return self._lsp_starts

    @property
    def lf_starts(self) -> list[int]:
        if self._lf_starts is None:
            self._lf_starts = lf_line_starts(self.text)
        return self._lf_starts

    def line_content_end(self, line: int) -> int:
        """The offset where the line's text ends, before its line end."""
        starts = self.lsp_starts
        if line + 1 >= len(starts):
            return len(self.text)
        end = starts[line + 1]
        if self.text.startswith("\r\n", end - 2):
            return end - 2
        return end - 1

    def offset(self, position: types.Position) -> int:
        """The code-point offset of a client position, clamped the way editors clamp.

        A line past the end means the end of the text; a character past the end of its line means the
        end of the line; a character inside a surrogate pair (or a UTF-8 sequence) moves past that code point.
        """
        starts = self.lsp_starts
        if position.line >= len(starts):
            return len(self.text)
        start = max(0, starts[max(0, position.line)])
        end = self.line_content_end(max(0, position.line))
        units = 0
        wanted = max(0, position.character)
        for index in range(start, end):
            if units >= wanted:
                return index
            units += self._codec.client_num_units(self.text[index])
        return end

    def position(self, offset: int) -> types.Position:
        """The client position of a code-point offset (an offset inside \\r\\n moves before the \\r)."""
        offset = min(max(0, offset), len(self.text))
        if 0 < offset < len(self.text) and self.text[offset - 1] == "\r" and self.text[offset] == "\n":
            offset -= 1
        line = bisect.bisect_right(self.lsp_starts, offset) - 1
        start = self.lsp_starts[line]
        return types.Position(line=line, character=self._codec.client_num_units(self.text[start:offset]))

    def facts_offset(self, line: int, column: int) -> int:
        """The code-point offset of a front-end position (\\n-counted line, code-point column)."""
        # Not clamped to the line: `nd-lsp check` reports the same offsets, whatever a span's column says.
        starts = self.lf_starts
        if line >= len(starts):
            return len(self.text)
        return min(starts[max(0, line)] + max(0, column), len(self.text))

    def from_facts(self, line: int, column: int) -> types.Position:
        """The client position of a front-end position."""
        return self.position(self.facts_offset(line, column))
