"""Multi-fidelity evaluation on and off, on a generated large table, same seed and budget.

Generates 25,000 rows (make_classification, fixed seed: 20 features, 6 informative, 2 classes),
searches on 20,000 of them and scores the winner on the other 5,000. For each setting of
``fidelity`` given, one search in its own process (one at a time), and one JSON line: wall
seconds of ``fit``, full-fidelity pipelines completed (status ok), screened, rejected and failed
pipelines, rows in the screenings table, the winner's CV score and its held-out score.

    python benchmarks/fidelity_before_after.py --budget 60 --workers 2 --fidelity full auto \
        --out benchmarks/results/fidelity_before_after.jsonl
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split


def one_run(fidelity: str, budget_s: float, workers: int, seed: int, rows: int, queue) -> None:
    from gp_automl import GPClassifier

    X, y = make_classification(n_samples=rows + rows // 4, n_features=20, n_informative=6, n_redundant=4,
                               n_classes=2, flip_y=0.03, random_state=0)  # fmt: skip
    X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=rows, stratify=y, random_state=0)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        model = GPClassifier(max_time_mins=budget_s / 60, n_workers=workers, random_state=seed, fidelity=fidelity,
                             checkpoint_dir=str(out), verbosity=0)  # fmt: skip
        started = time.monotonic()
        model.fit(X_train, y_train)
        wall = time.monotonic() - started
        with sqlite3.connect(out / "evaluations.sqlite") as db:
            counts = dict(db.execute("SELECT status, COUNT(*) FROM evaluations GROUP BY status").fetchall())
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            rungs = db.execute("SELECT COUNT(*) FROM screenings").fetchone()[0] if "screenings" in tables else 0
    info = model.run_info_
    queue.put({
        "fidelity": fidelity, "budget_s": budget_s, "workers": workers, "seed": seed, "rows": rows,
        "wall_s": round(wall, 1), "elapsed_s": info["elapsed_seconds"], "refit_s": info["refit_seconds"],
        "refit_reserved_s": info["refit_reserved_seconds"], "completed": counts.get("ok", 0),
        "screened": counts.get("screened", 0), "rejected": counts.get("rejected", 0),
        "failed": sum(n for s, n in counts.items() if s not in ("ok", "screened", "rejected")),
        "low_fidelity_evaluations": rungs, "cv_score": round(model.best_score_, 4),
        "test_score": round(model.score(X_test, y_test), 4), "winner": model.best_tree_.key,
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=20_000, help="rows searched on (a quarter more are held out)")
    parser.add_argument("--fidelity", nargs="+", default=["full", "auto"])
    parser.add_argument("--out", help="append the JSON lines to this file too")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    for fidelity in args.fidelity:
        queue = context.Queue()
        process = context.Process(
            target=one_run, args=(fidelity, args.budget, args.workers, args.seed, args.rows, queue)
        )
        process.start()
        row = queue.get()
        process.join()
        row["date"] = time.strftime("%Y-%m-%d %H:%M")
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as stream:
                stream.write(json.dumps(row) + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()
