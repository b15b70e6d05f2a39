"""The generational (mu + lambda) loop: deterministic for a seed, whatever the number of workers.

Each generation breeds ``population_size`` unseen offspring, evaluates them in parallel, and keeps
``population_size`` survivors of parents + offspring by NSGA-II. Failed pipelines are recorded but
never survive. Results are matched to trees by key, so completion order does not matter.

Resuming: a checkpoint at the end of each generation holds the population and the generator
state; evaluations logged after it come back through ``replay`` instead of being recomputed, so
a resumed seeded run ends exactly where an uninterrupted one would.
"""

from __future__ import annotations

import time
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
    checkpoint_interval: float | None = None  # seconds between checkpoints inside a generation
    _last_checkpoint: float = 0.0

    def run(self, start: SearchState | None = None) -> str:
        """Run until a stop rule fires; returns the rule's name."""
        self._last_checkpoint = time.monotonic()
        if start is None:
            generation, seen = 0, set(self.archive.entries)
            population, complete = self._initial_population(seen)
            if not complete:
                return INTERRUPTED if self.budget.interrupted else TIME
            self._checkpoint(generation, population)
            self.hooks.on_generation(0, self.archive)
        else:
            generation, seen = start.generation, set(self.archive.entries) | set(start.pending)
            population = [Scored(parse(key), score) for key, score in start.population]
            self.evolution.rng.setstate(start.rng_state)
            self.budget.stale_generations = start.stale_generations
            if start.pending:  # a checkpoint taken part-way through this generation
                population, reason = self._generation(generation, population, [parse(k) for k in start.pending])
                if reason is not None:
                    return reason
        while True:
            reason = self.budget.stop_reason(generation)
            if reason is not None:
                return reason
            children = self.evolution.offspring(population, self.population_size, seen)
            if not children:
                return EXHAUSTED  # every pipeline variation can reach has been evaluated
            generation += 1
            population, reason = self._generation(generation, population, children)
            if reason is not None:
                return reason

    def _generation(
        self, generation: int, population: list[Scored], children: list[PipelineTree]
    ) -> tuple[list[Scored], str | None]:
        """Evaluate the children, keep the survivors, checkpoint; or say why the search must stop."""
        scored, complete = self._evaluate(children, generation, population)
        if not complete:
            return population, INTERRUPTED if self.budget.interrupted else TIME
        population = self.evolution.survivors(population + scored, self.population_size)
        improved = _front_signature(self.archive, generation + 1) != _front_signature(self.archive, generation)
        self.budget.record_generation(improved)
        self._checkpoint(generation, population)
        self.hooks.on_generation(generation, self.archive)
        return population, None

    def _initial_population(self, seen: set[str]) -> tuple[list[Scored], bool]:
        # Keep drawing until something works: a population of failures cannot breed.
        while len(seen) < 50 * self.population_size:
            trees = self.evolution.random_trees(self.population_size, seen)
            population, complete = self._evaluate(trees, 0)
            if population or not complete or not trees or self.budget.stop_reason(0) is not None:
                return population, complete
        return [], True

    def _evaluate(
        self, trees: list[PipelineTree], generation: int, population: list[Scored] | None = None
    ) -> tuple[list[Scored], bool]:
        """Evaluate in parallel (logged results are replayed, not recomputed); return the successful
        ones in the order of ``trees`` (determinism), and whether every tree got a result. With a
        ``population`` (not for the initial one), checkpoint every ``checkpoint_interval`` seconds."""
        by_key = {tree.key: tree for tree in trees}
        todo = []
        for tree in trees:
            if tree.key in self.archive:
                continue  # evaluated before a mid-generation checkpoint
            if tree.key in self.replay:
                self.archive.add(tree, self.replay.pop(tree.key).result, generation)
            else:
                todo.append(tree)
        for result in self.executor.evaluate(todo, self.budget.deadline, lambda: self.budget.interrupted):
            self.archive.add(by_key[result.key], result, generation)
            self.hooks.on_result(self.archive.get(result.key))
            due = self.checkpoint_interval is not None and (
                time.monotonic() - self._last_checkpoint >= self.checkpoint_interval
            )
            if population is not None and due:
                self._checkpoint(generation, population, pending=trees)
        scored = [
            Scored(tree, entry.result.score)
            for tree in trees
            if (entry := self.archive.get(tree.key)) is not None and entry.result.ok
        ]
        return scored, all(tree.key in self.archive for tree in trees)

    def _checkpoint(self, generation: int, population: list[Scored], pending: list[PipelineTree] = ()) -> None:
        self._last_checkpoint = time.monotonic()
        self.hooks.on_checkpoint(
            SearchState(
                generation=generation,
                population=tuple((s.tree.key, s.score) for s in population),
                pending=tuple(tree.key for tree in pending),
                rng_state=self.evolution.rng.getstate(),
                logged=len(self.archive),
                elapsed=self.budget.elapsed(),
                stale_generations=self.budget.stale_generations,
            )
        )


def _front_signature(archive: Archive, before_generation: int) -> tuple:
    """The front of everything evaluated before ``before_generation``."""
    earlier = Archive({k: e for k, e in archive.entries.items() if e.generation < before_generation})
    return tuple((e.result.score, e.result.complexity) for e in earlier.front())
