"""Random edit sequences on real plugins: the server answers everything and ends where `nd-lsp check` ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_robustness_support import (
    EXAMPLES,
    FIXTURES,
    LspProcess,
    check_json,
    check_keys,
    copy_plugin,
    diagnostic_keys,
    position_of,
    replace,
    session,
)

# Text typed or pasted: astral characters (two UTF-16 units), combining marks, tabs, CRLF, PDK-ish pieces.
# Lone surrogates cannot be saved as UTF-8 for the comparison with `nd-lsp check`; the protocol tests
# send them. Lone \r and Unicode line separators are left to test_robustness_protocol (line models).
NOT_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
TYPED = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters=NOT_LINE_BREAKS), max_size=8),
    st.sampled_from(
        ["e\u0301", "\u0308", "😀", "🎵x", "\t", "\r\n", "\n", "{", "}", "(", '"', "//", "#", "kvstore::", "host."]
    ),
)
EDIT = st.tuples(
    st.sampled_from(("insert", "insert", "delete", "replace", "truncate", "crlf", "tabs")),
    st.integers(0, 1_000_000),
    st.integers(0, 40),
    TYPED,
    st.sampled_from((None, None, "textDocument/hover", "textDocument/completion", "textDocument/signatureHelp")),
)
CASES = {
    "rust": (EXAMPLES / "artist-info-rs", "src/lib.rs"),
    "go": (EXAMPLES / "now-playing-go", "main.go"),
    "python": (EXAMPLES / "album-art-py", "plugin/__init__.py"),
    "rust-fixture": (FIXTURES / "ND102" / "rust-artist-url-never-registered", "src/lib.rs"),
    "go-fixture": (FIXTURES / "ND106" / "go-value-return", "main.go"),
    "python-fixture": (FIXTURES / "ND208" / "python-wrong-type", "plugin/__init__.py"),
}


def apply(text: str, edit: tuple[str, int, int, str, Any]) -> tuple[str, dict[str, Any]]:
    kind, where, length, typed, _ = edit
    start = where % (len(text) + 1)
    end = min(len(text), start + length)
    if kind == "insert":
        return replace(text, start, start, typed)
    if kind == "delete":
        return replace(text, start, end, "")
    if kind == "replace":
        return replace(text, start, end, typed)
    if kind == "truncate":
        return replace(text, start if length % 2 else 0, len(text), "")
    if kind == "crlf":
        return replace(text, 0, len(text), text.replace("\r\n", "\n").replace("\n", "\r\n"))
    return replace(text, 0, len(text), text.replace("    ", "\t"))


def run_sequence(client: LspProcess, plugin: Path, main: Path, edits: list[Any]) -> None:
    text = main.read_text(encoding="utf-8")
    uri = client.open(main, text)
    version = 1
    for edit in edits:
        text, change = apply(text, edit)
        version += 1
        client.change(uri, version, [change])
        method = edit[4]
        if method:
            position = position_of(text, edit[1] % (len(text) + 1))
            answer = client.request(method, {"textDocument": {"uri": uri}, "position": position}, timeout=20)
            assert "result" in answer, f"{method} answered {answer}"
    published = client.settled_diagnostics(uri, version)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    main.write_text(text, encoding="utf-8", newline="")
    expected = check_keys(check_json(plugin), main, text)
    assert diagnostic_keys(published, text) == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_random_edits_end_in_the_diagnostics_of_nd_lsp_check(tmp_path: Path, case: str) -> None:
    source, relative = CASES[case]
    runs = iter(range(1_000))

    with session(tmp_path, options={"settleMs": 20}) as client:

        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        )
        @given(edits=st.lists(EDIT, min_size=1, max_size=12))
        def edit_and_compare(edits: list[Any]) -> None:
            plugin = copy_plugin(source, tmp_path / f"run{next(runs)}")
            run_sequence(client, plugin, plugin / relative, edits)

        edit_and_compare()
