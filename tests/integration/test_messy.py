"""The messy example end to end: raw CSV in through the CLI on a real LocalCluster, the exported
script run on the raw file, predictions for new rows with unseen categories, labels kept."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from gp_automl import GPClassifier, resume
from gp_automl.errors import DataWarning
from tests.conftest import SHIPPED_DATA
from tests.integration.test_cli import assert_one_clear_error, cli

MESSY = SHIPPED_DATA / "messy.csv"
MESSY_NEW = SHIPPED_DATA / "messy_new.csv"


@pytest.fixture(scope="module")
def messy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("messy") / "run"
    run = cli(
        "fit", MESSY, "--target", "churned", "--operators", "light", "--generations", "2",
        "--population-size", "8", "--n-workers", "2", "--out", out,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return out, run


def test_fit_reports_column_choices_and_dropped_rows(messy_run):
    out, run = messy_run
    assert "gp-automl: warning: dropped 5 of 400 rows whose target column 'churned' is missing" in run.stderr
    assert "Traceback" not in run.stderr
    info = json.loads((out / "run.json").read_text())
    data = info["data"]
    assert data["dropped_target_rows"] == 5 and data["rows"] == 395
    assert set(data["dropped"]) == {"customer_id", "country"}  # notes: free text, TF-IDF in the *_text fronts
    kinds = data["columns"]["kinds"]
    assert kinds["signup_date"] == "datetime" and kinds["plan"] == "categorical" and kinds["age"] == "numeric"
    plain = ["X", "X_mean", "X_ordinal", "X_ordinal_mean"]
    assert sorted(data["data_leaves"]) == sorted(plain + [f"{leaf}_text" for leaf in plain])
    log = (out / "search.log").read_text()
    assert "1 text column(s): notes: TF-IDF words" in log and "1 datetime column(s): signup_date" in log
    evaluations = pd.read_csv(out / "evaluations.csv")
    assert evaluations["status"].isin(["ok", "rejected"]).all()  # no failures
    leaves = set(evaluations["key"].str.findall(r"\bX(?:_\w+)?\b").sum())
    assert len(leaves) > 1, "the search tried more than one preprocessing front"


def test_exported_script_reproduces_the_cv_score_on_the_raw_csv(messy_run, tmp_path):
    out, _ = messy_run
    script = (out / "best_pipeline.py").read_text()
    assert cli("export", out, "-o", tmp_path / "again.py").returncode == 0
    assert (tmp_path / "again.py").read_text() == script, "export rebuilds the same front from run.json"
    assert "ColumnTransformer(" in script and "class DateTimeFeatures" in script
    assert "import gp_automl" not in script and "from gp_automl" not in script
    run = subprocess.run(
        [sys.executable, out / "best_pipeline.py", MESSY], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert run.returncode == 0, run.stderr
    printed = float(re.search(r"CV balanced_accuracy: ([0-9.e-]+)", run.stdout).group(1))
    assert abs(printed - json.loads((out / "run.json").read_text())["best_score"]) <= 1e-9


def test_predict_new_rows_with_unseen_categories(messy_run, tmp_path):
    out, _ = messy_run
    new = pd.read_csv(MESSY_NEW)
    assert {"enterprise"} <= set(new["plan"]) and {"Atlantis"} <= set(new["region"])
    used = json.loads((out / "run.json").read_text())["data"]["used"]  # notes only if the winner reads text
    unused = [c for c in ("customer_id", "notes") if c not in used]
    assert "customer_id" in unused
    new.drop(columns=unused).to_csv(tmp_path / "new.csv", index=False)  # unused: may be absent
    run = cli("predict", out, tmp_path / "new.csv", "--proba", "-o", tmp_path / "predictions.csv")
    assert run.returncode == 0, run.stderr
    assert "ignoring column(s) not used in training: campaign" in run.stderr
    assert "categories not seen in training (encoded as rare/unknown): plan: enterprise; region: Atlantis" in run.stderr
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    assert len(predictions) == 25 and set(predictions["prediction"]) <= {"yes", "no"}
    probabilities = predictions[["probability_no", "probability_yes"]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_predict_with_a_missing_column_names_it(messy_run, tmp_path):
    out, _ = messy_run
    pd.read_csv(MESSY_NEW).drop(columns=["plan", "age"]).to_csv(tmp_path / "new.csv", index=False)
    run = cli("predict", out, tmp_path / "new.csv", "-o", tmp_path / "predictions.csv")
    assert_one_clear_error(run, "lacks column(s) the model was trained on: age, plan", 2)
    assert not (tmp_path / "predictions.csv").exists()


def _messy_frame():
    frame = pd.read_csv(MESSY)
    return frame.drop(columns=["churned"]), frame["churned"]


@pytest.mark.parametrize("kind", ["strings", "booleans"])
def test_labels_round_trip_through_fit_predict_and_predict_proba(kind):
    X, y = _messy_frame()
    if kind == "booleans":
        y = y.map({"yes": True, "no": False})  # gaps stay missing
    est = GPClassifier(
        generations=1, population_size=4, operators="light", scheduler="in-process", random_state=1, verbosity=0
    )
    with pytest.warns(DataWarning, match="dropped 5 of 400 rows"):
        est.fit(X, y)
    expected = ["no", "yes"] if kind == "strings" else [False, True]
    assert list(est.classes_) == expected
    predictions = est.predict(X.head(30))
    assert set(predictions) <= set(expected)
    probabilities = est.predict_proba(X.head(30))
    assert probabilities.shape == (30, 2)
    assert list(np.asarray(expected)[probabilities.argmax(axis=1)]) == list(predictions)


def test_resume_re_reads_the_raw_csv(tmp_path):
    X, y = _messy_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        est = GPClassifier(
            generations=1, population_size=4, operators="light", scheduler="in-process", verbosity=0,
            checkpoint_dir=tmp_path / "run",
        )  # fmt: skip
        est.fit(X, y, data_path=str(MESSY))
        again = resume(tmp_path / "run", scheduler="in-process", verbosity=0, generations=2)  # finished: a new total
    assert again.run_info_["status"] == "finished" and again.run_info_["resumed"]
    assert again.best_score_ >= est.best_score_ and again.run_info_["evaluations"] > len(est.evaluations_)
