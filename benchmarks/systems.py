"""One adapter per benchmarked system: fit on the training split within a wall-clock budget.

Each adapter uses the system's own defaults except for what must be equal across systems: the
budget, the seed, the number of parallel jobs and the metric being optimised (balanced accuracy or
R2). Systems that cannot take raw tables (missing values, strings, dates) get the same minimal
preprocessing (``minimal_preprocessing``), fitted on the training split only.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, LabelEncoder, OneHotEncoder

from benchmarks.suites import CLASSIFICATION, Split

MAX_CATEGORIES = 20  # string columns with more distinct values (IDs, free text) are dropped


@dataclass
class Fitted:
    version: str
    predictions: np.ndarray
    fit_seconds: float
    pipelines: int | None  # pipelines (or configurations) evaluated; None where the system does not say
    failures: int | None
    cv_score: float | None = None
    notes: list[str] = field(default_factory=list)
    stopped_early: int | None = None  # of ``pipelines``, those stopped after a few folds (gp_automl's early rejection)


def _gp_automl(mode: str, **settings) -> Callable[[Split, float, int, int], Fitted]:
    """gp_automl in ``mode``; ``settings`` depart from its defaults, to measure a lever."""

    def fit(split: Split, budget_s: float, seed: int, n_jobs: int) -> Fitted:
        from gp_automl import GPClassifier, GPRegressor

        estimator = GPClassifier if split.dataset.task == CLASSIFICATION else GPRegressor
        model = estimator(
            max_time_mins=budget_s / 60, mode=mode, n_workers=n_jobs, random_state=seed, verbosity=0, **settings
        )
        start = time.monotonic()
        model.fit(split.X_train, split.y_train)
        seconds = time.monotonic() - start
        info = model.run_info_
        return Fitted(
            version("gp_automl"),
            model.predict(split.X_test),
            seconds,
            info["evaluations"],
            info["failures"],
            cv_score=model.best_score_,
            stopped_early=info["rejected_early"],
        )

    return fit


def minimal_preprocessing(X: pd.DataFrame) -> ColumnTransformer:
    """Numbers imputed by the median, dates as day numbers, few-valued strings one-hot encoded,
    other strings (IDs, free text) dropped: what a person would do before handing numbers over."""
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
    strings = [c for c in X.columns if c not in numeric]
    dates = [c for c in strings if _is_date(X[c])]
    categories = [c for c in strings if c not in dates and X[c].nunique() <= MAX_CATEGORIES]
    return ColumnTransformer(
        [
            ("numbers", SimpleImputer(strategy="median"), numeric),
            ("dates", make_pipeline(FunctionTransformer(_day_numbers), SimpleImputer(strategy="median")), dates),
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categories,
            ),
        ],
        remainder="drop",
    )


def _is_date(column: pd.Series) -> bool:
    values = column.dropna().astype(str)
    if values.empty:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(pd.to_datetime(values, errors="coerce").notna().all())


def _day_numbers(X) -> np.ndarray:
    """Dates (as strings) to days since 1970, for models that take only numbers."""
    frame = pd.DataFrame(X)
    dates = [pd.to_datetime(frame[c], errors="coerce") for c in frame.columns]
    return np.column_stack([(d - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float) for d in dates])


def _numbers_only(split: Split) -> tuple[np.ndarray | pd.DataFrame, np.ndarray | pd.DataFrame, list[str]]:
    if not split.dataset.raw:
        return split.X_train, split.X_test, []
    pre = minimal_preprocessing(split.X_train)
    note = "raw table: minimal preprocessing (median imputation, dates as days, one-hot of <=20-valued strings)"
    return pre.fit_transform(split.X_train), pre.transform(split.X_test), [note]


def _tpot(split: Split, budget_s: float, seed: int, n_jobs: int) -> Fitted:
    import tpot

    X_train, X_test, notes = _numbers_only(split)
    classification = split.dataset.task == CLASSIFICATION
    labels = LabelEncoder().fit(split.y_train) if classification else None
    y_train = labels.transform(split.y_train) if classification else split.y_train.to_numpy()
    if classification:
        model = tpot.TPOTClassifier(
            scorers=["balanced_accuracy"],
            scorers_weights=[1],
            max_time_mins=budget_s / 60,
            n_jobs=n_jobs,
            random_state=seed,
            verbose=0,
        )
    else:
        model = tpot.TPOTRegressor(
            scorers=["r2"],
            scorers_weights=[1],
            max_time_mins=budget_s / 60,
            n_jobs=n_jobs,
            random_state=seed,
            verbose=0,
        )
    start = time.monotonic()
    model.fit(X_train, y_train)
    seconds = time.monotonic() - start
    predictions = model.predict(X_test)
    if classification:
        predictions = labels.inverse_transform(np.asarray(predictions, dtype=int))
    # one row per individual: a score, an error (INVALID, TIMEOUT), or neither (cut off by the budget)
    individuals = model.evaluated_individuals
    scores = pd.to_numeric(individuals[individuals.columns[0]], errors="coerce")
    failed = individuals["Eval Error"].notna() & ~np.isfinite(scores)
    evaluated = int((np.isfinite(scores) | failed).sum())
    return Fitted(
        tpot.__version__, predictions, seconds, evaluated, int(failed.sum()), cv_score=float(scores.max()), notes=notes
    )


def _flaml(split: Split, budget_s: float, seed: int, n_jobs: int) -> Fitted:
    from flaml import AutoML
    from sklearn.metrics import balanced_accuracy_score

    def balanced_error(X_val, y_val, estimator, *args, **kwargs):
        return 1 - balanced_accuracy_score(y_val, estimator.predict(X_val)), {}

    classification = split.dataset.task == CLASSIFICATION
    automl = AutoML()
    start = time.monotonic()
    automl.fit(
        split.X_train,
        split.y_train,
        task=split.dataset.task,
        time_budget=budget_s,
        metric=balanced_error if classification else "r2",
        n_jobs=n_jobs,
        seed=seed,
        verbose=0,
    )
    seconds = time.monotonic() - start
    trials = getattr(automl, "_track_iter", None)
    return Fitted(
        version("flaml"),
        automl.predict(split.X_test),
        seconds,
        None if trials is None else trials + 1,
        None,
        cv_score=1 - automl.best_loss,
    )


SYSTEMS: dict[str, Callable[[Split, float, int, int], Fitted]] = {
    "gp_automl": _gp_automl("generational"),
    "gp_automl_async": _gp_automl("async"),
    "random": _gp_automl("random"),
    "gp_automl_cv10": _gp_automl("generational", cv=10),  # a lever: more folds, less luck in the winner's score
    "gp_automl_pop20": _gp_automl("generational", population_size=20),  # a lever: more generations in 60 s
    "tpot": _tpot,
    "flaml": _flaml,
}
PACKAGES = {
    "gp_automl": "gp_automl",
    "gp_automl_async": "gp_automl",
    "random": "gp_automl",
    "gp_automl_cv10": "gp_automl",
    "gp_automl_pop20": "gp_automl",
    "tpot": "tpot",
    "flaml": "flaml",
}
