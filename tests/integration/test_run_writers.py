"""Whoever writes a run directory, with real processes (issue 24): one writer at a time (the run
lock, also after kill -9), a write that fails (a real file-size limit) and resuming a finished run."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest

from gp_automl.checkpoint import load_checkpoint
from tests.integration.test_cli import assert_one_clear_error, cli
from tests.integration.test_overnight import CANCER, logged_rows, start_cli, wait_for

pytestmark = pytest.mark.slow  # real searches
TINY = ["--target", "target", "--operators", "light", "--population-size", "4", "--n-workers", "1", "--seed", "1"]


def test_a_second_writer_is_refused_and_a_killed_holder_does_not_block(tmp_path):
    out = tmp_path / "run"
    first = start_cli("fit", CANCER, *TINY, "--generations", "50", "--out", out)
    try:
        wait_for(lambda: (out / "run.json").exists() and logged_rows(out) >= 1)
        before = (out / "run.json").read_bytes()
        second = cli("resume", out)
        assert_one_clear_error(second, f"is in use by process {first.pid} on host", 6)
        assert (out / "run.json").read_bytes() == before
        assert first.poll() is None, "the running search goes on"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    resumed = cli("resume", out, "--generations", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "run.json").read_text())["status"] == "finished"
    assert (out / "run.lock").read_text().split()[0] != str(first.pid)


def test_a_failed_write_is_one_line_exit_6_and_resume_finishes(tmp_path):
    """Under a 70 kB file-size limit the evaluation log's WAL (two 4 kB pages per row) overflows
    in generation 1, after the first checkpoint; run.json and the checkpoint stay far below it.
    The Dask worker inherits the limit too and lives: it writes no file that large."""
    out = tmp_path / "run"

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (70_000, 70_000))

    failed = subprocess.run(
        [sys.executable, "-m", "gp_automl.cli", "fit", CANCER, *TINY, "--generations", "2", "--out", out],
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=limit_file_size,
    )
    assert_one_clear_error(failed, f"cannot write {out / 'evaluations.sqlite'}: ", 6)
    assert "gp-automl resume" in failed.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "failed" and "evaluations.sqlite" in info["stop_reason"]
    with sqlite3.connect(out / "evaluations.sqlite") as db:
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    assert 4 <= rows < 12, rows  # generation 0 done, the run not
    assert load_checkpoint(out / "checkpoint.json").generation >= 0
    assert not list(out.glob(".*.tmp"))

    resumed = cli("resume", out)
    assert resumed.returncode == 0, resumed.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["stop_reason"] == "generations"
    assert info["evaluations"] > rows


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished") / "run"
    run = cli("fit", CANCER, *TINY, "--generations", "1", "--out", out)
    assert run.returncode == 0, run.stderr
    return out


def test_resuming_a_finished_run_without_a_larger_total_changes_nothing(finished):
    files = {path.name: path.read_bytes() for path in finished.iterdir() if path.name != "run.lock"}
    for extra in ([], ["--generations", "1"], ["--max-time-mins", "0.001"]):
        run = cli("resume", finished, *extra)
        assert_one_clear_error(run, "is finished (stopped by generations after generation 1", 4)
        assert "--generations above 1" in run.stderr
    assert {path.name: path.read_bytes() for path in finished.iterdir() if path.name != "run.lock"} == files


def test_a_finished_run_continues_to_a_new_total_and_its_statistics_add_up(finished, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    first = json.loads((out / "run.json").read_text())
    run = cli("resume", out, "--generations", "2")
    assert run.returncode == 0, run.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["stop_reason"] == "generations"
    assert info["evaluations"] == first["evaluations"] + info["evaluated_this_session"] > first["evaluations"]
    for total in ("elapsed_seconds", "evaluating_seconds", "driver_cpu_seconds", "busy_worker_seconds"):
        assert info[total] > first[total], total
    assert load_checkpoint(out / "checkpoint.json").generation == 2
