"""Would a winner chosen on a second cross-validation split do better on held-out data? (issue 8)

With hundreds of pipelines scored on the same folds, the highest CV score is partly the luck of
those folds. This runs gp_automl as ``compare.py`` does (same split, budget, seed, 2 workers),
then scores the top ``--top`` pipelines by CV score again on a second, differently shuffled split
of the training data and on the test split. For each run it prints the test score of the pipeline
each rule picks: the search's own (highest CV score) and the highest mean over both splits among
the top 3, 5 and all; the rules' wins, ties and losses against the search's own choice come last.
It also scores on the test split ensembles that vote (averaged class probabilities; mean prediction
for regression): of the top 3 and top 5 by CV score, and of the best pipeline of each of the 3 best
model families (the root operator), since the top few are often variants of one model.

    python benchmarks/final_choice.py --datasets digits,messy --seeds 3 --budget 60 --out choice.jsonl
    python benchmarks/final_choice.py --summarize choice.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.suites import QUICK_DATASETS, score, split  # noqa: E402
from benchmarks.summarize import TIE  # noqa: E402
from benchmarks.systems import CLASSIFICATION  # noqa: E402

SECOND_SPLIT_OFFSET = 1000  # the second split's shuffle seed is the run's seed plus this
RULES = {"highest CV (the search's choice)": 1, "best mean of both splits, top 3": 3,
         "best mean of both splits, top 5": 5, "best mean of both splits, all": None}  # fmt: skip
ENSEMBLES = ("vote of top 3", "vote of top 5", "vote of 3 families")


def run(dataset: str, seed: int, budget_s: float, top: int) -> dict:
    from sklearn.model_selection import cross_val_score
    from threadpoolctl import threadpool_limits

    from gp_automl import GPClassifier, GPRegressor
    from gp_automl.build import instantiate
    from gp_automl.cv import make_splitter
    from gp_automl.tree import parse

    data = split(dataset)
    task = data.dataset.task
    estimator = GPClassifier if task == CLASSIFICATION else GPRegressor
    model = estimator(max_time_mins=budget_s / 60, n_workers=2, random_state=seed, verbosity=0)
    started = time.monotonic()
    model.fit(data.X_train, data.y_train)
    wall = time.monotonic() - started
    table = model.evaluations_
    ranked = table[table.status == "ok"].sort_values(["score", "complexity"], ascending=[False, True])
    families = ranked.assign(family=ranked.key.str.split("(").str[0]).drop_duplicates("family").head(3)
    settings = model.run_info_["settings"]
    second = make_splitter(task, settings["cv"], seed + SECOND_SPLIT_OFFSET)
    candidates, outputs = [], {}
    for row in ranked.head(top).itertuples():
        plan = model.pipeline_context_.plan(parse(row.key))
        with threadpool_limits(1):
            started = time.monotonic()
            again = cross_val_score(instantiate(plan), data.X_train, data.y_train, cv=second,
                                    scoring=settings["scoring"], n_jobs=2)  # fmt: skip
            seconds = time.monotonic() - started
            outputs[row.key] = outputs_on_test(instantiate(plan).fit(data.X_train, data.y_train), data.X_test, task)
        candidates.append({"key": row.key, "complexity": int(row.complexity), "cv": row.score,
                           "second_cv": float(again.mean()), "second_seconds": round(seconds, 2),
                           "test": score(task, data.y_test, outputs[row.key][0])})  # fmt: skip
    members = {"vote of top 3": list(ranked.key[:3]), "vote of top 5": list(ranked.key[:5]),
               "vote of 3 families": list(families.key)}  # fmt: skip
    for key in {key for keys in members.values() for key in keys} - outputs.keys():
        with threadpool_limits(1):
            fitted = instantiate(model.pipeline_context_.plan(parse(key))).fit(data.X_train, data.y_train)
            outputs[key] = outputs_on_test(fitted, data.X_test, task)
    ensembles = {name: score(task, data.y_test, vote([outputs[key] for key in keys], task))
                 for name, keys in members.items()}  # fmt: skip
    return {"dataset": dataset, "seed": seed, "budget": budget_s, "wall": round(wall, 1),
            "evaluations": len(table), "candidates": candidates, "ensembles": ensembles,
            "families": list(families.key)}  # fmt: skip


def outputs_on_test(fitted, X_test, task: str) -> tuple:
    """(predictions, class probabilities or None, classes) of a fitted pipeline on the test split."""
    probabilities = None
    if task == CLASSIFICATION and hasattr(fitted, "predict_proba"):
        probabilities = fitted.predict_proba(X_test)
    return fitted.predict(X_test), probabilities, getattr(fitted, "classes_", None)


def vote(outputs: list[tuple], task: str):
    """The members' averaged class probabilities (a member without them counts its prediction as
    certain), or their mean prediction for regression."""
    if task != CLASSIFICATION:
        return np.mean([predictions for predictions, _, _ in outputs], axis=0)
    classes = outputs[0][2]
    total = np.zeros((len(outputs[0][0]), len(classes)))
    for predictions, probabilities, _ in outputs:
        total += probabilities if probabilities is not None else predictions[:, None] == classes[None, :]
    return classes[total.argmax(axis=1)]


def pick(candidates: list[dict], among: int | None) -> dict:
    """The candidate with the best mean over both splits among the first ``among`` (the search's order)."""
    pool = candidates[:among] if among else candidates
    if among == 1:
        return pool[0]
    return max(pool, key=lambda c: (c["cv"] + c["second_cv"]) / 2)


def summarize(records: list[dict]) -> str:
    """One row per run: the test score of each rule's pick (and of each ensemble, in files that have
    them), then each rule's wins, ties and losses against the search's own choice."""
    ensembles = [name for name in ENSEMBLES if all(name in r.get("ensembles", {}) for r in records)]
    columns = [*RULES, *ensembles]
    lines = ["| dataset | budget | seed | " + " | ".join(columns) + " | best of all | second split, top 5 (s) |",
             "|---" * (len(columns) + 5) + "|"]  # fmt: skip
    differences = {column: [] for column in columns}
    for record in records:
        candidates = record["candidates"]
        picked = {rule: pick(candidates, among)["test"] for rule, among in RULES.items()}
        picked.update({name: record["ensembles"][name] for name in ensembles})
        own = picked[next(iter(RULES))]
        for column, test in picked.items():
            differences[column].append(test - own)
        cost = sum(c["second_seconds"] for c in candidates[:5])
        cells = " | ".join(f"{picked[column]:.4f}" for column in columns)
        best_of_all = max(c["test"] for c in candidates)
        where = f"{record['dataset']} | {record['budget']:g} s | {record['seed']}"
        lines.append(f"| {where} | {cells} | {best_of_all:.4f} | {cost:.1f} |")
    lines.append("")
    for column, diffs in differences.items():
        wins, losses = sum(d > TIE for d in diffs), sum(d < -TIE for d in diffs)
        ties = len(diffs) - wins - losses
        lines.append(f"- {column}: {wins}/{ties}/{losses} (win/tie/loss, tie = within {TIE}), "
                     f"mean difference {statistics.fmean(diffs):+.4f}")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(QUICK_DATASETS))
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. N-1, as compare.py")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per search")
    parser.add_argument("--top", type=int, default=8, help="pipelines scored again")
    parser.add_argument("--out", type=Path, help="append one JSON line per run here")
    parser.add_argument("--summarize", type=Path, help="only print the table of a file written by --out")
    args = parser.parse_args()
    if args.summarize:
        print(summarize([json.loads(line) for line in args.summarize.read_text().splitlines() if line.strip()]))
        return 0
    records = []
    for seed in range(args.seeds):
        for dataset in args.datasets.split(","):
            records.append(run(dataset, seed, args.budget, args.top))
            if args.out:
                with args.out.open("a") as stream:
                    stream.write(json.dumps(records[-1]) + "\n")
    print(summarize(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
