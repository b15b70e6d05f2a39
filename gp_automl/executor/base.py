"""The Executor interface: submit trees, collect results as they complete.

Both loops use it: the generational loop submits a generation and waits for all of it
(``evaluate_all``); the steady-state loop keeps the workers busy, submitting one new tree for each
result that comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Protocol

from gp_automl.evaluate import EvalContext
from gp_automl.rejection import Bar
from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree

StopCheck = Callable[[], bool]
POLL_S = 0.5  # how often a wait for results checks the deadline and stop requests
# Trees submitted per worker at a time: one running, one queued so that no worker waits for the
# driver; more would only sit in the scheduler's queue and be cancelled at a stop.
IN_FLIGHT_PER_WORKER = 2


def never_stop() -> bool:
    return False


class Executor(Protocol):
    """Runs ``evaluate`` on trees. Use as a context manager; ``start`` ships the shared context once."""

    n_workers: int
    description: str

    def start(self, context: EvalContext) -> None: ...

    def submit(self, tree: PipelineTree, bar: Bar | None = None) -> None: ...

    def results(self, timeout: float) -> list[EvalResult]:
        """Results finished so far, waiting up to ``timeout`` seconds for the first one."""
        ...

    @property
    def in_flight(self) -> int: ...

    def cancel_all(self) -> None: ...

    def close(self) -> None: ...


def poll_wait(deadline: float | None) -> float:
    """How long to wait for results: ``POLL_S``, but never past the deadline (which then stops)."""
    return POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.monotonic()))


def evaluate_all(
    executor: Executor,
    trees: Iterable[PipelineTree],
    deadline: float | None = None,
    should_stop: StopCheck = never_stop,
    bar_for: Callable[[PipelineTree], Bar | None] = lambda tree: None,
) -> Iterator[EvalResult]:
    """One result per tree in completion order; stops, cancelling the rest, at ``deadline``
    (a ``time.monotonic()`` value) or as soon as ``should_stop()`` says so. ``bar_for`` gives the
    bar a tree must keep up with to be evaluated on every fold (see ``rejection``).

    ``trees`` are taken as workers free up, ``IN_FLIGHT_PER_WORKER`` per worker, so they may be
    drawn lazily: a large generation is never built, submitted or cancelled as a whole, and its
    first results come back while the rest is still being drawn."""
    pending = iter(trees)

    def stopping() -> bool:
        return should_stop() or (deadline is not None and time.monotonic() >= deadline)

    def top_up() -> None:
        room = max(1, round(IN_FLIGHT_PER_WORKER * executor.n_workers)) - executor.in_flight
        for tree in islice(pending, max(0, room)):
            if stopping():
                return
            executor.submit(tree, bar_for(tree))

    try:
        top_up()
        while executor.in_flight:
            if stopping():
                return
            results = executor.results(poll_wait(deadline))
            if should_stop():
                return  # results of evaluations the stop itself cut short are not results
            yield from results
            top_up()
    finally:
        executor.cancel_all()
