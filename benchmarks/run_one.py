"""One benchmark run in its own process: fit one system on one dataset's training split, score it
on the test split, write the result as JSON. ``compare.py`` starts these and kills them at a hard
limit; run it by hand to debug one cell of the table:

    python benchmarks/run_one.py --system gp_automl --dataset breast_cancer --seed 0 --budget 60 --result r.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.suites import score, split
    from benchmarks.systems import SYSTEMS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", required=True, choices=sorted(SYSTEMS))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--budget", type=float, required=True, help="seconds")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--result", required=True, help="JSON file to write")
    args = parser.parse_args(argv)

    data = split(args.dataset)
    fitted = SYSTEMS[args.system](data, args.budget, args.seed, args.n_jobs)
    result = {
        "version": fitted.version,
        "fit_seconds": round(fitted.fit_seconds, 2),
        "test_score": score(data.dataset.task, data.y_test, fitted.predictions),
        "cv_score": fitted.cv_score,
        "pipelines": fitted.pipelines,
        "failures": fitted.failures,
        "notes": fitted.notes,
        "stopped_early": fitted.stopped_early,
    }
    path = Path(args.result)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(result))
    os.replace(partial, path)


if __name__ == "__main__":
    main()
