"""A search against a real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from distributed import Client
from sklearn.datasets import load_breast_cancer

from gp_automl import GPClassifier
from tests.conftest import SHIPPED_DATA


def dask_command(*args):
    return [sys.executable, "-m", "dask", *args]


@pytest.fixture(scope="module")
def scheduler_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    path = folder / "scheduler.json"
    processes = [
        subprocess.Popen(
            dask_command(
                "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(path)
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert path.exists(), "the scheduler did not start"
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    dask_command(
                        "worker",
                        "--scheduler-file",
                        str(path),
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        with Client(scheduler_file=str(path), timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield path
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.parametrize("by, mode", [("file", "generational"), ("address", "async")])
def test_search_on_an_existing_cluster(scheduler_file, by, mode):
    X, y = load_breast_cancer(return_X_y=True)
    scheduler = str(scheduler_file) if by == "file" else json.loads(scheduler_file.read_text())["address"]
    est = GPClassifier(
        generations=2,
        population_size=8,
        operators="light",
        scheduler=scheduler,
        mode=mode,
        random_state=1,
        verbosity=0,
    )
    est.fit(X[:300], y[:300])
    assert est.run_info_["n_workers"] == 2
    assert len(est.evaluations_) == 24 and est.evaluations_["status"].isin(["ok", "rejected"]).sum() >= 20
    assert est.score(X[300:], y[300:]) > 0.85


def _count_tidying(monkeypatch) -> list:
    import gp_automl.executor.dask as dask_executor

    calls = []
    tidy = dask_executor.DaskExecutor._tidy

    def counted(self):
        calls.append(1)
        tidy(self)

    monkeypatch.setattr(dask_executor, "TIDY_EVERY", 5)
    monkeypatch.setattr(dask_executor.DaskExecutor, "_tidy", counted)
    return calls


def span_metadata(dask_scheduler) -> int:
    spans = dask_scheduler.extensions["spans"].spans.values()
    return max(len((span.metadata or {}).get("collections", ())) for span in spans)


def test_a_users_scheduler_is_left_untidied(scheduler_file, monkeypatch):
    # Dask appends every submission's metadata to the scheduler's span and never trims it. The
    # executor trims it on clusters it starts; a scheduler someone else runs is theirs: its private
    # state (spans, caches) is never edited, even if it grows.
    calls = _count_tidying(monkeypatch)
    X, y = load_breast_cancer(return_X_y=True)
    est = GPClassifier(generations=2, population_size=8, operators="light", scheduler=str(scheduler_file),
                       random_state=2, verbosity=0).fit(X[:300], y[:300])  # fmt: skip
    assert len(est.evaluations_) == 24 and calls == []
    with Client(scheduler_file=str(scheduler_file), timeout=30) as client:
        assert client.run_on_scheduler(span_metadata) >= 24  # one entry per submission, as Dask left it


@pytest.mark.slow
def test_a_cluster_the_search_started_is_tidied(monkeypatch):
    calls = _count_tidying(monkeypatch)
    X, y = load_breast_cancer(return_X_y=True)
    est = GPClassifier(generations=2, population_size=8, operators="light", n_workers=2, random_state=2,
                       verbosity=0).fit(X[:300], y[:300])  # fmt: skip
    assert len(est.evaluations_) == 24 and len(calls) >= 2


def test_search_through_dask_jobqueue_from_the_cli(tmp_path):
    """dask-jobqueue's local job runner: the same machinery as SLURM/PBS, with local processes as jobs."""
    out = tmp_path / "run"
    env = {**os.environ, "DASK_JOBQUEUE__LOCAL__CORES": "1", "DASK_JOBQUEUE__LOCAL__MEMORY": "2GiB"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gp_automl.cli",
            "fit",
            str(SHIPPED_DATA / "breast_cancer.csv"),
            "--target",
            "target",
            "--operators",
            "light",
            "--generations",
            "1",
            "--population-size",
            "6",
            "--cv",
            "3",
            "--scheduler",
            "jobqueue:local",
            "--n-workers",
            "2",
            "--out",
            str(out),
            "--mode",
            "async",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "dask-jobqueue local cluster, 2 worker(s) requested" in done.stdout
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["evaluations"] == 12 and info["n_workers"] == 2


@pytest.mark.parametrize(
    "kind, code, fragment",
    [
        ("local", 5, "jobqueue.local section of the Dask config"),  # a known kind without its settings
        ("nope", 4, "unknown jobqueue cluster 'nope'"),
    ],
)
def test_jobqueue_misconfiguration_is_one_clear_error(tmp_path, kind, code, fragment):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gp_automl.cli",
            "fit",
            str(SHIPPED_DATA / "breast_cancer.csv"),
            "--target",
            "target",
            "--generations",
            "1",
            "--scheduler",
            f"jobqueue:{kind}",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code and fragment in done.stderr
    assert "Traceback" not in done.stderr
    if kind == "nope":
        assert not (tmp_path / "run").exists()
