"""Infrastructure is not the pipeline's fault: a real `dask scheduler` killed mid-search, a scheduler
restarted on the same port, and a real Ctrl-C to a search on a LocalCluster.

The pipelines (tests/data/slow-classification.toml) sleep a second or two, so evaluations are in
flight when the scheduler dies. The grace period is shortened through the Dask config.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from gp_automl import GPClassifier
from gp_automl.checkpoint import load_checkpoint
from gp_automl.data import read_table, split_target
from tests.conftest import REPO
from tests.integration.test_overnight import CANCER, wait_for

SLOW = REPO / "tests" / "data" / "slow-classification.toml"
SEARCH = ["--target", "target", "--operators", SLOW, "--allow-module", "tests", "--population-size", "4"]
SEARCH += ["--cv", "2", "--seed", "5"]
DASK_NOISE = ("Traceback", "distributed.", "scattered data", "Event loop was unresponsive", "KeyboardInterrupt")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def spawn():
    """Start processes that are all killed when the test ends, whatever happened."""
    started: list[subprocess.Popen] = []

    def start(command, **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        process = subprocess.Popen([str(part) for part in command], cwd=REPO, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def start_cluster(spawn, port: int) -> tuple[subprocess.Popen, str]:
    """A scheduler on ``port`` and one single-threaded worker; returns the scheduler and its address."""
    address = f"tcp://127.0.0.1:{port}"
    scheduler = spawn([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", port,
                       "--no-dashboard"])  # fmt: skip
    wait_for(lambda: _listening(port), timeout=60)
    spawn([sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-dashboard",
           "--host", "127.0.0.1"])  # fmt: skip
    return scheduler, address


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def gp_automl(spawn, *args, grace: float) -> subprocess.Popen:
    env = {**os.environ, "DASK_GP_AUTOML__RECONNECT_GRACE": str(grace)}
    return spawn([sys.executable, "-m", "gp_automl.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                 text=True, env=env, start_new_session=True)  # fmt: skip


def journal(run_dir) -> dict[str, tuple[str, str, int]]:
    """key -> (status, error, generation) of every logged evaluation."""
    with sqlite3.connect(run_dir / "evaluations.sqlite") as db:
        rows = db.execute("SELECT key, status, error, generation FROM evaluations").fetchall()
    assert len(rows) == len({key for key, *_ in rows})
    return {key: (status, error, generation) for key, status, error, generation in rows}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["generational", "async"])
def test_a_lost_scheduler_stops_the_search_and_a_resume_elsewhere_evaluates_the_lost_pipelines(tmp_path, spawn, mode):
    out = tmp_path / "run"
    scheduler, address = start_cluster(spawn, free_port())
    fit = gp_automl(spawn, "fit", CANCER, *SEARCH, "--generations", "1", "--mode", mode, "--scheduler", address,
                    "--out", out, grace=3)  # fmt: skip
    wait_for(lambda: (out / "checkpoint.json").exists(), timeout=120)
    time.sleep(0.5)  # into the next generation: its first pipelines sleep on the worker
    scheduler.kill()
    stdout, stderr = fit.communicate(timeout=120)

    assert fit.returncode == 5, stderr
    assert stderr.splitlines() == [
        f"gp-automl: error: lost the Dask scheduler at {address} (not back within 3 s); the run is saved: "
        f"resume with `gp-automl resume {out} --scheduler ADDRESS`"
    ]
    info = json.loads((out / "run.json").read_text())
    assert (info["status"], info["stop_reason"]) == ("interrupted", "scheduler lost")
    for exported in ("model.pkl", "best_pipeline.py", "evaluations.csv"):  # the best so far, refit in the driver
        assert (out / exported).stat().st_size > 0
    before = journal(out)
    assert all(status == "ok" for status, _, _ in before.values()), before  # no pipeline blamed for the loss
    checkpoint = load_checkpoint(out / "checkpoint.json")
    lost = set(checkpoint.pending) - set(before)
    assert lost, "nothing was in flight when the scheduler died"

    _, elsewhere = start_cluster(spawn, free_port())
    resumed = gp_automl(spawn, "resume", out, "--scheduler", elsewhere, "--allow-module", "tests", grace=3)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    after = journal(out)
    assert {key: row for key, row in after.items() if key in before} == before
    evaluated_again = set(after) - set(before)
    assert lost <= evaluated_again and all(after[key][0] == "ok" for key in evaluated_again)
    if mode == "generational":  # the generation the scheduler died in was the last: nothing else to evaluate
        assert evaluated_again == lost
    assert json.loads((out / "run.json").read_text())["status"] == "finished"


@pytest.mark.slow
def test_a_scheduler_restarted_within_the_grace_period_is_reconnected_without_the_user(tmp_path, spawn):
    out = tmp_path / "run"
    port = free_port()
    scheduler, address = start_cluster(spawn, port)
    fit = gp_automl(spawn, "fit", CANCER, *SEARCH, "--generations", "2", "--scheduler", address, "--out", out,
                    grace=30)  # fmt: skip
    wait_for(lambda: (out / "checkpoint.json").exists(), timeout=120)
    time.sleep(0.5)
    scheduler.kill()  # and its supervisor starts it again, with a worker (a `dask worker` exits without it)
    scheduler.wait()
    start_cluster(spawn, port)
    stdout, stderr = fit.communicate(timeout=120)

    assert fit.returncode == 0, stderr
    assert not any(noise in stderr for noise in DASK_NOISE), stderr
    assert "the Dask cluster is back" in stdout
    info = json.loads((out / "run.json").read_text())
    assert (info["status"], info["stop_reason"]) == ("finished", "generations")
    logged = journal(out)
    assert all(status == "ok" for status, _, _ in logged.values())
    # seeded and generational: the same pipelines as a search the scheduler never left
    X, y = split_target(read_table(CANCER), "target")
    uninterrupted = GPClassifier(generations=2, population_size=4, cv=2, operators=str(SLOW), scheduler="in-process",
                                 random_state=5, verbosity=0, allow_modules=("tests",)).fit(X, y)  # fmt: skip
    assert set(uninterrupted.evaluations_["key"]) == set(logged)


@pytest.mark.slow
def test_ctrl_c_on_a_local_cluster_prints_no_dask_noise(tmp_path, spawn):
    out = tmp_path / "run"
    fit = gp_automl(spawn, "fit", CANCER, *SEARCH, "--generations", "20", "--n-workers", "2", "--out", out, grace=30)
    wait_for(lambda: (out / "checkpoint.json").exists(), timeout=120)
    time.sleep(0.5)
    os.killpg(fit.pid, signal.SIGINT)  # a terminal's Ctrl-C: the driver and its worker processes
    stdout, stderr = fit.communicate(timeout=120)

    assert fit.returncode == 130, stderr
    assert "SIGINT: stopping" in stdout and "gp-automl resume" in stdout
    assert not any(noise in stderr for noise in DASK_NOISE), stderr
    info = json.loads((out / "run.json").read_text())
    assert (info["status"], info["stop_reason"]) == ("interrupted", "interrupted")
    assert all(status == "ok" for status, _, _ in journal(out).values())


def local_workers(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children() if "spawn_main" in " ".join(p.cmdline())]


@pytest.mark.slow
def test_every_local_worker_killed_at_once_is_infrastructure_and_the_search_goes_on(tmp_path, spawn):
    # The scattered data die with the last worker holding it, and Dask cancels what needed it; the
    # nannies (or, when they give up, the cluster scaled up again) bring workers back.
    out = tmp_path / "run"
    fit = gp_automl(spawn, "fit", CANCER, *SEARCH, "--generations", "2", "--n-workers", "2", "--out", out, grace=90)
    wait_for(lambda: (out / "checkpoint.json").exists(), timeout=120)
    time.sleep(0.5)
    for worker in local_workers(fit.pid):
        worker.kill()
    stdout, stderr = fit.communicate(timeout=180)

    assert fit.returncode == 0, stderr
    assert "the Dask cluster is back" in stdout
    assert not any(noise in stderr for noise in DASK_NOISE), stderr
    assert all(status == "ok" for status, _, _ in journal(out).values())
    assert len(journal(out)) == 4 * 3


@pytest.mark.slow
def test_a_pipeline_that_kills_its_workers_is_its_own_fault_while_the_cluster_lives():
    X, y = split_target(read_table(CANCER), "target")
    killer = REPO / "tests" / "data" / "killer-classification.toml"
    est = GPClassifier(generations=1, population_size=4, cv=2, operators=str(killer), n_workers=2, random_state=2,
                       verbosity=0, allow_modules=("tests",)).fit(X, y)  # fmt: skip
    frame = est.evaluations_.set_index("key")
    killers = frame[frame.index.str.startswith("KillsItsWorker")]
    assert len(killers) and (killers["status"] == "error").all() and (killers["error"] == "worker died").all()
    assert (frame.drop(killers.index)["status"] == "ok").all()
    assert est.best_tree_.key.startswith("LogisticRegression")
