"""gp_automl.plots and the report's HTML helpers: the front agrees with the archive, every plot draws
on ordinary and on empty tables, and every piece of text reaches the page escaped."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from gp_automl import plots
from gp_automl.archive import Archive
from gp_automl.report.html import Markup, facts, page, table
from gp_automl.report.sections import shape
from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree, parse

X = PipelineTree("X")


def evaluations(rows) -> pd.DataFrame:
    """(score or None for a failure, complexity) rows -> an evaluations table and the same in an Archive."""
    archive, table_rows = Archive(), []
    for i, (score, complexity) in enumerate(rows):
        tree = PipelineTree.node("Model", {"i": i}, X)
        status = "ok" if score is not None else "error"
        result = EvalResult(tree.key, status, (score or 0.0,), np.nan if score is None else score, complexity)
        archive.add(tree, result, 0)
        table_rows.append({"key": tree.key, "status": status, "score": result.score, "complexity": complexity})
    return pd.DataFrame(table_rows, columns=["key", "status", "score", "complexity"]), archive


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from([0.5, 0.6, 0.7, 0.8])), st.integers(1, 4)), max_size=25))
def test_the_front_of_a_table_is_the_archives_front(rows):
    frame, archive = evaluations(rows)
    assert list(plots.pareto_front(frame)["key"]) == [e.tree.key for e in archive.front()]


@pytest.mark.parametrize("rows", [[(0.7, 1), (0.9, 2), (None, 1), (0.8, 3)], []], ids=["some", "empty"])
def test_every_plot_returns_a_figure_that_saves_as_png(rows):
    frame, _ = evaluations(rows)
    frame["elapsed"] = np.arange(len(frame), dtype=float)
    figures = [
        plots.plot_pareto_front(frame, frame["key"].iloc[1] if len(frame) else None, "balanced_accuracy"),
        plots.plot_convergence(frame),
        plots.plot_importance(pd.DataFrame({"feature": ["a", "b"], "importance": [0.2, 0.0], "std": [0.01, 0.0]})),
        plots.plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"]),
        plots.plot_residuals([1.0, 2.0, 3.0], [1.1, 1.9, 3.3]),
    ]
    for figure in figures:
        assert isinstance(figure, Figure)
        assert plots.to_png(figure)[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figures[1].axes) == (2 if rows else 1)  # against evaluations, and time when there is any


def test_a_plot_draws_into_the_callers_axes():
    frame, _ = evaluations([(0.7, 1), (0.9, 2)])
    figure = Figure()
    ax = figure.add_subplot()
    assert plots.plot_pareto_front(frame, ax=ax) is figure


def test_text_reaches_the_page_escaped():
    hostile = "<script>alert('x')</script> & \"q\""
    html = page(
        hostile, hostile, [("s", hostile, table(pd.DataFrame({hostile: [hostile, 1.5]})) + facts([(hostile, hostile)]))]
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    kept = pd.DataFrame({"c": [Markup("<code>kept</code>")], "d": ["<b>"]})
    assert table(kept, markup=["c"]).count("<code>kept</code>") == 1 and "&lt;b&gt;" in table(kept, markup=["c"])


def test_the_shape_of_a_pipeline_forgets_its_hyperparameters():
    tree = parse("LogisticRegression(Combine(PCA(X, n_components=0.9), X), C=0.5)")
    assert str(shape(tree)) == "LogisticRegression(Combine(PCA(X), X))"


def test_matplotlib_loads_only_for_plots_and_reports():
    code = "import sys, gp_automl, gp_automl.cli; print('matplotlib' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"
