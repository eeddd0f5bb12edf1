"""The nd-lsp language server: `main(argv)` starts it over stdio (or TCP for debugging)."""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from typing import BinaryIO

from nd_lsp import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nd-lsp serve", description="Run the nd-lsp language server.")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address instead, for debugging")
    parser.add_argument("--log-file", metavar="PATH", help="write the server's log to this file")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    parser.add_argument("--version", action="version", version=f"nd-lsp {__version__}")
    return parser


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--tcp expects HOST:PORT, got {text!r}")
    return host, int(port)


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        tcp = _address(args.tcp) if args.tcp else None
    except ValueError as exc:
        parser.error(str(exc))
    # stdout carries the protocol: logs go to a file or to stderr, never to stdout.
    try:
        handler: logging.Handler = (
            logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
        )
    except OSError as exc:
        parser.error(f"cannot write the log file: {exc}")
    logging.basicConfig(
        level=args.log_level, handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    _forget_working_directory()
    protocol_out = _take_stdout() if tcp is None else None

    from nd_lsp.server.app import create_server
    from nd_lsp.server.collector import collect_rarely

    collect_rarely()
    server = create_server()
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io(stdout=protocol_out)
    return server.exit_code


def _take_stdout() -> BinaryIO:
    """Keep stdout for protocol messages only: the protocol gets a private copy of it, and whatever else
    writes to file descriptor 1 or sys.stdout (a library's print, a C extension) lands on stderr."""
    try:
        protocol_fd = os.dup(sys.stdout.fileno())
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # no real descriptors (embedded): keep them as they are
        return sys.stdout.buffer
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb")


def _forget_working_directory() -> None:
    """`python -m` puts the working directory, usually the user's workspace, first on sys.path: a
    `parso.py` or `jedi.py` there would be imported instead of the real one. nd_lsp is already imported."""
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]
