"""Does the driver's memory stay flat over a long search? (issue 3)

Runs a search of a few thousand evaluations with the light catalog on a small dataset and samples
the driver process's resident memory (RSS) twice a second. Reports the peak RSS reached by 10%,
50% and 100% of the evaluations, and the growth per 1,000 evaluations between 10% and 100%.
The run directory's on-disk log is the only thing that should grow with the number of evaluations.

    python benchmarks/driver_memory.py [--generations 60] [--population-size 50] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import psutil
from sklearn.datasets import load_breast_cancer

from gp_automl import GPClassifier


def logged(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "evaluations.sqlite") as db:
            return db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.Error:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=60)
    parser.add_argument("--population-size", type=int, default=50)
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None, help="'in-process' to leave Dask out of the measurement")
    parser.add_argument("--out", type=Path, default=None, help="write the numbers as JSON here")
    parser.add_argument("--curve", type=Path, default=None,
                        help="append every (evaluations, RSS) sample to this CSV as it is taken")
    args = parser.parse_args()

    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:300], y[:300]
    target = args.population_size * (args.generations + 1)
    run_dir = Path(tempfile.mkdtemp()) / "run"
    me = psutil.Process()
    marks = {0.1: None, 0.5: None, 1.0: None}
    samples: list[tuple[int, int]] = []
    done = threading.Event()

    def searching() -> bool:
        """Until run.json leaves ``running``: the refit and the result tables after it are not the search."""
        try:
            return json.loads((run_dir / "run.json").read_text())["status"] == "running"
        except (OSError, ValueError, KeyError):
            return True  # not written yet, or being replaced

    def sample() -> None:
        peak = 0
        while not done.is_set() and searching():
            count, rss = logged(run_dir), me.memory_info().rss
            peak = max(peak, rss)
            samples.append((count, rss))
            if curve is not None:
                curve.write(f"{count},{rss / 2**20:.1f}\n")
                curve.flush()
            for fraction in marks:
                if marks[fraction] is None and count >= fraction * target:
                    marks[fraction] = (count, peak)
            time.sleep(0.5)

    curve = None
    if args.curve:
        curve = args.curve.open("w")
        curve.write("evaluations,rss_mib\n")
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    est = GPClassifier(
        generations=args.generations,
        population_size=args.population_size,
        cv=3,
        operators="light",
        n_workers=args.n_workers,
        scheduler=args.scheduler,
        checkpoint_dir=run_dir,
        random_state=0,
        verbosity=0,
    )
    est.fit(X, y)
    wall = time.monotonic() - started
    time.sleep(1.0)
    done.set()
    sampler.join()
    evaluations = len(est.evaluations_)
    marks[1.0] = marks[1.0] or (evaluations, max(r for _, r in samples))
    mib = {f"{int(f * 100)}%": {"evaluations": c, "peak_rss_mib": round(r / 2**20, 1)} for f, (c, r) in marks.items()}
    low, middle, high = marks[0.1], marks[0.5], marks[1.0]

    def growth(a: tuple[int, int], b: tuple[int, int]) -> float:
        return round((b[1] - a[1]) / 2**20 / max(1, b[0] - a[0]) * 1000, 2)

    report = {
        "evaluations": evaluations,
        "wall_seconds": round(wall, 1),
        "evaluations_per_minute": round(evaluations / wall * 60, 1),
        "peak_rss": mib,
        "growth_mib_per_1000_evaluations": growth(low, high),
        "growth_in_second_half_mib_per_1000": growth(middle, high),
        "log_size_mib": round((run_dir / "evaluations.sqlite").stat().st_size / 2**20, 2),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    if curve is not None:
        curve.close()


if __name__ == "__main__":
    main()
