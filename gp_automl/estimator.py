"""GPClassifier and GPRegressor: scikit-learn estimators over a search.

They hold their settings (``__init__`` stores them as given) and, after ``fit``, what the search
left; the search itself, its cluster, run directory, refit and export, is a ``session.Session``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from gp_automl.config import DEFAULT_SCORING, make_settings
from gp_automl.data import CLASSIFICATION, REGRESSION, prediction_frame
from gp_automl.outputs import check_output
from gp_automl.rundir import BEST_PIPELINE, atomic_write_text
from gp_automl.session import Fitted, Session, resume_session


class _GPBase(BaseEstimator):
    _task: str

    def __init__(
        self,
        generations=None,
        population_size=50,
        max_time_mins=60,
        max_eval_time_mins="auto",
        cv=5,
        scoring=None,
        operators="default",
        scheduler=None,
        n_workers=None,
        mode="generational",
        early_stop=None,
        checkpoint_dir=None,
        checkpoint_interval=300,
        random_state=0,
        verbosity=1,
        allow_modules=(),
        security=None,
        early_rejection=True,
        max_eval_memory="auto",
    ):
        self.generations = generations
        self.population_size = population_size
        self.max_time_mins = max_time_mins
        self.max_eval_time_mins = max_eval_time_mins
        self.cv = cv
        self.scoring = scoring
        self.operators = operators
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.mode = mode
        self.early_stop = early_stop
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_interval = checkpoint_interval
        self.random_state = random_state
        self.verbosity = verbosity
        self.allow_modules = allow_modules
        self.security = security
        self.early_rejection = early_rejection
        self.max_eval_memory = max_eval_memory

    def fit(self, X, y, data_path: str | None = None):
        """Search for the best pipeline for (X, y), refit it on all the data, return self.

        X is the raw table: a DataFrame (numbers, strings, categories, booleans, dates, gaps) or a
        numeric array; its preprocessing is searched and becomes the first step of every pipeline.
        Rows whose target is missing are dropped with a ``DataWarning``.
        ``data_path``: the CSV or Parquet file X and y were read from, if any; the exported script reads it.
        """
        self._forget_fit()
        fitted = Session(make_settings(self.get_params(), self._task)).fit(X, y, data_path)
        return self._adopt(fitted, feature_names_of(X))

    def _forget_fit(self) -> None:
        for name in [name for name in vars(self) if name.endswith("_") and not name.startswith("_")]:
            delattr(self, name)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the raw table goes in: gaps are imputed, text and categories encoded by the searched preprocessing
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _adopt(self, fitted: Fitted, feature_names: np.ndarray | None = None):
        """Take what a session left as fitted attributes; then raise the scheduler loss that stopped it.
        ``feature_names``: the column names of a DataFrame X (scikit-learn's ``feature_names_in_``)."""
        self.run_info_ = fitted.run_info
        self.pipeline_context_ = fitted.pipelines
        self.evaluations_ = fitted.evaluations
        self.pareto_front_ = fitted.pareto_front
        if fitted.pipeline is not None:
            self.best_tree_, self.best_score_ = fitted.best_tree, fitted.best_score
            self.fitted_pipeline_ = fitted.pipeline
            self.n_features_in_ = fitted.n_features_in
            if feature_names is not None:
                self.feature_names_in_ = feature_names
            if self._task == CLASSIFICATION:
                self.classes_ = fitted.pipeline.classes_
        if fitted.lost:
            raise fitted.lost
        return self

    def _fitted(self) -> Fitted:
        check_is_fitted(self, "fitted_pipeline_")
        return Fitted(
            self.run_info_, self.pipeline_context_, self.evaluations_, self.pareto_front_,
            self.best_tree_, self.best_score_, self.fitted_pipeline_,
        )  # fmt: skip

    def export(self, path: str | Path, data_path: str | None = None, target: str | None = None) -> str:
        """Write the winner as a standalone script; ``data_path``/``target`` default to the fit's."""
        check_is_fitted(self, "fitted_pipeline_")
        data_path = data_path or self.run_info_["data"]["path"]
        own = [Path(self.checkpoint_dir) / BEST_PIPELINE] if self.checkpoint_dir else []
        path = check_output(path, inputs=[data_path, self.run_info_["data"]["path"]], own=own)
        script = self._fitted().script(data_path, target or self.run_info_.get("target"))
        atomic_write_text(Path(path), script)
        return script

    def _rows(self, X):
        """New rows laid out as in training: an array has the training columns in their order, a
        DataFrame is matched by column names (extra columns ignored, ones the winner does not read optional)."""
        check_is_fitted(self, "fitted_pipeline_")
        info = self.run_info_["data"]
        model = type(self).__name__
        return prediction_frame(X, info["features"], info["used"], columns=info.get("columns"), model=model)[0]

    def predict(self, X):
        """Predictions in the original labels (strings, booleans, ...) for classification."""
        rows = self._rows(X)
        return self.fitted_pipeline_.predict(rows)

    def plot_pareto_front(self, ax=None):
        """Score against complexity of every evaluated pipeline, the front and the winner (a Figure)."""
        from gp_automl.plots import plot_pareto_front  # matplotlib loads only when plotting

        check_is_fitted(self, "fitted_pipeline_")
        return plot_pareto_front(self.evaluations_, self.best_tree_.key, self.run_info_["settings"]["scoring"], ax=ax)

    def plot_convergence(self):
        """Best CV score so far against the number of evaluations (a Figure)."""
        from gp_automl.plots import plot_convergence

        check_is_fitted(self, "fitted_pipeline_")
        return plot_convergence(self.evaluations_, self.run_info_["settings"]["scoring"])

    def score(self, X, y, sample_weight=None) -> float:
        """The search's scoring (e.g. balanced accuracy, R2) of the refit pipeline on (X, y)."""
        rows = self._rows(X)
        scorer = get_scorer(self.scoring or DEFAULT_SCORING[self._task])
        weights = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight)}
        return float(scorer(self.fitted_pipeline_, rows, np.asarray(y), **weights))


def _winner_has(method: str):
    """For ``available_if``: unfitted, the method is offered (and raises NotFittedError); fitted,
    only if the winning pipeline has it (predict_proba: not for an SVM without probabilities)."""

    def check(estimator) -> bool:
        return not hasattr(estimator, "fitted_pipeline_") or hasattr(estimator.fitted_pipeline_, method)

    return check


class GPClassifier(ClassifierMixin, _GPBase):
    """Genetic-programming search for a classification pipeline (default scoring: balanced accuracy).

    After ``fit``: ``classes_``, ``n_features_in_``, ``feature_names_in_`` (when X was a DataFrame
    with string column names), and the search's attributes (``best_tree_``, ``fitted_pipeline_``, ...).
    """

    _task = CLASSIFICATION
    score = _GPBase.score  # the search's scorer, not ClassifierMixin's accuracy

    @available_if(_winner_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities, one column per entry of ``classes_`` (the original labels)."""
        rows = self._rows(X)
        return self.fitted_pipeline_.predict_proba(rows)

    @available_if(_winner_has("decision_function"))
    def decision_function(self, X):
        """The winning model's decision values (as scikit-learn's classifiers give them)."""
        rows = self._rows(X)
        return self.fitted_pipeline_.decision_function(rows)


class GPRegressor(RegressorMixin, _GPBase):
    """Genetic-programming search for a regression pipeline (default scoring: R2).

    After ``fit``: ``n_features_in_``, ``feature_names_in_`` (when X was a DataFrame with string
    column names), and the search's attributes (``best_tree_``, ``fitted_pipeline_``, ...).
    """

    _task = REGRESSION
    score = _GPBase.score  # the search's scorer (R2 by default, as RegressorMixin's, but any given)


def feature_names_of(X) -> np.ndarray | None:
    """scikit-learn's ``feature_names_in_``: the column names of a DataFrame whose names are all strings."""
    if isinstance(X, pd.DataFrame) and len(X.columns) and all(isinstance(name, str) for name in X.columns):
        return np.asarray(X.columns, dtype=object)
    return None


def resume(run_dir: str | Path, max_time_mins: float | None = None, X=None, y=None, **changes) -> _GPBase:
    """Continue the search in ``run_dir`` (stopped, interrupted, killed or finished); return the fitted estimator.

    X and y default to the CSV file the run was started on; they must be the same data. With a
    seed, a resumed generational run ends with the same result as an uninterrupted one.
    ``max_time_mins`` replaces the run's total budget (time already spent counts against it);
    ``changes`` may set the other settings marked resumable in ``config.SETTINGS`` (``generations``,
    ``scheduler``, ``n_workers``, ``verbosity``, ...). ``allow_modules`` and ``security`` are never
    read from the run directory: a run.json cannot widen what gets imported, and certificates stay
    out of it; give them again. A finished run is continued only under a larger total (time,
    generations, early stop), else refused with a ``ConfigError`` that says what to pass. The run
    directory is locked for the whole resume: a second writer is refused (``RunDirError``).
    """
    params, fitted = resume_session(run_dir, max_time_mins, X, y, changes)
    estimator_class = GPClassifier if fitted.run_info["task"] == CLASSIFICATION else GPRegressor
    names = feature_names_of(X) if X is not None else np.asarray(fitted.run_info["data"]["features"], dtype=object)
    return estimator_class(**params)._adopt(fitted, names)
