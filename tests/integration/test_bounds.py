"""Bounded resources with real processes: absurd sizes refused before any work, a huge first
generation stopped by the budget and by SIGTERM, and a pipeline that allocates 20 GiB recorded
as ``memory`` while its worker lives on."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from distributed import Client, LocalCluster
from sklearn.datasets import load_breast_cancer

from gp_automl import GPClassifier
from gp_automl.report import write_report
from tests.conftest import REPO
from tests.integration.test_cli import assert_one_clear_error, cli
from tests.integration.test_overnight import CANCER, logged_rows, start_cli, wait_for

HOG_CATALOG = REPO / "tests" / "data" / "hog-classification.toml"
LARGE = ["--target", "target", "--operators", "light", "--population-size", "5000", "--n-workers", "2", "--cv", "2"]


@pytest.mark.parametrize(
    ("flag", "value", "fragment", "code"),
    [
        ("--population-size", "99999999999999", "population_size must be at most 10_000, got 99_999_999_999_999", 4),
        ("--cv", "1000", "569 rows are too few for cv=1000", 4),  # within the bound, not for these data: a setting
    ],
)
def test_absurd_sizes_are_refused_before_any_work(tmp_path, flag, value, fragment, code):
    """Each bound has its unit test (tests/unit/test_config.py); here, that the command line checks
    them before the run directory or a cluster exists."""
    out = tmp_path / "run"
    started = time.monotonic()
    run = cli("fit", CANCER, "--target", "target", flag, value, "--out", out)  # the default: a LocalCluster
    assert_one_clear_error(run, fragment, code)
    assert not out.exists()
    assert time.monotonic() - started < 30  # no cluster started, no generation built
    assert "LocalCluster" not in run.stdout + run.stderr


@pytest.mark.slow
def test_a_huge_first_generation_stops_at_the_time_budget(tmp_path):
    out = tmp_path / "run"
    budget_s = 15
    started = time.monotonic()
    command = [sys.executable, "-m", "gp_automl.cli", "fit", CANCER, *LARGE, "--max-time-mins", budget_s / 60]
    with open(tmp_path / "stdout", "w") as stdout, open(tmp_path / "stderr", "w") as stderr:
        process = subprocess.Popen([*map(str, command), "--out", out], stdout=stdout, stderr=stderr)
        peak_rss = 0
        while process.poll() is None:
            try:
                peak_rss = max(peak_rss, psutil.Process(process.pid).memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.2)
    process.wait(timeout=300)
    wall = time.monotonic() - started
    assert process.returncode == 0, (tmp_path / "stderr").read_text()
    info = json.loads((out / "run.json").read_text())
    assert info["stop_reason"] == "max_time_mins" and info["status"] == "finished"
    assert budget_s <= info["elapsed_seconds"] <= budget_s + 2
    assert wall <= budget_s + 30
    assert 0 < info["evaluations"] < 5000  # generation 0 was cut short, not waited for
    assert peak_rss < 2 * 2**30  # the driver (and the scheduler inside it) stayed small


@pytest.mark.slow
def test_sigterm_during_a_huge_first_generation_stops_promptly_and_resumes(tmp_path):
    out = tmp_path / "run"
    process = start_cli(
        "fit", CANCER, *LARGE, "--generations", "1", "--seed", "2", "--max-eval-memory", "2GB", "--out", out
    )
    wait_for(lambda: logged_rows(out) >= 4, timeout=120)
    os.killpg(process.pid, signal.SIGTERM)
    stopped = time.monotonic()
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert time.monotonic() - stopped < 30  # the stop, the refit of the best so far and the export
    assert "SIGTERM: stopping" in stdout and "gp-automl resume" in stdout
    assert "Traceback" not in stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "interrupted" and info["stop_reason"] == "interrupted"
    logged_before = logged_rows(out)
    assert 4 <= logged_before < 5000
    resumed = cli("resume", out, "--max-time-mins", "0.25")
    assert resumed.returncode == 0, resumed.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["resumed"] and info["stop_reason"] == "max_time_mins"
    assert info["settings"]["max_eval_memory"] == 2 * 10**9  # kept by resume
    assert logged_before + info["evaluated_this_session"] == logged_rows(out) == info["evaluations"]
    assert pd.read_csv(out / "evaluations.csv")["key"].is_unique  # nothing logged was evaluated again


@pytest.fixture
def small_worker():
    """One real worker process with a 4 GiB memory limit, as `dask worker --memory-limit 4GiB` gives."""
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, memory_limit="4GiB", dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
def test_a_pipeline_that_allocates_20_gib_is_recorded_as_memory_and_its_worker_lives_on(small_worker, tmp_path):
    X, y = load_breast_cancer(return_X_y=True)
    (worker_pid,) = small_worker.run(os.getpid).values()
    est = GPClassifier(  # max_eval_memory="auto": from the worker's 4 GiB limit
        generations=1,
        population_size=4,
        cv=2,
        operators=HOG_CATALOG,
        scheduler=small_worker,
        checkpoint_dir=tmp_path / "run",
        random_state=0,
        verbosity=0,
        allow_modules=["tests"],  # Hog lives in tests.hog
    )
    est.fit(X[:200], y[:200])
    evaluations = est.evaluations_.reset_index(drop=True)
    hog = evaluations[evaluations["key"] == "Hog(X, gib=20.0)"]
    assert list(hog["status"]) == ["memory"]
    error = hog["error"].iloc[0]
    assert "Unable to allocate 20.0 GiB" in error
    limit = float(re.search(r"limit per pipeline: ([\d.]+) GiB", error).group(1))
    assert 3 < limit < 4  # the worker's 4 GiB less what the worker itself holds
    # the same worker process went on evaluating: nothing restarted it, later pipelines succeeded
    assert small_worker.run(os.getpid) == {next(iter(small_worker.scheduler_info()["workers"])): worker_pid}
    assert (evaluations.loc[hog.index[0] + 1 :, "status"] == "ok").any()
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    memory = evaluations["status"] == "memory"
    assert memory.equals(evaluations["key"].str.contains("gib=20.0"))  # every 20 GiB pipeline, and only those
    assert info["out_of_memory"] == memory.sum() and info["failures"] >= memory.sum() and info["status"] == "finished"
    assert info["settings"]["max_eval_memory"] == "auto"
    report = Path(write_report(tmp_path / "run", allow_modules=("tests",))).read_text()
    assert f"{memory.sum()} out of memory" in report and "Unable to allocate 20.0 GiB" in report  # among the failures
