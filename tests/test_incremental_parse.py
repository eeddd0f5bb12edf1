"""Incremental re-parsing (and the Rust front-end's reuse of unchanged items) gives what a fresh read gives."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import tree_sitter_go
import tree_sitter_rust
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Language, Node, Parser, Tree

from nd_lsp.frontends.incremental_parse import (
    IncrementalParser,
    allow_provisional_trees,
    changed_region,
    point_at,
    provisional_paths,
    settle,
)
from nd_lsp.frontends.recent import Recent, reading_once
from nd_lsp.frontends.rust import read_rust
from nd_lsp.specs.model import PdkLayout

RUST = Language(tree_sitter_rust.language())
GO = Language(tree_sitter_go.language())
PATH = Path("/plugin/src/lib.rs")

RUST_SOURCE = """\
use nd_pdk::host::kvstore;

// café: a comment with multi-byte characters 日本
const GREETING: &str = "héllo wörld";

#[plugin_fn]
pub fn nd_on_init(input: String) -> FnResult<String> {
    let value = kvstore::get("ключ")?;
    Ok(format!("{}{}", GREETING, input))
}

fn helper(x: u32) -> u32 {
    x + 1
}
"""

# Pieces an edit inserts: tokens, whitespace, CRLF, multi-byte characters, half-written syntax.
PIECES = ["x", "é", "日本", "\r\n", "\n", " ", "fn ", "{", "}", "(", ")", ";", '"', "//", "let y = 2;", "::", "ü"]


def dump(tree: Tree) -> list[tuple[str, int, int, tuple[int, int], tuple[int, int]]]:
    """Every node with its kind, bytes and points: an edit with wrong offsets shows up here."""
    found = []
    stack: list[Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        found.append((node.type, node.start_byte, node.end_byte, tuple(node.start_point), tuple(node.end_point)))
        stack.extend(reversed(node.children))
    return found


def fresh(language: Language, source: bytes) -> Tree:
    return Parser(language).parse(source)


def apply(source: str, start: int, length: int, inserted: str) -> str:
    start = min(start, len(source))
    return source[:start] + inserted + source[start + length :]


edits = st.tuples(st.integers(0, len(RUST_SOURCE)), st.integers(0, 6), st.lists(st.sampled_from(PIECES), max_size=3))


@settings(max_examples=40, deadline=None)
@given(st.lists(edits, min_size=1, max_size=4))
def test_a_sequence_of_random_edits_gives_the_fresh_tree(sequence: list[tuple[int, int, list[str]]]) -> None:
    parser = IncrementalParser(RUST)
    text = RUST_SOURCE
    parser.parse(PATH, text.encode())
    for start, length, pieces in sequence:
        text = apply(text, start, length, "".join(pieces))
        source = text.encode()
        got = parser.parse(PATH, source)
        assert str(got.root_node) == str(fresh(RUST, source).root_node)
        assert dump(got) == dump(fresh(RUST, source))


def test_typing_a_function_one_character_at_a_time_gives_the_fresh_tree_at_every_step() -> None:
    parser = IncrementalParser(RUST)
    text = RUST_SOURCE
    parser.parse(PATH, text.encode())
    cursor = text.index("fn helper")
    for char in "fn typed(k: &str) -> Option<u8> {\n    kvstore::get(k).ok()\n}\n\n":
        text = text[:cursor] + char + text[cursor:]
        cursor += 1
        source = text.encode()
        assert dump(parser.parse(PATH, source)) == dump(fresh(RUST, source))


def test_crlf_line_ends_and_multibyte_characters_keep_the_points_right() -> None:
    crlf = RUST_SOURCE.replace("\n", "\r\n")
    parser = IncrementalParser(RUST)
    parser.parse(PATH, crlf.encode())
    edited = crlf.replace("x + 1", 'x + 1 + "ß日".len() as u32').replace("héllo", "hé\r\nllo")
    source = edited.encode()
    assert dump(parser.parse(PATH, source)) == dump(fresh(RUST, source))
    assert not fresh(RUST, source).root_node.has_error


def test_an_edit_inside_a_multibyte_character_is_widened_to_the_whole_character() -> None:
    old, new = "a é b".encode(), "a è b".encode()  # é and è share their first UTF-8 byte
    region = changed_region(old, new)
    assert (region.start, region.old_end, region.new_end) == (2, 4, 4)


def test_points_count_rows_at_newlines_and_columns_in_bytes() -> None:
    source = "ab\r\nç = 1\n".encode()
    assert tuple(point_at(source, 0)) == (0, 0)
    assert tuple(point_at(source, 4)) == (1, 0)
    assert tuple(point_at(source, 7)) == (1, 3)  # ç is two bytes


def test_the_parser_is_language_neutral() -> None:
    parser = IncrementalParser(GO)
    path = Path("/plugin/main.go")
    old = b"package main\n\nfunc main() {\n\tx := 1\n\t_ = x\n}\n"
    new = old.replace(b"x := 1", b"x := 12345")
    parser.parse(path, old)
    assert dump(parser.parse(path, new)) == dump(fresh(GO, new))


def test_only_the_most_recent_paths_are_kept() -> None:
    parser = IncrementalParser(RUST, max_paths=2)
    for name in ("a.rs", "b.rs", "c.rs"):
        parser.parse(Path(name), b"fn f() {}")
    assert parser.cached_paths() == [Path("b.rs"), Path("c.rs")]


def test_a_run_that_reads_each_file_once_keeps_no_tree_and_then_trees_are_kept_again() -> None:
    parser = IncrementalParser(RUST)
    with reading_once():
        parser.parse(PATH, RUST_SOURCE.encode())
        assert parser.cached_paths() == []
    parser.parse(PATH, RUST_SOURCE.encode())
    assert parser.cached_paths() == [PATH]


def test_nd_lsp_check_keeps_no_memory_of_the_files_it_read(tmp_path: Path) -> None:
    from nd_lsp.cli import main
    from nd_lsp.frontends.rust_syntax import _file_parser, parse_rust_file

    plugin = Path(__file__).parent.parent / "examples" / "artist-info-rs"
    main(["check", "--format", "json", str(plugin)])
    assert not [p for p in _file_parser().cached_paths() if plugin in p.parents]
    parse_rust_file(tmp_path / "lib.rs", RUST_SOURCE.encode())  # outside a check (the language server)
    assert tmp_path / "lib.rs" in _file_parser().cached_paths()


def test_a_memory_keeps_nothing_while_each_file_is_read_once() -> None:
    memory = Recent[str, int](2)
    with reading_once():
        memory.put("not kept", 1)
    memory.put("kept", 2)
    assert (memory.get("not kept"), memory.get("kept")) == (None, 2)


def test_the_same_text_again_gives_the_same_tree_and_other_paths_do_not_mix() -> None:
    parser = IncrementalParser(RUST)
    first = parser.parse(Path("a.rs"), b"fn f() {}")
    parser.parse(Path("b.rs"), b"struct S;")
    assert parser.parse(Path("a.rs"), b"fn f() {}") is first
    assert dump(parser.parse(Path("b.rs"), b"struct T;")) == dump(fresh(RUST, b"struct T;"))


# -- the Rust front-end reads an edited text to the same facts as a fresh read ----------------------

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
RUST_PLUGINS = [
    FIXTURES / "ND304" / "rust-good-host-module-glob" / "src" / "lib.rs",  # a host-module glob import
    FIXTURES / "ND102" / "rust-good-registered-through-own-macro" / "src" / "lib.rs",  # macro_rules!
    FIXTURES / "ND402" / "rust-static-state" / "src" / "lib.rs",  # static mut, static initialiser
    Path(__file__).parent.parent / "examples" / "artist-info-rs" / "src" / "lib.rs",
]
LAYOUT = PdkLayout(rust_crate="nd_pdk", rust_host_module="host", import_namespace="extism:host/user")
_fresh_reads = itertools.count()


def facts_as_text(path: Path, text: str) -> str:
    return repr(read_rust(path, text, LAYOUT)).replace(str(path), "<path>")


def fresh_facts(text: str) -> str:
    """The facts of a first read: a path never read before has no earlier tree or units to reuse."""
    return facts_as_text(Path(f"/fresh-{next(_fresh_reads)}/src/lib.rs"), text)


def edits_of(text: str) -> Iterator[str]:
    """What a user does to a plugin: type a function (its name changing with every keystroke), add
    lines above everything, touch a `use`, add constants and statics, write a multi-byte character
    before an item, switch to CRLF line ends."""
    cursor = text.find("\n\n", len(text) // 2) + 1 or len(text)
    for char in "\nfn key_of2(k: &str) -> u32 { get(k); KEY.len() as u32 }\n":
        text = text[:cursor] + char + text[cursor:]
        cursor += 1
        yield text
    text = "\n\n" + text
    yield text
    yield (text := text.replace("nd_pdk::", "nd_pdkx::", 1))
    yield (text := text.replace("nd_pdkx::", "nd_pdk::", 1))
    yield (text := text + 'const KEY: &str = "k";\n')
    yield (text := text + "static mut COUNT: u32 = 0;\n")
    yield (text := text.replace('"k"', '"key"'))
    middle = text.find("\nfn ", len(text) // 3) + 1
    if middle:
        yield (text := text[:middle] + "é " + text[middle:])
    yield text.replace("\n", "\r\n")


@pytest.mark.parametrize("plugin", RUST_PLUGINS, ids=lambda p: p.parts[-3])
def test_every_keystroke_gives_the_facts_of_a_fresh_read(plugin: Path) -> None:
    path = Path(f"/edited/{plugin.parts[-3]}/src/lib.rs")
    text = plugin.read_text(encoding="utf-8")
    assert facts_as_text(path, text) == fresh_facts(text)
    for edited in edits_of(text):
        assert facts_as_text(path, edited) == fresh_facts(edited)


def test_half_written_code_gets_the_fresh_parse_whatever_the_edit_history() -> None:
    """tree-sitter's error recovery once differed between an incremental and a fresh parse of this text."""
    folder = Path(__file__).parent / "fixtures" / "incremental"
    before = (folder / "half_written_before.go.txt").read_bytes()
    after = (folder / "half_written_after.go.txt").read_bytes()
    language = Language(tree_sitter_go.language())
    incremental = IncrementalParser(language)
    incremental.parse(Path("main.go"), before)
    fresh = Parser(language).parse(after)
    assert str(incremental.parse(Path("main.go"), after).root_node) == str(fresh.root_node)


# -- the language server's provisional trees: fast while typing, a fresh parse once typing pauses ------


@pytest.fixture
def provisional_trees() -> Iterator[None]:
    allow_provisional_trees()
    try:
        yield
    finally:
        allow_provisional_trees(False)


def test_a_provisional_tree_is_kept_until_settled_then_the_fresh_tree_is_used(provisional_trees: None) -> None:
    folder = Path(__file__).parent / "fixtures" / "incremental"
    before = (folder / "half_written_before.go.txt").read_bytes()
    after = (folder / "half_written_after.go.txt").read_bytes()
    path = Path("/provisional/main.go")
    parser = IncrementalParser(GO)
    parser.parse(path, before)
    provisional = parser.parse(path, after)
    # The reason for settling: this incremental tree's error recovery differs from a fresh parse's.
    assert str(provisional.root_node) != str(fresh(GO, after).root_node)
    assert path in provisional_paths()
    assert parser.parse(path, after) is provisional  # the same text again changes nothing
    settle([path])
    assert path not in provisional_paths()
    assert dump(parser.parse(path, after)) == dump(fresh(GO, after))
    assert path not in provisional_paths()


def test_only_an_incremental_tree_with_errors_is_provisional(provisional_trees: None) -> None:
    path = Path("/provisional/src/lib.rs")
    parser = IncrementalParser(RUST)
    parser.parse(path, b"fn a() {}\n")
    assert path not in provisional_paths()
    parser.parse(path, b"fn a() {}\nfn b( {}\n")
    assert path in provisional_paths()
    parser.parse(path, b"fn a() {}\nfn b() {}\n")
    assert path not in provisional_paths()
    parser.parse(path, b"fn a() {}\nfn b( {}\n")
    parser.forget(path)
    assert path not in provisional_paths()


def test_settling_touches_only_the_named_paths(provisional_trees: None) -> None:
    parser = IncrementalParser(RUST)
    first, second = Path("/p/a.rs"), Path("/p/b.rs")
    for path in (first, second):
        parser.parse(path, b"fn a() {}\n")
        parser.parse(path, b"fn a( {}\n")
    settle([first])
    assert provisional_paths() >= {second}
    assert first not in provisional_paths()
    assert parser.cached_paths() == [second]


@pytest.mark.parametrize("plugin", RUST_PLUGINS, ids=lambda p: p.parts[-3])
def test_every_keystroke_settles_to_the_facts_of_a_fresh_read(provisional_trees: None, plugin: Path) -> None:
    path = Path(f"/settled/{plugin.parts[-3]}/src/lib.rs")
    facts_as_text(path, plugin.read_text(encoding="utf-8"))
    for edited in edits_of(plugin.read_text(encoding="utf-8")):
        facts_as_text(path, edited)  # what the server publishes first, from a provisional tree when broken
        settle([path])
        assert facts_as_text(path, edited) == fresh_facts(edited)
