"""The journal's schema version: an old log (no lineage columns, ``user_version`` 0) is read as it
is by the report and upgraded in place by a writer; a log from a newer gp_automl is refused."""

from __future__ import annotations

import json
import sqlite3

import pytest

from gp_automl.archive import Archive
from gp_automl.errors import RunDirError
from gp_automl.journal import SCHEMA_VERSION, Entry, EvaluationLog, columns_at
from gp_automl.lineage import UNKNOWN, Lineage
from gp_automl.report.state import read_evaluations
from gp_automl.result import OK, EvalResult
from gp_automl.tree import PipelineTree

# the table as gp_automl wrote it before lineage was recorded (schema version 0)
OLD_SCHEMA = """
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
X = PipelineTree("X")


def tree(name: str, n: int = 1) -> PipelineTree:
    return PipelineTree.node(name, {"n": n}, X)


def old_log(path, names=("A", "B")):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(OLD_SCHEMA)
    for generation, name in enumerate(names):
        db.execute(
            "INSERT INTO evaluations (key, generation, status, score, fold_scores, complexity, seconds, error,"
            " finished_at) VALUES (?, ?, 'ok', ?, '[0.8, 0.9]', 1, 0.5, '', 1e9)",
            (tree(name).key, generation, 0.85),
        )
    db.commit()
    db.close()
    return path


def schema(path) -> tuple[int, list[str]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0], [
            r[1] for r in db.execute("PRAGMA table_info(evaluations)")
        ]
    finally:
        db.close()


def test_the_report_reads_an_old_log_without_writing_to_it(tmp_path):
    path = old_log(tmp_path / "evaluations.sqlite")
    before = path.read_bytes()
    frame = read_evaluations(path)
    assert list(frame["key"]) == [tree("A").key, tree("B").key]
    assert list(frame["variation"]) == [UNKNOWN, UNKNOWN] and list(frame["parents"]) == [[], []]
    assert path.read_bytes() == before, "a reader never writes (SQLite's -shm beside it is its read lock)"
    assert schema(path) == (0, columns_at(0))


def test_a_writer_upgrades_an_old_log_in_place_and_keeps_its_rows(tmp_path):
    path = old_log(tmp_path / "evaluations.sqlite")
    archive = Archive(EvaluationLog(path))
    archive.restore()  # what a resume does
    assert schema(path) == (SCHEMA_VERSION, columns_at(SCHEMA_VERSION))
    assert "parents" in columns_at(SCHEMA_VERSION) and "variation" in columns_at(SCHEMA_VERSION)
    assert len(archive) == 2 and archive.variations == {UNKNOWN: 2}
    assert [e.lineage for e in archive.entries()] == [Lineage((), UNKNOWN)] * 2
    child = tree("C", 2)
    archive.add(child, EvalResult(child.key, OK, (0.9,), 0.9, 2), 2, Lineage((tree("A").key,), "mutation:insert"))
    archive.close()

    reopened = EvaluationLog(path)  # already current: opened as it is
    last = list(reopened.entries())[-1]
    assert last == Entry(child, reopened.result(child.key), 2, Lineage((tree("A").key,), "mutation:insert"))
    reopened.close()
    frame = read_evaluations(path)
    assert list(frame["variation"]) == [UNKNOWN, UNKNOWN, "mutation:insert"]
    assert frame["parents"].iloc[-1] == [tree("A").key]


def test_a_new_log_has_the_same_columns_as_an_upgraded_one(tmp_path):
    EvaluationLog(tmp_path / "new.sqlite").close()
    EvaluationLog(old_log(tmp_path / "old.sqlite")).close()
    assert (
        schema(tmp_path / "new.sqlite")
        == schema(tmp_path / "old.sqlite")
        == (SCHEMA_VERSION, columns_at(SCHEMA_VERSION))
    )


def test_a_log_from_a_newer_gp_automl_is_one_clear_error_for_readers_and_writers(tmp_path):
    path = old_log(tmp_path / "evaluations.sqlite")
    EvaluationLog(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    for open_log in (read_evaluations, EvaluationLog):
        with pytest.raises(RunDirError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this gp_automl"):
            open_log(path)
    assert schema(path)[0] == SCHEMA_VERSION + 1, "left as it was"


def test_a_damaged_parents_value_is_one_clear_error(tmp_path):
    path = tmp_path / "evaluations.sqlite"
    EvaluationLog(old_log(path)).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE evaluations SET parents = ? WHERE id = 1", (json.dumps({"not": "a list"}),))
    db.commit()
    db.close()
    log = EvaluationLog(path)
    with pytest.raises(RunDirError, match="damaged row"):
        list(log.entries())
    log.close()
