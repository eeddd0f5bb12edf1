"""The server's frame reader and message intake, without a process: what the client's bytes become."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest

from nd_lsp.server.stream import MAX_HEADER_LINE, ChunkReader, read_frames


def frames(data: bytes) -> list[bytes]:
    bodies: list[bytes] = []
    read_frames(io.BytesIO(data), bodies.append)
    return bodies


def frame(body: bytes, length: int | None = None, name: bytes = b"Content-Length") -> bytes:
    return name + b": %d\r\n\r\n" % (len(body) if length is None else length) + body


GOOD = b'{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}'


def test_well_formed_frames_are_read_in_order() -> None:
    data = frame(b"{}") + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" + frame(GOOD)
    assert frames(data) == [b"{}", GOOD]


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(frame(b'{"jsonrpc": "2.0", "method": "x"}', length=10), id="too-short"),
        pytest.param(b'Content-Type: x\r\n\r\n{"jsonrpc": "2.0"}', id="missing"),
        pytest.param(b"garbage without any line end", id="garbage"),
        pytest.param(b"\r\n\r\n\n", id="blank-lines"),
    ],
)
def test_the_frame_after_a_broken_one_is_read(broken: bytes) -> None:
    assert frames(broken + frame(GOOD))[-1] == GOOD


def test_a_too_long_frame_costs_the_next_message_only() -> None:
    second = b'{"jsonrpc": "2.0", "method": "second"}'
    bodies = frames(frame(b"{}", length=40) + frame(second) + frame(GOOD))
    assert bodies[-1] == GOOD
    assert second not in bodies


@pytest.mark.parametrize("name", [b"content-length", b"CONTENT-LENGTH", b"Content-Length  "])
def test_header_names_are_case_insensitive_and_spacing_tolerant(name: bytes) -> None:
    assert frames(frame(GOOD, name=name)) == [GOOD]


def test_a_header_split_across_read_pieces_is_found() -> None:
    # Leftover body bytes without a line end are read in pieces of MAX_HEADER_LINE bytes.
    filler = b"x" * (MAX_HEADER_LINE - 5)
    assert frames(filler + frame(GOOD)) == [GOOD]


def test_an_absurd_length_is_not_allocated() -> None:
    assert frames(b"Content-Length: 99999999999999\r\n\r\n" + frame(GOOD)) == [GOOD]


def test_a_stream_ending_inside_a_body_ends_the_reading() -> None:
    assert frames(frame(GOOD) + frame(b"{}", length=100)) == [GOOD]


def test_the_descriptor_reader_reads_lines_and_exact_sizes() -> None:
    read_end, write_end = os.pipe()
    data = frame(GOOD) + frame(b"[" * 200_000)

    def write() -> None:
        with os.fdopen(write_end, "wb") as writer:
            writer.write(data)

    try:
        thread = threading.Thread(target=write)
        thread.start()
        bodies: list[bytes] = []
        read_frames(ChunkReader.of_fd(read_end), bodies.append)
        thread.join()
    finally:
        os.close(read_end)
    assert bodies == [GOOD, b"[" * 200_000]


# ---- intake: what goes back for a broken message


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        _, _, body = data.partition(b"\r\n\r\n")
        self.sent.append(json.loads(body))

    def close(self) -> None:
        pass


@pytest.fixture
def intake() -> tuple[Any, Recorder]:
    from nd_lsp.server.app import create_server

    server = create_server()
    recorder = Recorder()
    server.protocol.set_writer(recorder)
    return server.protocol, recorder


@pytest.mark.parametrize(
    ("body", "code", "msg_id"),
    [
        (b"{not json", -32700, None),
        (b"\xff\xfe", -32700, None),
        (b"[]", -32600, None),
        (b'"text"', -32600, None),
        (b'{"id": 3, "method": "shutdown"}', -32600, 3),
        (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "shutdown"}', -32600, None),
        (b'{"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {"position": "x"}}', -32602, 4),
        (b'{"jsonrpc": "2.0", "id": "s", "method": "textDocument/documentSymbol", "params": null}', -32602, "s"),
    ],
)
def test_broken_messages_get_the_json_rpc_error(
    intake: tuple[Any, Recorder], body: bytes, code: int, msg_id: object
) -> None:
    protocol, recorder = intake
    protocol.receive(body)
    assert len(recorder.sent) == 1
    answer = recorder.sent[0]
    assert answer["error"]["code"] == code
    assert "id" in answer and answer["id"] == msg_id


def test_a_notification_with_invalid_params_gets_no_answer(intake: tuple[Any, Recorder]) -> None:
    protocol, recorder = intake
    protocol.receive(b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": 7}}}')
    assert recorder.sent == []


def test_only_protocol_messages_reach_stdout() -> None:
    """A library's print() or a C extension writing to descriptor 1 must not corrupt the protocol stream."""
    code = (
        "import os\n"
        "from nd_lsp.server import _take_stdout\n"
        "out = _take_stdout()\n"
        "print('stray print')\n"
        "os.write(1, b'stray write')\n"
        "out.write(b'protocol')\n"
        "out.flush()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=True)
    assert done.stdout == b"protocol"
    assert b"stray print" in done.stderr and b"stray write" in done.stderr


@pytest.mark.parametrize(("shutdown_first", "code"), [(True, 0), (False, 1)])
def test_exit_code_says_whether_shutdown_came_first(shutdown_first: bool, code: int) -> None:
    """LSP: exit after a shutdown request ends the server with 0, an exit without one with 1."""
    messages = [{"id": 1, "method": "initialize", "params": {"capabilities": {}}}]
    if shutdown_first:
        messages.append({"id": 2, "method": "shutdown"})
    messages.append({"method": "exit"})
    data = b"".join(frame(json.dumps({"jsonrpc": "2.0", **m}).encode()) for m in messages)
    done = subprocess.run([sys.executable, "-m", "nd_lsp.server"], input=data, capture_output=True, timeout=60)
    assert done.returncode == code, done.stderr.decode(errors="replace")[-2000:]
