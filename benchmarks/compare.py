"""Run systems side by side on a benchmark suite and append one JSON line per run.

Runs are made one at a time, each in its own process session, with the same wall-clock budget,
seed, train/test split and number of jobs for every system. Each run is killed at a hard limit
(``--kill-after``, default 1.5 x budget + 60 s: peers overrun their budgets), and a failed or
killed run is recorded, never dropped. Peak RSS is that of the run's whole process tree (the
driver, its Dask workers and their evaluation processes), sampled every 0.2 s.

    python benchmarks/compare.py --suite quick --out benchmarks/results/quick.jsonl
    python benchmarks/summarize.py benchmarks/results/quick.jsonl --out benchmarks/results/quick.md
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.suites import DATASETS, SUITES  # noqa: E402
from benchmarks.systems import PACKAGES, SYSTEMS  # noqa: E402

SAMPLE_S = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    suite = SUITES[args.suite]
    systems = args.systems.split(",") if args.systems else list(suite.systems)
    datasets = args.datasets.split(",") if args.datasets else list(suite.datasets)
    budgets = _budgets(args.budgets) if args.budgets else list(suite.budgets)
    count = args.seeds if args.seeds is not None else suite.seeds
    seeds = range(args.first_seed, args.first_seed + count)
    problem = _check(systems, datasets) or _check_numbers(budgets, count, args.first_seed)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="gp-automl-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    cells = [(d, b, s, system) for d in datasets for b in budgets for s in seeds for system in systems]
    for number, (dataset, budget, seed, system) in enumerate(cells, 1):
        kill_after = args.kill_after if args.kill_after is not None else 1.5 * budget + 60
        record = run(system, dataset, seed, budget, args.n_jobs, kill_after, logs)
        record["suite"] = args.suite
        with out.open("a") as stream:  # one whole line per run: an interrupted benchmark keeps what it did
            stream.write(json.dumps(record) + "\n")
        score = "-" if record["test_score"] is None else f"{record['test_score']:.4f}"
        print(
            f"[{number}/{len(cells)}] {dataset} {system} seed={seed} budget={budget:g}s: {record['status']}, "
            f"test {score}, {record['pipelines']} pipelines, {record['wall_seconds']:.1f}s, "
            f"peak {record['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    print(f"results appended to {out}; logs in {logs}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="smoke")
    parser.add_argument("--out", required=True, help="JSON-lines file to append to")
    parser.add_argument("--systems", help=f"comma-separated, from {sorted(SYSTEMS)} (default: the suite's)")
    parser.add_argument("--datasets", help=f"comma-separated, from {sorted(DATASETS)} (default: the suite's)")
    parser.add_argument("--budgets", help="comma-separated seconds (default: the suite's)")
    parser.add_argument("--seeds", type=int, help="how many seeds (default: the suite's)")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds run from this one up (default 0); to add seeds to a measurement without re-running the first ones",
    )
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel jobs (workers) for every system")
    parser.add_argument("--kill-after", type=float, help="hard wall-clock limit per run, seconds")
    parser.add_argument("--logs", help="directory for each run's output (default: a temporary one)")
    return parser


def _budgets(text: str) -> list[float] | None:
    try:
        return [float(b) for b in text.split(",")]
    except ValueError:
        return None


def _check_numbers(budgets: list[float] | None, seeds: int, first_seed: int) -> str | None:
    """A measurement of nothing (no seeds, no time) would report success with no line written."""
    if budgets is None or not all(b > 0 for b in budgets):
        return "--budgets must be seconds above 0, comma-separated"
    if seeds < 1:
        return "--seeds must be 1 or more"
    if first_seed < 0:
        return "--first-seed must be 0 or more"
    return None


def _check(systems: list[str], datasets: list[str]) -> str | None:
    unknown = [s for s in systems if s not in SYSTEMS] + [d for d in datasets if d not in DATASETS]
    if unknown:
        return f"unknown system or dataset {unknown}; systems: {sorted(SYSTEMS)}, datasets: {sorted(DATASETS)}"
    missing = sorted({PACKAGES[s] for s in systems if importlib.util.find_spec(PACKAGES[s]) is None})
    if missing:
        return f"not installed: {', '.join(missing)}; install the peers with: pip install -e '.[bench]'"
    return None


def run(system: str, dataset: str, seed: int, budget: float, n_jobs: int, kill_after: float, logs: Path) -> dict:
    """One run in its own session, killed with its whole process tree at ``kill_after`` seconds."""
    name = f"{dataset}-{system}-{seed}-{budget:g}"
    result_file = logs / f"{name}.json"
    result_file.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "run_one.py"),
        "--system",
        system,
        "--dataset",
        dataset,
        "--seed",
        str(seed),
        "--budget",
        str(budget),
        "--n-jobs",
        str(n_jobs),
        "--result",
        str(result_file),
    ]
    record = {
        "system": system,
        "version": None,
        "dataset": dataset,
        "task": DATASETS[dataset].task,
        "seed": seed,
        "budget_seconds": budget,
        "n_jobs": n_jobs,
        "status": "ok",
        "wall_seconds": None,
        "process_seconds": None,
        "test_score": None,
        "cv_score": None,
        "pipelines": None,
        "stopped_early": None,
        "failures": None,
        "peak_rss_mib": 0.0,
        "error": None,
        "notes": [],
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
    }
    start = time.monotonic()
    with open(logs / f"{name}.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _session_rss(process.pid))
            if time.monotonic() - start > kill_after:
                _kill_session(process.pid)
                process.wait()
                record.update(status="killed", error=f"killed at the hard limit of {kill_after:g}s")
                break
            time.sleep(SAMPLE_S)
        _kill_session(process.pid)  # anything the run left behind (workers, evaluation processes)
    record["process_seconds"] = round(time.monotonic() - start, 2)
    record["peak_rss_mib"] = round(peak / 2**20, 1)
    if record["status"] == "ok":
        if process.returncode == 0 and result_file.exists():
            record.update(json.loads(result_file.read_text()))
            record["wall_seconds"] = record.pop("fit_seconds")
        else:
            tail = (logs / f"{name}.log").read_text(errors="replace").strip().splitlines()[-3:]
            record.update(status="failed", error=f"exit code {process.returncode}: {' | '.join(tail)}")
    if record["wall_seconds"] is None:
        record["wall_seconds"] = record["process_seconds"]
    return record


def _session(session: int) -> list[tuple[int, list[str]]]:
    """(pid, stat fields) of every live process in the session (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry) if entry.name.isdigit() else None
        if fields and int(fields[3]) == session:
            found.append((int(entry.name), fields))
    return found


def _session_rss(session: int) -> int:
    """Bytes resident in every process of the session."""
    return sum(int(fields[21]) * PAGE for _, fields in _session(session))


def _stat(proc: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...)."""
    try:
        text = (proc / "stat").read_text()
    except OSError:  # the process ended meanwhile
        return None
    return text[text.rindex(")") + 2 :].split()


def _kill_session(session: int) -> None:
    for pid, _ in _session(session):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    sys.exit(main())
