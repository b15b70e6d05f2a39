"""``gp-automl report RUN_DIR``: one self-contained ``report.html`` from a run directory, finished or running.

    from gp_automl.report import load_run, write_report
    state = load_run("runs/breast_cancer-20261127-101500")   # run.json + the evaluation log
    write_report(state.path)                                # -> runs/.../report.html

The report reads the run directory only (and the training data file run.json names, for the
held-out explanation); it never writes anything but the report file, and never over the training
data or another file of a run (``gp_automl.outputs``).
"""

from __future__ import annotations

import time
from pathlib import Path

from gp_automl.outputs import check_output
from gp_automl.report import sections
from gp_automl.report.explain import DataUnavailable, TrainingData, held_out, load_training_data
from gp_automl.report.html import page
from gp_automl.report.state import RunState, load_run
from gp_automl.rundir import RunDir, atomic_write_text

REPORT = "report.html"

__all__ = ["REPORT", "RunState", "build_report", "load_run", "write_report"]


def build_report(state: RunState, time_limit: float = 30.0) -> str:
    """The report page as a string; ``time_limit`` caps the permutation-importance work (seconds)."""
    data: TrainingData | str
    try:
        data = load_training_data(state)
    except DataUnavailable as exc:
        data = f"Not available: {exc}."
    explained = sections.explain_or_reason(state, data, lambda s, d: held_out(s, d, time_limit=time_limit))
    parts = [
        sections.summary(state),
        sections.pareto(state),
        sections.variations(state),
        sections.convergence(state),
        sections.leaderboard(state),
        sections.winner_code(state),
        sections.importance(state, explained),
        sections.predictions(state, explained),
        sections.data_summary(state, data),
    ]
    status = "in progress" if state.in_progress else state.info.get("status", "")
    subtitle = f"{state.path.resolve()} — {status} — report written {time.strftime('%Y-%m-%d %H:%M:%S')}"
    return page(f"gp_automl report: {state.path.name}", subtitle, parts)


def write_report(
    run_dir: str | Path,
    output: str | Path | None = None,
    time_limit: float = 30.0,
    allow_modules: tuple[str, ...] = (),
) -> Path:
    """Write the report of ``run_dir`` to ``output`` (default ``RUN_DIR/report.html``) and return its path."""
    folder = RunDir(run_dir)
    own = folder.path / REPORT
    path = check_output(output or own, inputs=[folder.read_run()["data"].get("path")], own=[own])  # before any work
    state = load_run(run_dir, allow_modules)
    atomic_write_text(path, build_report(state, time_limit))
    return path
