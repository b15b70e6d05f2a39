"""The hard time limit on one evaluation: a forked child, killed at the limit."""

import os
import signal
import threading
import time

from gp_automl.isolate import run_with_limit, stop_evaluations
from gp_automl.result import ERROR, OK, TIMEOUT, EvalResult
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
