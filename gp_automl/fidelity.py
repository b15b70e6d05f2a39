"""Multi-fidelity evaluation: successive halving over training rows, inside each generation.

On a large table, full cross-validation of every child costs most of a short budget (a forest's
5-fold CV on 20,000 rows takes minutes on 2 cores; ``benchmarks/README.md``). Above ``SWITCH_ROWS``
rows (measured: where full CV of a typical pipeline of the default catalog costs several seconds)
a generation's children are first scored at low fidelity: every fold's training part subsampled
to 1/9 of its rows (stratified for classification, seeded by the run's seed, the same subsample
for every pipeline, so their scores compare), scored on the whole test fold. In brackets of
``ETA ** rungs`` children (9), the best 1/``ETA`` by that score go up to 1/3 of the rows, the
best 1/``ETA`` of those to full CV (``search/halving.py`` streams the brackets, so full-fidelity
results come early). Rungs whose training part would have fewer than ``MIN_RUNG_ROWS`` rows are
left out. At a rung, a pipeline's time limit is the per-pipeline limit scaled by the rung's rows.

Only full-fidelity results enter the population, the Pareto front and the winner, so selection
always compares pipelines scored on the same rows. A child not promoted is logged once, with
status ``screened`` and its fold scores at the last rung it reached (the rung is in its ``error``
text; every rung's result is in the journal's ``screenings`` table). ``screened`` rather than
``rejected``: a rejected pipeline was stopped on full-fidelity folds by the early-rejection bar;
a screened one has all its folds, at a fraction of the rows; the two counts mean different things.
A screened key is in the memo cache like any other: bred again, it is not evaluated again.

Promotion uses only the bracket's own results at that rung, sorted by score with ties broken
by key, and a stored result of a (key, rung) is reused, so a seeded run promotes the same trees
whatever the number of workers or the order results arrive in, and a run resumed part-way through a
generation recomputes the same rungs from the journal. Tables below the switch point (and
``fidelity="full"``) are evaluated exactly as before.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

AUTO, FULL, HALVING = "auto", "full", "halving"
FIDELITIES = (AUTO, FULL, HALVING)
# Rows from which "auto" screens at low fidelity: the median 5-fold CV of four typical pipelines
# (histogram boosting, a forest, logistic regression, an RBF SVC) takes 2.7 s at 2,000 rows and
# 8.6 s at 5,000 on a 2-core machine (benchmarks/fidelity_switch.py).
SWITCH_ROWS = 5_000
ETA = 3  # each rung keeps the best 1/ETA for the next, which has ETA times the rows
LOW_RUNGS = 2  # rungs below full fidelity: 1/9 and 1/3 of the training rows
MIN_RUNG_ROWS = 50  # a rung whose training part would be smaller is left out
# A rung's time limit: the per-pipeline limit scaled by the rung's share of the rows (a pipeline over
# it would be over the limit at full fidelity, unless cheaper than linear in rows), but not below this
# many seconds, which a process start and the preprocessing take on a busy machine.
MIN_RUNG_LIMIT_S = 5.0


@dataclass(frozen=True)
class Rungs:
    """The low-fidelity rungs of a search: fractions of each fold's training rows, ascending.
    Empty: every pipeline goes straight to full cross-validation."""

    fractions: tuple[float, ...] = ()
    eta: int = ETA

    def __bool__(self) -> bool:
        return bool(self.fractions)

    def promote(self, scores: Iterable[tuple[str, float]]) -> list[str]:
        """Keys that go up a rung: the best ``1/eta`` (rounded up) of ``(key, score)`` pairs of
        successful evaluations at one rung, by score, ties broken by key."""
        ranked = sorted(scores, key=lambda pair: (-pair[1], pair[0]))
        return [key for key, _ in ranked[: math.ceil(len(ranked) / self.eta)]]


def plan_rungs(fidelity: str, n_rows: int, n_folds: int) -> Rungs:
    """The rungs for a table of ``n_rows`` under the ``fidelity`` setting."""
    if fidelity == FULL or (fidelity == AUTO and n_rows < SWITCH_ROWS):
        return Rungs()
    training_rows = n_rows * (n_folds - 1) / n_folds
    fractions = tuple(ETA**-level for level in range(LOW_RUNGS, 0, -1) if training_rows * ETA**-level >= MIN_RUNG_ROWS)
    return Rungs(fractions)


def rung_limit(limit_s: float | None, fraction: float) -> float | None:
    """Seconds one evaluation may take at a rung of ``fraction`` of the rows, given the full limit."""
    if limit_s is None:
        return None
    return min(limit_s, max(limit_s * fraction, MIN_RUNG_LIMIT_S))


def fraction_text(fraction: float) -> str:
    """1/9, 1/3: how a rung is named in messages."""
    return "all" if fraction >= 1 else f"1/{round(1 / fraction)}"


Folds = tuple[tuple[np.ndarray, np.ndarray], ...]


def subsampled_folds(
    folds: Folds, y: np.ndarray, fractions: Sequence[float], seed: int | None, stratify: bool
) -> tuple[Folds, ...]:
    """For each fraction, ``folds`` with each training part cut to that share of its rows (per class
    with ``stratify``, at least one row of each); the test parts stay whole. The rungs are nested: a
    smaller fraction's rows are among a larger one's. Seeded, so every pipeline, worker and resume
    sees the same rows."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    cut: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in fractions]
    for train, test in folds:
        groups = [train[y[train] == label] for label in np.unique(y[train])] if stratify else [train]
        shuffled = [rng.permutation(group) for group in groups]
        for level, fraction in enumerate(fractions):
            kept = [group[: max(1, math.ceil(fraction * len(group)))] for group in shuffled]
            cut[level].append((np.sort(np.concatenate(kept)), test))
    return tuple(tuple(level) for level in cut)
