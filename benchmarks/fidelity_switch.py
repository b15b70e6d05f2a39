"""Where does full cross-validation stop being cheap? The switch point of multi-fidelity evaluation.

Times gp_automl's own evaluation (``evaluate.evaluate``: the preprocessing front, the pipeline, 5-fold
CV, one thread, as a worker runs it) of a few typical pipelines of the default catalog on generated
classification tables of growing size, and prints one JSON line per (rows, pipeline). A pipeline
that took more than ``--cap`` seconds is not timed again at larger sizes (its cost only grows).

    python benchmarks/fidelity_switch.py --rows 2000 5000 10000 20000 --out benchmarks/results/fidelity_switch.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sklearn.datasets import make_classification

from gp_automl.cv import make_folds
from gp_automl.data import prepare
from gp_automl.evaluate import EvalContext, evaluate
from gp_automl.space import load_catalog
from gp_automl.tree import parse

PIPELINES = {
    "HistGradientBoosting": "HistGradientBoostingClassifier(X, l2_regularization=0.0001, learning_rate=0.1, "
    "max_features=1.0, max_iter=100, max_leaf_nodes=31, min_samples_leaf=20)",
    "RandomForest": "RandomForestClassifier(X, bootstrap=True, class_weight='balanced', criterion='gini', "
    "max_features=0.2, min_samples_leaf=1, min_samples_split=2, n_estimators=100)",
    "LogisticRegression": "LogisticRegression(StandardScaler(X), C=1.0, class_weight='balanced')",
    "SVC": "SVC(StandardScaler(X), C=1.0, class_weight='balanced', coef0=0.0, degree=3, gamma=0.05, kernel='rbf')",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 5000, 10000, 20000])
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--cap", type=float, default=120.0, help="seconds past which a pipeline is not timed larger")
    parser.add_argument("--out", help="append the JSON lines to this file too")
    args = parser.parse_args()
    catalog = load_catalog("default", "classification")
    too_slow: set[str] = set()
    rows_out = []
    for n_rows in args.rows:
        X, y = make_classification(
            n_samples=n_rows, n_features=args.features, n_informative=6, n_classes=2, random_state=0
        )
        dataset = prepare(X, y, "classification", args.cv)
        folds = make_folds("classification", args.cv, 0, dataset.X, dataset.y)
        context = EvalContext(dataset.X, dataset.y, folds, "balanced_accuracy", catalog, 0, dataset.front)
        for name, key in PIPELINES.items():
            if name in too_slow:
                continue
            started = time.perf_counter()
            result = evaluate(parse(key), context)
            seconds = time.perf_counter() - started
            row = {"rows": n_rows, "pipeline": name, "status": result.status, "cv_seconds": round(seconds, 2),
                   "score": round(result.score, 4), "error": result.error[:200]}  # fmt: skip
            print(json.dumps(row), flush=True)
            rows_out.append(row)
            if seconds > args.cap:
                too_slow.add(name)
        times = [r["cv_seconds"] for r in rows_out if r["rows"] == n_rows]
        print(json.dumps({"rows": n_rows, "median_cv_seconds": round(statistics.median(times), 2)}), flush=True)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as stream:
            stream.writelines(json.dumps(row) + "\n" for row in rows_out)


if __name__ == "__main__":
    main()
