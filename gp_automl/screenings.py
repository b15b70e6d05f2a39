"""Every low-fidelity result (fidelity.py), in the evaluation log's SQLite file, table ``screenings``.

The ``evaluations`` table keeps one row per pipeline, its final outcome (the memo cache); a
pipeline scored at 1/9 and 1/3 of the rows before full CV has its two earlier results here, one
row per (key, fidelity). They are what a run resumed part-way through a generation's rungs reads
to take the same promotion decisions without evaluating anything again. The table is created on
the first low-fidelity result, so a run that never screens leaves its log as it always was; it is
a table of its own (not columns of ``evaluations``), so older logs and their checks are untouched.
A second connection to the same WAL database: each row is one committed transaction, as there.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from gp_automl.errors import RunDirError, WriteError
from gp_automl.result import EvalResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS screenings (
    key TEXT NOT NULL,
    fidelity REAL NOT NULL,
    generation INTEGER NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    fold_scores TEXT NOT NULL,
    complexity INTEGER NOT NULL,
    seconds REAL NOT NULL,
    error TEXT NOT NULL,
    finished_at REAL NOT NULL,
    PRIMARY KEY (key, fidelity)
)
"""
_COLUMNS = "key, status, score, fold_scores, complexity, seconds, error"


class ScreeningLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                self._db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise RunDirError(f"{self.path} is not a usable evaluation log: {exc}") from None
        return self._db

    def _exists(self) -> bool:
        row = self._open().execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'screenings'")
        return row.fetchone() is not None

    def append(self, result: EvalResult, generation: int, fidelity: float) -> None:
        try:
            db = self._open()
            db.execute(_SCHEMA)
            db.execute(
                "INSERT OR IGNORE INTO screenings (key, fidelity, generation, status, score, fold_scores, complexity,"
                " seconds, error, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.key, fidelity, generation, result.status, result.score if result.ok else None,
                 json.dumps(list(result.fold_scores)), result.complexity, result.seconds, result.error, time.time()),
            )  # fmt: skip
        except sqlite3.Error as exc:
            raise WriteError(f"cannot write {self.path}: {exc}") from None

    def result(self, key: str, fidelity: float) -> EvalResult | None:
        """The result of ``key`` at ``fidelity``, or None if it was never evaluated there."""
        try:
            if not self._exists():
                return None
            row = (
                self._open()
                .execute(f"SELECT {_COLUMNS} FROM screenings WHERE key = ? AND fidelity = ?", (key, fidelity))
                .fetchone()
            )
        except sqlite3.Error as exc:
            raise RunDirError(f"cannot read {self.path}: {exc}") from None
        if row is None:
            return None
        key, status, score, folds, complexity, seconds, error = row
        try:
            fold_scores = tuple(float(s) for s in json.loads(folds))
        except (ValueError, TypeError) as exc:
            raise RunDirError(f"{self.path} holds a damaged screening row ({exc})"[:300]) from None
        mean = float("nan") if score is None else score
        return EvalResult(key, status, fold_scores, mean, complexity, seconds, error)

    def __len__(self) -> int:
        try:
            return self._open().execute("SELECT COUNT(*) FROM screenings").fetchone()[0] if self._exists() else 0
        except sqlite3.Error as exc:
            raise RunDirError(f"cannot read {self.path}: {exc}") from None

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None
