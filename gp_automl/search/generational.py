"""The generational (mu + lambda) loop: deterministic for a seed, whatever the number of workers.

Each generation breeds ``population_size`` unseen offspring, evaluates them in parallel, and keeps
``population_size`` survivors of parents + offspring by NSGA-II. Failed pipelines are recorded but
never survive. Results are matched to trees by key, so completion order does not matter.

Resuming: a checkpoint at the end of each generation holds the population and the generator
state; evaluations logged after it come back through ``replay`` instead of being recomputed, so
a resumed seeded run ends exactly where an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gp_automl.archive import Archive, Entry
from gp_automl.checkpoint import SearchState
from gp_automl.executor import Executor
from gp_automl.gp import Evolution, Scored
from gp_automl.search.budget import EXHAUSTED, INTERRUPTED, TIME, Budget
from gp_automl.tree import PipelineTree, parse


def _nothing(*args) -> None:
    return None


@dataclass
class Hooks:
    """What the loop tells the outside world: each new result, each generation, each checkpoint."""

    on_result: Callable[[Entry], None] = _nothing
    on_generation: Callable[[int, Archive], None] = _nothing
    on_checkpoint: Callable[[SearchState], None] = _nothing


@dataclass
class GenerationalSearch:
    evolution: Evolution
    executor: Executor
    archive: Archive
    budget: Budget
    population_size: int
    hooks: Hooks = field(default_factory=Hooks)
    replay: dict[str, Entry] = field(default_factory=dict)  # logged after the checkpoint we resume from

    def run(self, start: SearchState | None = None) -> str:
        """Run until a stop rule fires; returns the rule's name."""
        if start is None:
            generation, seen = 0, set(self.archive.entries)
            population, complete = self._initial_population(seen)
            if not complete:
                return INTERRUPTED if self.budget.interrupted else TIME
            self._checkpoint(generation, population)
            self.hooks.on_generation(0, self.archive)
        else:
            generation, seen = start.generation, set(self.archive.entries)
            population = [Scored(parse(key), score) for key, score in start.population]
            self.evolution.rng.setstate(start.rng_state)
            self.budget.stale_generations = start.stale_generations
        while True:
            reason = self.budget.stop_reason(generation)
            if reason is not None:
                return reason
            children = self.evolution.offspring(population, self.population_size, seen)
            if not children:
                return EXHAUSTED  # every pipeline variation can reach has been evaluated
            generation += 1
            front_before = _front_signature(self.archive)
            scored, complete = self._evaluate(children, generation)
            if not complete:
                return INTERRUPTED if self.budget.interrupted else TIME
            population = self.evolution.survivors(population + scored, self.population_size)
            self.budget.record_generation(_front_signature(self.archive) != front_before)
            self._checkpoint(generation, population)
            self.hooks.on_generation(generation, self.archive)

    def _initial_population(self, seen: set[str]) -> tuple[list[Scored], bool]:
        # Keep drawing until something works: a population of failures cannot breed.
        while len(seen) < 50 * self.population_size:
            trees = self.evolution.random_trees(self.population_size, seen)
            population, complete = self._evaluate(trees, 0)
            if population or not complete or not trees or self.budget.stop_reason(0) is not None:
                return population, complete
        return [], True

    def _evaluate(self, trees: list[PipelineTree], generation: int) -> tuple[list[Scored], bool]:
        """Evaluate in parallel (logged results are replayed, not recomputed); return the successful
        ones in the order of ``trees`` (determinism), and whether every tree got a result."""
        by_key = {tree.key: tree for tree in trees}
        todo = []
        for tree in trees:
            if tree.key in self.replay:
                self.archive.add(tree, self.replay.pop(tree.key).result, generation)
            else:
                todo.append(tree)
        for result in self.executor.evaluate(todo, self.budget.deadline, lambda: self.budget.interrupted):
            self.archive.add(by_key[result.key], result, generation)
            self.hooks.on_result(self.archive.get(result.key))
        scored = [
            Scored(tree, entry.result.score)
            for tree in trees
            if (entry := self.archive.get(tree.key)) is not None and entry.result.ok
        ]
        return scored, all(tree.key in self.archive for tree in trees)

    def _checkpoint(self, generation: int, population: list[Scored]) -> None:
        self.hooks.on_checkpoint(
            SearchState(
                generation=generation,
                population=tuple((s.tree.key, s.score) for s in population),
                rng_state=self.evolution.rng.getstate(),
                logged=len(self.archive),
                elapsed=self.budget.elapsed(),
                stale_generations=self.budget.stale_generations,
            )
        )


def _front_signature(archive: Archive) -> tuple:
    return tuple((e.result.score, e.result.complexity) for e in archive.front())
