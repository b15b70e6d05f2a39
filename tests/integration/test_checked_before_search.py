"""Issue 25 through the real command line: a bad catalog or setting costs seconds, not a night. One
error line, the documented exit code (3 catalog, 4 settings, 6 run directory) and no run directory."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import REPO, SHIPPED_DATA
from tests.integration.test_cli import CANCER, assert_one_clear_error, cli

DIABETES = SHIPPED_DATA / "diabetes.csv"


def three_classes(tmp_path, rows_of_c=12):
    path = tmp_path / "three.csv"
    labels = ["a"] * 12 + ["b"] * 12 + ["c"] * rows_of_c
    path.write_text("x,z,label\n" + "".join(f"{i % 7},{i % 5}.5,{label}\n" for i, label in enumerate(labels)))
    return path


def test_a_catalog_parameter_the_estimator_lacks(tmp_path):
    catalog = tmp_path / "mine.toml"
    catalog.write_text(
        textwrap.dedent("""
        [operators.LogisticRegression]
        import = "sklearn.linear_model.LogisticRegression"
        role = "model"
        [operators.LogisticRegression.params]
        C = { float = [1e-4, 1e4], log = true }
        max_depth_like = { int = [1, 10] }
    """)
    )
    out = tmp_path / "run"
    run = cli("fit", CANCER, "--target", "target", "--operators", catalog, "--generations", "1", "--out", out)
    fragment = "operator LogisticRegression: param max_depth_like: LogisticRegression has no parameter 'max_depth_like'"
    assert_one_clear_error(run, f"{catalog}: {fragment}", 3)
    assert not out.exists()


def test_a_catalog_for_the_other_task(tmp_path):
    out = tmp_path / "run"
    run = cli("fit", DIABETES, "--target", "target", "--operators", REPO / "operators" / "light-classification.toml",
              "--generations", "1", "--out", out)  # fmt: skip
    assert_one_clear_error(run, "a classification catalog (its models are classifiers:", 3)
    assert "cannot be used for regression" in run.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "data, extra, fragment",
    [
        (CANCER, ["--scoring", "r2"], "scoring 'r2' is a regression metric and the task is classification"),
        (DIABETES, ["--scoring", "accuracy"], "scoring 'accuracy' is a classification metric and the task is regr"),
        (None, ["--scoring", "f1"], "scoring 'f1' is for two classes and the target has 3 (a, b, c); use f1_macro"),
        (None, ["--scoring", "roc_auc"], "the target has 3 (a, b, c); use roc_auc_ovo, roc_auc_ovo_weighted"),
        (DIABETES, ["--task", "classification"], "target column 'target' holds 214 distinct numbers, a quantity"),
        ("rare", ["--cv", "5"], "class(es) c have fewer than cv=5 rows (the smallest has 3); add rows, merge classes"),
    ],
    ids=["r2-on-classes", "accuracy-on-quantity", "f1-on-3-classes", "roc-auc-on-3-classes", "forced-classes", "cv"],
)
def test_a_setting_that_cannot_suit_the_target(tmp_path, data, extra, fragment):
    if data is None or data == "rare":
        data = three_classes(tmp_path, rows_of_c=3 if data == "rare" else 12)
        target = "label"
    else:
        target = "target"
    out = tmp_path / "run"
    run = cli("fit", data, "--target", target, "--operators", "light", "--generations", "1", "--out", out, *extra)
    assert_one_clear_error(run, fragment, 4)
    assert not out.exists()


def test_resume_of_a_directory_that_does_not_exist(tmp_path):
    missing = tmp_path / "runs" / "nope"
    assert_one_clear_error(cli("resume", missing), f"run directory {missing} does not exist", 6)
    assert not missing.exists()
