"""Does the driver's memory stay flat over a long search? (issue 3)

Runs a search of a few thousand evaluations with the light catalog on a small dataset, in a
process of its own, and samples that driver's resident memory (RSS) twice a second from outside,
so the instrument is not in what it measures. Reports the peak RSS reached by 10%, 50% and 100%
of the evaluations, and the growth per 1,000 evaluations between 10% and 100%. The run
directory's on-disk log is the only thing that should grow with the number of evaluations.

    python benchmarks/driver_memory.py [--generations 60] [--population-size 50] [--out results.json]
                                       [--curve rss.csv] [--breakdown]

``--breakdown`` also has the driver record, at each mark (asked by SIGUSR1), how much of its
memory is in use and how much the allocators (glibc's malloc, Python's own for small objects)
keep free: growth of the first is a leak, of the second fragmentation.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from sklearn.datasets import load_breast_cancer

from gp_automl import GPClassifier
from gp_automl.allocator import fix_malloc_thresholds

BREAKDOWN = "breakdown.jsonl"  # next to the run directory: what the driver recorded on SIGUSR1


def logged(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "evaluations.sqlite") as db:
            return db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.Error:
        return 0


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]  # fmt: skip


PYMALLOC = {"arenas allocated current": "pymalloc_arenas", "bytes in allocated blocks": "pymalloc_in_use_mib",
            "bytes in available blocks": "pymalloc_free_kept_mib"}  # fmt: skip


def pymalloc() -> dict:
    """Python's small-object allocator: 1 MiB arenas held, bytes in use and kept free in them.
    ``sys._debugmallocstats`` writes to the C-level stderr only, so that is pointed at a file."""
    with tempfile.TemporaryFile() as stats:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(stats.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        stats.seek(0)
        text = stats.read().decode(errors="replace")
    found = {}
    for line in text.splitlines():
        name, _, value = line.strip("# ").partition("=")
        if name.strip() in PYMALLOC:
            number = int(value.replace(",", ""))
            label = PYMALLOC[name.strip()]
            found[label] = round(number / 2**20, 2) if label.endswith("_mib") else number
    return found


def breakdown() -> dict:
    """What kind of memory the driver holds, to tell growth of what is in use from fragmentation:
    anonymous and file-backed resident pages and threads (Linux), bytes glibc's malloc has handed
    out and bytes it keeps free (glibc 2.33+), the same for Python's small-object allocator, and
    Python's allocated memory blocks. Missing parts are left out. Nothing here allocates much: the
    probe must not raise what it measures (a list of every live object, as ``gc.get_objects`` makes,
    left the driver 1.1 MiB larger at each mark)."""
    found: dict = {"allocated_blocks": sys.getallocatedblocks(), **pymalloc()}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("RssAnon", "RssFile"):
                found[f"{name}_mib"] = round(int(value.split()[0]) / 1024, 1)
            elif name == "Threads":
                found["threads"] = int(value)
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return found
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    found["malloc_in_use_mib"] = round((info.uordblks + info.hblkhd) / 2**20, 2)
    found["malloc_free_kept_mib"] = round(info.fordblks / 2**20, 2)
    return found


def search(run_dir: Path, args: argparse.Namespace) -> None:
    """The measured driver: one seeded search; on SIGUSR1, append breakdown() to ``BREAKDOWN``."""

    def record(*_) -> None:
        with (run_dir.parent / BREAKDOWN).open("a") as stream:
            stream.write(json.dumps(breakdown()) + "\n")

    signal.signal(signal.SIGUSR1, record)
    fix_malloc_thresholds()  # as `gp-automl fit` does: the library leaves its caller's malloc alone
    X, y = load_breast_cancer(return_X_y=True)
    GPClassifier(
        generations=args.generations,
        population_size=args.population_size,
        cv=3,
        operators="light",
        n_workers=args.n_workers,
        scheduler=args.scheduler,
        checkpoint_dir=run_dir,
        random_state=0,
        verbosity=0,
    ).fit(X[:300], y[:300])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=60)
    parser.add_argument("--population-size", type=int, default=50)
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None, help="'in-process' to leave Dask out of the measurement")
    parser.add_argument("--out", type=Path, default=None, help="write the numbers as JSON here")
    parser.add_argument(
        "--curve", type=Path, default=None, help="append every (evaluations, RSS) sample to this CSV as it is taken"
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also record at each mark what kind of memory the driver holds (see breakdown())",
    )
    parser.add_argument("--driver", type=Path, default=None, help=argparse.SUPPRESS)  # internal: be the driver
    args = parser.parse_args()
    if args.driver:
        search(args.driver, args)
        return 0

    target = args.population_size * (args.generations + 1)
    run_dir = Path(tempfile.mkdtemp()) / "run"
    passed = ["--generations", args.generations, "--population-size", args.population_size,
              "--n-workers", args.n_workers] + (["--scheduler", args.scheduler] if args.scheduler else [])  # fmt: skip
    started = time.monotonic()
    driver = subprocess.Popen([sys.executable, __file__, "--driver", run_dir, *map(str, passed)])
    measured = psutil.Process(driver.pid)
    marks: dict[float, tuple[int, int, float] | None] = {0.1: None, 0.5: None, 1.0: None}  # evaluations, peak, settled
    asked = 0  # breakdowns asked for
    samples: list[tuple[int, int]] = []
    curve = args.curve.open("w") if args.curve else None
    if curve:
        curve.write("evaluations,rss_mib\n")
    peak = 0
    while driver.poll() is None and searching(run_dir):
        try:
            rss = measured.memory_info().rss
        except psutil.NoSuchProcess:
            break
        count = logged(run_dir)
        peak = max(peak, rss)
        samples.append((count, rss))
        if curve:
            curve.write(f"{count},{rss / 2**20:.1f}\n")
            curve.flush()
        for fraction in marks:
            if marks[fraction] is None and count >= fraction * target:
                marks[fraction] = (count, peak, settled(samples))
                if args.breakdown:
                    try:
                        os.kill(driver.pid, signal.SIGUSR1)
                        asked += 1
                    except ProcessLookupError:  # the driver ended since it was last polled
                        pass
        time.sleep(0.5)
    if driver.wait() != 0 or not samples:
        print(f"error: the measured search failed (exit code {driver.returncode})", file=sys.stderr)
        return 1
    wall = time.monotonic() - started
    evaluations = logged(run_dir)
    marks[1.0] = marks[1.0] or (evaluations, max(r for _, r in samples), settled(samples))
    mib = {
        f"{int(f * 100)}%": {
            "evaluations": c,
            "peak_rss_mib": round(p / 2**20, 1),
            "settled_rss_mib": round(s / 2**20, 1),
        }
        for f, (c, p, s) in marks.items()
    }
    low, middle, high = marks[0.1], marks[0.5], marks[1.0]

    def growth(a: tuple, b: tuple, which: int = 1) -> float:
        return round((b[which] - a[which]) / 2**20 / max(1, b[0] - a[0]) * 1000, 2)

    report = {
        "evaluations": evaluations,
        "wall_seconds": round(wall, 1),  # the driver's whole life: start-up, search, refit
        "evaluations_per_minute": round(evaluations / wall * 60, 1),
        "peak_rss": mib,
        "growth_mib_per_1000_evaluations": growth(low, high),
        "growth_in_second_half_mib_per_1000": growth(middle, high),
        "settled_growth_mib_per_1000_evaluations": growth(low, high, which=2),
        "settled_growth_in_second_half_mib_per_1000": growth(middle, high, which=2),
        "log_size_mib": round((run_dir / "evaluations.sqlite").stat().st_size / 2**20, 2),
    }
    if asked:
        kinds = [json.loads(line) for line in (run_dir.parent / BREAKDOWN).read_text().splitlines()]
        reached = [f"{int(f * 100)}%" for f, mark in marks.items() if mark is not None][:asked]
        report["breakdown"] = dict(zip(reached, kinds, strict=False))
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    if curve:
        curve.close()
    return 0


def settled(samples: list[tuple[int, int]]) -> float:
    """The RSS of the last 10 s: the median of the last 20 samples."""
    return statistics.median(rss for _, rss in samples[-20:])


def searching(run_dir: Path) -> bool:
    """Until run.json leaves ``running``: the refit and the result tables after it are not the search."""
    try:
        return json.loads((run_dir / "run.json").read_text())["status"] == "running"
    except (OSError, ValueError, KeyError):
        return True  # not written yet, or being replaced


if __name__ == "__main__":
    sys.exit(main())
