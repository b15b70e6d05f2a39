"""GPClassifier and GPRegressor: scikit-learn estimators that run the search in ``fit``."""

from __future__ import annotations

import platform
import warnings
from contextlib import closing
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from gp_automl.build import instantiate
from gp_automl.checkpoint import CHECKPOINT, load_checkpoint
from gp_automl.columns import category_values
from gp_automl.config import BY_NAME, make_settings, stored_settings
from gp_automl.cv import check_scoring_for_target
from gp_automl.data import (
    CLASSIFICATION,
    REGRESSION,
    decimal_hint,
    prediction_frame,
    prepare,
    read_options,
    read_table,
    split_target,
)
from gp_automl.errors import ConfigError, DataError, RunDirError, SchedulerLost, SearchError, WriteError
from gp_automl.front import columns_read
from gp_automl.journal import EVALUATION_LOG, check_log_file
from gp_automl.outputs import check_output
from gp_automl.progress import Progress
from gp_automl.results import PipelineContext, evaluations_frame, export_script, front_frame, script_info
from gp_automl.rundir import (
    BEST_PIPELINE,
    EVALUATIONS,
    PARETO_FRONT,
    RUN_JSON,
    RunDir,
    RunLock,
    atomic_write_text,
)
from gp_automl.search import INTERRUPTED
from gp_automl.search.continuation import check_can_continue
from gp_automl.search.run import run_search
from gp_automl.space import load_catalog
from gp_automl.version import __version__

DEPENDENCIES = ("scikit-learn", "deap", "dask", "distributed", "numpy", "pandas")
# run.json statistics that add up over the sessions of a run (fit, then each resume)
SESSION_TOTALS = ("driver_cpu_seconds", "evaluating_seconds", "available_worker_seconds", "busy_worker_seconds")


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

    _default_scoring = ""

    def fit(self, X, y, data_path: str | None = None):
        """Search for the best pipeline for (X, y), refit it on all the data, return self.

        X is the raw table: a DataFrame (numbers, strings, categories, booleans, dates, gaps) or a
        numeric array; its preprocessing is searched and becomes the first step of every pipeline.
        Rows whose target is missing are dropped with a ``DataWarning``.
        ``data_path``: the CSV or Parquet file X and y were read from, if any; the exported script reads it.
        """
        return self._fit(X, y, data_path, resuming=False)

    def _fit(self, X, y, data_path: str | None, resuming: bool):
        params = self.get_params()
        params["scoring"] = params["scoring"] or self._default_scoring
        settings = make_settings(params, self._task)
        decimal = decimal_hint(read_options(data_path)) if data_path else "."
        dataset = prepare(X, y, self._task, settings.cv, decimal)
        check_scoring_for_target(settings.scoring, self._task, dataset.y)
        catalog = load_catalog(settings.operators, self._task, settings.allow_modules)
        run_dir = RunDir(settings.checkpoint_dir) if settings.checkpoint_dir else None
        if run_dir is not None and not resuming:
            run_dir.check_new()
        previous = run_dir.read_run() if resuming else None
        if previous and previous["data"]["fingerprint"] != dataset.fingerprint():
            raise DataError(f"the data differ from those the run in {run_dir.path} was started on (fingerprint)")
        progress = self._progress = Progress(self.verbosity)
        progress.say(
            f"gp_automl {__version__}: {self._task}, {dataset.X.shape[0]} rows x {dataset.X.shape[1]} "
            f"columns, catalog {catalog.path} ({len(catalog.operators)} operators)",
        )
        if dataset.dropped_target_rows:
            progress.say(f"data: dropped {dataset.dropped_target_rows} row(s) whose target is missing")
        for line in dataset.typing.describe():
            progress.say(f"data: {line}")
        if len(dataset.data_leaves) > 1:
            progress.say(f"data: preprocessing variants the search chooses from: {', '.join(dataset.data_leaves)}")
        if catalog.skipped:
            progress.say(f"notice: skipped operators whose library is not installed: {', '.join(catalog.skipped)}")

        def run_info(seed: int, n_workers: int) -> dict:
            self.run_info_ = self._run_info(settings, dataset, catalog, seed, data_path, n_workers)
            if previous:
                self.run_info_.update(started=previous["started"], resumed=[*previous.get("resumed", []), _now()])
                self.run_info_.update(_carried(previous))
            return self.run_info_

        self.__dict__.pop("run_info_", None)  # from an earlier fit
        try:
            outcome = run_search(settings, dataset, catalog, run_dir, resuming, run_info, progress)
            with closing(outcome.archive):
                if not hasattr(self, "run_info_"):
                    self.run_info_ = run_info(outcome.seed, outcome.n_workers)
                self.pipeline_context_ = PipelineContext(catalog, outcome.seed, dataset.front)
                self._finish(settings, dataset, outcome, run_dir, data_path)
        except KeyboardInterrupt:
            if run_dir is not None and hasattr(self, "run_info_"):
                self.run_info_.update(status="interrupted", stop_reason="second interrupt", finished=_now())
                run_dir.write_json(RUN_JSON, self.run_info_)
            raise
        except WriteError as exc:
            raise self._write_failed(run_dir, exc) from None
        finally:
            progress.close()
            if run_dir is not None:
                run_dir.unlock()
        return self

    def _write_failed(self, run_dir: RunDir | None, exc: WriteError) -> WriteError:
        """A file of the run could not be written: record ``failed`` in run.json where it still can be,
        and say how to go on. Only a run this session wrote run.json for is touched."""
        if run_dir is None or not hasattr(self, "run_info_"):
            return exc
        self.run_info_.update(status="failed", stop_reason=f"write error: {exc}", finished=_now())
        try:
            run_dir.write_json(RUN_JSON, self.run_info_)
            recorded = " (run.json: failed)"
        except WriteError:
            recorded = ""
        return WriteError(
            f"{exc}; the search stopped{recorded}, the checkpoint and evaluation log keep what was done: "
            f"free space (or fix the file system), then `gp-automl resume {run_dir.path}`"
        )

    def _finish(self, settings, dataset, outcome, run_dir, data_path) -> None:
        archive = outcome.archive
        best = archive.best()
        self.evaluations_ = evaluations_frame(archive, self.pipeline_context_)
        self.pareto_front_ = front_frame(archive, self.pipeline_context_)
        status = "failed" if best is None else ("interrupted" if outcome.reason == INTERRUPTED else "finished")
        totals = _add_session(self.run_info_, outcome)
        if outcome.lost:
            status = "interrupted"  # by the cluster, not the search: resumable, even before any success
        self.run_info_.update(
            status=status,
            stop_reason=outcome.reason,
            elapsed_seconds=round(outcome.elapsed, 3),
            evaluations=len(archive),
            evaluated_this_session=outcome.evaluated_now,
            **totals,
            failures=archive.failures,  # errors, timeouts and out of memory
            out_of_memory=archive.out_of_memory,
            rejected_early=archive.rejected,
            finished=_now(),
        )
        if best is None:
            if run_dir:
                run_dir.write_json(RUN_JSON, self.run_info_)
            if outcome.lost:
                raise _resumable(outcome.lost, run_dir, settings.scheduler)
            errors = self.evaluations_["error"].dropna().unique()[:3]
            raise SearchError(
                f"no pipeline was evaluated successfully ({len(archive)} tried); first errors: {'; '.join(errors)}"
            )
        self.best_tree_ = best.tree
        self.best_score_ = best.result.score
        # as in evaluation: one thread (nested threads thrash a busy machine), warnings muted
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.fitted_pipeline_ = instantiate(self.pipeline_context_.plan(best.tree)).fit(dataset.X, dataset.y)
        self.n_features_in_ = dataset.X.shape[1]
        if self._task == CLASSIFICATION:
            self.classes_ = self.fitted_pipeline_.classes_
        self.run_info_.update(best_key=best.tree.key, best_score=best.result.score)
        self.run_info_["data"]["used"] = columns_read(dataset.typing, best.tree.data_leaves())
        self._progress.say(
            f"stopped by {outcome.reason}; best pipeline (CV {settings.scoring} "
            f"{best.result.score:.4f}): {best.tree.key}"
        )
        if run_dir:
            run_dir.write_table(EVALUATIONS, self.evaluations_)
            run_dir.write_table(PARETO_FRONT, self.pareto_front_)
            run_dir.write_model(self.fitted_pipeline_)
            run_dir.write_text(BEST_PIPELINE, self._script(data_path, self.run_info_.get("target")))
            run_dir.write_json(RUN_JSON, self.run_info_)
            self._progress.say(f"run directory: {run_dir.path}")
        if outcome.lost:
            raise _resumable(outcome.lost, run_dir, settings.scheduler)

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
                "read": None if data_path is None else read_options(data_path),
                "rows": int(dataset.X.shape[0]),
                "dropped_target_rows": dataset.dropped_target_rows,
                "features": list(dataset.feature_names),
                "used": dataset.typing.used,
                "dropped": dataset.typing.dropped,
                "columns": dataset.typing.to_json(),
                "categories": category_values(dataset.X, dataset.typing),
                "data_leaves": list(dataset.data_leaves),
                "fingerprint": dataset.fingerprint(),
            },
            "target": dataset.target_name,
            "n_workers": n_workers,
            "versions": {
                "python": platform.python_version(),
                **{name: metadata.version(name) for name in DEPENDENCIES},
            },
        }

    def _script(self, data_path: str | None, target: str | None) -> str:
        info = script_info(self.run_info_, self.best_tree_.key, self.best_score_, data_path, target)
        return export_script(self.best_tree_, self.pipeline_context_, info)

    def export(self, path: str | Path, data_path: str | None = None, target: str | None = None) -> str:
        """Write the winner as a standalone script; ``data_path``/``target`` default to the fit's."""
        check_is_fitted(self, "fitted_pipeline_")
        data_path = data_path or self.run_info_["data"]["path"]
        own = [Path(self.checkpoint_dir) / BEST_PIPELINE] if self.checkpoint_dir else []
        path = check_output(path, inputs=[data_path, self.run_info_["data"]["path"]], own=own)
        script = self._script(data_path, target or self.run_info_.get("target"))
        atomic_write_text(Path(path), script)
        return script

    def _rows(self, X):
        """New rows laid out as in training (extra columns ignored, dropped ones optional)."""
        check_is_fitted(self, "fitted_pipeline_")
        info = self.run_info_["data"]
        return prediction_frame(X, info["features"], info["used"], columns=info.get("columns"))[0]

    def predict(self, X):
        """Predictions in the original labels (strings, booleans, ...) for classification."""
        return self.fitted_pipeline_.predict(self._rows(X))

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
        scorer = get_scorer(self.scoring or self._default_scoring)
        return float(scorer(self.fitted_pipeline_, self._rows(X), np.asarray(y)))


class GPClassifier(ClassifierMixin, _GPBase):
    """Genetic-programming search for a classification pipeline (default scoring: balanced accuracy)."""

    _task = CLASSIFICATION
    _default_scoring = "balanced_accuracy"

    def predict_proba(self, X):
        """Class probabilities, one column per entry of ``classes_`` (the original labels)."""
        return self.fitted_pipeline_.predict_proba(self._rows(X))


class GPRegressor(RegressorMixin, _GPBase):
    """Genetic-programming search for a regression pipeline (default scoring: R2)."""

    _task = REGRESSION
    _default_scoring = "r2"


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
    folder = RunDir(run_dir)
    folder.read_run()  # a run directory at all, before a lock file is made in it
    with RunLock(folder.path):
        return _resume_locked(folder, max_time_mins, X, y, changes)


def _resume_locked(folder: RunDir, max_time_mins: float | None, X, y, changes: dict) -> _GPBase:
    info = folder.read_run()  # again: it may have changed before the lock was ours
    fixed = sorted(name for name in changes if name not in BY_NAME or not BY_NAME[name].resumable)
    if fixed:
        raise ConfigError(f"resume cannot change {', '.join(fixed)}: the run was searched with it; start a new run")
    settings = stored_settings(info["settings"])
    task = info["settings"].get("task", info["task"])
    estimator_class = GPClassifier if task == CLASSIFICATION else GPRegressor
    if "scheduler" not in info["settings"]:
        raise RunDirError(f"{folder.file(RUN_JSON)} lacks its settings: damaged, or not ours")
    try:
        make_settings(settings, task)
    except ConfigError as exc:
        raise RunDirError(f"{folder.file(RUN_JSON)} holds an invalid setting ({exc}): damaged, or not ours") from None
    given = {name: value for name, value in {**changes, "max_time_mins": max_time_mins}.items() if value is not None}
    settings.update(given, checkpoint_dir=str(folder.path), random_state=info["seed"])  # the seed actually used
    make_settings(settings, task)  # the new values, checked before anything is read or started
    checkpoint = folder.file(CHECKPOINT)
    check_can_continue(folder.path, info, load_checkpoint(checkpoint) if checkpoint.exists() else None, settings)
    check_log_file(folder.file(EVALUATION_LOG))  # damage found before a cluster starts
    estimator = estimator_class(**settings)
    data_path = info["data"]["path"]
    if X is None:
        if data_path is None or info.get("target") is None:
            raise DataError(f"{folder.path} was fitted on in-memory data; pass X and y to resume it")
        X, y = split_target(read_table(data_path), info["target"])
    return estimator._fit(X, y, data_path, resuming=True)


def _carried(previous: dict) -> dict:
    """The statistics a resumed session adds its own to (worker-seconds derived for an older run.json)."""
    carried = {key: previous[key] for key in SESSION_TOTALS if key in previous}
    if "available_worker_seconds" not in previous and "evaluating_seconds" in previous:
        available = float(previous.get("n_workers") or 1) * float(previous["evaluating_seconds"])
        busy = available * float(previous.get("worker_utilization") or 0.0)
        carried.update(available_worker_seconds=available, busy_worker_seconds=busy)
    return carried


def _add_session(info: dict, outcome) -> dict:
    """The run's statistics with this session's added to what run.json carried from earlier ones."""
    available = outcome.n_workers * outcome.evaluating
    driver_cpu, evaluating, available_total, busy = (float(info.get(key) or 0.0) for key in SESSION_TOTALS)
    available_total += available
    busy += outcome.utilization * available
    return {
        "driver_cpu_seconds": round(driver_cpu + outcome.driver_cpu, 3),
        "evaluating_seconds": round(evaluating + outcome.evaluating, 3),
        "available_worker_seconds": round(available_total, 3),
        "busy_worker_seconds": round(busy, 3),
        "worker_utilization": round(busy / available_total, 4) if available_total > 0 else 0.0,
    }


def _resumable(lost: SchedulerLost, run_dir: RunDir | None, scheduler) -> SchedulerLost:
    """The loss, saying how to go on: raised after the run directory and the estimator hold what they can."""
    if run_dir is None:
        return SchedulerLost(
            f"{lost}; without a checkpoint_dir the search cannot be resumed (the best so far is fitted)"
        )
    again = "" if scheduler is None else " --scheduler ADDRESS"
    return SchedulerLost(f"{lost}; the run is saved: resume with `gp-automl resume {run_dir.path}{again}`")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
