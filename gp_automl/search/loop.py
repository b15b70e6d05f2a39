"""What both search loops share: their parts, and writing a checkpoint of where they are."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from gp_automl.archive import Archive
from gp_automl.checkpoint import SearchState
from gp_automl.executor import Executor
from gp_automl.gp import Evolution, Scored
from gp_automl.rejection import Bars
from gp_automl.search.budget import Budget
from gp_automl.search.hooks import Hooks


@dataclass
class SearchLoop:
    evolution: Evolution
    executor: Executor
    archive: Archive
    budget: Budget
    population_size: int
    hooks: Hooks = field(default_factory=Hooks)
    checkpoint_interval: float | None = None  # seconds between checkpoints besides the regular ones
    early_rejection: bool = True  # stop hopeless pipelines after their first folds (rejection.py)
    _last_checkpoint: float = field(default_factory=time.monotonic)

    def _bars(self, population: list[Scored]) -> Bars:
        """What new trees must keep up with: set by ``population``, or nothing without early rejection."""
        if not self.early_rejection:
            return Bars()
        results = (self.archive.result(member.tree.key) for member in population)
        return Bars((r.key, r.complexity, r.score, r.fold_scores) for r in results if r is not None and r.ok)

    def _checkpoint_due(self) -> bool:
        return self.checkpoint_interval is not None and (
            time.monotonic() - self._last_checkpoint >= self.checkpoint_interval
        )

    def _save(self, generation: int, population: list[Scored], pending: Iterable[str] = ()) -> None:
        self._last_checkpoint = time.monotonic()
        pending = tuple(pending)
        self.hooks.on_checkpoint(
            SearchState(
                generation=generation,
                population=tuple((s.tree.key, s.score) for s in population),
                pending=tuple(pending),
                rng_state=self.evolution.rng.getstate(),
                logged=len(self.archive),
                elapsed=self.budget.elapsed(),
                stale_generations=self.budget.stale_generations,
                pending_lineage=tuple(
                    (key, self.evolution.lineage[key]) for key in pending if key in self.evolution.lineage
                ),
            )
        )
