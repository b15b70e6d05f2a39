"""Fixed cross-validation folds and scorers, from scikit-learn's public API.

Folds are computed once on the driver and shipped with the data, so every pipeline is scored on
exactly the same splits, and the exported script can rebuild them from (task, n_splits, seed).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold

from gp_automl.errors import ConfigError

Folds = tuple[tuple[np.ndarray, np.ndarray], ...]


def make_splitter(task: str, n_splits: int, random_state: int | None):
    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits=n_splits, shuffle=True, random_state=random_state)


def make_folds(task: str, n_splits: int, random_state: int | None, X, y) -> Folds:
    splitter = make_splitter(task, n_splits, random_state)
    return tuple((train, test) for train, test in splitter.split(X, y))


def check_scoring_name(scoring: str) -> str:
    """Accept only scorer names scikit-learn knows, so workers never meet a bad one."""
    if not isinstance(scoring, str) or scoring not in get_scorer_names():
        raise ConfigError(f"unknown scoring {scoring!r}; use a name from sklearn.metrics.get_scorer_names()")
    return scoring


def scorer(scoring: str):
    return get_scorer(scoring)
