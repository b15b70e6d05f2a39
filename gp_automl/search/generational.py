"""The generational (mu + lambda) loop: deterministic for a seed, whatever the number of workers.

Each generation breeds ``population_size`` unseen offspring, evaluates them in parallel, and keeps
``population_size`` survivors of parents + offspring by NSGA-II. Failed pipelines are recorded but
never survive. Results are matched to trees by key, so completion order does not matter.

Resuming: a checkpoint at the end of each generation holds the population and the generator
state; children already in the evaluation log (logged after the checkpoint by the killed session)
take their results from it instead of being recomputed, so a resumed seeded run ends exactly where
an uninterrupted one would.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from gp_automl.archive import KeysBefore
from gp_automl.checkpoint import SearchState
from gp_automl.errors import SchedulerLost
from gp_automl.executor import evaluate_all
from gp_automl.gp import Scored
from gp_automl.lineage import INIT
from gp_automl.rejection import Bars
from gp_automl.search.budget import EXHAUSTED, INTERRUPTED, TIME
from gp_automl.search.loop import SearchLoop
from gp_automl.tree import PipelineTree, parse


@dataclass
class GenerationalSearch(SearchLoop):
    def run(self, start: SearchState | None = None) -> str:
        """Run until a stop rule fires; returns the rule's name."""
        self._last_checkpoint = time.monotonic()
        if start is None:
            generation = 0
            population, complete = self._initial_population(self.archive.keys_before(0))
            if not complete:
                return INTERRUPTED if self.budget.interrupted else TIME
            self._checkpoint(generation, population)
            self.hooks.on_generation(0, self.archive)
        else:
            generation = start.generation
            population = [Scored(parse(key), score) for key, score in start.population]
            self.evolution.rng.setstate(start.rng_state)
            self.evolution.lineage.update(start.pending_lineage)
            self.budget.stale_generations = start.stale_generations
            if start.pending:  # a checkpoint taken part-way through this generation
                population, reason = self._generation(generation, population, [parse(k) for k in start.pending])
                if reason is not None:
                    return reason
        while True:
            reason = self.budget.stop_reason(generation)
            if reason is not None:
                return reason
            unseen = self.archive.keys_before(generation + 1)
            children = self._children(population, unseen)
            if not children:
                return EXHAUSTED  # every pipeline variation can reach has been evaluated
            generation += 1
            population, reason = self._generation(generation, population, children)
            if reason is not None:
                return reason

    def _children(self, population: list[Scored], unseen: KeysBefore) -> list[PipelineTree]:
        return self.evolution.offspring(population, self.population_size, unseen)

    def _generation(
        self, generation: int, population: list[Scored], children: list[PipelineTree]
    ) -> tuple[list[Scored], str | None]:
        """Evaluate the children, keep the survivors, checkpoint; or say why the search must stop."""
        try:
            scored, complete = self._evaluate(children, generation, population, self._bars(population))
        except SchedulerLost:  # the children not logged stay pending: a resume evaluates just those
            self._checkpoint(generation, population, pending=children)
            raise
        if not complete:  # stopped part-way: a resume goes on with the children not evaluated yet
            self._checkpoint(generation, population, pending=children)
            return population, INTERRUPTED if self.budget.interrupted else TIME
        population = self.evolution.survivors(population + scored, self.population_size)
        self.budget.record_generation(self.archive.improved_in(generation))
        self._checkpoint(generation, population)
        self.hooks.on_generation(generation, self.archive)
        return population, None

    def _initial_population(self, seen: KeysBefore) -> tuple[list[Scored], bool]:
        # Keep drawing until something works: a population of failures cannot breed.
        while seen.drawn < 50 * self.population_size:
            starts = self.evolution.start_trees(self.population_size, seen)
            bars = Bars()
            if starts and self.early_rejection:  # the start pipelines first: they set the bars for the rest
                scored, complete = self._evaluate(starts, 0)
                if not complete:
                    return scored, complete
                bars = self._bars(scored)
            # drawn as submitted, and not past a stop: a large first generation is never built in full up front
            drawn_before = seen.drawn - len(starts)
            drawn = self.evolution.iter_random_trees(
                self.population_size - len(starts), seen, stop=self._stopping, variation=INIT
            )
            population, complete = self._evaluate(chain(starts, drawn), 0, bars=bars)
            if population or not complete or seen.drawn == drawn_before or self.budget.stop_reason(0) is not None:
                return population, complete
        return [], True

    def _stopping(self) -> bool:
        deadline = self.budget.deadline
        return self.budget.interrupted or (deadline is not None and time.monotonic() >= deadline)

    def _evaluate(
        self,
        trees: Iterable[PipelineTree],
        generation: int,
        population: list[Scored] | None = None,
        bars: Bars | None = None,
    ) -> tuple[list[Scored], bool]:
        """Evaluate in parallel (logged results are reused, not recomputed); return the successful
        ones in the order of ``trees`` (determinism), and whether every tree got a result. ``trees``
        may be drawn lazily: each is submitted as it comes, and a stop ends the drawing too. With a
        ``population`` (not for the initial one; ``trees`` is then a list, the whole generation, which
        a resume evaluates), checkpoint every ``checkpoint_interval`` seconds.
        ``bars`` (fixed before any result comes in, for determinism) stop hopeless trees early."""
        taken: dict[str, PipelineTree] = {}  # key -> tree, in the order of ``trees``
        drawn_all = False

        def todo() -> Iterator[PipelineTree]:
            nonlocal drawn_all
            for tree in trees:
                taken[tree.key] = tree
                if tree.key not in self.archive:
                    yield tree
            drawn_all = True

        bars = bars or Bars()
        for result in evaluate_all(
            self.executor,
            todo(),
            self.budget.deadline,
            lambda: self.budget.interrupted,
            lambda tree: bars.for_complexity(tree.complexity),
        ):
            lineage = self.evolution.take_lineage(result.key)
            self.hooks.on_result(self.archive.add(taken[result.key], result, generation, lineage))
            if population is not None and self._checkpoint_due():  # then ``trees`` is the generation's list
                self._checkpoint(generation, population, pending=trees)
        results = [self.archive.result(key) for key in taken]
        pairs = zip(taken.values(), results, strict=True)
        scored = [Scored(tree, result.score) for tree, result in pairs if result and result.ok]
        return scored, drawn_all and all(results)

    def _checkpoint(self, generation: int, population: list[Scored], pending: list[PipelineTree] = ()) -> None:
        self._save(generation, population, (tree.key for tree in pending))


@dataclass
class RandomSearch(GenerationalSearch):
    """The baseline evolution must beat: every generation is new random trees, same evaluator,
    budgets, log and checkpoints; only breeding is switched off."""

    def _children(self, population: list[Scored], unseen: KeysBefore) -> list[PipelineTree]:
        return self.evolution.random_trees(self.population_size, unseen)
