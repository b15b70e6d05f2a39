"""Overnight-run safety with real processes and real signals: kill -9 and resume, Ctrl-C,
a checkpoint write killed half-way, and the time budget."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

import pandas as pd
import pytest

from gp_automl.checkpoint import SearchState, load_checkpoint, save_checkpoint
from gp_automl.errors import RunDirError
from gp_automl.lineage import Lineage
from tests.conftest import SHIPPED_DATA

CANCER = SHIPPED_DATA / "breast_cancer.csv"
SEARCH = ["--target", "target", "--operators", "light", "--population-size", "8", "--n-workers", "2", "--seed", "3"]


def start_cli(*args):
    """The CLI in its own process group, as a batch job would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "gp_automl.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def logged_rows(run_dir) -> int:
    path = run_dir / "evaluations.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def wait_for(condition, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def front_of(run_dir):
    return pd.read_csv(run_dir / "pareto_front.csv")[["key", "score", "complexity"]]


def evaluations_of(run_dir):
    frame = pd.read_csv(run_dir / "evaluations.csv")
    return frame.set_index("key")[["status", "score", "parents", "variation"]].sort_index()  # lineage too


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    process = start_cli("fit", CANCER, *SEARCH, "--generations", "4", "--out", out)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    return out


@pytest.mark.parametrize("interval", ["300", "0"])  # checkpoints at generation ends / after every result
def test_kill_9_then_resume_ends_like_an_uninterrupted_run(uninterrupted, tmp_path, interval):
    out = tmp_path / "run"
    process = start_cli("fit", CANCER, *SEARCH, "--generations", "4", "--out", out, "--checkpoint-interval", interval)
    # kill the whole job mid-run: after the first checkpoint, part-way into a later generation
    wait_for(lambda: (out / "checkpoint.json").exists() and logged_rows(out) >= 8 + 8 + 3)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    logged_before = logged_rows(out)
    checkpoint = load_checkpoint(out / "checkpoint.json")
    assert checkpoint.generation >= 0 and logged_before >= checkpoint.logged
    if interval == "300":
        assert not checkpoint.pending and logged_before > checkpoint.logged

    resumed = subprocess.run(
        [sys.executable, "-m", "gp_automl.cli", "resume", str(out)], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["stop_reason"] == "generations"
    # nothing logged before the kill was evaluated again
    assert logged_before + info["evaluated_this_session"] == logged_rows(out) == info["evaluations"]
    pd.testing.assert_frame_equal(front_of(out), front_of(uninterrupted))
    pd.testing.assert_frame_equal(evaluations_of(out), evaluations_of(uninterrupted))


def test_sigint_leaves_a_complete_resumable_run(tmp_path):
    out = tmp_path / "run"
    process = start_cli("fit", CANCER, *SEARCH, "--generations", "200", "--out", out)
    wait_for(lambda: (out / "checkpoint.json").exists() and logged_rows(out) >= 12)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert "SIGINT: stopping" in stdout and "gp-automl resume" in stdout
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "interrupted" and info["stop_reason"] == "interrupted"
    for name in ["best_pipeline.py", "model.pkl", "pareto_front.csv", "evaluations.csv", "checkpoint.json"]:
        assert (out / name).stat().st_size > 0
    run = subprocess.run([sys.executable, out / "best_pipeline.py"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "CV balanced_accuracy" in run.stdout


@pytest.mark.parametrize("mode", ["generational", "async"])
def test_sigterm_from_a_batch_scheduler_leaves_a_resumable_run(tmp_path, mode):
    out = tmp_path / "run"
    process = start_cli("fit", CANCER, *SEARCH, "--generations", "200", "--out", out, "--mode", mode)
    wait_for(lambda: (out / "checkpoint.json").exists())
    os.killpg(process.pid, signal.SIGTERM)
    process.communicate(timeout=300)
    generation = load_checkpoint(out / "checkpoint.json").generation
    logged_before = logged_rows(out)
    resumed = subprocess.run(
        [sys.executable, "-m", "gp_automl.cli", "resume", str(out), "--max-time-mins", "0.1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert load_checkpoint(out / "checkpoint.json").generation >= generation
    info = json.loads((out / "run.json").read_text())
    assert info["resumed"] and info["settings"]["mode"] == mode
    assert logged_before + info["evaluated_this_session"] == logged_rows(out) == info["evaluations"]
    assert pd.read_csv(out / "evaluations.csv")["key"].is_unique


WRITER = """
import sys
from gp_automl.checkpoint import SearchState, save_checkpoint
population = tuple((f"Model(X, p={i})", i / 7) for i in range(20000))
generation = 0
while True:
    generation += 1
    state = SearchState(generation, population, (3, tuple(range(625)), None), generation, 1.0, 0, ("A(X)",))
    save_checkpoint(sys.argv[1], state)
    print(generation, flush=True)
"""


def test_a_checkpoint_write_killed_half_way_leaves_the_previous_one_loadable(tmp_path):
    path = tmp_path / "checkpoint.json"
    for attempt in range(3):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(3 + attempt):
            writer.stdout.readline()  # a few complete writes, then kill it in the middle of another
        time.sleep(0.01 * attempt)
        writer.kill()
        writer.wait()
        state = load_checkpoint(path)
        assert state.generation >= 3 + attempt and len(state.population) == 20000
    # and a truncated or edited checkpoint is refused with a clear error
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(RunDirError, match="damaged"):
        load_checkpoint(path)
    path.write_text(text.replace('"generation":', '"generation":1', 1))
    with pytest.raises(RunDirError, match="damaged or was edited"):
        load_checkpoint(path)


def test_checkpoint_round_trip(tmp_path):
    made = Lineage(("A(X)", "C(X)"), "crossover")
    state = SearchState(4, (("A(X)", 0.5),), (3, tuple(range(625)), None), 40, 12.5, 1, ("B(X)",), (("B(X)", made),))
    save_checkpoint(tmp_path / "c.json", state)
    assert load_checkpoint(tmp_path / "c.json") == state
    # a checkpoint written before lineage was recorded loads, with none for its pending children
    document = json.loads((tmp_path / "c.json").read_text())
    del document["state"]["pending_lineage"]
    document["sha256"] = hashlib.sha256(
        json.dumps(document["state"], sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    (tmp_path / "c.json").write_text(json.dumps(document))
    assert load_checkpoint(tmp_path / "c.json") == replace(state, pending_lineage=())


def test_time_budget_is_respected(tmp_path):
    out = tmp_path / "run"
    budget_s = 10
    started = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "gp_automl.cli",
            "fit",
            CANCER,
            *SEARCH,
            "--max-time-mins",
            str(budget_s / 60),
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["stop_reason"] == "max_time_mins"
    # the search stops within the budget plus the poll interval; start-up, refit and export come on top
    assert budget_s <= info["elapsed_seconds"] <= budget_s + 2
    assert wall <= budget_s + 30
