"""The custom request `nd-lsp/targetVersion` (the VS Code status bar) names a plugin's target version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CARGO = """[package]
name = "p"
version = "0.1.0"

[lib]
crate-type = ["cdylib"]

[dependencies]
nd-pdk = { git = "https://github.com/navidrome/navidrome", tag = "v0.61.0" }
"""


class RawClient:
    """JSON-RPC over the server's stdio, frame by frame: nothing between the test and the wire."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nd_lsp.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        headers = b""
        while not headers.endswith(b"\r\n\r\n"):
            byte = self.process.stdout.read(1)
            assert byte, "the server closed its output"
            headers += byte
        length = next(int(h.split(b":")[1]) for h in headers.split(b"\r\n") if h.lower().startswith(b"content-length"))
        answer: dict[str, Any] = json.loads(self.process.stdout.read(length))
        return answer

    def request(self, request_id: int, method: str, params: dict[str, Any]) -> Any:
        self.send({"id": request_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == request_id and "method" not in message:
                return message.get("result")

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def client() -> Any:
    raw = RawClient()
    yield raw
    raw.close()


def test_a_crate_pinning_nd_pdk_is_reported_with_its_version_and_where_it_came_from(
    client: RawClient, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text(CARGO, encoding="utf-8")
    (tmp_path / "manifest.json").write_text('{"name": "p", "author": "a", "version": "1"}', encoding="utf-8")
    source = tmp_path / "src" / "lib.rs"
    source.write_text("// nothing yet\n", encoding="utf-8")
    client.request(1, "initialize", {"capabilities": {}, "rootUri": tmp_path.as_uri()})
    client.send({"method": "initialized", "params": {}})
    document = {"uri": source.as_uri(), "languageId": "rust", "version": 1, "text": "// nothing yet\n"}
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": document}})
    answer = client.request(2, "nd-lsp/targetVersion", {"textDocument": {"uri": source.as_uri()}})
    assert answer == {"version": "0.61.0", "source": "Cargo.toml nd-pdk tag v0.61.0"}


def test_a_file_outside_any_plugin_gets_the_newest_release(client: RawClient, tmp_path: Path) -> None:
    client.request(1, "initialize", {"capabilities": {}})
    answer = client.request(2, "nd-lsp/targetVersion", {"textDocument": {"uri": (tmp_path / "x.rs").as_uri()}})
    assert answer is not None and answer["source"].startswith("newest")
