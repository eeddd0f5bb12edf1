"""Reading LSP frames from a byte stream, resynchronising after a broken frame.

pygls' reader matches `Content-Length: N\\r\\n` exactly, at the start of a line, once per message: after
one body shorter or longer than announced, the next header starts with leftover bytes, never matches,
and every later message is lost. Here a header is found case-insensitively anywhere in a line, so a bad
frame costs at most the message it damaged and the one after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d+)", re.IGNORECASE)
MAX_HEADER_LINE = 8192  # a longer "line" is leftover body: read in pieces, never held whole
MAX_BODY_BYTES = 256 * 1024 * 1024  # a larger announced length is a broken header, not a message
READ_CHUNK = 65536
CARRY = 64  # bytes of a cut-off piece kept so a header split between two pieces is still found


class ByteSource(Protocol):
    def readline(self, limit: int, /) -> bytes: ...

    def read(self, size: int, /) -> bytes: ...


class ChunkReader:
    """readline/read over a raw `read(n)` (os.read on stdin's descriptor, a socket's recv), with a buffer
    of its own.

    Not sys.stdin.buffer: the reader thread is a daemon blocked in a read when the server exits, and a
    BufferedReader's lock held by it aborts the interpreter at shutdown; os.read holds no Python lock.
    """

    def __init__(self, read_some: Callable[[int], bytes]) -> None:
        self._read_some = read_some
        self._buffer = bytearray()

    @classmethod
    def of_fd(cls, fd: int) -> ChunkReader:
        return cls(functools.partial(os.read, fd))

    def readline(self, limit: int, /) -> bytes:
        while True:
            newline = self._buffer.find(b"\n", 0, limit)
            if newline >= 0:
                return self._take(newline + 1)
            if len(self._buffer) >= limit or not self._fill(READ_CHUNK):
                return self._take(min(limit, len(self._buffer)))

    def read(self, size: int, /) -> bytes:
        while len(self._buffer) < size and self._fill(max(READ_CHUNK, size - len(self._buffer))):
            pass
        return self._take(min(size, len(self._buffer)))

    def _fill(self, size: int) -> bool:
        chunk = self._read_some(size)
        self._buffer += chunk
        return bool(chunk)

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def read_frames(stream: ByteSource, deliver: Callable[[bytes], None]) -> None:
    """Read frames until the stream ends, handing each body to `deliver` (blocking; run it in a thread).

    Headers end at an empty line; the last `Content-Length` seen before it gives the body's size. An empty
    line without a length is skipped (a frame without a length cannot be read; the stream resyncs at the
    next header).
    """
    length: int | None = None
    carry = b""
    while True:
        line = stream.readline(MAX_HEADER_LINE)
        if not line:
            return
        complete = line.endswith(b"\n")
        if complete and not line.strip():
            carry = b""
            if length is None:
                continue
            body = _read_exactly(stream, length)
            length = None
            if body is None:
                return
            deliver(body)
            continue
        found = CONTENT_LENGTH.search(carry + line)
        if found:
            length = _announced_length(found.group(1))
        carry = b"" if complete else line[-CARRY:]


def _announced_length(digits: bytes) -> int | None:
    length = int(digits)
    if length > MAX_BODY_BYTES:
        log.warning("ignored a frame announcing %d bytes", length)
        return None
    return length


def _read_exactly(stream: ByteSource, length: int) -> bytes | None:
    """`length` bytes, or None when the stream ends first."""
    chunks = []
    left = length
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


async def serve_stream(stream: ByteSource, receive: Callable[[bytes], None]) -> None:
    """Read frames from `stream` in a daemon thread and call `receive(body)` on the event loop, in order.

    Returns when the stream ends. The thread is a daemon so a client that sends `exit` without closing
    the stream does not keep the process alive.
    """
    loop = asyncio.get_running_loop()
    ended = loop.create_future()

    def deliver(body: bytes) -> None:
        loop.call_soon_threadsafe(receive, body)

    def end() -> None:
        if not ended.done():
            ended.set_result(None)

    def run() -> None:
        try:
            read_frames(stream, deliver)
        except (OSError, ValueError):  # the stream was closed under us
            log.debug("reading the client's stream failed", exc_info=True)
        except RuntimeError:  # the event loop is closed: the server is exiting
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(end)

    threading.Thread(target=run, name="nd-lsp-reader", daemon=True).start()
    await ended
