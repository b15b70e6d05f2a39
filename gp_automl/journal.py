"""The evaluation log: every result appended as it arrives, safe against a crash at any instant.

SQLite in WAL mode: each result is one committed transaction, so after a ``kill -9`` the log holds
every evaluation that finished. It is also the memo cache across resumes: a key in the log is
never evaluated again. Rows keep their arrival order (``id``). Lookups go to the database, so
the driver's memory does not grow with the number of evaluations. An existing log is checked on
opening (SQLite's ``quick_check`` and our columns), and rows are parsed, never evaluated: a damaged
or foreign file is one clear ``RunDirError``, not a crash halfway through a resume. A row that
cannot be written (disk full, a file-size limit, an I/O error) is a ``WriteError`` naming the log;
SQLite rolls that row back, so the log stays valid and holds every row committed before it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gp_automl.errors import RunDirError, WriteError
from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree, parse

EVALUATION_LOG = "evaluations.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    generation INTEGER NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    fold_scores TEXT NOT NULL,
    complexity INTEGER NOT NULL,
    seconds REAL NOT NULL,
    error TEXT NOT NULL,
    finished_at REAL NOT NULL
)
"""


_COLUMNS = "key, generation, status, score, fold_scores, complexity, seconds, error"
_SCHEMA_COLUMNS = ["id", "key", "generation", "status", "score", "fold_scores", "complexity", "seconds", "error",
                   "finished_at"]  # fmt: skip


def check_log(db: sqlite3.Connection, path: Path) -> None:
    """Raise RunDirError unless ``db`` is an intact SQLite file with our evaluations table."""
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        columns = [row[1] for row in db.execute("PRAGMA table_info(evaluations)").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise RunDirError(f"{path} is not a usable evaluation log: {exc}") from None
    if problems != ["ok"]:
        raise RunDirError(f"{path} is damaged (SQLite integrity check: {'; '.join(problems[:3])})")
    if columns and columns != _SCHEMA_COLUMNS:
        raise RunDirError(f"{path} is an SQLite file but not a gp_automl evaluation log")


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes: ``mode=ro``, and ``immutable`` when no write-ahead file lies
    beside the log (no writer has it open), so that SQLite creates no -wal/-shm files in the run."""
    idle = not Path(f"{path}-wal").exists()
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro{'&immutable=1' if idle else ''}", uri=True)


def check_log_file(path: Path) -> None:
    """``check_log`` on the log at ``path``, if there is one, read-only: ``resume`` calls it before
    any cluster starts or any file of the run is touched."""
    if not Path(path).exists():
        return
    try:
        db = connect_read_only(path)
    except sqlite3.Error as exc:
        raise RunDirError(f"{path} is not a usable evaluation log: {exc}") from None
    try:
        check_log(db, path)
    finally:
        db.close()


@dataclass(frozen=True)
class Entry:
    """One logged evaluation: the tree, its result, and the generation it was bred in."""

    tree: PipelineTree
    result: EvalResult
    generation: int


class EvaluationLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            check_log(self._db, self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a process crash loses nothing
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RunDirError(f"{self.path} is not a usable evaluation log: {exc}") from None

    def append(self, entry: Entry) -> None:
        result = entry.result
        try:
            self._insert(entry, result)
        except sqlite3.Error as exc:
            raise WriteError(f"cannot write {self.path}: {exc}") from None

    def _insert(self, entry: Entry, result: EvalResult) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO evaluations (key, generation, status, score, fold_scores, complexity,"
            " seconds, error, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.key,
                entry.generation,
                result.status,
                result.score if result.ok else None,
                json.dumps(list(result.fold_scores)),
                result.complexity,
                result.seconds,
                result.error,
                time.time(),
            ),
        )

    def __len__(self) -> int:
        return self._one("SELECT COUNT(*) FROM evaluations")[0]

    def generation_of(self, key: str) -> int | None:
        """The generation ``key`` was logged in, or None if it never was."""
        row = self._one("SELECT generation FROM evaluations WHERE key = ?", (key,))
        return None if row is None else row[0]

    def result(self, key: str) -> EvalResult | None:
        row = self._one(f"SELECT {_COLUMNS} FROM evaluations WHERE key = ?", (key,))
        return None if row is None else _result(row)

    def _one(self, query: str, parameters: tuple = ()) -> tuple | None:
        try:
            return self._db.execute(query, parameters).fetchone()
        except sqlite3.Error as exc:  # e.g. "disk I/O error"
            raise RunDirError(f"cannot read {self.path}: {exc}") from None

    def entries(self, first: int = 0) -> Iterator[Entry]:
        """Logged entries in arrival order from row ``first`` on; streamed, not loaded at once."""
        for row in self._db.execute(f"SELECT {_COLUMNS} FROM evaluations ORDER BY id LIMIT -1 OFFSET ?", (first,)):
            try:
                yield Entry(parse(row[0]), _result(row), row[1])
            except (ValueError, TypeError) as exc:  # json and parse errors are ValueErrors
                raise RunDirError(f"{self.path} holds a damaged row ({exc})"[:300]) from None

    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass  # a WAL that could not be merged stays beside the log; the next open takes it in


def _result(row: tuple) -> EvalResult:
    key, _, status, score, folds, complexity, seconds, error = row
    return EvalResult(
        key=key,
        status=status,
        fold_scores=tuple(json.loads(folds)),
        score=float("nan") if score is None else score,
        complexity=complexity,
        seconds=seconds,
        error=error,
    )
