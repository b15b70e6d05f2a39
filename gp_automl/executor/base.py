"""The Executor interface: evaluate trees somewhere, hand back results as they complete."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from gp_automl.evaluate import EvalContext
from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree

StopCheck = Callable[[], bool]


def never_stop() -> bool:
    return False


class Executor(Protocol):
    """Runs ``evaluate`` on trees. Use as a context manager; ``start`` ships the shared context once."""

    n_workers: int
    description: str

    def start(self, context: EvalContext) -> None: ...

    def evaluate(
        self, trees: Iterable[PipelineTree], deadline: float | None = None, should_stop: StopCheck = never_stop
    ) -> Iterator[EvalResult]:
        """Yield one result per tree in completion order; stop, cancelling the rest, at ``deadline``
        (a ``time.monotonic()`` value) or as soon as ``should_stop()`` says so."""
        ...

    def close(self) -> None: ...
