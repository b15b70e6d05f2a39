"""Summarize benchmark JSON lines: a markdown table, wins/ties/losses, a plot of score against budget.

    python benchmarks/summarize.py benchmarks/results/quick.jsonl --out benchmarks/results/quick.md \
        --plot benchmarks/results/quick.png

Table cells are the median test score over seeds (balanced accuracy, or R2 for regression) and the
median pipelines evaluated per minute of wall time. A failed or killed run counts as a loss in the
comparisons and is flagged in the table, never dropped.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from scipy.stats import binomtest

TIE = 0.005  # test scores closer than this are a tie
REFERENCE = "gp_automl"


def load(paths: list[Path]) -> list[dict]:
    records = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise SystemExit(f"error: {path}:{number} is not a JSON line ({error})") from None
    if not records:
        raise SystemExit("error: no benchmark records in " + ", ".join(map(str, paths)))
    return records


def summarize(records: list[dict]) -> str:
    """The markdown report: one table per budget, then the comparisons against the reference."""
    systems = _ordered({r["system"] for r in records})
    lines = []
    for budget in sorted({r["budget_seconds"] for r in records}):
        runs = [r for r in records if r["budget_seconds"] == budget]
        lines += [f"### Budget {budget:g} s", "", _table(runs, systems), ""]
        lines += _comparisons(runs, systems) + [""]
    versions = sorted({f"{r['system']} {r['version']}" for r in records if r.get("version")})
    lines.append("Versions: " + ", ".join(versions) + ".")
    notes = sorted({f"{r['system']} on {r['dataset']}: {n}" for r in records for n in r.get("notes", [])})
    lines += [f"Note: {n}." for n in notes]
    return "\n".join(lines) + "\n"


def _ordered(systems: set[str]) -> list[str]:
    return sorted(systems, key=lambda s: (s != REFERENCE, s))


def _cells(runs: list[dict]) -> dict[tuple[str, str], list[dict]]:
    cells = defaultdict(list)
    for r in runs:
        cells[(r["dataset"], r["system"])].append(r)
    return cells


def _table(runs: list[dict], systems: list[str]) -> str:
    cells = _cells(runs)
    header = "| dataset (metric) | " + " | ".join(systems) + " |"
    rows = [header, "|---" * (len(systems) + 1) + "|"]
    for dataset in sorted({r["dataset"] for r in runs}):
        task = next(r["task"] for r in runs if r["dataset"] == dataset)
        metric = "balanced acc." if task == "classification" else "R2"
        row = [f"{dataset} ({metric})"]
        for system in systems:
            row.append(_cell(cells.get((dataset, system), [])))
        rows.append("| " + " | ".join(row) + " |")
    rows.append("")
    rows.append(
        "Each cell, over the seeds whose run finished: median test score; median pipelines evaluated per "
        "minute; median wall seconds of fit (overrun of the budget). †n: n runs failed or were killed "
        "(they count as losses below)."
    )
    return "\n".join(rows)


def _cell(runs: list[dict]) -> str:
    if not runs:
        return "–"
    ok = [r for r in runs if r["status"] == "ok"]
    bad = len(runs) - len(ok)
    mark = f" †{bad}" if bad else ""
    if not ok:
        return "failed" + mark
    score = statistics.median(r["test_score"] for r in ok)
    rates = [r["pipelines"] / r["wall_seconds"] * 60 for r in ok if r["pipelines"] is not None]
    rate = f"{statistics.median(rates):.0f}/min" if rates else "?/min"
    wall = statistics.median(r["wall_seconds"] for r in ok)
    over = statistics.median(r["wall_seconds"] - r["budget_seconds"] for r in ok)
    return f"**{score:.4f}**; {rate}; {wall:.0f} s ({over:+.0f}){mark}"


def _comparisons(runs: list[dict], systems: list[str]) -> list[str]:
    """Wins/ties/losses of the reference against each peer, by dataset median and by (dataset, seed)."""
    if REFERENCE not in systems:
        return []
    cells = _cells(runs)
    datasets = sorted({r["dataset"] for r in runs})
    lines = [f"{REFERENCE} against each peer (win/tie/loss, tie = within {TIE} test score):", ""]
    for peer in systems:
        if peer == REFERENCE:
            continue
        by_dataset = [
            _verdict(_median(cells.get((d, REFERENCE), [])), _median(cells.get((d, peer), []))) for d in datasets
        ]
        pairs, differences = [], []
        for d in datasets:
            ours = {r["seed"]: _score(r) for r in cells.get((d, REFERENCE), [])}
            theirs = {r["seed"]: _score(r) for r in cells.get((d, peer), [])}
            common = sorted(ours.keys() & theirs.keys())
            pairs += [_verdict(ours[s], theirs[s]) for s in common]
            differences += [ours[s] - theirs[s] for s in common if math.isfinite(ours[s] - theirs[s])]
        rate = _rate_ratio(cells, datasets, peer)
        lines.append(
            f"- vs {peer}: datasets {_count(by_dataset)}; runs (dataset x seed) {_count(pairs)}"
            + _paired(pairs, differences)
            + ("" if rate is None else f"; pipelines per minute x{rate:.1f} (median over datasets)")
        )
    return lines


def _paired(verdicts: list[str | None], differences: list[float]) -> str:
    """The paired runs' evidence, so a difference is judged against the seeds' own spread: the mean
    test-score difference with its standard error, and a two-sided sign test on wins against losses."""
    if len(differences) < 2:
        return ""
    mean = statistics.fmean(differences)
    error = statistics.stdev(differences) / math.sqrt(len(differences))
    wins, losses = verdicts.count("win"), verdicts.count("loss")
    sign = f", sign test p={binomtest(wins, wins + losses).pvalue:.2f}" if wins + losses else ""
    return f" (mean difference {mean:+.4f}, SE {error:.4f}{sign})"


def _ok(run: dict) -> bool:
    return run["status"] == "ok"


def _score(run: dict) -> float:
    return run["test_score"] if run["status"] == "ok" else float("-inf")


def _median(runs: list[dict]) -> float | None:
    return statistics.median(_score(r) for r in runs) if runs else None


def _verdict(ours: float | None, theirs: float | None) -> str | None:
    if ours is None or theirs is None:
        return None
    if abs(ours - theirs) <= TIE or ours == theirs:
        return "tie"
    return "win" if ours > theirs else "loss"


def _count(verdicts: list[str | None]) -> str:
    known = [v for v in verdicts if v]
    return "/".join(str(known.count(v)) for v in ("win", "tie", "loss"))


def _rate_ratio(cells, datasets: list[str], peer: str) -> float | None:
    ratios = []
    for d in datasets:
        ours, theirs = (
            [r["pipelines"] / r["wall_seconds"] for r in cells.get((d, s), []) if _ok(r) and r["pipelines"]]
            for s in (REFERENCE, peer)
        )
        if ours and theirs:
            ratios.append(statistics.median(ours) / statistics.median(theirs))
    return statistics.median(ratios) if ratios else None


def plot(records: list[dict], path: Path) -> None:
    """Median test score against budget, one panel per dataset, one line per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({r["dataset"] for r in records})
    systems = _ordered({r["system"] for r in records})
    figure, axes = plt.subplots(1, len(datasets), figsize=(3.2 * len(datasets), 3), squeeze=False)
    cells = defaultdict(list)
    for r in records:
        if r["status"] == "ok":
            cells[(r["dataset"], r["system"], r["budget_seconds"])].append(r["test_score"])
    for ax, dataset in zip(axes[0], datasets, strict=True):
        for system in systems:
            points = sorted(
                (b, statistics.median(scores)) for (d, sy, b), scores in cells.items() if (d, sy) == (dataset, system)
            )
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", label=system)
        ax.set_title(dataset)
        ax.set_xscale("log")
        ax.set_xlabel("budget (s)")
    axes[0][0].set_ylabel("median test score")
    axes[0][-1].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="JSON-lines files from compare.py")
    parser.add_argument("--out", type=Path, help="write the markdown here (default: print it)")
    parser.add_argument("--plot", type=Path, help="write the score-against-budget plot here (PNG)")
    args = parser.parse_args(argv)
    missing = [p for p in args.results if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    records = load(args.results)
    report = summarize(records)
    if args.out:
        args.out.write_text(report)
    else:
        print(report, end="")
    if args.plot:
        plot(records, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
