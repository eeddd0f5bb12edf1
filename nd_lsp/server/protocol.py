"""The JSON-RPC side of the server: every request is answered, even a malformed one, and a broken
message costs an error response and a log line, never a popup or the session.

pygls raises for a body that is not JSON or params that do not fit and only logs it (plus a
"Error in server" popup): the client then waits forever for an answer. Here:
- a body that is not JSON gets `-32700` (id null), a message that is not a JSON-RPC 2.0 object `-32600`;
- a request whose params do not fit the method gets `-32602` with its id; such a notification is dropped;
- didChange/didClose of a document that was never opened are ignored (pygls raises KeyError);
- documents follow the LSP line model (`LspWorkspace`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage

from nd_lsp.server.documents import LspWorkspace

log = logging.getLogger(__name__)

JSONRPC_VERSION = "2.0"


class NdProtocol(LanguageServerProtocol):
    """pygls' LSP protocol with a tolerant, always-answering message intake."""

    # ---- intake

    def receive(self, body: bytes) -> None:
        """Handle one message body as read from the stream."""
        try:
            data = json.loads(body)
        except ValueError as exc:  # also UnicodeDecodeError
            log.warning("a message that is not JSON: %s", exc)
            self.send_error(None, JsonRpcParseError(f"not JSON: {exc}"))
            return
        if not isinstance(data, dict) or data.get("jsonrpc") != JSONRPC_VERSION:
            log.warning("a message that is not a JSON-RPC 2.0 object: %.200r", data)
            self.send_error(_request_id(data), JsonRpcInvalidRequest("not a JSON-RPC 2.0 message object"))
            return
        try:
            message = self.structure(data)
        except Exception as exc:
            self._reject(data, exc)
            return
        try:
            self.handle_message(message)
        except Exception:  # pygls answers failed requests itself; this is a bug in the dispatch
            log.exception("handling %s failed", data.get("method", "a response"))

    def structure(self, data: dict[str, Any]) -> Any:
        """The typed message for a JSON-RPC object (what pygls' structure_message does, without its logging)."""
        method = data.get("method")
        if "id" in data and not _valid_id(data["id"]):
            raise JsonRpcInvalidRequest("the id must be a string, a number or null")
        if "id" not in data:
            kind = self.get_message_type(method) if isinstance(method, str) else None
            return self._converter.structure(data, kind or JsonRPCNotification)
        if "error" in data:
            return self._converter.structure(data, types.ResponseErrorMessage)
        if "method" in data:
            kind = self.get_message_type(method) if isinstance(method, str) else None
            return self._converter.structure(data, kind or JsonRPCRequestMessage)
        kind = self._result_types.pop(data["id"], None)
        return self._converter.structure(data, kind or JsonRPCResponseMessage)

    def warm_up(self) -> None:
        """Have the converter build its (un)structuring code for what every keystroke exchanges: lsprotocol's
        converter generates it on first use, which cost the first keystroke ~4 ms."""
        at = {"line": 0, "character": 0}
        change = {"range": {"start": at, "end": at}, "text": "x"}
        uri = "file:///warm-up.rs"
        document = {"uri": uri, "version": 2}
        self.structure(
            {
                "jsonrpc": JSONRPC_VERSION,
                "method": types.TEXT_DOCUMENT_DID_CHANGE,
                "params": {"textDocument": document, "contentChanges": [change]},
            }
        )
        zero = types.Position(line=0, character=0)
        where = types.Location(uri=uri, range=types.Range(start=zero, end=zero))
        diagnostic = types.Diagnostic(
            range=where.range,
            message="",
            severity=types.DiagnosticSeverity.Error,
            code="",
            source="",
            data={},
            related_information=[types.DiagnosticRelatedInformation(location=where, message="")],
        )
        params = types.PublishDiagnosticsParams(uri=where.uri, version=2, diagnostics=[diagnostic])
        self._converter.unstructure(types.PublishDiagnosticsNotification(params=params))

    def _reject(self, data: dict[str, Any], exc: Exception) -> None:
        method = data.get("method")
        if isinstance(exc, JsonRpcInvalidRequest):
            log.warning("invalid request %.200r: %s", data, exc)
            self.send_error(None, exc)
        elif "id" in data and method is not None:
            log.warning("request %r with invalid params: %s", method, _describe(exc))
            self.send_error(data["id"], JsonRpcInvalidParams(f"invalid params for {method}: {_describe(exc)}"))
        elif method is not None:
            log.warning("notification %r with invalid params ignored: %s", method, _describe(exc))
        else:
            log.warning("unreadable response from the client ignored: %s", _describe(exc))

    def send_error(self, msg_id: int | str | None, error: JsonRpcException) -> None:
        # A plain dict: lsprotocol's converter would drop `"id": null`, which JSON-RPC requires.
        response = {"jsonrpc": JSONRPC_VERSION, "id": msg_id, "error": {"code": error.code, "message": error.message}}
        self._send_data(response)

    # ---- documents

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        """pygls' initialize, with its workspace replaced by one whose documents use LSP line ends."""
        steps = super().lsp_initialize(params)
        try:
            request = next(steps)  # pygls has made the workspace; the user's initialize handler is due
            self._use_lsp_workspace()
            while True:
                request = steps.send((yield request))
        except StopIteration as done:
            self._use_lsp_workspace()
            result: types.InitializeResult = done.value
            return result

    def _use_lsp_workspace(self) -> None:
        if self._workspace is not None and not isinstance(self._workspace, LspWorkspace):
            self._workspace = LspWorkspace.like(self._workspace, self._server._text_document_sync_kind)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        if not self.is_open(params.text_document.uri):
            log.debug("didChange of %s, which is not open: ignored", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        if not self.is_open(params.text_document.uri):
            log.debug("didClose of %s, which is not open: ignored", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_close(params)

    def is_open(self, uri: str) -> bool:
        return self._workspace is not None and unquote(uri) in self._workspace.text_documents


def _valid_id(value: object) -> bool:
    return value is None or (isinstance(value, (int, str)) and not isinstance(value, bool))


def _request_id(data: object) -> int | str | None:
    """The id to answer a broken message with: its own when it has a usable one."""
    if isinstance(data, dict):
        value = data.get("id")
        if _valid_id(value):
            return value
    return None


def _describe(exc: Exception) -> str:
    """A one-line reason from cattrs' nested validation errors."""
    leaves: list[str] = []

    def collect(error: BaseException) -> None:
        nested = getattr(error, "exceptions", None)
        if nested:
            for inner in nested:
                collect(inner)
        else:
            leaves.append(f"{type(error).__name__}: {error}")

    collect(exc)
    return "; ".join(leaves[:3]) or type(exc).__name__
