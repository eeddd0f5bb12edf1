"""Protocol abuse: whatever a client sends, the server answers with a JSON-RPC error or an empty result
and keeps serving."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from test_robustness_support import (
    EXAMPLES,
    LspProcess,
    ServerGone,
    check_json,
    check_keys,
    copy_plugin,
    diagnostic_keys,
    replace,
    session,
)

NOWHERE = {"textDocument": {"uri": "file:///nowhere/never-opened.rs"}, "position": {"line": 0, "character": 0}}
RUST_EXAMPLE = EXAMPLES / "artist-info-rs"


def keeps_serving(client: LspProcess, attempts: int = 3) -> bool:
    """True when a plain request is answered (a message eaten by a bad frame may cost a few attempts)."""
    for _ in range(attempts):
        request_id = client.request_nowait("textDocument/hover", NOWHERE)
        try:
            client.response(request_id, timeout=2)
            return True
        except ServerGone:
            if client.proc.poll() is not None:
                return False
    return False


def error_for(client: LspProcess, request_id: int | None, timeout: float = 3) -> dict[str, Any]:
    got = client.wait_for(lambda m: "error" in m and m.get("id") == request_id, timeout)
    error: dict[str, Any] = got.message["error"]
    return error


def error_popups(client: LspProcess) -> list[str]:
    return [
        r.message["params"]["message"]
        for r in client.received
        if r.message.get("method") == "window/showMessage" and r.message["params"].get("type") == 1
    ]


def frame(body: bytes, length: int | None = None) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


# ---- framing


def test_invalid_json_keeps_the_server_serving(tmp_path: Path) -> None:
    with session(tmp_path, check_log=False) as client:
        client.send_raw(frame(b"{not json"))
        client.send_raw(frame(b"[]"))
        client.send_raw(frame(b'"just a string"'))
        assert keeps_serving(client)


def test_invalid_json_is_answered_with_a_parse_error(tmp_path: Path) -> None:
    """JSON-RPC 2.0: a body that is not JSON gets {"id": null, "error": {"code": -32700}}."""
    with session(tmp_path, check_log=False) as client:
        client.send_raw(frame(b"{not json"))
        assert error_for(client, None)["code"] == -32700
        assert not error_popups(client), "a client's framing bug is not the user's business"


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(frame(b'{"jsonrpc": "2.0", "id": 99, "method": "shutdown"}', length=10), id="too-short"),
        pytest.param(frame(b'{"jsonrpc": "2.0", "method": "nd/x"}', length=100), id="too-long"),
        pytest.param(
            b'Content-Type: application/vscode-jsonrpc\r\n\r\n{"jsonrpc": "2.0", "method": "x"}', id="missing"
        ),
        pytest.param(b'content-length: 33\r\n\r\n{"jsonrpc": "2.0", "method": "x"}', id="lower-case-name"),
    ],
)
def test_a_wrong_content_length_costs_at_most_the_next_message(tmp_path: Path, wrong: bytes) -> None:
    """After a bad frame the reader must find the next `Content-Length` header again, not stall forever."""
    with session(tmp_path, check_log=False) as client:
        client.send_raw(wrong)
        time.sleep(0.2)
        assert keeps_serving(client, attempts=3)


# ---- methods and parameters


def test_an_unknown_request_gets_method_not_found(tmp_path: Path) -> None:
    with session(tmp_path, check_log=False) as client:
        request_id = client.request_nowait("nd/noSuchMethod", {"x": 1})
        assert error_for(client, request_id)["code"] == -32601
        client.notify("nd/noSuchNotification", {"x": 1})
        client.notify("$/noSuchNotification", None)
        assert keeps_serving(client)


BAD_PARAMS = [
    ("textDocument/hover", {"textDocument": {"uri": 5}, "position": "abc"}),
    ("textDocument/completion", [1, 2, 3]),
    ("textDocument/signatureHelp", {"textDocument": {"uri": "file:///x.rs"}, "position": {"line": -1}}),
    ("textDocument/documentSymbol", None),
    ("textDocument/codeAction", {"textDocument": {"uri": "file:///x.rs"}}),
]


@pytest.mark.parametrize(("method", "params"), BAD_PARAMS, ids=[m for m, _ in BAD_PARAMS])
def test_wrong_parameter_types_get_invalid_params(tmp_path: Path, method: str, params: object) -> None:
    """JSON-RPC 2.0: a request whose params do not fit gets an error response (-32602), not silence."""
    with session(tmp_path, check_log=False) as client:
        request_id = client.request_nowait(method, params)
        assert error_for(client, request_id)["code"] == -32602
        assert keeps_serving(client)


def test_wrong_parameter_types_keep_the_server_serving(tmp_path: Path) -> None:
    with session(tmp_path, check_log=False) as client:
        for method, params in BAD_PARAMS:
            client.request_nowait(method, params)
        client.notify("textDocument/didOpen", {"textDocument": {"uri": 7}})
        client.notify("textDocument/didChange", {"contentChanges": "no"})
        assert keeps_serving(client)


# ---- documents that were never opened


def test_requests_for_unopened_documents_answer_empty(tmp_path: Path) -> None:
    plugin = copy_plugin(RUST_EXAMPLE, tmp_path / "plugin")
    doc = {"uri": (plugin / "src/lib.rs").as_uri()}
    position = {"line": 16, "character": 30}
    requests = {
        "textDocument/hover": {"textDocument": doc, "position": position},
        "textDocument/completion": {"textDocument": doc, "position": position},
        "textDocument/signatureHelp": {"textDocument": doc, "position": position},
        "textDocument/documentSymbol": {"textDocument": doc},
        "textDocument/codeAction": {
            "textDocument": doc,
            "range": {"start": position, "end": position},
            "context": {"diagnostics": []},
        },
    }
    with session(tmp_path, plugin) as client:
        for method, params in requests.items():
            answer = client.request(method, params, timeout=10)
            assert answer.get("result") in (None, []), f"{method}: {answer}"
        assert error_popups(client) == []


def test_did_change_for_an_unopened_document_is_ignored_quietly(tmp_path: Path) -> None:
    """pygls raises KeyError for it and shows the user "Error in server"; the server should drop it."""
    plugin = copy_plugin(RUST_EXAMPLE, tmp_path / "plugin")
    uri = (plugin / "src/lib.rs").as_uri()
    with session(tmp_path, plugin) as client:
        start = {"line": 0, "character": 0}
        client.change(uri, 2, [{"range": {"start": start, "end": start}, "text": "x"}])
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        assert keeps_serving(client)
        assert error_popups(client) == []


# ---- positions


def open_example(client: LspProcess, tmp_path: Path, text_edit: Any = None) -> tuple[Path, Path, str, str]:
    plugin = copy_plugin(RUST_EXAMPLE, tmp_path / "plugin")
    main = plugin / "src/lib.rs"
    text = main.read_text(encoding="utf-8")
    if text_edit is not None:
        text = text_edit(text)
    uri = client.open(main, text)
    client.wait_diagnostics(uri, 1, timeout=30)
    return plugin, main, uri, text


POSITION_REQUESTS = ("textDocument/hover", "textDocument/completion", "textDocument/signatureHelp")


def test_positions_past_the_end_of_a_line_or_the_file_answer(tmp_path: Path) -> None:
    with session(tmp_path, RUST_EXAMPLE) as client:
        _, _, uri, _ = open_example(client, tmp_path)
        for position in (
            {"line": 10**6, "character": 0},
            {"line": 3, "character": 10**6},
            {"line": 10**6, "character": 10**6},
        ):
            for method in POSITION_REQUESTS:
                answer = client.request(method, {"textDocument": {"uri": uri}, "position": position}, timeout=10)
                assert "result" in answer, f"{method} at {position}: {answer}"
            rng = {"start": position, "end": position}
            answer = client.request(
                "textDocument/codeAction",
                {"textDocument": {"uri": uri}, "range": rng, "context": {"diagnostics": []}},
                timeout=10,
            )
            assert "result" in answer


def test_an_edit_past_the_end_of_the_file_appends_and_is_analysed(tmp_path: Path) -> None:
    with session(tmp_path, RUST_EXAMPLE) as client:
        _, _, uri, _ = open_example(client, tmp_path)
        far = {"line": 10**6, "character": 10**6}
        client.change(uri, 2, [{"range": {"start": far, "end": far}, "text": "\n// appended\n"}])
        client.wait_diagnostics(uri, 2, timeout=30)
        assert keeps_serving(client)


EMOJI_LINE = 'const GREETING: &str = "😀😀 tune";\n'


def test_positions_inside_a_surrogate_pair_answer(tmp_path: Path) -> None:
    with session(tmp_path, RUST_EXAMPLE) as client:
        _, _, uri, text = open_example(client, tmp_path, lambda t: t + EMOJI_LINE)
        line = text.count("\n") - 1
        middle = len('const GREETING: &str = "') + 1  # between the two UTF-16 units of the first emoji
        for method in POSITION_REQUESTS:
            position = {"line": line, "character": middle}
            answer = client.request(method, {"textDocument": {"uri": uri}, "position": position}, timeout=10)
            assert "result" in answer
        inside = {"line": line, "character": middle}
        after = {"line": line, "character": middle + 2}  # ends inside the second emoji
        client.change(uri, 2, [{"range": {"start": inside, "end": after}, "text": "x"}])
        client.wait_diagnostics(uri, 2, timeout=30)
        assert keeps_serving(client)


def test_lone_surrogates_in_a_buffer_are_survived(tmp_path: Path) -> None:
    """JSON may carry "\\ud800"; the buffer then cannot be encoded as UTF-8, and nothing may crash on it."""
    with session(tmp_path, RUST_EXAMPLE) as client:
        _, _, uri, text = open_example(client, tmp_path, lambda t: t + 'const LONE: &str = "\ud800 \udfff";\n')
        line = text.count("\n") - 1
        for method in POSITION_REQUESTS:
            position = {"line": line, "character": 21}
            assert "result" in client.request(method, {"textDocument": {"uri": uri}, "position": position}, timeout=10)
        start = {"line": line, "character": 20}
        client.change(uri, 2, [{"range": {"start": start, "end": start}, "text": "\udc00"}])
        client.wait_diagnostics(uri, 2, timeout=30)
        assert keeps_serving(client)


# ---- line ends: LSP counts \r\n, \r and \n (and nothing else) as line ends


@pytest.mark.parametrize(
    "separator",
    [
        pytest.param("\u2028", id="line-separator"),
        pytest.param("\x0c", id="form-feed"),
        pytest.param("\r", id="lone-cr"),
    ],
)
def test_edits_and_ranges_follow_the_lsp_line_ends(tmp_path: Path, separator: str) -> None:
    """A comment holding U+2028 or \\f is one line for an editor (pygls splits there: edits land a line off);
    a lone \\r ends a line for an editor (the front-ends count \\n only: ranges land a line off)."""
    with session(tmp_path, RUST_EXAMPLE) as client:
        plugin, main, uri, text = open_example(client, tmp_path, lambda t: f"// odd{separator}comment\n" + t)
        # Make the kvstore call a bad one (ND201-style empty prefix exists already): insert an edit after it.
        index = text.index("kvstore::delete_by_prefix(") + len("kvstore::delete_by_prefix(")
        text, change = replace(text, index, index + 2, '"x"')
        client.change(uri, 2, [change])
        published = client.wait_diagnostics(uri, 2, timeout=30).message["params"]["diagnostics"]
        main.write_text(text, encoding="utf-8", newline="")
        assert diagnostic_keys(published, text) == check_keys(check_json(plugin), main, text)


# ---- size


HUGE_FUNCTIONS = 60_000  # ~2.5 MB of Rust, above the engine's 2 MB limit for files


def huge_rust() -> str:
    return "".join(f"pub fn f{i}() -> i64 {{ let x = {i}; x * 2 }}\n" for i in range(HUGE_FUNCTIONS))


def test_a_huge_buffer_gets_an_information_diagnostic_not_an_analysis(tmp_path: Path) -> None:
    """Above the size limit the server says so at once (one Information diagnostic) instead of analysing."""
    plugin = copy_plugin(RUST_EXAMPLE, tmp_path / "plugin")
    with session(tmp_path, plugin) as client:
        started = time.monotonic()
        uri = client.open(plugin / "src/lib.rs", huge_rust())
        published = client.wait_diagnostics(uri, 1, timeout=20).message["params"]["diagnostics"]
        took = time.monotonic() - started
        assert [d.get("severity") for d in published] == [3], [d["message"] for d in published][:3]
        assert took < 5, f"took {took:.1f} s: the buffer was analysed"


def test_replies_about_a_big_buffer_stay_bounded(tmp_path: Path) -> None:
    """A reply is bounded whatever the buffer holds: 5,000 exports (0.25 MB, under the size limit, so
    analysed) must not become a multi-megabyte documentSymbol answer or diagnostics notification."""
    exports = "".join(f"#[plugin_fn]\npub fn nd_x{i}(_: ()) -> FnResult<()> {{ Ok(()) }}\n" for i in range(5_000))
    plugin = copy_plugin(RUST_EXAMPLE, tmp_path / "plugin")
    with session(tmp_path, plugin) as client:
        uri = client.open(plugin / "src/lib.rs", "use extism_pdk::*;\n" + exports)
        published = client.wait_diagnostics(uri, 1, timeout=25).message
        assert len(json.dumps(published)) < 1_000_000
        answer = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, timeout=25)
        size = len(json.dumps(answer))
        assert size < 500_000, f"documentSymbol answered {size:,} bytes ({len(answer.get('result') or [])} symbols)"
