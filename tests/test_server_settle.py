"""Half-written code in the server: published at once from the incremental parse, then settled.

tree-sitter's incremental parse of broken code can recover from the errors differently than a fresh
parse. The server publishes the fast result, and once typing pauses for `settleMs` it parses afresh and
publishes again, so what stays on screen is exactly what `nd-lsp check` reports.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from test_robustness_support import EXAMPLES, LspProcess, check_json, check_keys, diagnostic_keys, session

INCREMENTAL = Path(__file__).parent / "fixtures" / "incremental"
SETTLE_MS = 100


def go_plugin(tmp_path: Path, text: str) -> Path:
    plugin = tmp_path / "plugin"
    shutil.copytree(EXAMPLES / "now-playing-go", plugin)
    main = plugin / "main.go"
    main.write_text(text, encoding="utf-8")
    return main


def publishes(client: LspProcess, uri: str, version: int, start: int) -> list[tuple[float, list[dict[str, object]]]]:
    found = []
    for item in client.received[start:]:
        params = item.message.get("params") or {}
        is_publish = item.message.get("method") == "textDocument/publishDiagnostics"
        if is_publish and params.get("uri") == uri and params.get("version") == version:
            found.append((item.at, params["diagnostics"]))
    return found


def test_broken_code_is_published_at_once_then_again_from_a_fresh_parse(tmp_path: Path) -> None:
    before = (INCREMENTAL / "half_written_before.go.txt").read_text(encoding="utf-8")
    after = (INCREMENTAL / "half_written_after.go.txt").read_text(encoding="utf-8")
    main = go_plugin(tmp_path, before)
    with session(tmp_path, options={"settleMs": SETTLE_MS}) as client:
        uri = client.open(main, before)
        client.settled_diagnostics(uri, 1)
        mark = client.mark()
        client.change(uri, 2, [{"text": after}])
        settled = client.settled_diagnostics(uri, 2, quiet=1.0)
        (first_at, _), (second_at, second) = publishes(client, uri, 2, mark)
    assert second == settled
    assert second_at - first_at >= SETTLE_MS / 1000
    main.write_text(after, encoding="utf-8")
    assert diagnostic_keys(settled, after) == check_keys(check_json(main.parent), main, after)


def test_code_without_syntax_errors_is_published_once(tmp_path: Path) -> None:
    text = (EXAMPLES / "now-playing-go" / "main.go").read_text(encoding="utf-8")
    main = go_plugin(tmp_path, text)
    with session(tmp_path, options={"settleMs": SETTLE_MS}) as client:
        uri = client.open(main, text)
        client.settled_diagnostics(uri, 1)
        mark = client.mark()
        client.change(uri, 2, [{"text": "// a comment\n" + text}])
        client.settled_diagnostics(uri, 2, quiet=1.0)
        assert len(publishes(client, uri, 2, mark)) == 1
