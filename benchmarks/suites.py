"""The benchmark datasets and suites: what every system is run on, split the same way each time.

Every dataset is bundled with scikit-learn, generated with a fixed seed, or a small CSV in
``data/``: nothing is downloaded. The train/test split is fixed per dataset (``SPLIT_SEED``), so the
seed of a run changes only the search, never the data it is judged on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, make_classification
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import train_test_split

DATA = Path(__file__).resolve().parent / "data"
CLASSIFICATION, REGRESSION = "classification", "regression"
SPLIT_SEED = 0
TEST_SIZE = 0.25


@dataclass(frozen=True)
class Dataset:
    name: str
    task: str
    load: Callable[[], tuple[pd.DataFrame, pd.Series]]
    raw: bool = False  # missing values, strings or dates: systems that need numbers get minimal preprocessing
    test_size: float = TEST_SIZE


@dataclass(frozen=True)
class Split:
    dataset: Dataset
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


@dataclass(frozen=True)
class Suite:
    datasets: tuple[str, ...]
    budgets: tuple[float, ...]  # seconds
    seeds: int
    systems: tuple[str, ...]


def _bundled(loader) -> Callable[[], tuple[pd.DataFrame, pd.Series]]:
    def load():
        X, y = loader(return_X_y=True, as_frame=True)
        return X, y

    return load


def _synthetic(n_samples: int = 1000) -> tuple[pd.DataFrame, pd.Series]:
    """Three noisy classes, few informative features among many: where feature selection pays."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=30,
        n_informative=6,
        n_redundant=4,
        n_classes=3,
        n_clusters_per_class=2,
        class_sep=0.8,
        flip_y=0.05,
        random_state=7,
    )
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]), pd.Series(y, name="target")


def _messy() -> tuple[pd.DataFrame, pd.Series]:
    """The raw churn table (IDs, gaps, categories, dates, free text), rows without a label dropped."""
    frame = pd.read_csv(DATA / "messy.csv")
    frame = frame[frame["churned"].notna()].reset_index(drop=True)
    return frame.drop(columns=["churned"]), frame["churned"]


DATASETS = {
    d.name: d
    for d in (
        Dataset("breast_cancer", CLASSIFICATION, _bundled(load_breast_cancer)),
        Dataset("digits", CLASSIFICATION, _bundled(load_digits)),
        Dataset("synthetic", CLASSIFICATION, _synthetic),
        Dataset("messy", CLASSIFICATION, _messy, raw=True),
        Dataset("diabetes", REGRESSION, _bundled(load_diabetes)),
        # For measuring levers, in no suite: as many training rows as synthetic (750) and 19,250 test
        # rows, so the test score's own noise (SE about 0.003, against 0.024 on synthetic's 250 rows)
        # does not hide differences between systems. Same generator, another draw of its clusters.
        Dataset("synthetic_big_test", CLASSIFICATION, lambda: _synthetic(20_000), test_size=19_250 / 20_000),
    )
}

QUICK_DATASETS = ("breast_cancer", "digits", "synthetic", "messy", "diabetes")
SUITES = {
    "smoke": Suite(("breast_cancer",), (10,), 1, ("gp_automl", "random")),
    "quick": Suite(QUICK_DATASETS, (60,), 3, ("gp_automl", "random", "tpot")),
    "full": Suite(QUICK_DATASETS, (180, 600), 5, ("gp_automl", "gp_automl_async", "random", "tpot", "flaml")),
}


def split(name: str) -> Split:
    """The fixed train/test split of a dataset (stratified for classification)."""
    dataset = DATASETS[name]
    X, y = dataset.load()
    stratify = y if dataset.task == CLASSIFICATION else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=dataset.test_size, random_state=SPLIT_SEED, stratify=stratify
    )
    return Split(dataset, X_train, X_test, y_train, y_test)


def score(task: str, y_true, y_pred) -> float:
    """The test metric: balanced accuracy for classification, R2 for regression."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(balanced_accuracy_score(y_true, y_pred) if task == CLASSIFICATION else r2_score(y_true, y_pred))
