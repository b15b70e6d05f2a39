"""Early rejection: stop evaluating a pipeline once its first folds show it cannot make the front.

A child of complexity ``c`` that scores below the best population member of complexity ``<= c`` is
dominated by it, so spending the remaining folds on it buys nothing. After each fold but the last,
the child's mean over the folds done so far is compared with that member's mean over the same folds
(the folds are shared, so a hard fold is hard for both), less a margin of ``Z`` of the member's fold
standard deviations shrunk by the square root of the folds done. At one SD, a child as good as
the member is stopped at a given fold at most about one time in six (less, as shared folds move
both scores together). Two SDs, the margin before, spent more of the budget finishing children
that could not make the front: one SD evaluates 1.0 to 1.6 times as many pipelines in 60 s, and
the median test score rose by 0.005 on average over the quick suite (messy +0.041, synthetic
-0.016; ``benchmarks/README.md``, issue 8).

The bars are fixed when a generation is bred, never read live, so a seeded generational run stays
deterministic whatever the number of workers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z = 1.0  # margin in member fold SDs (over the square root of the folds done)
MIN_SD = 0.005  # a member with identical fold scores still leaves room for noise


@dataclass(frozen=True)
class Bar:
    """The fold scores a pipeline must keep up with, and whose they are."""

    key: str
    fold_scores: tuple[float, ...]

    @property
    def sd(self) -> float:
        return max(MIN_SD, statistics.stdev(self.fold_scores)) if len(self.fold_scores) > 1 else MIN_SD

    def rejects(self, scores: Sequence[float]) -> bool:
        """Should a pipeline with these first fold scores stop now? Never once every fold is done."""
        done = len(scores)
        if done == 0 or done >= len(self.fold_scores):
            return False
        keep_up = statistics.fmean(self.fold_scores[:done]) - Z * self.sd / math.sqrt(done)
        return statistics.fmean(scores) < keep_up

    def reason(self, scores: Sequence[float]) -> str:
        return (
            f"stopped after {len(scores)} of {len(self.fold_scores)} folds: mean {statistics.fmean(scores):.4f}"
            f" against {statistics.fmean(self.fold_scores[: len(scores)]):.4f} for {self.key[:80]}"
        )


class Bars:
    """For each complexity, the bar set by the best-scoring member no more complex."""

    def __init__(self, members: Iterable[tuple[str, int, float, tuple[float, ...]]] = ()):
        """``members``: (key, complexity, mean score, fold scores) of pipelines evaluated on every fold."""
        best: list[tuple[int, float, Bar]] = []
        for key, complexity, score, folds in sorted(members, key=lambda m: (m[1], -m[2], m[0])):
            if len(folds) > 1 and all(map(math.isfinite, folds)) and (not best or score > best[-1][1]):
                best.append((complexity, score, Bar(key, tuple(folds))))
        self._best = best

    def __bool__(self) -> bool:
        return bool(self._best)

    def for_complexity(self, complexity: int) -> Bar | None:
        bar = None
        for c, _, candidate in self._best:
            if c > complexity:
                break
            bar = candidate
        return bar
