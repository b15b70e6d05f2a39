"""Successive halving inside one generation: the low-fidelity rungs before full CV (``fidelity.py``).

Each rung evaluates the trees still in the running on its subsampled folds, logs every result in
the journal's ``screenings`` table, and promotes the best ``1/eta`` by score (ties broken by key)
to the next. The trees left behind get their one row in the evaluation log there and then:
``screened`` with the rung's fold scores, or the failure they met. The generational loop gives the
promoted trees full CV as before. A rung's results come from the journal when it has them, so a
resumed generation takes the same decisions without evaluating anything twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gp_automl.archive import Entry
from gp_automl.executor import evaluate_all
from gp_automl.fidelity import fraction_text
from gp_automl.gp import Scored
from gp_automl.result import SCREENED, EvalResult
from gp_automl.tree import PipelineTree

if TYPE_CHECKING:
    from gp_automl.search.generational import GenerationalSearch


def screen(
    loop: GenerationalSearch, trees: Sequence[PipelineTree], generation: int, population: list[Scored] | None
) -> tuple[list[PipelineTree], bool]:
    """Take a generation's ``trees`` up the low rungs; return those promoted to full fidelity (in
    the order of ``trees``) and whether every rung got all its results (False: a stop came first,
    and the generation stays pending). With a ``population``, checkpoint every ``checkpoint_interval``."""
    candidates = list(trees)
    for rung, fraction in enumerate(loop.rungs.fractions):
        results = _evaluate_rung(loop, candidates, rung, fraction, generation, population, trees)
        if results is None:
            return [], False
        promoted = set(loop.rungs.promote((key, r.score) for key, r in results.items() if r.ok))
        lowest = min((results[key].score for key in promoted), default=float("nan"))
        for tree in candidates:
            if tree.key not in promoted and tree.key not in loop.archive:  # logged by a session before a resume
                left = _left_behind(results[tree.key], fraction, len(promoted), lowest)
                loop.archive.add(tree, left, generation)
        candidates = [tree for tree in candidates if tree.key in promoted]
    return candidates, True


def _evaluate_rung(
    loop: GenerationalSearch,
    candidates: list[PipelineTree],
    rung: int,
    fraction: float,
    generation: int,
    population: list[Scored] | None,
    generation_trees: Sequence[PipelineTree],
) -> dict[str, EvalResult] | None:
    """Every candidate's result at ``rung`` (from the journal, else evaluated), or None if a stop came first."""
    results: dict[str, EvalResult] = {}
    todo: dict[str, PipelineTree] = {}
    for tree in candidates:
        stored = loop.archive.screenings.result(tree.key, fraction)
        if stored is None:
            todo[tree.key] = tree
        else:
            results[tree.key] = stored
    for result in evaluate_all(
        loop.executor,
        todo.values(),
        lambda: loop.budget.deadline,
        lambda: loop.budget.interrupted,
        rung=rung,
    ):
        loop.archive.screenings.append(result, generation, fraction)
        results[result.key] = result
        loop.hooks.on_screening(Entry(todo[result.key], result, generation))
        if population is not None and loop._checkpoint_due():
            loop._checkpoint(generation, population, pending=generation_trees)
    return results if len(results) == len(candidates) else None


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
