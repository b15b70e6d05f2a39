"""Multi-fidelity evaluation (gp_automl/fidelity.py) in real searches: reproducible whatever the
number of workers, only full-fidelity results in the front and the winner, a run killed in the
middle of a generation's rungs resumed to the same end, and small tables evaluated as before."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from gp_automl import GPClassifier
from gp_automl.fidelity import fraction_text
from tests.conftest import SHIPPED_DATA
from tests.integration.test_overnight import start_cli, wait_for

# 900 rows, 5 folds: 720 training rows per fold, so the rungs are 1/9 (80 rows) and 1/3 (240 rows)
SEARCH = dict(generations=2, population_size=6, operators="light", fidelity="halving", random_state=1, verbosity=0)
LOW = (1 / 9, 1 / 3)


@pytest.fixture(scope="module")
def table():
    X, y = make_classification(n_samples=900, n_features=10, n_informative=4, n_redundant=2, random_state=3)
    return X, y


def journal(run_dir) -> tuple[list[tuple], list[tuple]]:
    """The evaluation log's rows and the screenings, in a fixed order (arrival order varies)."""
    with sqlite3.connect(run_dir / "evaluations.sqlite") as db:
        final = db.execute(
            "SELECT key, generation, status, score, fold_scores, error FROM evaluations ORDER BY key"
        ).fetchall()
        screened = db.execute(
            "SELECT key, fidelity, generation, status, score, fold_scores FROM screenings ORDER BY key, fidelity"
        ).fetchall()
    return final, screened


@pytest.fixture(scope="module")
def on_two_workers(table, dask_client, tmp_path_factory):
    out = tmp_path_factory.mktemp("two") / "run"
    model = GPClassifier(**SEARCH, scheduler=dask_client, checkpoint_dir=str(out)).fit(*table)
    return model, out


@pytest.mark.slow
def test_a_seeded_multi_fidelity_run_is_the_same_on_one_and_two_workers(table, on_two_workers, tmp_path):
    out = tmp_path / "run"
    GPClassifier(**SEARCH, n_workers=1, checkpoint_dir=str(out)).fit(*table)
    two = journal(on_two_workers[1])
    assert two[1], "nothing was screened"
    assert journal(out) == two


@pytest.mark.slow
def test_the_front_and_the_winner_are_full_fidelity_results_of_promoted_pipelines(on_two_workers):
    model, out = on_two_workers
    final, screened = journal(out)
    status = {key: row_status for key, _, row_status, *_ in final}
    score = {key: (row_score, json.loads(folds)) for key, _, _, row_score, folds, _ in final}
    rungs = {(key, fidelity): (row_status, row_score) for key, fidelity, _, row_status, row_score, _ in screened}
    assert "screened" in status.values() and "ok" in status.values()
    for key in model.pareto_front_["key"]:
        assert status[key] == "ok"
        for fidelity in LOW:  # promoted through every low rung, scored there at low fidelity
            assert rungs[(key, fidelity)][0] == "ok" and rungs[(key, fidelity)][1] != score[key][0]
    winner = model.best_tree_.key
    assert model.best_score_ == score[winner][0] == pytest.approx(np.mean(score[winner][1]))
    assert model.best_score_ == max(score[key][0] for key in score if status[key] == "ok")
    for key, _, row_status, row_score, _, error in final:  # a screened pipeline: no score, its last rung named
        if row_status == "screened":
            last = max(fidelity for k, fidelity in rungs if k == key)
            assert row_score is None and f"screened out at {fraction_text(last)} of the training rows" in error
    assert model.run_info_["screened"] == sum(s == "screened" for s in status.values())


@pytest.mark.slow
def test_a_run_killed_inside_a_generations_rungs_resumes_to_the_same_end(table, tmp_path):
    X, y = table
    data = tmp_path / "table.csv"
    pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(target=y).to_csv(data, index=False)
    flags = ["--target", "target", "--operators", "light", "--population-size", "6", "--generations", "3", "--seed",
             "1", "--fidelity", "halving", "--scheduler", "in-process", "--checkpoint-interval", "0"]  # fmt: skip
    whole = tmp_path / "whole"
    assert subprocess.run([sys.executable, "-m", "gp_automl.cli", "fit", data, *flags, "--out", whole],
                          capture_output=True, text=True, timeout=600).returncode == 0  # fmt: skip

    out = tmp_path / "killed"
    process = start_cli("fit", data, *flags, "--out", out)

    def in_generation_2s_rungs() -> bool:  # generation 2 screened in part, none of its final rows logged
        try:
            with sqlite3.connect(out / "evaluations.sqlite") as db:
                rungs = db.execute("SELECT COUNT(*) FROM screenings WHERE generation = 2").fetchone()[0]
                final = db.execute("SELECT COUNT(*) FROM evaluations WHERE generation = 2").fetchone()[0]
        except sqlite3.OperationalError:
            return False
        return 2 <= rungs < 6 and final == 0

    wait_for(in_generation_2s_rungs, timeout=300)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    checkpoint = json.loads((out / "checkpoint.json").read_text())["state"]
    assert checkpoint["generation"] == 2 and len(checkpoint["pending"]) == 6  # the whole generation pending

    resumed = subprocess.run([sys.executable, "-m", "gp_automl.cli", "resume", str(out)],
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming inside generation 2" in resumed.stdout
    assert journal(out) == journal(whole)  # no rung evaluated twice, the same promotions, the same end
    front = ["key", "score", "complexity"]
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "pareto_front.csv")[front], pd.read_csv(whole / "pareto_front.csv")[front]
    )


@pytest.mark.slow
def test_small_tables_are_evaluated_exactly_as_before(tmp_path):
    """Below the switch point "auto" is "full": the same log, row for row, and no screenings table."""
    data = pd.read_csv(SHIPPED_DATA / "breast_cancer.csv")
    X, y = data.drop(columns="target"), data["target"]
    settings = dict(generations=1, population_size=6, operators="light", scheduler="in-process", random_state=2,
                    verbosity=0)  # fmt: skip
    logs = {}
    for fidelity in ("auto", "full"):
        out = tmp_path / fidelity
        model = GPClassifier(**settings, fidelity=fidelity, checkpoint_dir=str(out)).fit(X, y)
        with sqlite3.connect(out / "evaluations.sqlite") as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            logs[fidelity] = db.execute(
                "SELECT id, key, generation, status, score, fold_scores, complexity, error FROM evaluations ORDER BY id"
            ).fetchall()
        assert tables == {"evaluations"} and model.run_info_["screened"] == 0
    assert logs["auto"] == logs["full"] and len(logs["auto"]) >= 6


def test_the_start_pipelines_get_full_cv_first_and_are_never_screened(table, tmp_path):
    """The catalog's start pipelines give a full-fidelity result before anything is screened."""
    out = tmp_path / "run"
    GPClassifier(generations=0, population_size=4, fidelity="halving", scheduler="in-process", random_state=1,
                 verbosity=0, checkpoint_dir=str(out)).fit(*table)  # fmt: skip
    final, screened = journal(out)
    starts = {tree.key for tree in model_catalog_starts()}
    in_rungs = {key for key, *_ in screened}
    assert starts and not starts & in_rungs
    assert {key for key, _, status, *_ in final if status == "ok"} >= starts
    assert len(in_rungs) == 1  # the one random tree of the generation, screened first
    first_ids = pd.read_csv(out / "evaluations.csv")["key"].head(len(starts))
    assert set(first_ids) == starts  # logged before anything else


def model_catalog_starts():
    from gp_automl.space import load_catalog

    return load_catalog("default", "classification").start
