"""The search loops' logic against an in-process fake executor: deterministic, milliseconds, no cluster.

The fake scores a tree by a hash of its key (some keys fail), and hands results back in an order of
its own choosing, in batches, like a cluster whose workers finish at different times. The real
executors are tested with real clusters elsewhere (test_search.py, test_dask_cluster.py); here the
loops' rules are: what a seed fixes, what survives, when a loop stops, and what a resume continues.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable

import pytest

from gp_automl.archive import Archive
from gp_automl.checkpoint import SearchState
from gp_automl.gp import Evolution
from gp_automl.journal import EvaluationLog
from gp_automl.lineage import CROSSOVER, INIT, MUTATION, RANDOM, START
from gp_automl.rejection import Bar
from gp_automl.result import ERROR, OK, EvalResult
from gp_automl.search.budget import EARLY_STOP, GENERATIONS, INTERRUPTED, Budget
from gp_automl.search.generational import GenerationalSearch, RandomSearch
from gp_automl.search.hooks import Hooks
from gp_automl.search.steady import SteadyStateSearch
from gp_automl.space import load_catalog
from gp_automl.tree import PipelineTree

POPULATION = 8


def fake_score(key: str) -> float | None:
    """A score in [0, 1) fixed by the key; None for the one key in seven that fails."""
    value = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return None if value % 7 == 0 else (value % 10_000) / 10_000


class FakeExecutor:
    """Evaluates at once, but returns results in a shuffled order, a random number at a time."""

    def __init__(self, n_workers: int = 1, order_seed: int | None = None, score: Callable = fake_score):
        self.n_workers = n_workers
        self.description = "fake"
        self._order = random.Random(order_seed) if order_seed is not None else None
        self._score = score
        self._queue: list[EvalResult] = []
        self.submitted: list[str] = []
        self.most_in_flight = 0

    def start(self, context) -> None:
        pass

    def submit(self, tree: PipelineTree, bar: Bar | None = None) -> None:
        self.submitted.append(tree.key)
        score = self._score(tree.key)
        if score is None:
            result = EvalResult(tree.key, ERROR, complexity=tree.complexity, error="ValueError: fake")
        else:
            result = EvalResult(tree.key, OK, (score,) * 3, score, tree.complexity, seconds=0.01)
        self._queue.append(result)
        self.most_in_flight = max(self.most_in_flight, len(self._queue))

    def results(self, timeout: float) -> list[EvalResult]:
        if not self._queue:
            return []
        if self._order is None:
            return [self._queue.pop(0)]
        self._order.shuffle(self._queue)
        count = self._order.randint(1, len(self._queue))
        taken, self._queue = self._queue[:count], self._queue[count:]
        return taken

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    def cancel_all(self) -> None:
        self._queue.clear()

    close = cancel_all  # the rest of the Executor protocol is the in-process executor's queue, minus evaluation


@pytest.fixture(scope="module")
def catalog():
    return load_catalog("light", "classification")


class Run:
    """One loop over a fake executor, with what its hooks saw."""

    def __init__(self, loop_class, catalog, archive: Archive | None = None, seed: int = 0, **options):
        self.executor = options.pop("executor", None) or FakeExecutor()
        self.archive = archive if archive is not None else Archive()
        self.checkpoints: list[SearchState] = []
        self.generations: list[int] = []
        self.budget = Budget(None, options.pop("generations", 4), options.pop("early_stop", None))
        on_result = options.pop("on_result", lambda entry: None)
        hooks = Hooks(
            on_result=on_result,
            on_generation=lambda generation, archive: self.generations.append(generation),
            on_checkpoint=self.checkpoints.append,
        )
        evolution = Evolution(catalog, rng=random.Random(seed))
        self.loop = loop_class(evolution, self.executor, self.archive, self.budget, POPULATION, hooks, **options)

    def run(self, start: SearchState | None = None) -> str:
        return self.loop.run(start)

    def by_generation(self) -> list[tuple[int, str]]:
        return sorted((entry.generation, entry.tree.key) for entry in self.archive.entries())

    def population(self) -> tuple[tuple[str, float], ...]:
        return self.checkpoints[-1].population


def test_a_seed_fixes_the_generational_search_whatever_the_workers_and_completion_order(catalog):
    one = Run(GenerationalSearch, catalog, seed=3, executor=FakeExecutor(n_workers=1))
    many = Run(GenerationalSearch, catalog, seed=3, executor=FakeExecutor(n_workers=4, order_seed=11))
    assert one.run() == many.run() == GENERATIONS
    assert one.by_generation() == many.by_generation()
    assert one.population() == many.population()
    assert many.executor.most_in_flight > 1  # results really came back out of order, several at a time
    other = Run(GenerationalSearch, catalog, seed=4)
    other.run()
    assert other.by_generation() != one.by_generation()  # and the seed matters


def test_failures_never_survive_and_every_generation_is_checkpointed(catalog):
    run = Run(GenerationalSearch, catalog, seed=1, generations=3)
    assert run.run() == GENERATIONS
    failed = {e.tree.key for e in run.archive.entries() if not e.result.ok}
    assert failed  # the fake fails one key in seven
    for state in run.checkpoints:
        assert not failed & {key for key, _ in state.population}
        assert len(state.population) <= POPULATION
    assert run.generations == [0, 1, 2, 3]
    assert [state.generation for state in run.checkpoints] == [0, 1, 2, 3]
    assert max(e.generation for e in run.archive.entries()) == 3


def test_no_pipeline_is_evaluated_twice(catalog):
    run = Run(GenerationalSearch, catalog, seed=2, generations=6)
    run.run()
    assert len(run.executor.submitted) == len(set(run.executor.submitted)) == len(run.archive)


def test_children_name_their_parents_and_the_variation_that_made_them(catalog):
    run = Run(GenerationalSearch, catalog, seed=5, generations=3)
    run.run()
    logged = {e.tree.key for e in run.archive.entries()}
    for entry in run.archive.entries():
        variation = entry.lineage.variation
        if entry.generation == 0:
            assert variation in (START, INIT)
        else:
            assert variation == CROSSOVER or variation.startswith(MUTATION) or variation == RANDOM
            assert set(entry.lineage.parents) <= logged


def test_a_front_that_stops_improving_stops_the_search(catalog):
    flat = Run(GenerationalSearch, catalog, generations=50, early_stop=2, executor=FakeExecutor(score=lambda key: 0.5))
    assert flat.run() == EARLY_STOP
    # pipelines as good as the front but no simpler improve nothing: the count runs from the last simpler one
    assert len(flat.generations) < 50


def test_a_generational_run_stopped_mid_generation_resumes_to_the_same_search(catalog, tmp_path):
    whole = Run(GenerationalSearch, catalog, seed=7, generations=4)
    whole.run()

    log = tmp_path / "evaluations.sqlite"
    results = 0
    first: Run

    def stop_after_some(entry) -> None:
        nonlocal results
        results += 1
        if results == POPULATION * 2 + 3:  # inside generation 2
            first.budget.interrupted = True

    first = Run(
        GenerationalSearch, catalog, Archive(EvaluationLog(log)), seed=7, generations=4,
        checkpoint_interval=0.0, on_result=stop_after_some,
    )  # fmt: skip
    assert first.run() == INTERRUPTED
    state = first.checkpoints[-1]
    assert state.pending  # a mid-generation checkpoint
    first.archive.close()

    archive = Archive(EvaluationLog(log))
    archive.restore()
    second = Run(GenerationalSearch, catalog, archive, seed=999, generations=4)  # the seed comes from the state
    assert second.run(state) == GENERATIONS
    assert second.by_generation() == whole.by_generation()
    assert second.population() == whole.population()
    archive.close()


def test_random_search_breeds_nothing(catalog):
    run = Run(RandomSearch, catalog, seed=1, generations=3)
    run.run()
    later = [e for e in run.archive.entries() if e.generation > 0]
    assert later and all(e.lineage.variation == RANDOM and not e.lineage.parents for e in later)


def test_the_async_loop_keeps_the_workers_busy_and_counts_generations_in_results(catalog):
    run = Run(SteadyStateSearch, catalog, seed=1, generations=3, executor=FakeExecutor(n_workers=4, order_seed=2))
    assert run.run() == GENERATIONS
    assert run.executor.most_in_flight == 6  # 1.5 per worker, topped up as results come back
    assert run.generations == [0, 1, 2, 3]  # like the generational loop: generation 0, then three more
    assert len(run.archive) >= 3 * POPULATION
    assert len(run.executor.submitted) == len(set(run.executor.submitted))
    ok = {e.tree.key for e in run.archive.entries() if e.result.ok}
    assert {key for key, _ in run.population()} <= ok


def test_an_interrupted_async_loop_checkpoints_what_is_in_flight(catalog, tmp_path):
    run: Run

    def stop(entry) -> None:
        if len(run.archive) == POPULATION + 2:
            run.budget.interrupted = True

    run = Run(
        SteadyStateSearch, catalog, Archive(EvaluationLog(tmp_path / "log.sqlite")), seed=1, generations=5,
        executor=FakeExecutor(n_workers=4), on_result=stop,
    )  # fmt: skip
    assert run.run() == INTERRUPTED
    state = run.checkpoints[-1]
    assert state.pending and not set(state.pending) & {e.tree.key for e in run.archive.entries()}
    run.archive.close()

    archive = Archive(EvaluationLog(tmp_path / "log.sqlite"))
    archive.restore()
    resumed = Run(SteadyStateSearch, catalog, archive, seed=1, generations=5, executor=FakeExecutor(n_workers=4))
    assert resumed.run(state) == GENERATIONS
    assert set(state.pending) <= set(resumed.executor.submitted)  # what was in flight runs again
    assert len(archive) >= 5 * POPULATION
    archive.close()
