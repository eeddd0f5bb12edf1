"""While a Go file is edited, the front-end reuses what it read from the unchanged declarations: the facts
after every edit must be exactly those of reading the edited text afresh."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from nd_lsp.frontends.go import read_go
from nd_lsp.specs.model import PdkLayout

PDK = "github.com/navidrome/navidrome/plugins/pdk/go"
LAYOUT = PdkLayout(
    go_module=PDK,
    go_host_package=f"{PDK}/host",
    go_pdk_package=f"{PDK}/pdk",
    go_types_package=f"{PDK}/types",
)
EDITED = Path("/plugin/edited.go")
PLUGIN = f'''package main

import (
\t"{PDK}/host"
\t"{PDK}/metadata"
\t"{PDK}/scheduler"
)

const prefix = "cache:"

var current = &plugin{{}}

type plugin struct{{}}

var _ metadata.ArtistBiographyProvider = current

func newPlugin() *plugin {{ return &plugin{{}} }}

func (p *plugin) GetArtistBiography(req metadata.ArtistRequest) (*metadata.ArtistBiographyResponse, error) {{
\tvalue, _, _ := host.KVStoreGet(prefix + req.Name)
\treturn &metadata.ArtistBiographyResponse{{Biography: string(value)}}, nil
}}

func remember(key string) {{
\t_ = host.KVStoreSet(key, nil)
}}

func init() {{
\tmetadata.Register(current)
\tscheduler.Register(newPlugin())
\tremember(prefix + "init")
}}

func helper(n int) int {{
\ttotal := n
\tfor i := 0; i < 3; i++ {{
\t\ttotal += i
\t}}
\treturn total
}}

func main() {{}}
'''
_fresh_paths = itertools.count()


def fresh(text: str) -> str:
    """The facts of text read as a file never seen before (as text, its path swapped for EDITED's)."""
    path = Path(f"/plugin/fresh{next(_fresh_paths)}.go")
    return repr(read_go(path, text, LAYOUT)).replace(repr(path), repr(EDITED))


def typed(at: str, typing: str) -> list[str]:
    """The texts while `typing` is typed one character at a time right before `at`."""
    return [PLUGIN.replace(at, typing[: i + 1] + at, 1) for i in range(len(typing))]


def replaced(*steps: tuple[str, str]) -> list[str]:
    """The texts after each replacement (old, new), applied one after the other."""
    texts = [PLUGIN]
    for old, new in steps:
        assert old in texts[-1], old
        texts.append(texts[-1].replace(old, new, 1))
    return texts[1:]


EDIT_SEQUENCES = {
    "typing a helper function between two others": typed(
        "func helper(", "func typed(key string) {\n\t_, _, _ = host.KVStoreGet(key)\n}\n\n"
    ),
    "new lines above every declaration": replaced(("const prefix", "\n\nconst prefix"), ("\n\nconst", "const")),
    "a declaration naming a package variable moves away from it": replaced(
        ("type plugin struct{}", "\ntype plugin struct{}")
    ),
    "the text after a statement is deleted up to the end of the file": [
        PLUGIN + "\tmetadata.Register(&plugin{})\n\nfunc later() {}\n",
        PLUGIN + "\tmetadata.Register(&plugin{})",
    ],
    "a constant the host calls use changes": replaced(('prefix = "cache:"', 'prefix = "store:"')),
    "the registered package variable changes type": replaced(("var current = &plugin{}", "var current = plugin{}")),
    "the constructor's result changes": replaced(("func newPlugin() *plugin {", "func newPlugin() plugin {")),
    "a wrapper stops passing its parameter": replaced(("host.KVStoreSet(key, nil)", 'host.KVStoreSet("fixed", nil)')),
    "an unclosed brace swallows the rest, then closes": replaced(
        ("func helper(n int) int {\n", "func helper(n int) int {\n\tif n > 0 {\n"),
        ("\tif n > 0 {\n", "\tif n > 0 {}\n"),
    ),
    "a declaration moves below another": replaced(
        ("func remember(key string) {\n\t_ = host.KVStoreSet(key, nil)\n}\n\n", ""),
        ("func main() {}\n", "func main() {}\n\nfunc remember(key string) {\n\t_ = host.KVStoreSet(key, nil)\n}\n"),
    ),
}


@pytest.mark.parametrize("texts", EDIT_SEQUENCES.values(), ids=EDIT_SEQUENCES.keys())
def test_facts_after_each_edit_are_those_of_a_fresh_read(texts: list[str]) -> None:
    read_go(EDITED, PLUGIN, LAYOUT)
    for step, text in enumerate(texts):
        assert repr(read_go(EDITED, text, LAYOUT)) == fresh(text), f"after edit {step}"


def test_the_fresh_read_sees_what_the_edits_change() -> None:
    """Guards the comparison above: the edits do change facts (a constant reaches the host call)."""
    before = read_go(EDITED, PLUGIN, LAYOUT)
    after = read_go(EDITED, PLUGIN.replace('"cache:"', '"store:"'), LAYOUT)
    [call] = [c for c in before.host_calls if c.function == "KVStoreGet"]
    [changed] = [c for c in after.host_calls if c.function == "KVStoreGet"]
    assert call.args[0].prefix == "cache:" and changed.args[0].prefix == "store:"
