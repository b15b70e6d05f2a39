"""Fixed cross-validation folds and scorers, from scikit-learn's public API.

Folds are computed once on the driver and shipped with the data, so every pipeline is scored on
exactly the same splits, and the exported script can rebuild them from (task, n_splits, seed).
The checks here run before any work: a scorer or a fold count that cannot suit the task or the
target would otherwise fail every evaluation of the search, one by one.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold

from gp_automl.errors import ConfigError

Folds = tuple[tuple[np.ndarray, np.ndarray], ...]
CLASSIFICATION, REGRESSION = "classification", "regression"
# Offered when a scorer does not suit the task (each is checked to exist in this scikit-learn).
_SUGGESTED = {
    CLASSIFICATION: ("balanced_accuracy", "accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss"),
    REGRESSION: ("r2", "neg_mean_absolute_error", "neg_root_mean_squared_error"),
}


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


def scoring_task(scoring: str) -> str:
    """The task a scikit-learn scorer is made for, read from the scorer object: a scorer that asks
    for probabilities or decision values, or whose metric is not one of ``sklearn.metrics``'
    regression metrics (accuracy, F1, ROC AUC, the clustering and likelihood-ratio scores, which
    compare labels), is for classification."""
    scorer_object = get_scorer(scoring)
    response = getattr(scorer_object, "_response_method", "predict")
    responses = {response} if isinstance(response, str) else set(response)
    metric_module = getattr(getattr(scorer_object, "_score_func", None), "__module__", "") or ""
    if responses & {"predict_proba", "decision_function"}:
        return CLASSIFICATION
    return REGRESSION if metric_module == "sklearn.metrics._regression" else CLASSIFICATION


def check_scoring(scoring: str, task: str) -> str:
    """A known scorer name that suits ``task`` (ConfigError otherwise)."""
    check_scoring_name(scoring)
    made_for = scoring_task(scoring)
    if made_for != task:
        names = set(get_scorer_names())
        use = ", ".join(name for name in _SUGGESTED[task] if name in names)
        other = "GPRegressor, --task regression" if made_for == REGRESSION else "GPClassifier, --task classification"
        raise ConfigError(
            f"scoring {scoring!r} is a {made_for} metric and the task is {task}; use a {task} scorer such as "
            f"{use} (or, if the target really is a {'quantity' if made_for == REGRESSION else 'set of classes'}, "
            f"{other})"
        )
    return scoring


def check_scoring_for_target(scoring: str, task: str, y: np.ndarray) -> None:
    """Score a trivial model on the target's own labels (or values): what scikit-learn refuses
    there, it would refuse in every evaluation (a two-class metric on three classes, a positive
    label 1 the target does not have, a deviance on values it is not defined for)."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if task == CLASSIFICATION:
        labels = np.unique(y)
        probe_y = np.concatenate([labels, labels])
        model = DummyClassifier(strategy="stratified", random_state=0)
    else:
        probe_y = np.asarray(y, dtype=np.float64)
        model = DummyRegressor()
    probe_X = np.zeros((len(probe_y), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a trivial model's undefined precision and the like are no news
        try:
            get_scorer(scoring)(model.fit(probe_X, probe_y), probe_X, probe_y)
        except (ValueError, TypeError) as exc:
            raise ConfigError(_target_mismatch(scoring, task, probe_y, exc)) from None


def _target_mismatch(scoring: str, task: str, y: np.ndarray, exc: Exception) -> str:
    said = " ".join(str(exc).split())[:200]
    variants = [n for n in sorted(get_scorer_names()) if n.startswith(f"{scoring}_") and not n.endswith("_samples")]
    use = f"; use {', '.join(variants[:-1])} or {variants[-1]}" if len(variants) > 1 else ""
    if task != CLASSIFICATION:
        return f"scoring {scoring!r} cannot score this target (scikit-learn: {said}); choose another scorer"
    labels = np.unique(y)
    shown = ", ".join(map(str, labels[:5])) + (", ..." if len(labels) > 5 else "")
    if len(labels) > 2:
        fix = use or "; choose another scorer"
        return f"scoring {scoring!r} is for two classes and the target has {len(labels)} ({shown}){fix}"
    fix = f"{use} (they need no positive label), or label" if use else "; choose another scorer, or label"
    return (
        f"scoring {scoring!r} cannot score this target of classes {shown} (scikit-learn: {said})"
        f"{fix} the positive class 1 and the other 0"
    )


def check_folds(labels: np.ndarray, task: str, cv: int) -> None:
    """``cv`` folds need ``cv`` rows, and (stratified, for classification) ``cv`` rows of every class."""
    if len(labels) == 1:
        raise ConfigError(f"1 sample (one row) is too few for cv={cv}; add rows")
    if len(labels) < cv:
        raise ConfigError(f"{len(labels)} rows are too few for cv={cv}; add rows or lower cv")
    if task != CLASSIFICATION:
        return
    classes, counts = np.unique(labels, return_counts=True)
    rare = [str(label) for label, count in zip(classes, counts, strict=True) if count < cv]
    if rare:
        smallest = int(counts.min())
        fix = f"add rows, merge classes or lower cv to {smallest}" if smallest >= 2 else "add rows or merge classes"
        raise ConfigError(
            f"class(es) {', '.join(rare[:10])}{' ...' if len(rare) > 10 else ''} have fewer than cv={cv} rows "
            f"(the smallest has {smallest}); {fix}"
        )
