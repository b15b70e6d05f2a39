"""The fitness function, run on the workers: pipeline tree -> EvalResult. It never raises.

Pure: everything it needs arrives as arguments (the tree, and a context scattered to every worker
once). It imports neither DEAP nor the search, so workers stay light.
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import cross_validate
from threadpoolctl import threadpool_limits

from gp_automl.build import Fronts, build_pipeline, preload
from gp_automl.cv import Folds, scorer
from gp_automl.isolate import run_with_limit
from gp_automl.memory import allowance
from gp_automl.rejection import Bar
from gp_automl.result import ERROR, MEMORY, OK, REJECTED, EvalResult
from gp_automl.space import Catalog
from gp_automl.tree import PipelineTree


@dataclass(frozen=True)
class EvalContext:
    """Everything shared by all evaluations of one search; sent to each worker once."""

    X: pd.DataFrame  # the raw feature table; each pipeline's front turns it into numbers
    y: np.ndarray
    folds: Folds
    scoring: str
    catalog: Catalog
    random_state: int | None
    fronts: Fronts = field(default_factory=dict)
    limit_s: float | None = None  # hard per-pipeline time limit
    max_memory: int | str | None = None  # max_eval_memory: bytes, "auto" (resolved on the worker) or no limit


def evaluate_with_limit(tree: PipelineTree, context: EvalContext, bar: Bar | None = None) -> EvalResult:
    """The task the executors run: ``evaluate`` in a child process stopped at ``context.limit_s`` and
    held to its memory allowance."""
    preload(context.catalog, context.fronts)
    return run_with_limit(lambda: evaluate(tree, context, bar), tree, context.limit_s, allowance(context.max_memory))


def evaluate(tree: PipelineTree, context: EvalContext, bar: Bar | None = None) -> EvalResult:
    """Cross-validated score of ``tree``; with a ``bar``, fold by fold, stopping (status ``rejected``)
    as soon as the folds so far fall clearly behind it."""
    started = time.perf_counter()
    try:
        pipeline = build_pipeline(tree, context.catalog, context.random_state, context.fronts)
        # One thread per evaluation: parallelism comes from workers; nested BLAS/OpenMP threads
        # only fight each other (and the other workers) for the same cores.
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore")
            folds = list(context.folds)
            batches = [folds] if bar is None else [[fold] for fold in folds]
            fold_scores: tuple[float, ...] = ()
            for batch in batches:
                scores = cross_validate(
                    pipeline, context.X, context.y, cv=batch, scoring=scorer(context.scoring), error_score="raise"
                )["test_score"]
                fold_scores += tuple(float(s) for s in scores)
                if not all(math.isfinite(s) for s in fold_scores):
                    raise ValueError(f"non-finite fold scores {fold_scores}")
                if bar is not None and bar.rejects(fold_scores):
                    return EvalResult(
                        key=tree.key,
                        status=REJECTED,
                        fold_scores=fold_scores,
                        complexity=tree.complexity,
                        seconds=time.perf_counter() - started,
                        error=bar.reason(fold_scores),
                    )
        return EvalResult(
            key=tree.key,
            status=OK,
            fold_scores=fold_scores,
            score=float(np.mean(fold_scores)),
            complexity=tree.complexity,
            seconds=time.perf_counter() - started,
        )
    except Exception as exc:  # noqa: BLE001 - a failing pipeline is a result, not a crash
        return EvalResult(
            key=tree.key,
            status=MEMORY if isinstance(exc, MemoryError) else ERROR,
            complexity=tree.complexity,
            seconds=time.perf_counter() - started,
            error=_describe(exc),
        )


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"[:2000]
