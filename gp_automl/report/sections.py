"""The report's sections, each from a ``RunState``: what was tried, what won, why, and how sure we are.

A section that cannot be computed (no successful pipeline yet, training data not reachable) says
so in its place; the report as a whole always renders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape

import pandas as pd

from gp_automl import plots
from gp_automl.codegen import render_expression
from gp_automl.columns import ColumnTyping
from gp_automl.front import fronts_from_run
from gp_automl.lineage import UNKNOWN
from gp_automl.report.explain import HeldOut, TrainingData, column_summary, held_out
from gp_automl.report.html import Markup, code, facts, image, note, paragraph, table
from gp_automl.report.state import RunState
from gp_automl.result import FAILED
from gp_automl.results import export_script, script_info
from gp_automl.tree import PipelineTree, parse

Section = tuple[str, str, str]  # id, heading, inner HTML
STALE_SECONDS = 600  # a "running" run silent for this long was probably stopped without saying so
LEADERBOARD_ROWS = 15


def summary(state: RunState, now: float | None = None) -> Section:
    info, evaluations = state.info, state.evaluations
    settings, data = info["settings"], info["data"]
    counts = evaluations["status"].value_counts()
    status = info.get("status", "unknown")
    label = Markup(f'<span class="status-{_escape(status)}">{_escape(status)}</span>')
    if info.get("stop_reason"):
        label = Markup(f"{label} (stopped by {_escape(info['stop_reason'])})")
    budget = [
        f"{settings['max_time_mins']:g} min" if settings.get("max_time_mins") else None,
        f"{settings['generations']} generations" if settings.get("generations") is not None else None,
        f"early stop after {settings['early_stop']} flat generations" if settings.get("early_stop") else None,
    ]
    pairs = [
        ("status", label),
        ("data", f"{data.get('path') or 'in-memory data'} — {data['rows']} rows × {len(data['features'])} features"),
        ("target / task", f"{info.get('target') or '(unnamed)'} / {state.task}"),
        ("scoring", f"{state.scoring}, {settings['cv']}-fold CV (seed {info['seed']})"),
        ("budget", ", ".join(b for b in budget if b) or "none"),
        ("population", f"{settings['population_size']}, {settings.get('mode', 'generational')} mode"),
        ("operators", f"{settings['operators']} ({info['catalog']})"),
        ("started", info.get("started", "")),
        ("finished", info.get("finished", "not yet")),
        ("search time", _search_time(state)),
        (
            "evaluations",
            f"{len(evaluations)} in {_generations(evaluations)} generation(s):"
            f" {counts.get('ok', 0)} ok, {counts.get('error', 0)} failed, {counts.get('timeout', 0)} timed out,"
            f" {counts.get('memory', 0)} out of memory,"
            f" {counts.get('rejected', 0)} rejected early (clear losers after their first folds)",
        ),
        ("workers", info.get("n_workers", "?")),
        ("worker utilization", _utilization(state)),
        ("versions", ", ".join(f"{k} {v}" for k, v in sorted(info.get("versions", {}).items()))),
    ]
    parts = [facts(pairs)]
    if state.in_progress:
        parts.insert(0, note(_progress_note(state, now or time.time())))
    failed = evaluations[evaluations["status"].isin(FAILED)]
    if len(failed):
        errors = (
            failed.assign(error=failed["error"].str.slice(0, 160))
            .groupby(["status", "error"], as_index=False)
            .size()
            .sort_values("size", ascending=False)
            .head(8)
            .rename(columns={"size": "pipelines"})
        )
        parts += [paragraph("Most frequent failures:"), table(errors, numeric=["pipelines"])]
    return "summary", "Run summary", "\n".join(parts)


def pareto(state: RunState) -> Section:
    winner = state.winner
    figure = plots.plot_pareto_front(state.evaluations, None if winner is None else winner["key"], state.scoring)
    front = state.front
    rows = front.assign(pipeline=[_with_key(parse(k)) for k in front["key"]])[
        ["complexity", "score", "score_std", "pipeline"]
    ].rename(columns={"score": f"CV {state.scoring}", "score_std": "± std"})
    parts = [
        image(figure, "Pareto front: CV score against complexity"),
        paragraph(
            "Each dot is one evaluated pipeline; the staircase is the Pareto front (no simpler pipeline scores as"
            " well); the star is the winner. The score axis is zoomed on the better pipelines."
        ),
    ]
    if len(front):
        numeric = ["complexity", f"CV {state.scoring}", "± std"]
        parts.append(table(rows.sort_values("complexity"), numeric=numeric, markup=["pipeline"]))
    return "pareto-front", "Pareto front", "\n".join(parts)


def variations(state: RunState) -> Section:
    """Which variations made the evaluated pipelines, and which made the Pareto front."""
    evaluations = state.evaluations
    if not len(evaluations):
        return "variations", "Variations", paragraph("No evaluation yet.")
    on_front = evaluations["key"].isin(set(state.front["key"]))
    counts = (
        evaluations.assign(ok=evaluations["status"] == "ok", front=on_front)
        .groupby("variation", as_index=False)
        .agg(evaluated=("key", "size"), ok=("ok", "sum"), front=("front", "sum"))
        .sort_values(["front", "evaluated", "variation"], ascending=[False, False, True], kind="stable")
        .rename(columns={"front": "on the Pareto front"})
    )
    text = (
        "How each evaluated pipeline was made: a catalog start pipeline (start), a random tree of the first"
        " generation (init) or of a later one (random), crossover of two parents, or a mutation of one"
        " (replace swaps an operator, insert adds one, shrink removes one, hyperparameter redraws a value,"
        " preprocessing switches a data leaf's preprocessing). evaluations.csv lists each one's parents."
    )
    parts = [paragraph(text), table(counts, numeric=["evaluated", "ok", "on the Pareto front"])]
    if (evaluations["variation"] == UNKNOWN).any():
        parts.append(note("unknown: logged by a gp_automl version that did not record lineage."))
    return "variations", "Variations", "\n".join(parts)


def convergence(state: RunState) -> Section:
    figure = plots.plot_convergence(state.evaluations, state.scoring)
    return (
        "convergence",
        "Convergence",
        image(figure, "best score against evaluations and time")
        + paragraph("Best cross-validated score so far, against evaluations and against wall-clock time."),
    )


def leaderboard(state: RunState) -> Section:
    """The best pipeline of each distinct shape (operators and wiring, hyperparameters aside)."""
    ok = plots.successful(state.evaluations)
    if ok.empty:
        return "leaderboard", "Leaderboard", paragraph("No successful evaluation yet.")
    ranked = ok.assign(shape=[str(shape(parse(k))) for k in ok["key"]]).sort_values(
        ["score", "complexity"], ascending=[False, True], kind="stable"
    )
    best = ranked.drop_duplicates("shape").head(LEADERBOARD_ROWS)
    winner = state.winner
    frame = pd.DataFrame(
        {
            "#": range(1, len(best) + 1),
            "pipeline": [_with_key(parse(k), s) for k, s in zip(best["key"], best["shape"], strict=True)],
            f"CV {state.scoring}": [
                f"{m:.4f} ± {s:.4f}" for m, s in zip(best["score"], best["score_std"], strict=True)
            ],
            "complexity": best["complexity"].to_numpy(),
            "fit time (s, all folds)": best["seconds"].round(2).to_numpy(),
            "generation": best["generation"].to_numpy(),
        }
    )
    classes = ["winner" if winner is not None and k == winner["key"] else "" for k in best["key"]]
    text = (
        f"The best of each of the {len(best)} highest-scoring distinct pipeline shapes (of {ranked['shape'].nunique()}"
        " tried): same operators and wiring count as one shape, whatever their hyperparameters."
        " Score ± standard deviation over the CV folds."
    )
    return (
        "leaderboard",
        "Leaderboard",
        paragraph(text)
        + table(
            frame,
            numeric=["#", "complexity", "fit time (s, all folds)", "generation"],
            row_class=classes,
            markup=["pipeline"],
        ),
    )


def winner_code(state: RunState) -> Section:
    winner = state.winner
    if winner is None:
        return "winner", "The winner's code", paragraph("No successful pipeline yet.")
    info = state.info
    script = export_script(
        parse(winner["key"]),
        state.pipelines(),
        script_info(info, winner["key"], float(winner["score"]), info["data"].get("path"), info.get("target")),
    )
    lead = (
        "The best pipeline logged so far (the search is still running):"
        if state.in_progress
        else "The exported script (as `gp-automl export` writes it); running it prints the CV score above:"
    )
    return "winner", "The winner's code", paragraph(lead) + code(script)


def importance(state: RunState, explained: HeldOut | str) -> Section:
    if isinstance(explained, str):
        return "importance", "Permutation feature importance", note(explained)
    text = (
        f"Drop in {state.scoring} when one column is shuffled, for the winner refit on each training fold and scored"
        f" on the held-out fold ({explained.importance_folds} of {explained.folds} folds, mean ± std over repeats and"
        " folds). Only the 20 largest are drawn."
    )
    return (
        "importance",
        "Permutation feature importance",
        paragraph(text) + image(plots.plot_importance(explained.importances), "permutation importance"),
    )


def predictions(state: RunState, explained: HeldOut | str) -> Section:
    classification = state.task == "classification"
    heading = "Confusion matrix (held-out folds)" if classification else "Residuals (held-out folds)"
    if isinstance(explained, str):
        return "held-out", heading, note(explained)
    if classification:
        figure = plots.plot_confusion_matrix(explained.y_true, explained.y_pred)
        text = "Out-of-fold predictions of the winner: every row predicted by the model that did not train on it."
    else:
        figure = plots.plot_residuals(explained.y_true, explained.y_pred)
        text = (
            "Residuals (actual − predicted) of out-of-fold predictions:"
            " every row predicted by a model that did not see it."
        )
    return "held-out", heading, paragraph(text) + image(figure, heading)


def data_summary(state: RunState, data: TrainingData | str) -> Section:
    info = state.info["data"]
    fronts = fronts_from_run(info)
    parts = []
    if "columns" in info:
        typing = ColumnTyping.from_json(info["columns"], info["features"])
        parts.append(paragraph("Column typing: " + "; ".join(typing.describe()) + "."))
    if fronts:
        variants = "; ".join(f"{leaf}: {render_expression(step)}" for leaf, step in fronts.items())
        parts.append(paragraph(f"Preprocessing variants the search chose between (one per data leaf): {variants}."))
    else:
        parts.append(paragraph("No preprocessing front: every feature was numeric with no missing values."))
    tree = state.winner_tree
    if tree is not None and fronts:
        leaves = sorted(leaf for leaf in tree.data_leaves() if leaf in fronts)
        parts.append(paragraph("The winner reads the data through: " + ", ".join(leaves) + "."))
    if tree is not None:
        inner = tree.operators()[1:]
        parts.append(
            paragraph(
                "The winner's own steps before its model: " + (", ".join(reversed(inner)) if inner else "none") + "."
            )
        )
    if isinstance(data, str):
        parts.append(note(data))
    else:
        summary_frame = column_summary(data, state.info.get("target"))
        features = summary_frame[summary_frame["role"] == "feature"]
        gaps = features[features["missing"] > 0]
        text = (
            f"{len(data.frame)} rows, {len(data.features)} feature columns, {int(gaps['missing'].sum())} missing values"
        )
        if len(gaps):
            listed = ", ".join(f"{c} ({n})" for c, n in zip(gaps["column"], gaps["missing"], strict=True))
            text += f" in {len(gaps)} column(s): {listed}"
            text += "; the preprocessing front fills them in" if fronts else ""
        parts.append(paragraph(text + "."))
        if state.task == "classification":
            counts = pd.Series(data.y).astype(str).value_counts().sort_index()
            parts.append(paragraph("Rows per class: " + ", ".join(f"{k}: {v}" for k, v in counts.items())))
        parts.append(table(summary_frame, numeric=["missing", "missing %", "distinct"]))
    return "data", "Data", "\n".join(parts)


def explain_or_reason(state: RunState, data: TrainingData | str, compute: Callable[..., HeldOut] = held_out):
    """Held-out results, or the sentence that replaces them when they cannot be computed."""
    if isinstance(data, str):
        return data
    if state.winner is None:
        return "No successful pipeline yet: nothing to explain."
    return compute(state, data)


def shape(tree: PipelineTree) -> PipelineTree:
    """The tree without hyperparameters: which operators, wired how."""
    return PipelineTree(tree.op, (), tuple(shape(child) for child in tree.children))


def _with_key(tree: PipelineTree, label: str | None = None) -> Markup:
    title = label if label is not None else str(shape(tree))
    return Markup(f'<code>{_escape(title)}</code><div class="key">{_escape(tree.key)}</div>')


def _utilization(state: RunState) -> str:
    value = state.info.get("worker_utilization")
    if value is not None and not state.in_progress:
        return f"{value:.0%} (busy worker-seconds / available worker-seconds, last session)"
    evaluations = state.evaluations
    span = evaluations["elapsed"].max() if len(evaluations) else float("nan")
    workers = state.info.get("n_workers") or 1
    if not span or pd.isna(span) or span <= 0:
        return "not measured yet"
    return f"{min(1.0, evaluations['seconds'].sum() / (workers * span)):.0%} so far (from the log)"


def _progress_note(state: RunState, now: float) -> str:
    evaluations = state.evaluations
    if not len(evaluations):
        return "The search is running; no evaluation has been logged yet."
    silent = now - float(evaluations["finished_at"].max())
    text = f"The search is still running: this report shows the {len(evaluations)} evaluations logged so far."
    if silent > STALE_SECONDS:
        text += (
            f" Nothing has been logged for {_duration(silent)}: the search may have been stopped without saying"
            f" so (killed); `gp-automl resume {state.path}` continues it."
        )
    return text


def _search_time(state: RunState) -> str:
    if state.info.get("elapsed_seconds") is not None:
        return _duration(state.info["elapsed_seconds"])
    if len(state.evaluations) and state.evaluations["elapsed"].notna().any():
        return f"{_duration(state.evaluations['elapsed'].max())} so far (to the last logged evaluation)"
    return "—"


def _generations(evaluations: pd.DataFrame) -> int:
    return int(evaluations["generation"].max()) + 1 if len(evaluations) else 0


def _duration(seconds: float | None) -> str:
    if seconds is None or pd.isna(seconds):
        return "—"
    seconds = float(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _escape(text: object) -> str:
    return escape(str(text))
