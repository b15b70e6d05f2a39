"""A search against a real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from distributed import Client
from sklearn.datasets import load_breast_cancer

from gp_automl import GPClassifier


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
        generations=2, population_size=8, operators="light", scheduler=scheduler, mode=mode, random_state=1,
        verbosity=0,
    )
    est.fit(X[:300], y[:300])
    assert est.run_info_["n_workers"] == 2
    assert len(est.evaluations_) == 24 and (est.evaluations_["status"] == "ok").sum() >= 20
    assert est.score(X[300:], y[300:]) > 0.85
