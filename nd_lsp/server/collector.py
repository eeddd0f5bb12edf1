"""Cyclic garbage collection kept off the keystroke path.

CPython runs a full collection about every 50 keystrokes on a 3,000-line file, inside an analysis; it
walks the whole heap (20-45 ms measured here) and set the p99 of keystroke-to-diagnostics latency. The
server instead freezes what start-up created (modules, the protocol's classes: never garbage), leaves
automatic full collections rare, and runs one itself once it has been idle for a while.
Reference counting frees everything that is not in a cycle at once, as always.
"""

from __future__ import annotations

import gc

# gen1 collections between automatic full collections (CPython's default is 10): a safety net for a
# server that is never idle; the idle collection does the real work.
FULL_COLLECTION_EVERY = 1000
# Seconds without an analysis before the server collects: long enough not to fall between the
# requests of someone working (a collection blocks every request for its duration).
IDLE_COLLECTION_S = 5.0


def collect_rarely() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def freeze_start_up() -> None:
    """Move everything alive now to the permanent generation, which collections never walk."""
    gc.collect()
    gc.freeze()


async def collect_when_idle(_key: str) -> None:
    gc.collect()
