"""Spreading plugins over worker processes: the same results, in order, from other processes."""

from __future__ import annotations

import os
import time

import pytest

from nd_lsp.check.parallel import MIN_ITEMS_PER_WORKER, map_in_processes, worker_count

PARENT = os.getpid()


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


def dies_in_a_worker_on_seven(number: int) -> tuple[int, int]:
    if number == 7 and os.getpid() != PARENT:
        os._exit(3)  # as a crash in a native parser would end the worker
    return pid_and_square(number)


def test_what_a_dead_worker_did_not_send_is_computed_in_this_process() -> None:
    items = list(range(MIN_ITEMS_PER_WORKER * 2 * 5))
    results = map_in_processes(dies_in_a_worker_on_seven, items, jobs=2)
    assert [square for _, square in results] == [n * n for n in items]
    assert results[7][0] == os.getpid()


def fails_on_seven(number: int) -> int:
    if number == 7:
        raise ValueError("seven")
    return number


def test_an_exception_of_the_function_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="seven"):
        map_in_processes(fails_on_seven, list(range(40)), jobs=2)


def large_result(number: int) -> bytes:
    return bytes([number]) * 200_000  # a chunk's results are far more than a pipe holds


def test_results_larger_than_a_pipe_holds_come_back_whole() -> None:
    items = list(range(24))
    assert map_in_processes(large_result, items, jobs=2) == [large_result(n) for n in items]

