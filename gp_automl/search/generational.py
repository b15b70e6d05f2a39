"""The generational (mu + lambda) loop: deterministic for a seed, whatever the number of workers.

Each generation breeds ``population_size`` unseen offspring, evaluates them in parallel, and keeps
``population_size`` survivors of parents + offspring by NSGA-II. Failed pipelines are recorded but
never survive. Results are matched to trees by key, so completion order does not matter.
"""

from __future__ import annotations

from collections.abc import Callable

from gp_automl.archive import Archive
from gp_automl.executor import Executor
from gp_automl.gp import Evolution, Scored
from gp_automl.search.budget import EXHAUSTED, TIME, Budget
from gp_automl.tree import PipelineTree

OnResult = Callable[[int, Archive], None]


def run_generational(
    evolution: Evolution,
    executor: Executor,
    archive: Archive,
    budget: Budget,
    population_size: int,
    on_generation: OnResult = lambda generation, archive: None,
) -> str:
    """Run until a stop rule fires; returns the rule's name."""
    seen = set(archive.entries)
    population = _evaluate(evolution.random_trees(population_size, seen), 0, executor, archive, budget)
    # Keep drawing until something works: a population of failures cannot breed.
    while not population and budget.stop_reason(0) is None and len(seen) < 50 * population_size:
        population = _evaluate(evolution.random_trees(population_size, seen), 0, executor, archive, budget)
    on_generation(0, archive)
    generation = 0
    while True:
        reason = budget.stop_reason(generation)
        if reason is not None:
            return reason
        generation += 1
        front_before = _front_signature(archive)
        children = evolution.offspring(population, population_size, seen)
        if not children:
            return EXHAUSTED  # every pipeline variation can reach has been evaluated
        scored = _evaluate(children, generation, executor, archive, budget)
        population = evolution.survivors(population + scored, population_size)
        budget.record_generation(_front_signature(archive) != front_before)
        on_generation(generation, archive)
        if len([e for e in archive.entries.values() if e.generation == generation]) < len(children):
            return TIME  # the deadline cut this generation short


def _evaluate(
    trees: list[PipelineTree], generation: int, executor: Executor, archive: Archive, budget: Budget
) -> list[Scored]:
    """Evaluate in parallel; return the successful ones in the order of ``trees`` (determinism)."""
    if not trees:
        return []
    by_key = {tree.key: tree for tree in trees}
    for result in executor.evaluate(trees, deadline=budget.deadline):
        archive.add(by_key[result.key], result, generation)
    scored = []
    for tree in trees:
        entry = archive.get(tree.key)
        if entry is not None and entry.result.ok:
            scored.append(Scored(tree, entry.result.score))
    return scored


def _front_signature(archive: Archive) -> tuple:
    return tuple((e.result.score, e.result.complexity) for e in archive.front())
