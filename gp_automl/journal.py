"""The evaluation log: every result appended as it arrives, safe against a crash at any instant.

SQLite in WAL mode: each result is one committed transaction, so after a ``kill -9`` the log holds
every evaluation that finished. It is also the memo cache across resumes: a key in the log is
never evaluated again. Rows keep their arrival order (``id``). Lookups go to the database, so
the driver's memory does not grow with the number of evaluations. An existing log is checked on
opening (SQLite's ``quick_check`` and our columns), and rows are parsed, never evaluated: a damaged
or foreign file is one clear ``RunDirError``, not a crash halfway through a resume. A row that
cannot be written (disk full, a file-size limit, an I/O error) is a ``WriteError`` naming the log;
SQLite rolls that row back, so the log stays valid and holds every row committed before it.

The schema has a version (SQLite's ``user_version``) and grows by steps (``MIGRATIONS``): step N
adds columns with defaults that mean "not recorded". A writer (a new run, a resume) brings an
older log up to ``SCHEMA_VERSION`` in place, in one transaction, as it opens it; a new log is the
version-0 table brought up by the same steps, so both have the same columns. Readers
(``select_columns``) read any version up to ``SCHEMA_VERSION`` without writing, and a log from a
newer gp_automl is one clear ``RunDirError``. A new column is one more step.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from gp_automl.errors import RunDirError, WriteError
from gp_automl.lineage import NO_LINEAGE, Lineage
from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree, parse

EVALUATION_LOG = "evaluations.sqlite"

_SCHEMA_V0 = """
CREATE TABLE evaluations (
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


_V0_COLUMNS = ["id", "key", "generation", "status", "score", "fold_scores", "complexity", "seconds", "error",
               "finished_at"]  # fmt: skip


class Column(NamedTuple):
    """A column a migration step adds; ``default`` (an SQL literal) fills the rows logged before it."""

    name: str
    type: str
    default: str


MIGRATIONS: tuple[tuple[Column, ...], ...] = (
    (Column("parents", "TEXT", "'[]'"), Column("variation", "TEXT", "'unknown'")),  # 1: lineage
)
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = "key, generation, status, score, fold_scores, complexity, seconds, error, parents, variation"


def columns_at(version: int) -> list[str]:
    """The table's columns, in order, at schema ``version``."""
    return _V0_COLUMNS + [column.name for step in MIGRATIONS[:version] for column in step]


def select_columns(version: int) -> str:
    """The SELECT list of every column of the newest schema, from a log at ``version``: a column
    that log lacks reads as its default, so a reader need not write to read an old log."""
    present = set(columns_at(version))
    added = [c.name if c.name in present else f"{c.default} AS {c.name}" for step in MIGRATIONS for c in step]
    return ", ".join(_V0_COLUMNS + added)


def check_log(db: sqlite3.Connection, path: Path) -> int:
    """The schema version of ``db``; RunDirError unless it is an intact SQLite file with our
    evaluations table (or none yet) at a version this gp_automl reads."""
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        columns = [row[1] for row in db.execute("PRAGMA table_info(evaluations)").fetchall()]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise RunDirError(f"{path} is not a usable evaluation log: {exc}") from None
    if problems != ["ok"]:
        raise RunDirError(f"{path} is damaged (SQLite integrity check: {'; '.join(problems[:3])})")
    if version > SCHEMA_VERSION or version < 0:
        raise RunDirError(
            f"{path} has journal schema version {version}, newer than this gp_automl reads ({SCHEMA_VERSION}):"
            " read the run with the gp_automl version that wrote it, or upgrade gp_automl"
        )
    if columns and columns != columns_at(version):
        raise RunDirError(f"{path} is an SQLite file but not a gp_automl evaluation log")
    return version


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
    """One logged evaluation: the tree, its result, the generation it was bred in, how it was made."""

    tree: PipelineTree
    result: EvalResult
    generation: int
    lineage: Lineage = NO_LINEAGE


class EvaluationLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            version = check_log(self._db, self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a process crash loses nothing
            self._upgrade(version)
        except sqlite3.DatabaseError as exc:
            raise RunDirError(f"{self.path} is not a usable evaluation log: {exc}") from None

    def _upgrade(self, version: int) -> None:
        """Create the table, or bring it from ``version`` to ``SCHEMA_VERSION``: all or nothing."""
        if version == SCHEMA_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if not self._db.execute("PRAGMA table_info(evaluations)").fetchall():
                self._db.execute(_SCHEMA_V0)
            for step in MIGRATIONS[version:]:
                for column in step:
                    self._db.execute(
                        f"ALTER TABLE evaluations ADD COLUMN {column.name} {column.type}"
                        f" NOT NULL DEFAULT {column.default}"
                    )
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def append(self, entry: Entry) -> None:
        result = entry.result
        try:
            self._insert(entry, result)
        except sqlite3.Error as exc:
            raise WriteError(f"cannot write {self.path}: {exc}") from None

    def _insert(self, entry: Entry, result: EvalResult) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO evaluations (key, generation, status, score, fold_scores, complexity,"
            " seconds, error, finished_at, parents, variation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                json.dumps(list(entry.lineage.parents)),
                entry.lineage.variation,
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
        rows = None
        while True:
            try:
                rows = rows or self._db.execute(
                    f"SELECT {_COLUMNS} FROM evaluations ORDER BY id LIMIT -1 OFFSET ?", (first,)
                )
                row = next(rows, None)
            except sqlite3.Error as exc:  # e.g. text that does not decode: a damaged page
                raise RunDirError(f"{self.path} holds a damaged row ({exc})"[:300]) from None
            if row is None:
                return
            try:
                yield Entry(parse(row[0]), _result(row), row[1], _lineage(row))
            except (ValueError, TypeError) as exc:  # json and parse errors are ValueErrors
                raise RunDirError(f"{self.path} holds a damaged row ({exc})"[:300]) from None

    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass  # a WAL that could not be merged stays beside the log; the next open takes it in


def _result(row: tuple) -> EvalResult:
    key, _, status, score, folds, complexity, seconds, error = row[:8]
    return EvalResult(
        key=key,
        status=status,
        fold_scores=tuple(json.loads(folds)),
        score=float("nan") if score is None else score,
        complexity=complexity,
        seconds=seconds,
        error=error,
    )


def _lineage(row: tuple) -> Lineage:
    parents = json.loads(row[8])
    if not isinstance(parents, list) or not all(isinstance(key, str) for key in parents):
        raise ValueError(f"parents is not a list of keys: {row[8]!r}")
    return Lineage(tuple(parents), str(row[9]))
