"""In-process executor: evaluates one tree after another in the calling process, for debugging."""

from __future__ import annotations

from collections import deque

from gp_automl.evaluate import EvalContext, evaluate_with_limit
from gp_automl.rejection import Bar
from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree


class InProcessExecutor:
    n_workers = 1
    description = "in-process (no Dask), one evaluation at a time"

    def __init__(self) -> None:
        self._context: EvalContext | None = None
        self._queue: deque[tuple[PipelineTree, Bar | None]] = deque()

    def __enter__(self) -> InProcessExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, context: EvalContext) -> None:
        self._context = context

    def submit(self, tree: PipelineTree, bar: Bar | None = None) -> None:
        self._queue.append((tree, bar))

    def results(self, timeout: float) -> list[EvalResult]:
        assert self._context is not None, "start() first"
        if not self._queue:
            return []
        tree, bar = self._queue.popleft()
        return [evaluate_with_limit(tree, self._context, bar)]

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    def cancel_all(self) -> None:
        self._queue.clear()

    def close(self) -> None:
        self._context = None
        self._queue.clear()
