"""A minimal LSP client over stdio JSON-RPC, for benchmarks, the soak run and the robustness tests.

It talks raw bytes so that tests can also send what no well-behaved client would (broken JSON, bad
headers), and it timestamps every message on arrival so that latencies are measured where the bytes
land, not where a test gets round to looking at them. Requests the server sends to the client
(registerCapability, workDoneProgress/create, workspace/configuration) are answered with null.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class ServerGone(Exception):
    """The server closed its output or did not answer in time."""


@dataclass
class Received:
    at: float  # time.perf_counter() when the whole message had been read
    message: Message


@dataclass
class LspProcess:
    """One server process and everything it has said, in order."""

    command: Sequence[str]
    cwd: Path | None = None
    env: dict[str, str] | None = None
    stderr_path: Path | None = None
    started_at: float = 0.0
    received: list[Received] = field(default_factory=list)
    _next_id: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._stderr = open(self.stderr_path, "wb") if self.stderr_path else subprocess.DEVNULL  # noqa: SIM115
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            list(self.command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=self.cwd,
            env=self.env,
        )
        self.closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # ---- sending

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ServerGone("cannot write to the server") from exc

    def send(self, message: Message) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("ascii")
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request_nowait(self, method: str, params: Any = None) -> int:
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
        self.send({"id": request_id, "method": method, "params": params})
        return request_id

    def request(self, method: str, params: Any = None, timeout: float = 30.0) -> Message:
        return self.response(self.request_nowait(method, params), timeout)

    # ---- waiting

    def response(self, request_id: int | str, timeout: float = 30.0) -> Message:
        got = self.wait_for(lambda m: m.get("id") == request_id and "method" not in m, timeout)
        return got.message

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float = 30.0, start: int = 0) -> Received:
        """The first message (from index `start`) that satisfies predicate; ServerGone after timeout."""
        deadline = time.monotonic() + timeout
        index = start
        with self._lock:
            while True:
                while index < len(self.received):
                    if predicate(self.received[index].message):
                        return self.received[index]
                    index += 1
                if self.closed:
                    raise ServerGone("the server closed its output")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ServerGone(f"no answer within {timeout} s")
                self._lock.wait(left)

    def mark(self) -> int:
        """An index into `received`: wait_for(start=mark) sees only what arrives afterwards."""
        with self._lock:
            return len(self.received)

    def wait_diagnostics(self, uri: str, version: int | None, timeout: float = 30.0, start: int = 0) -> Received:
        def matches(m: Message) -> bool:
            if m.get("method") != "textDocument/publishDiagnostics":
                return False
            params = m.get("params") or {}
            return bool(params.get("uri") == uri and (version is None or params.get("version") == version))

        return self.wait_for(matches, timeout, start)

    def settled_diagnostics(self, uri: str, version: int, quiet: float = 0.2, timeout: float = 30.0) -> list[Message]:
        """The diagnostics last published for `version` of uri, once nothing more came for `quiet` seconds.

        The server publishes half-written code twice: at once from its incremental parse, and again from
        a fresh parse when typing pauses for its `settleMs` (see nd_lsp/frontends/incremental_parse.py).
        """
        got = self.wait_diagnostics(uri, version, timeout)
        while True:
            mark = self.mark()
            try:
                got = self.wait_diagnostics(uri, version, quiet, start=mark)
            except ServerGone:
                if self.closed:
                    raise
                return list(got.message["params"]["diagnostics"])

    def last_diagnostics(self, uri: str) -> list[Message] | None:
        with self._lock:
            for item in reversed(self.received):
                m = item.message
                if m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("uri") == uri:
                    return list(m["params"].get("diagnostics") or [])
        return None

    # ---- the usual session

    def initialize(self, root: Path | None, options: dict[str, Any] | None = None, timeout: float = 60.0) -> Received:
        capabilities = {
            "textDocument": {
                "publishDiagnostics": {"versionSupport": True},
                "completion": {"completionItem": {"snippetSupport": True, "documentationFormat": ["markdown"]}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
            },
            "workspace": {"configuration": False},
        }
        request_id = self.request_nowait(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri() if root else None,
                "capabilities": capabilities,
                "initializationOptions": options or {},
            },
        )
        got = self.wait_for(lambda m: m.get("id") == request_id and "method" not in m, timeout)
        self.notify("initialized", {})
        return got

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        uri = path.as_uri()
        language = {".rs": "rust", ".go": "go", ".py": "python", ".json": "json"}.get(path.suffix, "plaintext")
        if text is None:
            text = path.read_text(encoding="utf-8")
        item = {"uri": uri, "languageId": language, "version": version, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})
        return uri

    def change(self, uri: str, version: int, changes: list[Message]) -> None:
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
        )

    def close(self, timeout: float = 10.0) -> int | None:
        """shutdown + exit when the server still listens; then wait, and kill if it will not go."""
        if self.proc.poll() is None:
            try:
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit")
            except ServerGone:
                pass
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if not isinstance(self._stderr, int):
            self._stderr.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # ---- reading

    def _read_loop(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        try:
            while True:
                length = _read_header(stream)
                if length is None:
                    break
                body = stream.read(length)
                if len(body) < length:
                    break
                message = json.loads(body)
                at = time.perf_counter()
                self._answer_server_request(message)
                with self._lock:
                    self.received.append(Received(at, message))
                    self._lock.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self.closed = True
                self._lock.notify_all()

    def _answer_server_request(self, message: Message) -> None:
        if "id" in message and "method" in message:
            with contextlib.suppress(ServerGone):
                self.send({"id": message["id"], "result": None})


def _read_header(stream: Any) -> int | None:
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            return length
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())


# ---- positions: the server speaks UTF-16 unless negotiated otherwise


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# LSP line ends are \r\n, \r and \n (the spec's list); a position never falls between \r and \n.
EOL = re.compile(r"\r\n|\r|\n")


def snap(text: str, index: int) -> int:
    """index, moved off the middle of a \r\n pair (which no LSP position can name)."""
    if 0 < index < len(text) and text[index - 1] == "\r" and text[index] == "\n":
        return index - 1
    return index


def position_of(text: str, index: int) -> dict[str, int]:
    """The LSP position (UTF-16 units) of a code-point index into text."""
    index = snap(text, index)
    line = 0
    line_start = 0
    for match in EOL.finditer(text, 0, index):
        line += 1
        line_start = match.end()
    return {"line": line, "character": utf16_len(text[line_start:index])}


def index_of(text: str, position: dict[str, int]) -> int:
    """The code-point index of an LSP position (UTF-16 units) in text; clamped to its line."""
    starts = [0] + [m.end() for m in EOL.finditer(text)]
    line = min(position["line"], len(starts) - 1)
    start = starts[line]
    end_match = EOL.search(text, start)
    end = end_match.start() if end_match else len(text)
    units = 0
    for offset, char in enumerate(text[start:end]):
        if units >= position["character"]:
            return start + offset
        units += utf16_len(char)
    return end


def end_position(text: str) -> dict[str, int]:
    return position_of(text, len(text))


def replace(text: str, start: int, end: int, new: str) -> tuple[str, Message]:
    """Replace text[start:end] (code-point indexes) with new: the new text and the LSP content change."""
    start, end = snap(text, start), snap(text, end)
    change = {"range": {"start": position_of(text, start), "end": position_of(text, end)}, "text": new}
    return text[:start] + new + text[end:], change


LOG_PROBLEMS = ("Traceback", " ERROR ", " CRITICAL ", "Exception")


def log_problems(log: Path) -> list[str]:
    """Lines of a server log that show an exception reached it."""
    if not log.exists():
        return []
    return [line for line in log.read_text(errors="replace").splitlines() if any(p in line for p in LOG_PROBLEMS)]
