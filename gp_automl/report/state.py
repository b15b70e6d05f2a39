"""A run directory as the report sees it: run.json and the evaluation log, read without writing.

Works on a finished run and on one still running: the log (``evaluations.sqlite``) is opened
read-only and read through its documented columns, so a search that is appending to it is never
disturbed, and a run without ``model.pkl`` yet has its current best taken from the log.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from gp_automl.errors import RunDirError
from gp_automl.front import fronts_from_run
from gp_automl.journal import EVALUATION_LOG, SCHEMA_VERSION, check_log, columns_at, connect_read_only, select_columns
from gp_automl.plots import pareto_front
from gp_automl.results import PipelineContext
from gp_automl.rundir import RunDir
from gp_automl.space import load_catalog
from gp_automl.tree import PipelineTree, parse

RUNNING = "running"


@dataclass(frozen=True)
class RunState:
    """run.json (``info``) and every logged evaluation (``evaluations``, in arrival order)."""

    path: Path
    info: dict
    evaluations: pd.DataFrame
    allow_modules: tuple[str, ...] = ()  # the user's opt-in for the run's catalog (never read from run.json)

    @property
    def task(self) -> str:
        return self.info["task"]

    @property
    def scoring(self) -> str:
        return self.info["settings"]["scoring"]

    @property
    def in_progress(self) -> bool:
        return self.info.get("status") == RUNNING

    @property
    def front(self) -> pd.DataFrame:
        return pareto_front(self.evaluations)

    @property
    def winner(self) -> pd.Series | None:
        """The refit winner of a finished run; while running, the best of the log so far."""
        key = None if self.in_progress else self.info.get("best_key")
        rows = self.evaluations[self.evaluations["key"] == key] if key else self.front.head(1)
        return None if rows.empty else rows.iloc[0]

    @property
    def winner_tree(self) -> PipelineTree | None:
        winner = self.winner
        return None if winner is None else parse(winner["key"])

    def pipelines(self) -> PipelineContext:
        """What turns a logged key into the exact pipeline the search evaluated (its catalog was
        validated when the search started: not again, so no entry the winner does not use can
        stand in the way of the report)."""
        return PipelineContext(
            load_catalog(self.info["catalog"], self.task, self.allow_modules, validate=False),
            self.info["seed"],
            fronts_from_run(self.info["data"]),
        )


def load_run(run_dir: str | Path, allow_modules: tuple[str, ...] = ()) -> RunState:
    """Read a run directory, finished or in progress; ``RunDirError`` if it is not one.

    ``allow_modules``: modules outside the trusted packages that the run's catalog may name."""
    folder = RunDir(run_dir)
    info = folder.read_run()  # one line for a missing folder, a file, a folder without a run, a damaged run.json
    evaluations = read_evaluations(folder.file(EVALUATION_LOG), info.get("started"))
    return RunState(folder.path, info, evaluations, tuple(allow_modules))


def read_evaluations(path: Path, started: str | None = None) -> pd.DataFrame:
    """The evaluation log as a table (arrival order), with ``score_std`` and ``elapsed`` seconds since ``started``.
    A log of an older schema is read as it is (its missing columns as their defaults), never upgraded here."""
    columns = columns_at(SCHEMA_VERSION)
    if not path.exists():
        rows: list[tuple] = []
    else:
        try:
            with _read_only(path) as db:
                version = check_log(db, path)
                rows = db.execute(f"SELECT {select_columns(version)} FROM evaluations ORDER BY id").fetchall()
        except sqlite3.Error as exc:
            raise RunDirError(f"{path} could not be read: {exc}") from None
    frame = pd.DataFrame(rows, columns=columns).drop(columns="id")
    try:
        frame["fold_scores"] = [json.loads(text) for text in frame["fold_scores"]]
        frame["parents"] = [json.loads(text) for text in frame["parents"]]
        frame["score"] = frame["score"].astype(float)
    except (TypeError, ValueError) as exc:
        raise RunDirError(f"{path} holds a damaged row ({exc})"[:300]) from None
    frame["score_std"] = [float(np.std(folds)) if folds else float("nan") for folds in frame["fold_scores"]]
    start = _timestamp(started)
    frame["elapsed"] = frame["finished_at"].astype(float) - start if start is not None else float("nan")
    return frame


class _read_only:
    """A read-only connection (``journal.connect_read_only``): never creates, locks for writing, or
    checkpoints the log, nor leaves -wal/-shm files beside a finished run's log."""

    def __init__(self, path: Path):
        self.db = connect_read_only(path)

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc) -> None:
        self.db.close()


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
