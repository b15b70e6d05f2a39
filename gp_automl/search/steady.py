"""The steady-state (async) loop: no generation barrier, every worker kept busy.

A few more trees than there are workers are always in flight. As each result arrives it joins the
archive and, if it succeeded, the population; the population is cut back to ``population_size`` by
NSGA-II ranking and crowding, and one new child is bred from it and submitted. So no worker waits
for a generation's slowest pipeline. The first ``population_size`` trees are random.

Budgets count in generation-equivalents: ``population_size`` results make one "generation", which
is also the unit of early stopping and of the regular checkpoint. Completion order decides what
is bred, so unlike the generational loop a seed does not fix the result.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from gp_automl.checkpoint import SearchState
from gp_automl.errors import SchedulerLost
from gp_automl.executor.base import poll_wait
from gp_automl.gp import Scored
from gp_automl.result import EvalResult
from gp_automl.search.budget import EXHAUSTED, INTERRUPTED, TIME
from gp_automl.search.loop import SearchLoop
from gp_automl.tree import PipelineTree, parse

EXTRA_IN_FLIGHT = 1.5  # trees in flight per worker: one running, the next already queued


@dataclass
class SteadyStateSearch(SearchLoop):
    population: list[Scored] = field(default_factory=list)
    _in_flight: dict[str, PipelineTree] = field(default_factory=dict)
    _generation: int = 0
    _results_in_generation: int = 0

    def run(self, start: SearchState | None = None) -> str:
        """Run until a stop rule fires; returns the rule's name."""
        self._last_checkpoint = time.monotonic()
        if start is not None:
            self._resume(start)
        try:
            while True:
                reason = self.budget.stop_reason(self._generation - 1)  # the last finished one
                if reason is not None:
                    self._checkpoint()  # with what is in flight, which a resume submits again
                    return reason
                self._fill()
                if not self._in_flight:
                    return self._stalled()
                try:
                    results = self.executor.results(poll_wait(self.budget.deadline))
                except SchedulerLost:  # what was in flight stays pending: a resume submits it again
                    self._checkpoint()
                    raise
                if self.budget.interrupted:
                    continue  # results of evaluations the stop itself cut short are not results
                for result in results:
                    self._take(result)
                if self._checkpoint_due():
                    self._checkpoint()
        finally:
            self.executor.cancel_all()

    def _fill(self) -> None:
        """Top the in-flight set up to the workers' capacity with unseen trees."""
        wanted = max(1, round(EXTRA_IN_FLIGHT * self.executor.n_workers)) - len(self._in_flight)
        if wanted <= 0:
            return
        unseen = self.archive.keys_before(sys.maxsize)  # anything logged, plus what is in flight
        for key in self._in_flight:
            unseen.add(key)
        submitted = len(self.archive) + len(self._in_flight)
        if submitted < self.population_size or not self.population:
            children = self.evolution.initial_trees(wanted, unseen)
        else:
            children = self.evolution.offspring(self.population, wanted, unseen)
        bars = self._bars(self.population)
        for child in children:
            self._in_flight[child.key] = child
            self.executor.submit(child, bars.for_complexity(child.complexity))

    def _take(self, result: EvalResult) -> None:
        tree = self._in_flight.pop(result.key, None)
        if tree is None:
            return  # cancelled earlier, arrived anyway
        entry = self.archive.add(tree, result, self._generation)
        self.hooks.on_result(entry)
        if result.ok:
            self.population = self.evolution.survivors(
                [*self.population, Scored(tree, result.score)], self.population_size
            )
        self._results_in_generation += 1
        if self._results_in_generation >= self.population_size:
            self.budget.record_generation(self.archive.improved_in(self._generation))
            self.hooks.on_generation(self._generation, self.archive)
            self._generation += 1
            self._results_in_generation = 0
            self._checkpoint()

    def _stalled(self) -> str:
        """Nothing could be bred and nothing runs: every reachable pipeline has been evaluated."""
        return INTERRUPTED if self.budget.interrupted else (TIME if self.budget.remaining() == 0 else EXHAUSTED)

    def _resume(self, start: SearchState) -> None:
        """Population from the checkpoint plus whatever finished after it; resubmit what was running."""
        self.evolution.rng.setstate(start.rng_state)
        self.budget.stale_generations = start.stale_generations
        self._generation = start.generation
        scored = [Scored(parse(key), score) for key, score in start.population]
        scored += [Scored(e.tree, e.result.score) for e in self.archive.entries(start.logged) if e.result.ok]
        self.population = self.evolution.survivors(scored, self.population_size)
        bars = self._bars(self.population)
        for key in start.pending:
            if key not in self.archive:
                self._in_flight[key] = tree = parse(key)
                self.executor.submit(tree, bars.for_complexity(tree.complexity))

    def _checkpoint(self) -> None:
        self._save(self._generation, self.population, self._in_flight)  # the generation in progress
