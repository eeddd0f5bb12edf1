"""Soak the language server with random edit sequences on real plugins; report crashes and hangs.

    python benchmarks/soak.py --sequences N [--seed S] [--edits 40]

Each sequence opens one example or rule-fixture plugin file in a fresh server and applies random edits
(insertions and deletions anywhere, random Unicode with astral characters, lone surrogates, combining marks
and line separators, whole-file truncation, CRLF and tab conversion, pasted blocks), interleaved with
completion, hover, signature help, document symbols and code actions at random positions. A crash is a
server that exits or logs an exception; a hang is a request or a final diagnostics publication that does
not arrive in time.
Exit status 1 when either count is not 0.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lsp_client import LspProcess, ServerGone, log_problems, position_of, replace  # noqa: E402
from make_corpus import EXAMPLES, FIXTURES, plugin_language  # noqa: E402

REQUEST_TIMEOUT_S = 15.0
DIAGNOSTICS_TIMEOUT_S = 30.0
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyz_0123456789 (){}[]<>.,:;\"'#/\\!?&*=+-|\n\t"
    "é\u0301\u0308ü漢字🎵😀\U0001f3b5\r\u200b\ufeff\u2028\x0c\ud83c\udfb5"  # lone surrogates too
)
PIECES = (
    "kvstore::",
    "host.",
    "nd_pdk::register_",
    'import_fn("extism:host/user", "',
    "fn ",
    "func ",
    "def ",
    "impl ",
    "{",
    "}",
    "(",
    ")",
    '"',
    "//",
    "#",
    "/*",
    '"""',
    "\n    ",
    "\r\n",
)
REQUESTS = (
    "textDocument/completion",
    "textDocument/hover",
    "textDocument/signatureHelp",
    "textDocument/documentSymbol",
    "textDocument/codeAction",
)


@dataclass
class Outcome:
    sequences: int = 0
    edits: int = 0
    requests: int = 0
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)


def plugin_files() -> list[tuple[Path, Path]]:
    """(plugin folder, main source) of every example and rule fixture."""
    found = []
    for folder in sorted([*EXAMPLES.iterdir(), *FIXTURES.glob("*/*")]):
        template = plugin_language(folder) if folder.is_dir() else None
        if template is not None:
            found.append((folder, template.main))
    return found


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(PIECES)
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))


def random_edit(rng: random.Random, text: str) -> tuple[str, str, int, int]:
    """A kind of edit and the (start, end, new text) it makes, as code-point indexes."""
    kind = rng.choices(
        ("insert", "delete", "replace", "truncate", "crlf", "tabs", "paste"), weights=(40, 25, 15, 3, 3, 3, 11)
    )[0]
    n = len(text)
    a = rng.randint(0, n)
    b = rng.randint(a, min(n, a + rng.randint(0, 40)))
    if kind == "insert":
        return kind, random_text(rng), a, a
    if kind == "delete":
        return kind, "", a, b
    if kind == "replace":
        return kind, random_text(rng), a, b
    if kind == "truncate":
        return kind, "", rng.randint(0, n // 2) if rng.random() < 0.5 else 0, n
    if kind == "crlf":
        return kind, text.replace("\r\n", "\n").replace("\n", "\r\n"), 0, n
    if kind == "tabs":
        return kind, text.replace("    ", "\t"), 0, n
    start = rng.randint(0, n)
    return kind, text[start : start + rng.randint(0, 400)], a, a


def ask(client: LspProcess, rng: random.Random, uri: str, text: str) -> dict[str, object]:
    method = rng.choice(REQUESTS)
    index = rng.randint(0, len(text))
    position = position_of(text, index)
    doc = {"uri": uri}
    if method == "textDocument/documentSymbol":
        params: dict[str, object] = {"textDocument": doc}
    elif method == "textDocument/codeAction":
        rng_ = {"start": position, "end": position}
        params = {"textDocument": doc, "range": rng_, "context": {"diagnostics": []}}
    else:
        params = {"textDocument": doc, "position": position}
    return client.request(method, params, timeout=REQUEST_TIMEOUT_S)


def run_sequence(number: int, rng: random.Random, edits: int, work: Path, outcome: Outcome) -> None:
    folder, main = rng.choice(plugin_files())
    copy = work / f"seq{number}"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".fixed"))
    path = copy / main
    log = work / f"seq{number}.log"
    client = LspProcess([sys.executable, "-m", "nd_lsp.server", "--log-level", "WARNING"], stderr_path=log)
    label = f"sequence {number} ({folder.relative_to(folder.parents[2])}/{main})"
    try:
        client.initialize(copy, {"debounceMs": rng.choice((0, 0, 5, 50)), "settleMs": rng.choice((0, 10, 300))})
        text = path.read_text(encoding="utf-8")
        uri = client.open(path, text)
        version = 1
        for _ in range(edits):
            _, new, start, end = random_edit(rng, text)
            text, change = replace(text, start, end, new)
            version += 1
            client.change(uri, version, [change])
            outcome.edits += 1
            if rng.random() < 0.4:
                answer = ask(client, rng, uri, text)
                outcome.requests += 1
                error = answer.get("error")
                if isinstance(error, dict) and error.get("code") != -32601:
                    outcome.crashes.append(f"{label}: error answer {error}")
        client.wait_diagnostics(uri, version, timeout=DIAGNOSTICS_TIMEOUT_S)
    except ServerGone as exc:
        bucket = outcome.hangs if client.proc.poll() is None else outcome.crashes
        bucket.append(f"{label}: {exc}")
    finally:
        code = client.close()
    if code not in (0, None):
        outcome.crashes.append(f"{label}: server exited with {code}")
    problems = log_problems(log)
    if problems:
        outcome.crashes.append(f"{label}: exception in the server log: {problems[0][:300]}")
    outcome.sequences += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Random edit sequences against the real server.")
    parser.add_argument("--sequences", type=int, default=20)
    parser.add_argument("--edits", type=int, default=40, help="edits per sequence")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "1")))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    outcome = Outcome()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nd-lsp-soak-") as tmp:
        for number in range(args.sequences):
            run_sequence(number, rng, args.edits, Path(tmp), outcome)
    took = time.monotonic() - started
    print(f"{outcome.sequences} sequences, {outcome.edits} edits, {outcome.requests} requests in {took:.0f} s")
    print(f"crashes: {len(outcome.crashes)}")
    for line in outcome.crashes:
        print(f"  {line}")
    print(f"hangs: {len(outcome.hangs)}")
    for line in outcome.hangs:
        print(f"  {line}")
    return 1 if outcome.crashes or outcome.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
