"""Lineage end to end: a seeded search logs how each pipeline was made, and every bred pipeline
names parents that are in the journal; an old run directory reads as it is and resumes upgraded."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from gp_automl import GPClassifier
from gp_automl.journal import SCHEMA_VERSION, columns_at
from gp_automl.lineage import INIT, RANDOM, START, UNKNOWN
from gp_automl.report import load_run, sections
from tests.integration.test_cli import CANCER, cli
from tests.unit.test_journal_schema import OLD_SCHEMA, schema

pytestmark = pytest.mark.slow  # real searches

MADE_FROM_NOTHING = {START, INIT, RANDOM}


def journal(run_dir) -> pd.DataFrame:
    """The rows as the search wrote them, straight from SQLite (not through our readers)."""
    db = sqlite3.connect(f"file:{run_dir / 'evaluations.sqlite'}?mode=ro", uri=True)
    try:
        return pd.read_sql("SELECT id, key, generation, status, parents, variation FROM evaluations ORDER BY id", db)
    finally:
        db.close()


def assert_bred_rows_name_logged_parents(rows: pd.DataFrame, old: frozenset = frozenset()) -> None:
    """Every row not drawn from nothing names its parents, and each was logged before it."""
    logged_before: set[str] = set()
    for row in rows.itertuples():
        parents = json.loads(row.parents)
        if row.key in old:
            assert (row.variation, parents) == (UNKNOWN, [])
        elif row.variation in MADE_FROM_NOTHING:
            assert parents == [], row
        else:
            assert row.variation == "crossover" or row.variation.startswith("mutation:"), row.variation
            assert len(parents) == (2 if row.variation == "crossover" else 1), row
            assert set(parents) <= logged_before, f"{row.key} names a parent not in the journal before it"
        logged_before.add(row.key)


def test_a_seeded_search_logs_each_pipelines_parents_and_variation(breast_cancer, tmp_path):
    X, y = breast_cancer
    run_dir = tmp_path / "run"
    est = GPClassifier(
        generations=3,
        population_size=8,
        operators="light",
        scheduler="in-process",
        cv=3,
        random_state=7,
        verbosity=0,
        checkpoint_dir=str(run_dir),
    )
    est.fit(X[:200], y[:200])
    rows = journal(run_dir)
    assert len(rows) == 32 and sorted(rows["generation"].unique()) == [0, 1, 2, 3]
    assert set(rows.loc[rows["generation"] == 0, "variation"]) == {INIT}  # the light catalog has no start pipelines
    bred = rows[rows["generation"] > 0]
    assert not set(bred["variation"]) & {INIT, START, UNKNOWN}
    assert "crossover" in set(bred["variation"]) and any(v.startswith("mutation:") for v in bred["variation"])
    assert_bred_rows_name_logged_parents(rows)

    counts = rows["variation"].value_counts().to_dict()
    assert est.run_info_["variations"] == counts == json.loads((run_dir / "run.json").read_text())["variations"]
    evaluations = est.evaluations_
    assert list(evaluations["variation"]) == list(rows["variation"])
    assert [json.loads(p) for p in evaluations["parents"]] == [json.loads(p) for p in rows["parents"]]
    assert list(pd.read_csv(run_dir / "evaluations.csv")["variation"]) == list(rows["variation"])

    state = load_run(run_dir)
    assert list(state.evaluations["parents"]) == [json.loads(p) for p in rows["parents"]]
    _, heading, html = sections.variations(state)
    front = set(est.pareto_front_["key"])
    for variation, count in counts.items():
        made = rows[rows["variation"] == variation]
        numbers = [count, int((made["status"] == "ok").sum()), int(made["key"].isin(front).sum())]
        cells = f"<td>{variation}</td>" + "".join(f'<td class="num">{n}</td>' for n in numbers)
        assert cells in html, (variation, html)
    assert heading == "Variations"


def downgrade(log) -> None:
    """Rewrite a log as gp_automl wrote it before lineage: the old table, user_version 0."""
    db = sqlite3.connect(log)
    db.executescript(
        "ALTER TABLE evaluations RENAME TO current;"
        + OLD_SCHEMA
        + ";INSERT INTO evaluations SELECT id, key, generation, status, score, fold_scores, complexity, seconds,"
        " error, finished_at FROM current; DROP TABLE current; PRAGMA user_version = 0;"
    )
    db.commit()
    db.close()


def test_an_old_run_directory_reads_as_it_is_and_a_resume_upgrades_it(tmp_path):
    run_dir = tmp_path / "run"
    fit = cli("fit", CANCER, "--target", "target", "--operators", "light", "--generations", "1", "--seed", "3",
              "--population-size", "6", "--scheduler", "in-process", "--out", run_dir)  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    log = run_dir / "evaluations.sqlite"
    downgrade(log)
    old = frozenset(journal_v0(log))
    before = log.read_bytes()

    state = load_run(run_dir)  # the report's reader
    assert set(state.evaluations["variation"]) == {UNKNOWN} and len(state.evaluations) == len(old) == 12
    assert "unknown: logged by a gp_automl version that did not record lineage" in sections.variations(state)[2]
    assert log.read_bytes() == before and schema(log) == (0, columns_at(0))

    resumed = cli("resume", run_dir, "--generations", "3", "--scheduler", "in-process")
    assert resumed.returncode == 0, resumed.stderr
    assert schema(log) == (SCHEMA_VERSION, columns_at(SCHEMA_VERSION))
    rows = journal(run_dir)
    assert len(rows) == 24 and set(rows["key"][:12]) == old
    assert_bred_rows_name_logged_parents(rows, old)
    info = json.loads((run_dir / "run.json").read_text())
    assert info["variations"][UNKNOWN] == 12 and sum(info["variations"].values()) == 24

    # a journal from a newer gp_automl: one clear error for a reader and a writer, and left alone
    db = sqlite3.connect(log)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    for args in (["report", run_dir], ["resume", run_dir, "--generations", "4", "--scheduler", "in-process"]):
        run = cli(*args)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert run.returncode == 6 and len(lines) == 1, (args, run.returncode, run.stderr)
        assert lines[0].startswith("gp-automl: error: ") and "newer than this gp_automl reads" in lines[0]
    assert schema(log)[0] == SCHEMA_VERSION + 1 and len(journal(run_dir)) == 24


def journal_v0(log) -> list[str]:
    db = sqlite3.connect(f"file:{log}?mode=ro", uri=True)
    try:
        return [key for (key,) in db.execute("SELECT key FROM evaluations ORDER BY id")]
    finally:
        db.close()


@pytest.mark.parametrize("mode", ["async", "random"])
def test_the_other_loops_log_lineage_too(breast_cancer, mode):
    X, y = breast_cancer
    est = GPClassifier(
        generations=2, population_size=6, operators="light", scheduler="in-process", mode=mode, cv=2,
        random_state=1, verbosity=0,
    ).fit(X[:150], y[:150])  # fmt: skip
    rows = est.evaluations_.assign(id=range(len(est.evaluations_)))
    assert_bred_rows_name_logged_parents(rows)
    if mode == "random":  # a first generation, then random trees only
        assert set(rows.loc[rows["generation"] == 0, "variation"]) == {INIT}
        assert set(rows.loc[rows["generation"] > 0, "variation"]) == {RANDOM}
    else:  # the first population_size trees are random, then each result breeds a child
        assert set(rows["variation"][:6]) == {RANDOM}
        assert "crossover" in set(rows["variation"]) or any(v.startswith("mutation:") for v in rows["variation"])
    assert est.run_info_["variations"] == rows["variation"].value_counts().to_dict()
