"""In-process executor: evaluates one tree after another in the calling process, for debugging."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from gp_automl.evaluate import EvalContext, evaluate
from gp_automl.executor.base import StopCheck, never_stop
from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree


class InProcessExecutor:
    n_workers = 1
    description = "in-process (no Dask), one evaluation at a time"

    def __init__(self) -> None:
        self._context: EvalContext | None = None

    def __enter__(self) -> InProcessExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, context: EvalContext) -> None:
        self._context = context

    def evaluate(
        self, trees: Iterable[PipelineTree], deadline: float | None = None, should_stop: StopCheck = never_stop
    ) -> Iterator[EvalResult]:
        assert self._context is not None, "start() first"
        for tree in trees:
            if should_stop() or (deadline is not None and time.monotonic() >= deadline):
                return
            yield evaluate(tree, self._context)

    def close(self) -> None:
        self._context = None
