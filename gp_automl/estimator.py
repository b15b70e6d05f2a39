"""GPClassifier and GPRegressor: scikit-learn estimators that run the search in ``fit``."""

from __future__ import annotations

import platform
import random
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from gp_automl.archive import Archive
from gp_automl.build import instantiate
from gp_automl.codegen import ScriptInfo
from gp_automl.config import Settings, make_settings
from gp_automl.cv import make_folds
from gp_automl.data import CLASSIFICATION, REGRESSION, Dataset, prepare, to_matrix
from gp_automl.errors import SearchError
from gp_automl.evaluate import EvalContext
from gp_automl.executor import make_executor
from gp_automl.gp import Evolution
from gp_automl.results import PipelineContext, evaluations_frame, export_script, front_frame
from gp_automl.rundir import BEST_PIPELINE, EVALUATIONS, PARETO_FRONT, RUN_JSON, RunDir, atomic_write_text
from gp_automl.search import Budget, run_generational
from gp_automl.space import load_catalog
from gp_automl.version import __version__

DEPENDENCIES = ("scikit-learn", "deap", "dask", "distributed", "numpy", "pandas")


class _GPBase(BaseEstimator):
    _task: str

    def __init__(
        self,
        generations=None,
        population_size=50,
        max_time_mins=60,
        max_eval_time_mins=5,
        cv=5,
        scoring=None,
        operators="default",
        scheduler=None,
        n_workers=None,
        mode="generational",
        early_stop=None,
        checkpoint_dir=None,
        random_state=0,
        verbosity=1,
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
        self.random_state = random_state
        self.verbosity = verbosity

    _default_scoring = ""

    def fit(self, X, y, data_path: str | None = None):
        """Search for the best pipeline for (X, y), refit it on all the data, return self.

        ``data_path``: the CSV file X and y were read from, if any; the exported script reads it.
        """
        params = self.get_params()
        params["scoring"] = params["scoring"] or self._default_scoring
        settings = make_settings(params, self._task)
        dataset = prepare(X, y, self._task, settings.cv)
        catalog = load_catalog(settings.operators, self._task)
        self._search(settings, dataset, catalog, data_path)
        return self

    def _search(self, settings: Settings, dataset: Dataset, catalog, data_path: str | None) -> None:
        rng = random.Random(settings.random_state)
        seed = settings.random_state if settings.random_state is not None else rng.randrange(2**31)
        folds = make_folds(self._task, settings.cv, seed, dataset.X, dataset.y)
        self.pipeline_context_ = PipelineContext(catalog, seed, dataset.front)
        context = EvalContext(dataset.X, dataset.y, folds, settings.scoring, catalog, seed, dataset.front)
        archive = Archive()
        budget = Budget(settings.max_time_mins, settings.generations, settings.early_stop)
        evolution = Evolution(catalog, settings.max_depth, settings.max_complexity, rng=rng)
        self._say(
            1,
            f"gp_automl {__version__}: {self._task}, {dataset.X.shape[0]} rows x {dataset.X.shape[1]} "
            f"features, catalog {catalog.path} ({len(catalog.operators)} operators)",
        )
        if catalog.skipped:
            self._say(1, f"notice: skipped operators whose library is not installed: {', '.join(catalog.skipped)}")
        with make_executor(settings.scheduler, settings.n_workers) as executor:
            self._say(1, f"evaluating on {executor.description}")
            run_dir = RunDir(settings.checkpoint_dir).create() if settings.checkpoint_dir else None
            self.run_info_ = self._run_info(settings, dataset, catalog, seed, data_path, executor.n_workers)
            if run_dir:
                run_dir.write_json(RUN_JSON, self.run_info_)
            executor.start(context)

            def on_generation(generation: int, archive: Archive) -> None:
                self._report(generation, archive, budget)
                if run_dir:
                    run_dir.write_table(EVALUATIONS, evaluations_frame(archive, self.pipeline_context_))

            reason = run_generational(evolution, executor, archive, budget, settings.population_size, on_generation)
        self._finish(settings, dataset, archive, reason, budget, run_dir, data_path)

    def _finish(self, settings, dataset, archive, reason, budget, run_dir, data_path) -> None:
        best = archive.best()
        self.evaluations_ = evaluations_frame(archive, self.pipeline_context_)
        self.pareto_front_ = front_frame(archive, self.pipeline_context_)
        self.run_info_.update(
            status="finished" if best else "failed",
            stop_reason=reason,
            elapsed_seconds=round(budget.elapsed(), 3),
            evaluations=len(archive),
            failures=archive.failures,
            finished=_now(),
        )
        if best is None:
            if run_dir:
                run_dir.write_json(RUN_JSON, self.run_info_)
            errors = self.evaluations_["error"].dropna().unique()[:3]
            raise SearchError(
                f"no pipeline was evaluated successfully ({len(archive)} tried); first errors: {'; '.join(errors)}"
            )
        self.best_tree_ = best.tree
        self.best_score_ = best.result.score
        with threadpool_limits(limits=1):  # as in evaluation; nested threads thrash a busy machine
            self.fitted_pipeline_ = instantiate(self.pipeline_context_.plan(best.tree)).fit(dataset.X, dataset.y)
        self.n_features_in_ = dataset.X.shape[1]
        if self._task == CLASSIFICATION:
            self.classes_ = self.fitted_pipeline_.classes_
        self.run_info_.update(best_key=best.tree.key, best_score=best.result.score)
        self._say(1, f"best pipeline (CV {settings.scoring} {best.result.score:.4f}): {best.tree.key}")
        if run_dir:
            run_dir.write_table(EVALUATIONS, self.evaluations_)
            run_dir.write_table(PARETO_FRONT, self.pareto_front_)
            run_dir.write_model(self.fitted_pipeline_)
            run_dir.write_text(BEST_PIPELINE, self._script(data_path, self.run_info_.get("target")))
            run_dir.write_json(RUN_JSON, self.run_info_)
            self._say(1, f"run directory: {run_dir.path}")

    def _run_info(self, settings, dataset, catalog, seed, data_path, n_workers) -> dict:
        return {
            "gp_automl_version": __version__,
            "status": "running",
            "started": _now(),
            "settings": settings.to_json(),
            "seed": seed,
            "task": self._task,
            "catalog": catalog.path,
            "skipped_operators": list(catalog.skipped),
            "data": {
                "path": None if data_path is None else str(Path(data_path).resolve()),
                "rows": int(dataset.X.shape[0]),
                "features": list(dataset.feature_names),
                "fingerprint": dataset.fingerprint(),
                "imputed": dataset.has_missing,
            },
            "target": dataset.target_name,
            "n_workers": n_workers,
            "versions": {
                "python": platform.python_version(),
                **{name: metadata.version(name) for name in DEPENDENCIES},
            },
        }

    def _script(self, data_path: str | None, target: str | None) -> str:
        info = ScriptInfo(
            key=self.best_tree_.key,
            task=self._task,
            scoring=self.run_info_["settings"]["scoring"],
            cv_splits=self.run_info_["settings"]["cv"],
            random_state=self.run_info_["seed"],
            score=self.best_score_,
            data_path=None if data_path is None else str(Path(data_path).resolve()),
            target=target,
            version=__version__,
        )
        return export_script(self.best_tree_, self.pipeline_context_, info)

    def export(self, path: str | Path, data_path: str | None = None, target: str | None = None) -> str:
        """Write the winner as a standalone script; ``data_path``/``target`` default to the fit's."""
        check_is_fitted(self, "fitted_pipeline_")
        data_path = data_path or self.run_info_["data"]["path"]
        script = self._script(data_path, target or self.run_info_.get("target"))
        atomic_write_text(Path(path), script)
        return script

    def predict(self, X):
        check_is_fitted(self, "fitted_pipeline_")
        return self.fitted_pipeline_.predict(to_matrix(X, self.n_features_in_)[0])

    def score(self, X, y, sample_weight=None) -> float:
        """The search's scoring (e.g. balanced accuracy, R2) of the refit pipeline on (X, y)."""
        check_is_fitted(self, "fitted_pipeline_")
        scorer = get_scorer(self.scoring or self._default_scoring)
        return float(scorer(self.fitted_pipeline_, to_matrix(X, self.n_features_in_)[0], np.asarray(y)))

    def _report(self, generation: int, archive: Archive, budget: Budget) -> None:
        best = archive.best()
        best_text = f"{best.result.score:.4f} {best.tree.key[:90]}" if best else "none yet"
        self._say(
            1,
            f"generation {generation}: {len(archive)} evaluated ({archive.failures} failed), "
            f"front {len(archive.front())}, {budget.elapsed():.0f}s elapsed; best {best_text}",
        )

    def _say(self, level: int, message: str) -> None:
        if self.verbosity >= level:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class GPClassifier(ClassifierMixin, _GPBase):
    """Genetic-programming search for a classification pipeline (default scoring: balanced accuracy)."""

    _task = CLASSIFICATION
    _default_scoring = "balanced_accuracy"

    def predict_proba(self, X):
        check_is_fitted(self, "fitted_pipeline_")
        return self.fitted_pipeline_.predict_proba(to_matrix(X, self.n_features_in_)[0])


class GPRegressor(RegressorMixin, _GPBase):
    """Genetic-programming search for a regression pipeline (default scoring: R2)."""

    _task = REGRESSION
    _default_scoring = "r2"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
