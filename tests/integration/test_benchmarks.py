"""The benchmark harness as a user runs it (the smoke suite), so it never rots: real subprocess
runs, the hard kill, and the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import REPO

COMPARE = REPO / "benchmarks" / "compare.py"
SUMMARIZE = REPO / "benchmarks" / "summarize.py"
DRIVER_MEMORY = REPO / "benchmarks" / "driver_memory.py"
FINAL_CHOICE = REPO / "benchmarks" / "final_choice.py"


def bench(script: Path, *args, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        env=None if env is None else {**os.environ, **env},
        timeout=timeout,
    )


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (inherited by every descendant)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "smoke.jsonl"
    run = bench(COMPARE, "--suite", "smoke", "--first-seed", "3", "--out", out)  # seed 3: the suite's one seed, moved
    assert run.returncode == 0, run.stderr
    return out


def test_smoke_suite_records_one_scored_line_per_system(smoke):
    lines = records(smoke)
    assert [r["system"] for r in lines] == ["gp_automl", "random"]
    for r in lines:
        assert r["status"] == "ok", r["error"]
        assert r["dataset"] == "breast_cancer" and r["seed"] == 3 and r["budget_seconds"] == 10
        assert r["test_score"] > 0.85  # balanced accuracy on the held-out quarter
        assert r["pipelines"] >= 1 and r["failures"] >= 0
        assert r["budget_seconds"] < r["wall_seconds"] < r["process_seconds"] < 90
        assert r["peak_rss_mib"] > 50  # the driver and its two Dask workers, sampled while running
        assert r["version"]


def test_summary_table_and_plot(smoke, tmp_path):
    table, figure = tmp_path / "smoke.md", tmp_path / "smoke.png"
    run = bench(SUMMARIZE, smoke, "--out", table, "--plot", figure)
    assert run.returncode == 0, run.stderr
    text = table.read_text()
    assert "| dataset (metric) | gp_automl | random |" in text
    assert "| breast_cancer (balanced acc.) |" in text
    assert "- vs random: datasets " in text
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_over_the_hard_limit_is_killed_and_recorded(tmp_path):
    out, marker = tmp_path / "killed.jsonl", f"GP_AUTOML_TEST_MARK={uuid.uuid4().hex}"
    run = bench(
        COMPARE,
        "--suite",
        "smoke",
        "--systems",
        "gp_automl",
        "--budgets",
        "120",
        "--kill-after",
        "4",
        "--out",
        out,
        env=dict([marker.split("=")]),
    )
    assert run.returncode == 0, run.stderr
    [record] = records(out)
    assert record["status"] == "killed" and record["test_score"] is None
    assert 4 <= record["process_seconds"] < 30
    assert processes_with(marker) == [], "a process of the killed run (driver, worker, evaluation) is alive"
    summary = bench(SUMMARIZE, out)
    assert "failed †1" in summary.stdout


def test_unknown_dataset_is_one_clear_error(tmp_path):
    run = bench(COMPARE, "--datasets", "iris_from_the_internet", "--out", tmp_path / "x.jsonl")
    assert run.returncode == 2
    assert "unknown system or dataset ['iris_from_the_internet']" in run.stderr
    assert not (tmp_path / "x.jsonl").exists()
    for option, value, message in [
        ("--first-seed", "-1", "--first-seed must be 0 or more"),
        ("--seeds", "0", "--seeds must be 1 or more"),
        ("--budgets", "60,soon", "--budgets must be seconds above 0"),
        ("--budgets", "0", "--budgets must be seconds above 0"),
    ]:
        run = bench(COMPARE, option, value, "--out", tmp_path / "x.jsonl")
        assert run.returncode == 2 and message in run.stderr, (option, value, run.stderr)
        assert not (tmp_path / "x.jsonl").exists()


def test_final_choice_scores_the_top_pipelines_again_and_compares_the_rules(tmp_path):
    out = tmp_path / "choice.jsonl"
    run = bench(FINAL_CHOICE, "--datasets", "breast_cancer", "--seeds", "1", "--budget", "8", "--top", "2",
                "--out", out)  # fmt: skip
    assert run.returncode == 0, run.stderr
    [record] = records(out)
    assert [c["cv"] for c in record["candidates"]] == sorted((c["cv"] for c in record["candidates"]), reverse=True)
    for candidate in record["candidates"]:
        assert 0.5 < candidate["second_cv"] <= 1 and 0.5 < candidate["test"] <= 1
    assert "| breast_cancer | 8 s | 0 |" in run.stdout
    assert "- highest CV (the search's choice): 0/1/0 (win/tie/loss" in run.stdout
    assert set(record["ensembles"]) == {"vote of top 3", "vote of top 5", "vote of 3 families"}
    assert all(0.5 < test <= 1 for test in record["ensembles"].values())
    assert "- vote of 3 families: " in run.stdout


def test_driver_memory_breakdown_tells_memory_in_use_from_memory_kept_free(tmp_path):
    out = tmp_path / "memory.json"
    run = bench(DRIVER_MEMORY, "--generations", "3", "--population-size", "8", "--breakdown", "--out", out)
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    assert report["evaluations"] >= 8
    assert "10%" in report["breakdown"]
    for mark in report["peak_rss"].values():
        assert 50 < mark["settled_rss_mib"] <= mark["peak_rss_mib"]
    for kind in report["breakdown"].values():
        assert kind["allocated_blocks"] > 10_000
        assert kind["RssAnon_mib"] > 0 and kind["RssFile_mib"] > 0 and kind["threads"] > 1
        assert kind["malloc_in_use_mib"] > 1 and kind["malloc_free_kept_mib"] >= 0
        assert kind["pymalloc_arenas"] >= 1 and kind["pymalloc_in_use_mib"] > 1 and kind["pymalloc_free_kept_mib"] >= 0


def test_synthetic_big_test_trains_on_as_many_rows_as_synthetic_and_stays_out_of_the_suites():
    from benchmarks.suites import SUITES, split

    small, big = split("synthetic"), split("synthetic_big_test")
    assert len(big.X_train) == len(small.X_train) == 750 and len(big.X_test) == 19_250
    assert list(big.X_train.columns) == list(small.X_train.columns)
    assert sorted(big.y_test.unique()) == [0, 1, 2]
    assert all("synthetic_big_test" not in suite.datasets for suite in SUITES.values())


def test_summary_gives_paired_evidence_against_each_peer():
    from benchmarks.summarize import summarize

    def run(system, seed, score):
        return {
            "system": system,
            "dataset": "d",
            "task": "classification",
            "seed": seed,
            "budget_seconds": 60,
            "status": "ok",
            "test_score": score,
            "pipelines": 10,
            "wall_seconds": 61,
            "version": "1",
        }

    ours = [0.80, 0.81, 0.82, 0.83, 0.84, 0.85]
    lines = [run("gp_automl", s, x) for s, x in enumerate(ours)] + [
        run("random", s, x - 0.01 * (s + 1)) for s, x in enumerate(ours)
    ]
    text = summarize(lines)
    # differences 0.01 to 0.06, all beyond the tie margin: six wins; sign test p = 2 / 2**6
    assert "runs (dataset x seed) 6/0/0 (mean difference +0.0350, SE 0.0076, sign test p=0.03)" in text
    # a failed run counts as a loss in the sign test but has no score to enter the mean
    lines.append({**run("gp_automl", 6, 0.9), "status": "failed", "test_score": None})
    lines.append(run("random", 6, 0.5))
    assert "runs (dataset x seed) 6/0/1 (mean difference +0.0350, SE 0.0076, sign test p=0.12)" in summarize(lines)
