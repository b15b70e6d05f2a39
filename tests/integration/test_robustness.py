"""Hung pipelines and dead workers, on real clusters: the search goes on and leaks nothing."""

from __future__ import annotations

import json
import signal
import time

import psutil
from sklearn.datasets import load_breast_cancer

from gp_automl import GPClassifier
from tests.conftest import REPO
from tests.integration.test_overnight import CANCER, logged_rows, start_cli, wait_for

STALL_CATALOG = REPO / "tests" / "data" / "stall-classification.toml"


def test_a_pipeline_that_sleeps_forever_is_stopped_at_the_limit(tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setenv("GP_AUTOML_TEST_PIDS", str(pids))  # before the workers start: they inherit it
    X, y = load_breast_cancer(return_X_y=True)
    limit_s = 3
    est = GPClassifier(
        generations=2,
        population_size=6,
        max_eval_time_mins=limit_s / 60,
        cv=2,
        operators=STALL_CATALOG,
        n_workers=2,
        random_state=0,
        verbosity=0,
        allow_modules=["tests"],  # Stall lives in tests.stall
    )
    est.fit(X[:200], y[:200])
    evaluations = est.evaluations_
    timeouts = evaluations[evaluations["status"] == "timeout"]
    assert len(timeouts) >= 1, "the seed should draw at least one hanging pipeline"
    assert timeouts["seconds"].between(limit_s, limit_s + 15).all()
    assert timeouts["key"].str.contains("seconds=1000000.0").all()
    # the workers came back into service: everything that does not hang was evaluated
    assert evaluations["status"].isin(["ok", "rejected"]).sum() == len(evaluations) - len(timeouts)
    assert est.run_info_["status"] == "finished" and len(evaluations) == 18
    time.sleep(1)
    stuck = [int(p.name) for p in pids.iterdir() if _alive(int(p.name))]
    assert not stuck, f"evaluation processes outlived the search: {stuck}"


def test_by_default_no_pipeline_takes_more_than_a_fifth_of_the_time_budget():
    X, y = load_breast_cancer(return_X_y=True)
    budget_s = 10
    est = GPClassifier(  # max_eval_time_mins="auto": 5 minutes, but at most a fifth of the budget
        max_time_mins=budget_s / 60,
        cv=2,
        population_size=6,
        operators=STALL_CATALOG,
        n_workers=2,
        random_state=0,
        verbosity=0,
        allow_modules=["tests"],
    )
    est.fit(X[:200], y[:200])
    timeouts = est.evaluations_[est.evaluations_["status"] == "timeout"]
    assert len(timeouts) >= 1, "the seed should draw at least one hanging pipeline"
    assert timeouts["seconds"].between(budget_s / 5, budget_s / 5 + 5).all()
    assert timeouts["error"].str.contains("2 s limit").all()
    assert est.evaluations_["generation"].max() >= 1  # the hanging pipelines did not hold generation 0 to the end


def test_the_time_budget_stops_running_evaluations_at_once(tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setenv("GP_AUTOML_TEST_PIDS", str(pids))
    X, y = load_breast_cancer(return_X_y=True)
    est = GPClassifier(
        max_time_mins=6 / 60,
        max_eval_time_mins=10,
        cv=2,
        population_size=6,
        operators=STALL_CATALOG,
        n_workers=2,
        random_state=0,
        verbosity=0,
        allow_modules=["tests"],
    )
    started = time.monotonic()
    est.fit(X[:200], y[:200])
    assert time.monotonic() - started < 6 + 4  # not the 10 minutes of the hanging pipelines' limit
    assert est.run_info_["stop_reason"] == "max_time_mins"
    assert (est.evaluations_["status"] == "timeout").sum() == 0  # cut short by the stop: not results
    time.sleep(1)
    stuck = [int(p.name) for p in pids.iterdir() if _alive(int(p.name))]
    assert not stuck, f"evaluation processes outlived the search: {stuck}"


def test_killing_a_worker_mid_run_does_not_stop_the_search(tmp_path):
    out = tmp_path / "run"
    cli = start_cli(
        "fit",
        CANCER,
        "--target",
        "target",
        "--operators",
        "light",
        "--population-size",
        "6",
        "--generations",
        "2",
        "--cv",
        "3",
        "--n-workers",
        "2",
        "--seed",
        "5",
        "--out",
        out,
    )
    wait_for(lambda: logged_rows(out) >= 4)
    workers = [p for p in psutil.Process(cli.pid).children() if "spawn_main" in " ".join(p.cmdline())]
    assert len(workers) == 2
    workers[0].send_signal(signal.SIGKILL)
    stdout, stderr = cli.communicate(timeout=300)
    assert cli.returncode == 0, stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["stop_reason"] == "generations"
    assert info["evaluations"] == 6 * 3
    assert "Traceback" not in stderr


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
