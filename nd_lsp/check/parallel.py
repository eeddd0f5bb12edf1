"""Checking many plugins on every CPU: worker processes, results in the order the plugins were given.

Plugins are independent, so a workspace of many plugins splits cleanly across processes (threads would
share one interpreter lock: the analysis is Python code). A few plugins are checked in this process,
since starting workers costs more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from nd_lsp.lazy_log import LazyLogger

if TYPE_CHECKING:
    import multiprocessing.context

log = LazyLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Below this many plugins per worker, one process is as fast: a forked worker costs ~10 ms to start,
# a small plugin ~20 ms to check.
MIN_ITEMS_PER_WORKER = 4
CHUNKS_PER_WORKER = 16


def available_cpus() -> int:
    """The CPUs this process may run on (a container's CPU set, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def worker_count(items: int, jobs: int | None) -> int:
    """How many processes check `items` plugins: `jobs` when given, else one per CPU, never more than
    keeps each worker busy."""
    wanted = jobs if jobs is not None else available_cpus()
    return max(1, min(wanted, items // MIN_ITEMS_PER_WORKER))


def map_in_processes(function: Callable[[T], R], items: Sequence[T], jobs: int | None = None) -> list[R]:
    """`[function(item) for item in items]`, spread over worker processes when that pays.

    `function` and the items must pickle (a module-level function, plain data). A worker that dies
    (a crash in a native parser) costs the speed-up, not the results: the rest run in this process.
    """
    workers = worker_count(len(items), jobs)
    if workers <= 1:
        return [function(item) for item in items]
    # Imported here: multiprocessing and concurrent.futures cost ~11 ms, which a check of one plugin skips.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Many small chunks per worker even out plugins of different sizes: with 4 chunks each, the last
    # chunk left one worker idle for a tenth of a 200-plugin check. A chunk costs ~0.1 ms to send.
    chunk = max(1, len(items) // (workers * CHUNKS_PER_WORKER))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
            return list(pool.map(function, items, chunksize=chunk))
    except (BrokenProcessPool, OSError) as exc:
        log.warning("worker processes failed (%s); checking in one process", exc)
        return [function(item) for item in items]


def _context() -> multiprocessing.context.BaseContext:
    """fork where the platform has it: the workers inherit the imported modules instead of importing
    them again (spawn, the default elsewhere, works too, only slower to start)."""
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()
