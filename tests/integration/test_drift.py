"""`gp-automl drift` as a user runs it: a subprocess against the fingerprint a real fit wrote."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from gp_automl.drift import DRIFT_EXIT
from gp_automl.fingerprint import SAMPLE_SIZE
from tests.conftest import SHIPPED_DATA
from tests.integration.test_cli import assert_one_clear_error, cli

CANCER = SHIPPED_DATA / "breast_cancer.csv"

pytestmark = pytest.mark.slow  # one small search for the module


@pytest.fixture(scope="module")
def cancer_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("drift") / "run"
    run = cli(
        "fit", CANCER, "--target", "target", "--operators", "light", "--generations", "1", "--population-size", "4",
        "--scheduler", "in-process", "--seed", "2", "--out", out,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return out


def test_fit_writes_a_fingerprint_of_the_training_data(cancer_run):
    fingerprint = json.loads((cancer_run / "fingerprint.json").read_text())
    training = pd.read_csv(CANCER)
    assert fingerprint["rows"] == len(training) and len(fingerprint["columns"]) == training.shape[1] - 1
    radius = fingerprint["columns"]["mean_radius"]
    assert radius["kind"] == "numeric" and radius["missing_rate"] == 0.0
    assert radius["quantiles"]["0.5"] == pytest.approx(training["mean_radius"].median())
    assert abs(sum(radius["bin_shares"]) - 1) < 1e-4 and len(radius["sample"]) == SAMPLE_SIZE < len(training)


def test_rows_from_the_training_distribution_show_no_drift(cancer_run, tmp_path):
    rows = pd.read_csv(CANCER).sample(frac=0.5, random_state=0).drop(columns=["target"])
    rows.to_csv(tmp_path / "new.csv", index=False)
    run = cli("drift", cancer_run, tmp_path / "new.csv", "-o", tmp_path / "drift.json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"no drift in 30 column(s) ({len(rows)} new rows against 569 in training)" in run.stdout
    report = json.loads((tmp_path / "drift.json").read_text())
    assert report["drift"] is False and report["drifted"] == [] and len(report["columns"]) == 30
    assert max(column["psi"] for column in report["columns"]) < 0.1


def test_a_shifted_column_is_drift_named_with_its_own_exit_code(cancer_run, tmp_path):
    rows = pd.read_csv(CANCER).sample(n=200, random_state=1).drop(columns=["target"])
    rows["mean_texture"] += 2 * rows["mean_texture"].std()
    rows.loc[rows.index[:60], "worst_area"] = np.nan  # 30% missing where training had none
    rows["batch"] = "b7"
    rows.to_csv(tmp_path / "shifted.csv", index=False)
    run = cli("drift", cancer_run, tmp_path / "shifted.csv", "-o", tmp_path / "drift.json")
    assert run.returncode == DRIFT_EXIT == 9, run.stdout + run.stderr
    assert "drift in 2 of 30 column(s): mean_texture, worst_area" in run.stdout
    assert "new column(s), not in training: batch" in run.stdout
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert "DRIFT (distribution)" in lines["mean_texture"] and "DRIFT (missing rate)" in lines["worst_area"]
    report = json.loads((tmp_path / "drift.json").read_text())
    assert report["drifted"] == ["mean_texture", "worst_area"] and report["new_columns"] == ["batch"]
    texture = next(c for c in report["columns"] if c["column"] == "mean_texture")
    assert texture["test"] == "ks" and texture["p_value"] < 1e-6 and texture["psi"] > 0.25


def test_a_missing_column_and_a_run_without_fingerprint(cancer_run, tmp_path):
    pd.read_csv(CANCER).drop(columns=["target", "mean_radius"]).to_csv(tmp_path / "new.csv", index=False)
    run = cli("drift", cancer_run, tmp_path / "new.csv")
    assert run.returncode == DRIFT_EXIT and "drift in 1 of 30 column(s): mean_radius" in run.stdout
    assert "column absent" in run.stdout
    older = tmp_path / "older"
    shutil.copytree(cancer_run, older)
    (older / "fingerprint.json").unlink()
    assert_one_clear_error(cli("drift", older, tmp_path / "new.csv"), "has no fingerprint.json", 6)
