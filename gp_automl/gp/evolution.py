"""The search's view of genetic programming: trees in, trees out, DEAP kept inside.

``Evolution`` draws random pipelines, breeds offspring from a scored population, and keeps
survivors by NSGA-II (Deb et al. 2002, via DEAP's ``selNSGA2``) on (CV score up, complexity down).
All randomness comes from ``rng``, the search's own generator (see ``rng.drawing_from``), so a
seed fixes the search and the generator's state can be checkpointed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

from deap import tools

from gp_automl.gp.convert import to_individual, to_tree
from gp_automl.gp.generate import random_individual
from gp_automl.gp.primitives import build_primitive_set
from gp_automl.gp.rng import drawing_from
from gp_automl.gp.variation import Variation
from gp_automl.space import Catalog
from gp_automl.tree import DATA, PipelineTree

NONDOMINATED_SORT = "log"  # DEAP's O(n log n) sort for two objectives; "standard" is O(n^2)


class KeySet(Protocol):
    """Keys breeding must not produce again (a set, or the archive's view of its log)."""

    def __contains__(self, key: str) -> bool: ...

    def add(self, key: str) -> None: ...


class Scored(NamedTuple):
    tree: PipelineTree
    score: float


class Evolution:
    def __init__(
        self,
        catalog: Catalog,
        max_depth: int = 6,
        max_complexity: int = 8,
        init_depth: tuple[int, int] = (1, 3),
        crossover_rate: float = 0.25,
        rng: random.Random | None = None,
        data_leaves: tuple[str, ...] = (DATA,),
    ):
        self.rng = rng or random.Random()
        self.primitives = build_primitive_set(catalog, data_leaves)
        self.start_keys = frozenset(tree.key for tree in catalog.start)
        self.variation = Variation(self.primitives, max_depth, max_complexity)
        self.init_depth = init_depth
        self.crossover_rate = crossover_rate
        self.max_depth = max_depth
        self.max_complexity = max_complexity
        self._converted: dict[str, object] = {}  # key -> DEAP individual

    def random_tree(self) -> PipelineTree:
        with drawing_from(self.rng):
            return self._random_tree()

    def _random_tree(self) -> PipelineTree:
        while True:
            individual = random_individual(self.primitives, *self.init_depth)
            tree = to_tree(individual)
            if tree.complexity <= self.max_complexity and individual.height <= self.max_depth:
                return tree

    def initial_trees(self, count: int, seen: KeySet) -> list[PipelineTree]:
        """The catalog's start pipelines not yet seen, then random trees: a first generation that
        already holds well-tried models, so the first minutes give a good one."""
        start = self.start_trees(count, seen)
        return start + self.random_trees(count - len(start), seen)

    def start_trees(self, count: int, seen: KeySet) -> list[PipelineTree]:
        """Up to ``count`` of the catalog's start pipelines not in ``seen`` (which is updated)."""
        start = [tree for tree in self.primitives.catalog.start if tree.key not in seen][:count]
        for tree in start:
            seen.add(tree.key)
        return start

    def random_trees(self, count: int, seen: KeySet, max_tries: int = 50) -> list[PipelineTree]:
        """``count`` new trees whose keys are not in ``seen`` (which is updated)."""
        return list(self.iter_random_trees(count, seen, max_tries))

    def iter_random_trees(
        self, count: int, seen: KeySet, max_tries: int = 50, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[PipelineTree]:
        """``random_trees`` one at a time, drawn as they are asked for, so a large generation is never
        held before it is submitted; ends early once ``stop()`` says so. The same trees in the same
        order as ``random_trees``: the generator's draws do not depend on how fast they are taken."""
        found = 0
        for _ in range(count * max_tries):
            if found == count or stop():
                return
            tree = self.random_tree()
            if tree.key not in seen:
                seen.add(tree.key)
                found += 1
                yield tree

    def survivors(self, scored: list[Scored], count: int) -> list[Scored]:
        """NSGA-II truncation: non-dominated fronts first, crowding distance within the last one."""
        if len(scored) <= count:
            return list(scored)
        with drawing_from(self.rng):
            chosen = tools.selNSGA2(self._individuals(scored), count, nd=NONDOMINATED_SORT)
        return [scored[i.index] for i in chosen]

    def offspring(self, parents: list[Scored], count: int, seen: KeySet, max_tries: int = 20) -> list[PipelineTree]:
        """Children by crossover or mutation of tournament-chosen parents, all unseen."""
        if not parents:
            return self.random_trees(count, seen)
        with drawing_from(self.rng):
            children = self._breed(parents, count, seen, max_tries)
        return children + self.random_trees(count - len(children), seen)

    def _breed(self, parents: list[Scored], count: int, seen: KeySet, max_tries: int) -> list[PipelineTree]:
        individuals = self._individuals(parents)
        tools.selNSGA2(individuals, len(individuals), nd=NONDOMINATED_SORT)  # crowding distances for the tournament
        usable = len(individuals) - len(individuals) % 4
        pool = tools.selTournamentDCD(individuals, usable) if usable >= 4 else individuals
        children: list[PipelineTree] = []
        for _ in range(count * max_tries):
            if len(children) == count:
                break
            if len(pool) >= 2 and self.rng.random() < self.crossover_rate:
                first, second = self.rng.sample(pool, 2)
                child = self.variation.crossover(self._copy(first), self._copy(second))
            else:
                child = self.variation.mutate(self._copy(self.rng.choice(pool)))
            tree = to_tree(child)
            if tree.key not in seen:
                seen.add(tree.key)
                children.append(tree)
        return children

    def _individuals(self, scored: list[Scored]) -> list:
        """DEAP individuals for scored trees; conversions are cached, since the async loop asks for
        nearly the same population after every result."""
        individuals, used = [], set()
        for index, (tree, score) in enumerate(scored):
            individual = self._converted.get(tree.key) if tree.key not in used else None
            if individual is None:
                individual = to_individual(tree, self.primitives)
                self._converted.setdefault(tree.key, individual)
            used.add(tree.key)
            individual.fitness.values = (score, float(tree.complexity))
            individual.index = index
            individuals.append(individual)
        if len(self._converted) > 4 * len(used) + 100:
            self._converted = {key: self._converted[key] for key in used}
        return individuals

    def _copy(self, individual):
        return to_individual(to_tree(individual), self.primitives)
