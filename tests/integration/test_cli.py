"""The command line as a user runs it: a subprocess, real files, real exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from tests.conftest import SHIPPED_DATA

CANCER = SHIPPED_DATA / "breast_cancer.csv"
FIT_LIGHT = ["fit", CANCER, "--target", "target", "--operators", "light"]


def cli(*args, cwd=None, timeout=600, env=None):
    return subprocess.run(
        [sys.executable, "-m", "gp_automl.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )


def assert_one_clear_error(run, fragment, code):
    assert run.returncode == code, (run.returncode, run.stderr)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gp-automl: error: "), run.stderr
    assert fragment in lines[0]
    assert "Traceback" not in run.stderr


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    run = cli(
        *FIT_LIGHT,
        "--generations",
        "2",
        "--population-size",
        "8",
        "--n-workers",
        "2",
        "--out",
        out,
    )
    assert run.returncode == 0, run.stderr
    assert "best pipeline:" in run.stdout and str(out) in run.stdout
    return out


def test_fit_writes_a_complete_run_directory(run_dir):
    for name in [
        "run.json",
        "evaluations.csv",
        "evaluations.sqlite",
        "checkpoint.json",
        "search.log",
        "pareto_front.csv",
        "best_pipeline.py",
        "model.pkl",
    ]:
        assert (run_dir / name).stat().st_size > 0, name
    info = json.loads((run_dir / "run.json").read_text())
    assert 0 < info["worker_utilization"] <= 1
    log = (run_dir / "search.log").read_text()
    for line in [
        "gp_automl 0.1.0: classification",
        "evaluating on LocalCluster",
        "limit per pipeline: 300 s",  # max_eval_time_mins="auto" without a time budget: 5 minutes
        "memory per pipeline: auto",
        "generation 2: 24 evaluated",
        "rejected early",
        "stopped by generations",
        "run directory:",
    ]:
        assert line in log
    assert info["status"] == "finished" and info["stop_reason"] == "generations"
    assert info["task"] == "classification" and info["target"] == "target"
    assert len(pd.read_csv(run_dir / "evaluations.csv")) == info["evaluations"] == 24
    assert pd.read_csv(run_dir / "pareto_front.csv")["key"].iloc[0] == info["best_key"]
    assert not list(run_dir.glob(".*.tmp")), "no temporary files left behind"


def test_the_journal_of_a_cluster_run_names_the_logged_parents_of_every_bred_pipeline(run_dir):
    from tests.integration.test_lineage import assert_bred_rows_name_logged_parents, journal

    rows = journal(run_dir)
    assert (rows.loc[rows["generation"] == 0, "variation"] == "init").all()
    assert (rows.loc[rows["generation"] > 0, "variation"] != "init").all()
    assert_bred_rows_name_logged_parents(rows)
    table = pd.read_csv(run_dir / "evaluations.csv")
    assert list(table["variation"]) == list(rows["variation"]) and list(table["parents"]) == list(rows["parents"])
    assert json.loads((run_dir / "run.json").read_text())["variations"] == rows["variation"].value_counts().to_dict()


def test_exported_script_runs_on_the_training_file(run_dir, tmp_path):
    run = subprocess.run(
        [sys.executable, run_dir / "best_pipeline.py"], capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert run.returncode == 0, run.stderr
    printed = float(re.search(r"CV balanced_accuracy: ([0-9.e-]+)", run.stdout).group(1))
    assert abs(printed - json.loads((run_dir / "run.json").read_text())["best_score"]) <= 1e-9


def test_export_front_writes_one_runnable_script_per_front_pipeline(run_dir, tmp_path):
    run = cli("export", run_dir, "--front", "-o", tmp_path / "front")
    assert run.returncode == 0, run.stderr
    front = pd.read_csv(run_dir / "pareto_front.csv")
    scripts = sorted((tmp_path / "front").glob("pipeline_*.py"))
    assert len(scripts) == len(front)
    last = subprocess.run([sys.executable, scripts[-1]], capture_output=True, text=True, timeout=300)
    printed = float(re.search(r"CV balanced_accuracy: ([0-9.e-]+)", last.stdout).group(1))
    assert abs(printed - front["score"].iloc[-1]) <= 1e-9


def test_export_and_predict_from_the_run_directory(run_dir, tmp_path):
    script = tmp_path / "again.py"
    assert cli("export", run_dir, "-o", script).returncode == 0
    assert script.read_text() == (run_dir / "best_pipeline.py").read_text()
    rows = pd.read_csv(CANCER).head(7)
    rows.assign(extra=1).to_csv(tmp_path / "new.csv", index=False)
    run = cli("predict", run_dir, tmp_path / "new.csv", "-o", tmp_path / "pred.csv")
    assert run.returncode == 0, run.stderr
    assert "ignoring column(s) not used in training: extra" in run.stderr
    predictions = pd.read_csv(tmp_path / "pred.csv")["prediction"]
    assert len(predictions) == 7 and set(predictions) <= {0, 1}


def test_an_existing_run_is_never_overwritten(run_dir):
    before = (run_dir / "run.json").read_text()
    run = cli("fit", CANCER, "--target", "target", "--operators", "light", "--generations", "1", "--out", run_dir)
    assert_one_clear_error(run, "already holds a run", 6)
    assert (run_dir / "run.json").read_text() == before


def test_early_rejection_can_be_switched_off_and_run_json_says_so(tmp_path):
    out = tmp_path / "run"
    run = cli(*FIT_LIGHT, "--generations", "1", "--population-size", "4", "--cv", "3", "--scheduler", "in-process",
              "--no-early-rejection", "--out", out)  # fmt: skip
    assert run.returncode == 0, run.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["settings"]["early_rejection"] is False and info["rejected_early"] == 0
    assert set(pd.read_csv(out / "evaluations.csv")["status"]) == {"ok"}


def test_malformed_catalog(tmp_path):
    catalog = tmp_path / "mine.toml"
    catalog.write_text(
        textwrap.dedent("""
        [operators.Forest]
        import = "sklearn.ensemble.RandomForestClassifier"
        role = "model"
        [operators.Forest.params]
        n_estimators = { int = [500, 10] }
    """)
    )
    run = cli("fit", CANCER, "--target", "target", "--operators", catalog, "--out", tmp_path / "r")
    assert_one_clear_error(run, "operator Forest: param n_estimators: range [500, 10] is inverted", 3)
    assert str(catalog) in run.stderr
    assert not (tmp_path / "r").exists()


def test_unreachable_scheduler(tmp_path):
    run = cli(
        *FIT_LIGHT,
        "--generations",
        "1",
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--out",
        tmp_path / "r",
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},  # Dask's own setting shortens our 15 s wait
    )
    assert_one_clear_error(run, "cannot reach the Dask scheduler at tcp://127.0.0.1:9", 5)
    assert not (tmp_path / "r").exists()


def test_export_of_a_directory_that_holds_no_run(tmp_path):
    assert_one_clear_error(cli("export", tmp_path), "is not a gp_automl run directory", 6)


def test_a_bad_limit_per_pipeline_is_one_clear_error(tmp_path):
    out = tmp_path / "run"
    zero = cli(*FIT_LIGHT, "--generations", "1", "--max-eval-time-mins", "0", "--out", out)
    assert_one_clear_error(zero, "max_eval_time_mins must be 'auto', a positive number or None, got 0.0", 4)
    word = cli(*FIT_LIGHT, "--generations", "1", "--max-eval-time-mins", "soon", "--out", out)
    assert_one_clear_error(word, "argument --max-eval-time-mins: expected 'auto' or a number of minutes, got 'soon'", 4)
    assert not out.exists()
