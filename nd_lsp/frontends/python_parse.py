"""Parsing a Python file with tree-sitter, with the damage of a syntax error kept to the part it is in.

Inside brackets Python ignores line ends, so one unclosed `(` makes the rest of the file a continuation of
the statement being typed: tree-sitter then reads every later `def` as a name inside a broken call, and
the exports, host calls and imports after the typing point vanish until the bracket is closed. A reader
of the source sees a new statement wherever a line starts with `def`, `class` or `@`, and so does this
parse when the file has a syntax error: it cuts the file at those lines, and each part that does not
parse cleanly on its own is parsed alone, while the file is parsed again with those parts blanked out
(spaces, line ends kept), so that every position stays where it is.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from pathlib import Path
from typing import NamedTuple

from tree_sitter import Node, Parser, Range

from nd_lsp.frontends.incremental_parse import IncrementalParser, point_at
from nd_lsp.frontends.python_syntax import python_language
from nd_lsp.frontends.recent import Recent

# Lines that start a top-level statement whatever came before them: where a file with errors is cut.
_STATEMENT_LINE = re.compile(rb"^(?:(?:async[ \t]+)?def\b|class\b|@)", re.MULTILINE)
_NOT_LINE_END = re.compile(rb"[^\n]")
# Whether a part's text parses cleanly on its own, by text: a keystroke changes one part.
MAX_KNOWN_PARTS = 8192


class ParsedPython(NamedTuple):
    """A file's module and the damaged parts of it parsed alone, with positions in the whole file."""

    module: Node  # the file's module: parsed whole, or with its damaged parts blanked out
    parts: tuple[Node, ...]  # the module of each damaged part parsed alone (none for clean code)

    @property
    def has_error(self) -> bool:
        return bool(self.parts) or self.module.has_error

    def statements(self) -> list[Node]:
        """The top-level statements of the file in source order, from the module and the parts."""
        found = [child for root in (self.module, *self.parts) for child in root.children]
        return sorted(found, key=lambda node: node.start_byte) if self.parts else found


@functools.lru_cache(maxsize=1)
def _whole_parser() -> IncrementalParser:
    return IncrementalParser(python_language())


@functools.lru_cache(maxsize=1)
def _blanked_parser() -> IncrementalParser:
    return IncrementalParser(python_language())


_part_parser = threading.local()
MAX_DAMAGED_PATHS = 64
# Whether the last read of a path found damaged parts.
_damaged_paths: Recent[Path, bool] = Recent(MAX_DAMAGED_PATHS)
_clean_parts: Recent[bytes, bool] = Recent(MAX_KNOWN_PARTS)


def parse_python_file(path: Path, source: bytes) -> ParsedPython:
    """The syntax of a file, re-parsed incrementally from the previous parse of the same path.

    The whole file is parsed first, unless the previous read of the path found damaged parts: parsing
    3,000 lines with an unclosed bracket costs ~10 ms each time, so while one stays, the parts are looked
    at first, and the whole file is parsed again once they all read cleanly on their own.
    """
    if not _damaged_paths.get(path):
        module = _whole_parser().parse(path, source).root_node
        if not module.has_error:
            return ParsedPython(module, ())
    parts = _parts(source)
    damaged = [(start, end) for start, end in parts if not _parses_cleanly(source[start:end])]
    if not damaged:
        _damaged_paths.take(path)
        # Each part is fine alone: the file is clean, or the error is in how its parts join.
        return ParsedPython(_whole_parser().parse(path, source).root_node, ())
    _damaged_paths.put(path, True)
    blanked = bytearray(source)
    for start, end in damaged:
        blanked[start:end] = _NOT_LINE_END.sub(b" ", source[start:end])
    module = _blanked_parser().parse(path, bytes(blanked)).root_node
    return ParsedPython(module, tuple(_parse_part(source, start, end) for start, end in damaged))


def _parts(source: bytes) -> list[tuple[int, int]]:
    """The file cut before each line that starts a `def`, `class` or decorator; the decorators of a
    definition stay in one part with it."""
    cuts = [0]
    decorators_only = source.startswith(b"@")  # the part being cut holds decorators and nothing else yet
    for match in _STATEMENT_LINE.finditer(source):
        at = match.start()
        if at == 0:
            continue
        if not decorators_only:
            cuts.append(at)
        # A decorator keeps the part open for the definition; a definition completes it.
        decorators_only = match.group() == b"@"
    cuts.append(len(source))
    return list(itertools.pairwise(cuts))


def _parses_cleanly(text: bytes) -> bool:
    known = _clean_parts.get(text)
    if known is None:
        known = not _parser().parse(text).root_node.has_error
        _clean_parts.put(text, known)
    return known


def _parser() -> Parser:
    parser: Parser | None = getattr(_part_parser, "parser", None)
    if parser is None:
        parser = _part_parser.parser = Parser(python_language())
    parser.included_ranges = []
    return parser


def _parse_part(source: bytes, start: int, end: int) -> Node:
    """The part `source[start:end]` parsed alone, its nodes at their positions in `source`."""
    parser = _parser()
    parser.included_ranges = [Range(point_at(source, start), point_at(source, end), start, end)]
    return parser.parse(source).root_node
