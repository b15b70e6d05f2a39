"""Generational vs async on pipelines of uneven cost, and 1 vs 2 workers (issue 4).

Each run evaluates the same number of pipelines (``population_size x (generations + 1)``) from a
catalog whose model burns a chosen amount of CPU (``uneven-classification.toml``), so what differs
is scheduling: a generation waits for its slowest pipeline, the async loop does not. Reports, per
mode and worker count: search wall time (from workers ready to the loop's end: cluster start-up and
refit excluded), worker utilization
(busy worker-seconds / available worker-seconds), and the driver's CPU time per evaluation during
the search (run.json's ``driver_cpu_seconds``; it includes the LocalCluster's scheduler, which runs
in the driver). Also
times the driver's own work per offspring in the async loop (breeding one child and NSGA-II
truncation) on the default catalog, without any evaluation.

    python benchmarks/async_vs_generational.py [--generations 7] [--population-size 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # workers import benchmarks.uneven by name

from sklearn.datasets import make_classification  # noqa: E402

from gp_automl import GPClassifier  # noqa: E402
from gp_automl.gp import Evolution, Scored  # noqa: E402
from gp_automl.space import load_catalog  # noqa: E402


def search(mode: str, workers: int, generations: int, population: int) -> dict:
    X, y = make_classification(n_samples=200, n_features=10, random_state=0)
    est = GPClassifier(
        generations=generations,
        population_size=population,
        cv=2,
        operators=str(HERE / "uneven-classification.toml"),
        allow_modules=["benchmarks"],  # BusyClassifier lives in benchmarks.uneven
        n_workers=workers,
        mode=mode,
        random_state=0,
        verbosity=0,
    )
    est.fit(X, y)
    info = est.run_info_
    return {
        "mode": mode,
        "workers": workers,
        "evaluations": info["evaluations"],
        "search_seconds": info["evaluating_seconds"],
        "utilization": info["worker_utilization"],
        "driver_cpu_ms_per_evaluation": round(1000 * info["driver_cpu_seconds"] / info["evaluations"], 2),
    }


def summarize(runs: list[dict]) -> dict:
    """Ratios between the runs. The async runs evaluate different pipelines (completion order decides
    what is bred), so their total work differs: compare work done per second (busy worker-seconds
    per wall second) as well as wall time."""
    for run in runs:
        run["busy_worker_seconds"] = round(run["utilization"] * run["workers"] * run["search_seconds"], 1)
        run["work_per_second"] = round(run["busy_worker_seconds"] / run["search_seconds"], 3)
        run["driver_cpu_share"] = round(
            run["driver_cpu_ms_per_evaluation"] * run["evaluations"] / 1000 / run["search_seconds"], 3
        )
    by = {(r["mode"], r["workers"]): r for r in runs}
    return {
        "runs": runs,
        "generational_over_async_wall_time_2_workers": round(
            by["generational", 2]["search_seconds"] / by["async", 2]["search_seconds"], 3
        ),
        "async_over_generational_work_per_second_2_workers": round(
            by["async", 2]["work_per_second"] / by["generational", 2]["work_per_second"], 3
        ),
        "speedup_1_to_2_workers_in_work_per_second": {
            mode: round(by[mode, 2]["work_per_second"] / by[mode, 1]["work_per_second"], 3)
            for mode in ("generational", "async")
        },
    }


def breeding_cost(repeats: int = 300) -> dict:
    """Driver milliseconds per async offspring: breed one child from 50 parents, then truncate 51 to 50."""
    catalog = load_catalog("default", "classification")
    evolution = Evolution(catalog, rng=random.Random(0))
    seen: set[str] = set()
    population = [Scored(tree, random.Random(i).random()) for i, tree in enumerate(evolution.random_trees(50, seen))]
    started = time.perf_counter()
    for _ in range(repeats):
        evolution.offspring(population, 1, seen)
    breed = (time.perf_counter() - started) / repeats
    extra = population + [Scored(evolution.random_tree(), 0.5)]
    started = time.perf_counter()
    for _ in range(repeats):
        evolution.survivors(extra, 50)
    truncate = (time.perf_counter() - started) / repeats
    return {"breed_one_child_ms": round(1000 * breed, 2), "nsga2_truncation_ms": round(1000 * truncate, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=7)
    parser.add_argument("--population-size", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="write the numbers as JSON here")
    args = parser.parse_args()

    runs = [
        search(mode, workers, args.generations, args.population_size)
        for workers in (2, 1)
        for mode in ("generational", "async")
    ]
    report = {**summarize(runs), "driver_per_offspring": breeding_cost()}
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
