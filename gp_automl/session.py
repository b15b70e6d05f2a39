"""One session of a run, a ``fit`` or a ``resume``, from raw data to a refit winner: the data and
settings checked, the catalog loaded, the run directory created or reopened under its lock, the
search run on its cluster, the winner refit on all rows, and the run's files written.

The estimators and the command line both call ``Session``; what it leaves is a ``Fitted``, which an
estimator adopts as its fitted attributes. A session changes nothing outside its run: no process
settings, no state of a Dask client or cluster it was given.
"""

from __future__ import annotations

import platform
import warnings
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from gp_automl.build import instantiate
from gp_automl.checkpoint import CHECKPOINT, load_checkpoint
from gp_automl.columns import category_values
from gp_automl.config import BY_NAME, Settings, make_settings, stored_settings
from gp_automl.cv import check_scoring_for_target
from gp_automl.data import Dataset, decimal_hint, prepare, read_options, read_table, split_target
from gp_automl.errors import ConfigError, DataError, RunDirError, SchedulerLost, SearchError, WriteError
from gp_automl.fingerprint import write_fingerprint
from gp_automl.front import columns_read
from gp_automl.journal import EVALUATION_LOG, check_log_file
from gp_automl.progress import Progress
from gp_automl.results import PipelineContext, evaluations_frame, export_script, front_frame, script_info
from gp_automl.rundir import BEST_PIPELINE, EVALUATIONS, PARETO_FRONT, RUN_JSON, RunDir, RunLock
from gp_automl.search import INTERRUPTED
from gp_automl.search.continuation import check_can_continue
from gp_automl.search.run import SearchOutcome, run_search
from gp_automl.space import Catalog, load_catalog
from gp_automl.tree import PipelineTree
from gp_automl.version import __version__

DEPENDENCIES = ("scikit-learn", "deap", "dask", "distributed", "numpy", "pandas")
# run.json statistics that add up over the sessions of a run (fit, then each resume)
SESSION_TOTALS = ("driver_cpu_seconds", "evaluating_seconds", "available_worker_seconds", "busy_worker_seconds")


@dataclass
class Fitted:
    """What a session leaves: the run's record and tables, and the refit winner (None if nothing
    succeeded). ``lost`` is the scheduler loss that stopped it, raised once this is adopted."""

    run_info: dict
    pipelines: PipelineContext
    evaluations: pd.DataFrame
    pareto_front: pd.DataFrame
    best_tree: PipelineTree | None = None
    best_score: float = float("nan")
    pipeline: Any = None
    n_features_in: int = 0
    lost: SchedulerLost | None = None

    def script(self, data_path: str | None, target: str | None) -> str:
        """The winner as a standalone script reading ``data_path``."""
        info = script_info(self.run_info, self.best_tree.key, self.best_score, data_path, target)
        return export_script(self.best_tree, self.pipelines, info)


class Session:
    """Runs one fit or resume of a search with checked ``settings`` (see ``config.make_settings``)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.task = settings.task

    def fit(self, X, y, data_path: str | None = None, previous: dict | None = None) -> Fitted:
        """Search (X, y) and refit the winner; with ``previous`` (run.json), continue that run."""
        settings = self.settings
        decimal = decimal_hint(read_options(data_path)) if data_path else "."
        dataset = prepare(X, y, self.task, settings.cv, decimal)
        check_scoring_for_target(settings.scoring, self.task, dataset.y)
        catalog = load_catalog(settings.operators, self.task, settings.allow_modules)
        run_dir = RunDir(settings.checkpoint_dir) if settings.checkpoint_dir else None
        if run_dir is not None and previous is None:
            run_dir.check_new()
        if previous and previous["data"]["fingerprint"] != dataset.fingerprint():
            raise DataError(f"the data differ from those the run in {run_dir.path} was started on (fingerprint)")
        progress = Progress(settings.verbosity)
        _describe(progress, self.task, dataset, catalog)
        record: dict = {}

        def run_info(seed: int, n_workers: int) -> dict:
            record.update(self._run_info(dataset, catalog, seed, data_path, n_workers))
            if run_dir is not None:  # written with run.json's first version: drift needs it, whatever follows
                write_fingerprint(run_dir, dataset.X, dataset.typing)
            if previous:
                record.update(started=previous["started"], resumed=[*previous.get("resumed", []), _now()])
                record.update(_carried(previous))
            return record

        try:
            outcome = run_search(settings, dataset, catalog, run_dir, previous is not None, run_info, progress)
            with closing(outcome.archive):
                if not record:
                    run_info(outcome.seed, outcome.n_workers)
                pipelines = PipelineContext(catalog, outcome.seed, dataset.front)
                return self._finish(record, pipelines, dataset, outcome, run_dir, data_path, progress)
        except KeyboardInterrupt:
            if run_dir is not None and record:
                record.update(status="interrupted", stop_reason="second interrupt", finished=_now())
                run_dir.write_json(RUN_JSON, record)
            raise
        except WriteError as exc:
            raise _write_failed(run_dir, record, exc) from None
        finally:
            progress.close()
            if run_dir is not None:
                run_dir.unlock()

    def _finish(
        self,
        record: dict,
        pipelines: PipelineContext,
        dataset: Dataset,
        outcome: SearchOutcome,
        run_dir: RunDir | None,
        data_path: str | None,
        progress: Progress,
    ) -> Fitted:
        archive = outcome.archive
        best = archive.best()
        fitted = Fitted(record, pipelines, evaluations_frame(archive, pipelines), front_frame(archive, pipelines))
        status = "failed" if best is None else ("interrupted" if outcome.reason == INTERRUPTED else "finished")
        if outcome.lost:
            status = "interrupted"  # by the cluster, not the search: resumable, even before any success
            fitted.lost = _resumable(outcome.lost, run_dir, self.settings.scheduler)
        record.update(
            status=status,
            stop_reason=outcome.reason,
            elapsed_seconds=round(outcome.elapsed, 3),
            evaluations=len(archive),
            evaluated_this_session=outcome.evaluated_now,
            **_add_session(record, outcome),
            failures=archive.failures,  # errors, timeouts and out of memory
            out_of_memory=archive.out_of_memory,
            rejected_early=archive.rejected,
            variations=dict(sorted(archive.variations.items())),  # evaluations per variation that made them
            finished=_now(),
        )
        if best is None:
            if run_dir:
                run_dir.write_json(RUN_JSON, record)
            if fitted.lost:
                raise fitted.lost
            errors = fitted.evaluations["error"].dropna().unique()[:3]
            raise SearchError(
                f"no pipeline was evaluated successfully ({len(archive)} tried); first errors: {'; '.join(errors)}"
            )
        fitted.best_tree, fitted.best_score = best.tree, best.result.score
        # as in evaluation: one thread (nested threads thrash a busy machine), warnings muted
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted.pipeline = instantiate(pipelines.plan(best.tree)).fit(dataset.X, dataset.y)
        fitted.n_features_in = dataset.X.shape[1]
        record.update(best_key=best.tree.key, best_score=best.result.score)
        record["data"]["used"] = columns_read(dataset.typing, best.tree.data_leaves())
        progress.say(
            f"stopped by {outcome.reason}; best pipeline (CV {self.settings.scoring} "
            f"{best.result.score:.4f}): {best.tree.key}"
        )
        if run_dir:
            run_dir.write_table(EVALUATIONS, fitted.evaluations)
            run_dir.write_table(PARETO_FRONT, fitted.pareto_front)
            run_dir.write_model(fitted.pipeline)
            run_dir.write_text(BEST_PIPELINE, fitted.script(data_path, record.get("target")))
            run_dir.write_json(RUN_JSON, record)
            progress.say(f"run directory: {run_dir.path}")
        return fitted

    def _run_info(self, dataset: Dataset, catalog: Catalog, seed: int, data_path: str | None, n_workers: int) -> dict:
        return {
            "gp_automl_version": __version__,
            "status": "running",
            "started": _now(),
            "settings": self.settings.to_json(),
            "seed": seed,
            "task": self.task,
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


def resume_session(
    run_dir: str | Path, max_time_mins: float | None, X, y, changes: dict[str, Any]
) -> tuple[dict[str, Any], Fitted]:
    """Continue the run in ``run_dir`` under its lock; the estimator parameters it ran with, and
    what the session left (see ``estimator.resume`` for the rules)."""
    folder = RunDir(run_dir)
    folder.read_run()  # a run directory at all, before a lock file is made in it
    with RunLock(folder.path):
        info = folder.read_run()  # again: it may have changed before the lock was ours
        params = _resumed_params(folder, info, max_time_mins, changes)
        task = info["settings"].get("task", info["task"])
        settings = make_settings(params, task)  # the new values, checked before anything is read or started
        checkpoint = folder.file(CHECKPOINT)
        check_can_continue(folder.path, info, load_checkpoint(checkpoint) if checkpoint.exists() else None, params)
        check_log_file(folder.file(EVALUATION_LOG))  # damage found before a cluster starts
        data_path = info["data"]["path"]
        if X is None:
            if data_path is None or info.get("target") is None:
                raise DataError(f"{folder.path} was fitted on in-memory data; pass X and y to resume it")
            X, y = split_target(read_table(data_path), info["target"])
        return params, Session(settings).fit(X, y, data_path, previous=info)


def _resumed_params(folder: RunDir, info: dict, max_time_mins: float | None, changes: dict[str, Any]) -> dict:
    """The run's settings from run.json with the resumable ``changes`` applied."""
    fixed = sorted(name for name in changes if name not in BY_NAME or not BY_NAME[name].resumable)
    if fixed:
        raise ConfigError(f"resume cannot change {', '.join(fixed)}: the run was searched with it; start a new run")
    if "scheduler" not in info["settings"]:
        raise RunDirError(f"{folder.file(RUN_JSON)} lacks its settings: damaged, or not ours")
    params = stored_settings(info["settings"])
    try:
        make_settings(params, info["task"])
    except ConfigError as exc:
        raise RunDirError(f"{folder.file(RUN_JSON)} holds an invalid setting ({exc}): damaged, or not ours") from None
    given = {name: value for name, value in {**changes, "max_time_mins": max_time_mins}.items() if value is not None}
    params.update(given, checkpoint_dir=str(folder.path), random_state=info["seed"])  # the seed actually used
    return params


def _describe(progress: Progress, task: str, dataset: Dataset, catalog: Catalog) -> None:
    """What the session is about to search: the data as typed, the catalog."""
    progress.say(
        f"gp_automl {__version__}: {task}, {dataset.X.shape[0]} rows x {dataset.X.shape[1]} "
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


def _write_failed(run_dir: RunDir | None, record: dict, exc: WriteError) -> WriteError:
    """A file of the run could not be written: record ``failed`` in run.json where it still can be,
    and say how to go on. Only a run this session wrote run.json for is touched."""
    if run_dir is None or not record:
        return exc
    record.update(status="failed", stop_reason=f"write error: {exc}", finished=_now())
    try:
        run_dir.write_json(RUN_JSON, record)
        recorded = " (run.json: failed)"
    except WriteError:
        recorded = ""
    return WriteError(
        f"{exc}; the search stopped{recorded}, the checkpoint and evaluation log keep what was done: "
        f"free space (or fix the file system), then `gp-automl resume {run_dir.path}`"
    )


def _carried(previous: dict) -> dict:
    """The statistics a resumed session adds its own to (worker-seconds derived for an older run.json)."""
    carried = {key: previous[key] for key in SESSION_TOTALS if key in previous}
    if "available_worker_seconds" not in previous and "evaluating_seconds" in previous:
        available = float(previous.get("n_workers") or 1) * float(previous["evaluating_seconds"])
        busy = available * float(previous.get("worker_utilization") or 0.0)
        carried.update(available_worker_seconds=available, busy_worker_seconds=busy)
    return carried


def _add_session(info: dict, outcome: SearchOutcome) -> dict:
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
