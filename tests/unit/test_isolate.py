"""The hard time and memory limits on one evaluation: a forked child, killed at the time limit,
held to its memory allowance."""

import os
import signal
import threading
import time

import numpy as np

from gp_automl.isolate import _out_of_memory, run_with_limit, stop_evaluations
from gp_automl.memory import oom_kills
from gp_automl.result import ERROR, MEMORY, OK, TIMEOUT, EvalResult
from gp_automl.tree import PipelineTree

TREE = PipelineTree("X")


def test_a_finished_evaluation_comes_back_whole():
    result = run_with_limit(lambda: EvalResult(TREE.key, OK, (0.5, 0.7), 0.6, 1), TREE, 10)
    assert result == EvalResult(TREE.key, OK, (0.5, 0.7), 0.6, 1)


def test_a_stuck_evaluation_is_killed_at_the_limit():
    started = time.monotonic()
    result = run_with_limit(lambda: time.sleep(1000), TREE, 0.5)
    assert result.status == TIMEOUT and 0.5 <= result.seconds < 3
    assert time.monotonic() - started < 3


def test_a_crashing_evaluation_is_an_error_not_a_dead_worker():
    result = run_with_limit(lambda: os.kill(os.getpid(), signal.SIGKILL), TREE, 10)
    assert result.status == ERROR and "SIGKILL" in result.error
    # the process that forked it lives on and evaluates the next pipeline as usual
    assert run_with_limit(lambda: EvalResult(TREE.key, OK, (0.5,), 0.5, 1), TREE, 10).status == OK


def test_a_large_result_is_read_completely():
    big = tuple(float(i) for i in range(200_000))
    result = run_with_limit(lambda: EvalResult(TREE.key, OK, big, 1.0, 1), TREE, 30)
    assert result.fold_scores == big


def test_without_a_limit_it_runs_inline():
    assert run_with_limit(lambda: os.getpid(), TREE, None) == os.getpid()


def test_a_cancelled_search_kills_its_running_evaluation_at_once():
    results = []
    worker = threading.Thread(target=lambda: results.append(run_with_limit(lambda: time.sleep(1000), TREE, 60)))
    worker.start()
    deadline = time.monotonic() + 10
    while stop_evaluations([TREE.key]) == 0:  # 0 until the child is forked and registered
        assert time.monotonic() < deadline, "the evaluation never started"
        time.sleep(0.05)
    worker.join(5)
    assert not worker.is_alive()
    assert results[0].status == ERROR and results[0].seconds < 10
    assert stop_evaluations([TREE.key]) == 0  # finished evaluations are forgotten


GIB = 2**30


def allocate(gib: float):
    """An evaluation that asks for ``gib`` GiB. np.empty: should the limit fail, the test fails
    (the evaluation succeeds) instead of the machine running out of memory."""
    return lambda: EvalResult(TREE.key, OK, (float(np.empty(int(gib * GIB) // 8).nbytes),), 1.0, 1)


def test_an_allocation_past_the_memory_limit_is_recorded_as_memory():
    started = time.monotonic()
    result = run_with_limit(allocate(20), TREE, 30, memory=512 * 2**20)
    assert result.status == MEMORY and result.failed
    assert "out of memory" in result.error and "limit per pipeline: 512.00 MiB" in result.error
    assert time.monotonic() - started < 5  # refused at once, not after filling the machine


def test_a_memory_error_the_evaluation_reports_keeps_its_message_and_names_the_limit():
    def evaluate():
        try:
            return allocate(20)()
        except MemoryError as exc:
            return EvalResult(TREE.key, MEMORY, error=f"MemoryError: {exc}")

    result = run_with_limit(evaluate, TREE, None, memory=512 * 2**20)  # no time limit: still in a child
    assert result.status == MEMORY
    assert result.error.startswith("MemoryError: Unable to allocate 20.0 GiB")
    assert result.error.endswith("(limit per pipeline: 512.00 MiB)")


def test_memory_within_the_allowance_is_usable():
    def touch():
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, written: really used
        return EvalResult(TREE.key, OK, (float(block.sum()),), 1.0, 1)

    result = run_with_limit(touch, TREE, 30, memory=512 * 2**20)
    assert result.status == OK and result.fold_scores == (200 * 2**20 / 8,)


def test_the_limit_stays_in_the_child():
    assert run_with_limit(allocate(0.01), TREE, None, memory=512 * 2**20).status == OK
    assert np.empty(GIB // 8).nbytes == GIB  # this process can still allocate beyond the child's limit


def test_a_child_killed_while_the_out_of_memory_killer_was_at_work_counts_as_memory():
    pid = os.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    kills = oom_kills()
    assert kills is not None, "Linux reports the out-of-memory killer's count in /proc/vmstat"
    assert _out_of_memory(status, kills - 1)  # the count rose while it ran: the killer took it
    assert not _out_of_memory(status, kills)  # it did not: someone else's SIGKILL, an error
