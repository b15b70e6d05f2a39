"""Why the winner works and how sure we are: held-out predictions and permutation importance.

The winner is refit on each training fold of the search's own folds (same splitter, same seed) and
judged only on the rows it did not see: a confusion matrix or residuals of out-of-fold predictions,
and permutation importance on each held-out fold. The refit model (``model.pkl``) is never used
here — it has seen every row — so a run still in progress is explained the same way as a finished one.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer
from threadpoolctl import threadpool_limits

from gp_automl.build import instantiate
from gp_automl.cv import make_folds
from gp_automl.data import prepare, read_table, split_target
from gp_automl.errors import GPAutoMLError
from gp_automl.report.state import RunState


class DataUnavailable(Exception):
    """The training data cannot be had; the report says why in place of the sections that need them."""


@dataclass(frozen=True)
class TrainingData:
    frame: pd.DataFrame  # the file as read, target included
    X: pd.DataFrame  # features as the search saw them (raw; the pipeline front encodes them)
    y: np.ndarray
    features: tuple[str, ...]


@dataclass(frozen=True)
class HeldOut:
    y_true: np.ndarray
    y_pred: np.ndarray
    importances: pd.DataFrame  # feature, importance, std (over repeats and folds)
    folds: int  # folds predicted (all of them)
    importance_folds: int  # folds whose importance fitted in the time limit
    seconds: float


def load_training_data(state: RunState) -> TrainingData:
    """The run's data file, checked against the fingerprint run.json recorded."""
    data = state.info["data"]
    path, target = data.get("path"), state.info.get("target")
    if path is None or target is None:
        raise DataUnavailable("the run was fitted on in-memory data (run.json records no data file)")
    try:
        frame = read_table(path)
        X, y = split_target(frame, target)
        missing = [c for c in data["features"] if c not in X.columns]
        if missing:
            raise DataUnavailable(f"{path} lacks feature column(s) {', '.join(missing[:5])}")
        dataset = prepare(X[list(data["features"])], y, state.task, state.info["settings"]["cv"])
    except GPAutoMLError as exc:
        raise DataUnavailable(f"the training data could not be read: {exc}") from None
    if dataset.fingerprint() != data["fingerprint"]:
        raise DataUnavailable(f"{path} has changed since the run (its fingerprint differs from run.json's)")
    return TrainingData(frame, dataset.X, dataset.y, tuple(data["features"]))


def held_out(state: RunState, data: TrainingData, n_repeats: int = 3, time_limit: float = 30.0) -> HeldOut:
    """Out-of-fold predictions of the winner on every fold; importance on as many folds as ``time_limit`` allows."""
    tree = state.winner_tree
    if tree is None:
        raise ValueError("no successful pipeline to explain yet")
    plan = state.pipelines().plan(tree)
    settings = state.info["settings"]
    folds = make_folds(state.task, settings["cv"], state.info["seed"], data.X, data.y)
    scorer = get_scorer(state.scoring)
    y_pred = np.empty(len(data.y), dtype=object if state.task == "classification" else float)
    repeats: list[np.ndarray] = []
    started = time.monotonic()
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of one refit says nothing about the search
        for train, test in folds:
            X_train, X_test = data.X.iloc[train], data.X.iloc[test]  # the raw table: the front encodes it
            model = instantiate(plan).fit(X_train, data.y[train])
            y_pred[test] = model.predict(X_test)
            if not repeats or time.monotonic() - started < time_limit:  # at least one fold
                result = permutation_importance(
                    model, X_test, data.y[test], scoring=scorer, n_repeats=n_repeats, random_state=0
                )
                repeats.append(result.importances)
    matrix = np.hstack(repeats)
    importances = pd.DataFrame(
        {"feature": data.features, "importance": matrix.mean(axis=1), "std": matrix.std(axis=1)}
    ).sort_values("importance", ascending=False, kind="stable")
    if state.task == "classification":
        y_pred = y_pred.astype(data.y.dtype)
    return HeldOut(data.y, y_pred, importances, len(folds), len(repeats), time.monotonic() - started)


def column_summary(data: TrainingData, target: str) -> pd.DataFrame:
    """One row per column of the data file: type, missing values, distinct values, and its role."""
    frame = data.frame
    used = set(data.features)
    rows = []
    for name in frame.columns:
        column = frame[name]
        rows.append(
            {
                "column": str(name),
                "role": "target" if name == target else ("feature" if str(name) in used else "ignored"),
                "type": str(column.dtype),
                "missing": int(column.isna().sum()),
                "missing %": round(100 * float(column.isna().mean()), 1),
                "distinct": int(column.nunique(dropna=True)),
            }
        )
    return pd.DataFrame(rows)
