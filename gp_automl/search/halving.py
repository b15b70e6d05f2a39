"""Successive halving inside one generation, streamed: the low-fidelity rungs, then full CV (``fidelity.py``).

The generation's trees are cut, in order, into brackets of ``eta ** rungs`` (9 with the rungs 1/9
and 1/3). Each bracket climbs on its own: once all its trees have a result at a rung, the best
``1/eta`` of them by score (ties broken by key) go up to the next rung, and those promoted past the
last low rung get full CV, with the generation's early-rejection bars. The trees left behind get
their one row in the evaluation log there and then: ``screened`` with the rung's fold scores, or the
failure they met. Every low-fidelity result is kept in the journal's ``screenings`` table.

Work is submitted as workers free up, the highest rung first (then bracket, then position), so the
first full-fidelity results arrive after one bracket's rungs, not after the whole generation's: a
barrier per rung over the whole generation let a short budget on a large table end before any
pipeline reached full CV (``benchmarks/README.md``). A decision depends only on the bracket's own
results at one rung, never on arrival order, so a seeded run promotes the same trees whatever the
number of workers; a result already in the journal is taken from it, so a generation resumed
part-way takes the same decisions without evaluating anything twice.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gp_automl.archive import Entry
from gp_automl.executor.base import IN_FLIGHT_PER_WORKER, poll_wait
from gp_automl.fidelity import fraction_text
from gp_automl.gp import Scored
from gp_automl.rejection import Bars
from gp_automl.result import SCREENED, EvalResult
from gp_automl.tree import PipelineTree

if TYPE_CHECKING:
    from gp_automl.search.generational import GenerationalSearch


def evaluate_in_rungs(
    loop: GenerationalSearch,
    trees: Sequence[PipelineTree],
    generation: int,
    population: list[Scored] | None,
    bars: Bars,
    evaluated: Sequence[PipelineTree] = (),
) -> tuple[list[Scored], bool]:
    """Take a generation's ``trees`` up the rungs; return the successful full-fidelity results of the
    generation (``evaluated`` first: trees with full CV already, never screened) in the order of the
    trees, and whether every tree got its result (False: a stop came first; the generation stays
    pending). With a ``population``, checkpoint every ``checkpoint_interval`` seconds."""
    return _Climb(loop, list(trees), generation, population, bars, list(evaluated)).run()


class _Climb:
    def __init__(self, loop, trees, generation, population, bars, evaluated):
        self.loop, self.trees, self.generation, self.population, self.bars = loop, trees, generation, population, bars
        self.evaluated = evaluated
        self.fractions = loop.rungs.fractions
        self.full = len(self.fractions)  # the level of full CV
        size = loop.rungs.eta ** len(self.fractions)
        self.brackets = [trees[start : start + size] for start in range(0, len(trees), size)]
        self.ready: list[tuple[int, int, int, str]] = []  # heap: (-level, bracket, position, key)
        self.tree_of = {tree.key: tree for tree in trees}
        self.waiting: dict[tuple[int, int], set[str]] = {}  # (bracket, level) -> keys without a result yet
        self.got: dict[tuple[int, int], dict[str, EvalResult]] = {}
        self.in_flight: dict[str, tuple[int, int]] = {}  # key -> (bracket, level)

    def run(self) -> tuple[list[Scored], bool]:
        loop, executor, budget = self.loop, self.loop.executor, self.loop.budget
        for bracket, members in enumerate(self.brackets):
            self._offer(bracket, 0, members)
        capacity = max(1, round(IN_FLIGHT_PER_WORKER * executor.n_workers))
        try:
            while self.ready or self.in_flight:
                if self._stopping():
                    return [], False
                while self.ready and len(self.in_flight) < capacity:
                    level, bracket, _, key = heapq.heappop(self.ready)
                    level, tree = -level, self.tree_of[key]
                    self.in_flight[key] = (bracket, level)
                    if level == self.full:
                        executor.submit(tree, self.bars.for_complexity(tree.complexity))
                    else:
                        executor.submit(tree, None, level)
                results = executor.results(poll_wait(budget.deadline))
                if budget.interrupted:
                    return [], False  # results of evaluations the stop itself cut short are not results
                for result in results:
                    self._take(result)
                if self.population is not None and loop._checkpoint_due():
                    loop._checkpoint(self.generation, self.population, pending=[*self.evaluated, *self.trees])
        finally:
            executor.cancel_all()
        found = ((tree, loop.archive.result(tree.key)) for tree in [*self.evaluated, *self.trees])
        return [Scored(tree, result.score) for tree, result in found if result is not None and result.ok], True

    def _stopping(self) -> bool:
        deadline = self.loop.budget.deadline
        return self.loop.budget.interrupted or (deadline is not None and time.monotonic() >= deadline)

    def _offer(self, bracket: int, level: int, members: list[PipelineTree]) -> None:
        """Put ``members`` of ``bracket`` up for ``level``: taken from the journal where it has their
        result there, else queued for evaluation."""
        self.waiting[(bracket, level)] = {tree.key for tree in members}
        self.got[(bracket, level)] = {}
        for position, tree in enumerate(members):
            if level == self.full:
                known = self.loop.archive.result(tree.key)
            else:
                known = self.loop.archive.screenings.result(tree.key, self.fractions[level])
            if known is None:
                heapq.heappush(self.ready, (-level, bracket, position, tree.key))
            else:
                self._record(bracket, level, known)  # the last of them decides, as a new result would

    def _take(self, result: EvalResult) -> None:
        where = self.in_flight.pop(result.key, None)
        if where is None:
            return  # cancelled earlier, arrived anyway
        bracket, level = where
        tree = self.tree_of[result.key]
        if level == self.full:
            lineage = self.loop.evolution.take_lineage(tree.key)
            self.loop.hooks.on_result(self.loop.archive.add(tree, result, self.generation, lineage))
        else:
            self.loop.archive.screenings.append(result, self.generation, self.fractions[level])
            self.loop.hooks.on_screening(Entry(tree, result, self.generation))
        self._record(bracket, level, result)

    def _record(self, bracket: int, level: int, result: EvalResult) -> None:
        self.got[(bracket, level)][result.key] = result
        waiting = self.waiting[(bracket, level)]
        waiting.discard(result.key)
        if not waiting:
            self._decide(bracket, level)

    def _decide(self, bracket: int, level: int) -> None:
        """Every member of ``bracket`` has its result at ``level``: promote the best, log the rest."""
        if level == self.full:
            return
        results = self.got[(bracket, level)]
        promoted = set(self.loop.rungs.promote((key, r.score) for key, r in results.items() if r.ok))
        lowest = min((results[key].score for key in promoted), default=float("nan"))
        members = [tree for tree in self.brackets[bracket] if tree.key in results]
        for tree in members:
            if tree.key not in promoted and tree.key not in self.loop.archive:  # else logged before a resume
                left = _left_behind(results[tree.key], self.fractions[level], len(promoted), lowest)
                self.loop.archive.add(tree, left, self.generation, self.loop.evolution.take_lineage(tree.key))
        going_on = [tree for tree in members if tree.key in promoted]
        if going_on:
            self._offer(bracket, level + 1, going_on)


def _left_behind(result: EvalResult, fraction: float, promoted: int, lowest: float) -> EvalResult:
    """The evaluation log's row of a tree that goes no further than this rung."""
    rows = f"{fraction_text(fraction)} of the training rows"
    if not result.ok:  # failed there: a failure, whatever the rows (its time is in ``seconds``)
        return EvalResult(result.key, result.status, result.fold_scores, complexity=result.complexity,
                          seconds=result.seconds, error=f"at {rows}: {result.error}"[:2000])  # fmt: skip
    return EvalResult(
        result.key,
        SCREENED,
        result.fold_scores,
        complexity=result.complexity,
        seconds=result.seconds,
        error=f"screened out at {rows}: {result.score:.4f}, not among the {promoted} promoted (lowest {lowest:.4f})",
    )
