"""Plots of a search, for notebooks and for ``report.html``: functions that take tables, return Figures.

Every function builds a ``matplotlib.figure.Figure`` directly (no pyplot): nothing global changes,
nothing leaks when the report draws many figures, and any backend (Agg, a notebook's inline one)
can show or save the result. Pass ``ax`` to draw into an axes of your own figure instead.

The evaluation table is ``GPClassifier.evaluations_`` or ``gp_automl.report.load_run(...).evaluations``:
columns ``key``, ``status``, ``score``, ``complexity``, and optionally ``elapsed`` (seconds since
the run started) for the time axis of the convergence plot.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gp_automl.pareto import nondominated

_ALL = "#9aa7b8"
_FRONT = "#1f5fa8"
_WINNER = "#d62728"


def successful(evaluations: pd.DataFrame) -> pd.DataFrame:
    """The rows with a score: failed and timed-out pipelines have none."""
    ok = evaluations[(evaluations["status"] == "ok") & evaluations["score"].notna()]
    return ok.astype({"score": float, "complexity": int})


def pareto_front(evaluations: pd.DataFrame) -> pd.DataFrame:
    """Non-dominated rows (score up, complexity down; ``pareto.dominates``), best score first."""
    ok = successful(evaluations)
    points = list(zip(ok["score"], ok["complexity"], strict=True))
    keep = nondominated(range(len(ok)), lambda row: points[row])
    front = ok.iloc[keep]
    return front.sort_values(["score", "complexity", "key"], ascending=[False, True, True], kind="stable")


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def plot_pareto_front(
    evaluations: pd.DataFrame, winner_key: str | None = None, scoring: str = "score", ax: Axes | None = None
) -> Figure:
    """Every successful pipeline as score against complexity; the front as a staircase; the winner starred."""
    figure, ax = _figure(ax, (7, 4.5))
    ok = successful(evaluations)
    if ok.empty:
        _empty(ax, "no successful evaluation yet")
        return figure
    jitter = np.random.default_rng(0).uniform(-0.12, 0.12, len(ok))  # overlapping points stay visible
    ax.scatter(ok["complexity"] + jitter, ok["score"], s=14, color=_ALL, alpha=0.6, label=f"evaluated ({len(ok)})")
    front = pareto_front(ok).sort_values("complexity")
    ax.step(front["complexity"], front["score"], where="post", color=_FRONT, lw=1.5)
    ax.scatter(front["complexity"], front["score"], s=36, color=_FRONT, zorder=3, label=f"Pareto front ({len(front)})")
    winner = ok[ok["key"] == winner_key] if winner_key else ok.iloc[0:0]
    if not winner.empty:
        ax.scatter(winner["complexity"], winner["score"], s=220, marker="*", color=_WINNER, zorder=4, label="winner")
    ax.set_xlabel("complexity (number of operators)")
    ax.set_ylabel(f"CV {scoring}")
    ax.xaxis.get_major_locator().set_params(integer=True)
    _zoom_scores(ax, ok["score"])
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    return figure


def plot_convergence(evaluations: pd.DataFrame, scoring: str = "score") -> Figure:
    """Best CV score so far against evaluations, and against time when the table has ``elapsed``."""
    timed = "elapsed" in evaluations.columns and evaluations["elapsed"].notna().any()
    figure = Figure(figsize=(11 if timed else 6, 4), layout="constrained")
    axes = figure.subplots(1, 2 if timed else 1, squeeze=False)[0]
    score = evaluations["score"].where(evaluations["status"] == "ok").astype(float)
    if score.notna().sum() == 0:
        for ax in axes:
            _empty(ax, "no successful evaluation yet")
        return figure
    best = score.cummax()
    order = np.arange(1, len(evaluations) + 1)
    panels = [(axes[0], order, "evaluations")]
    if timed:
        panels.append((axes[1], evaluations["elapsed"].to_numpy(dtype=float) / 60, "minutes since start"))
    for ax, x, label in panels:
        ax.scatter(x, score, s=8, color=_ALL, alpha=0.5, label="each pipeline")
        ax.step(x, best, where="post", color=_FRONT, lw=2, label="best so far")
        ax.set_xlabel(label)
        ax.set_ylabel(f"CV {scoring}")
        _zoom_scores(ax, score.dropna())
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
    return figure


def plot_importance(importances: pd.DataFrame, top: int = 20, ax: Axes | None = None) -> Figure:
    """Permutation importance (columns ``feature``, ``importance``, ``std``), the ``top`` largest."""
    shown = importances.sort_values("importance", ascending=False).head(top).iloc[::-1]
    figure, ax = _figure(ax, (7, max(2.5, 0.28 * len(shown) + 1)))
    ax.barh(shown["feature"].astype(str), shown["importance"], xerr=shown["std"], color=_FRONT, alpha=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("drop in score when the column is shuffled")
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(axis="x", alpha=0.3)
    return figure


def plot_confusion_matrix(y_true, y_pred, ax: Axes | None = None) -> Figure:
    """Confusion matrix of held-out predictions, counts with row-normalised colour."""
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]).astype(str))
    figure, ax = _figure(ax, (1.2 + 0.6 * max(len(labels), 4), 0.9 + 0.6 * max(len(labels), 4)))
    ConfusionMatrixDisplay.from_predictions(
        np.asarray(y_true).astype(str),
        np.asarray(y_pred).astype(str),
        labels=labels,
        ax=ax,
        colorbar=False,
        cmap="Blues",
    )
    return figure


def plot_residuals(y_true, y_pred, ax: Axes | None = None) -> Figure:
    """Residuals (actual - predicted) against predicted values of held-out rows."""
    from sklearn.metrics import PredictionErrorDisplay

    figure, ax = _figure(ax, (6, 4))
    PredictionErrorDisplay.from_predictions(
        np.asarray(y_true, dtype=float),
        np.asarray(y_pred, dtype=float),
        kind="residual_vs_predicted",
        ax=ax,
        scatter_kwargs={"alpha": 0.5, "s": 12, "color": _FRONT},
    )
    ax.grid(alpha=0.3)
    return figure


def to_png(figure: Figure, dpi: int = 96) -> bytes:
    """The figure as PNG bytes, e.g. to inline in HTML."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _zoom_scores(ax: Axes, scores: pd.Series) -> None:
    """Scores of bad pipelines can sit far below the good ones; keep the interesting range readable."""
    high = float(scores.max())
    low = max(float(scores.min()), float(scores.quantile(0.1)) - 0.5 * (high - float(scores.quantile(0.1))))
    pad = 0.05 * (high - low) or 0.01
    ax.set_ylim(low - pad, high + pad)


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_xticks([])
    ax.set_yticks([])
