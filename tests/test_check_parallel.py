"""Spreading plugins over worker processes: the same results, in order, from other processes."""

from __future__ import annotations

import os
import time

from nd_lsp.check.parallel import MIN_ITEMS_PER_WORKER, map_in_processes, worker_count


def pid_and_square(number: int) -> tuple[int, int]:
    time.sleep(0.01)  # long enough that one worker cannot take every chunk before the other starts
    return os.getpid(), number * number


def test_results_come_back_in_the_order_of_the_items_from_worker_processes() -> None:
    items = list(range(MIN_ITEMS_PER_WORKER * 2 * 5))
    results = map_in_processes(pid_and_square, items, jobs=2)
    assert [square for _, square in results] == [n * n for n in items]
    pids = {pid for pid, _ in results}
    assert os.getpid() not in pids
    assert len(pids) == 2


def test_few_items_or_one_job_stay_in_this_process() -> None:
    assert {pid for pid, _ in map_in_processes(pid_and_square, [1, 2, 3], jobs=4)} == {os.getpid()}
    assert {pid for pid, _ in map_in_processes(pid_and_square, list(range(40)), jobs=1)} == {os.getpid()}


def test_workers_never_outnumber_what_keeps_them_busy() -> None:
    assert worker_count(MIN_ITEMS_PER_WORKER * 3, jobs=8) == 3
    assert worker_count(1000, jobs=2) == 2
    assert worker_count(0, jobs=None) == 1
