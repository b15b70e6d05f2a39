"""Numbers written as people write them, free text and a compressed copy, through the command line:
fit, the exported script run on its own, and predict-time data checked against the training typing."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from gp_automl.front import fronts_from_run
from gp_automl.results import PipelineContext, export_script, script_info
from gp_automl.space import load_catalog
from gp_automl.tree import parse
from tests.integration.test_cli import assert_one_clear_error, cli

pytestmark = pytest.mark.slow
ROWS = 120
FIT_TINY = ["--target", "bought", "--operators", "light", "--scheduler", "in-process", "--generations", "1",
            "--population-size", "4", "--cv", "3", "--seed", "0"]  # fmt: skip


def written_table(rng: np.random.Generator) -> pd.DataFrame:
    income = rng.normal(50_000, 15_000, ROWS)
    rate = rng.uniform(0, 20, ROWS)
    price = rng.gamma(3, 400, ROWS)
    keen = rng.random(ROWS) < 0.5
    signal = income / 50_000 + rate / 10 - price / 1500 + np.where(keen, 0.8, -0.8) + rng.normal(0, 0.3, ROWS)
    frame = pd.DataFrame(
        {
            "income": [f"{v:,.0f}" for v in income],
            "rate": [f"{v:.1f}%" for v in rate],
            "price": [f"${v:,.2f}" for v in price],
            "region": rng.choice(["north", "south", "east"], ROWS),
            "comment": [
                " ".join(rng.choice(["want", "need", "love"] if k else ["maybe", "later", "expensive"], 3))
                + f" call {i}"
                for i, k in enumerate(keen)
            ],
            "bought": np.where(signal > np.median(signal), "yes", "no"),
        }
    )
    frame.loc[[3, 17, 40], "income"] = ["n/a?", "unknown", "n/a?"]
    frame.loc[[5, 9], "rate"] = ["-", "NA"]
    return frame


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same table as a CSV and as a .csv.gz, each fitted; and a clean numeric table."""
    folder = tmp_path_factory.mktemp("written")
    frame = written_table(np.random.default_rng(4))
    plain = folder / "shop.csv"
    frame.to_csv(plain, index=False)
    packed = folder / "shop.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    fits = {}
    for name, path in (("plain", plain), ("gz", packed)):
        fits[name] = cli("fit", path, *FIT_TINY, "--out", folder / name)
        assert fits[name].returncode == 0, fits[name].stderr
    return folder, fits


def test_fit_reads_written_numbers_warns_about_junk_and_records_its_choices(runs):
    folder, fits = runs
    stderr = fits["plain"].stderr
    warning = "column 'income': 3 value(s) are not numbers (e.g. 'n/a?', 'unknown'); read as missing"
    assert f"gp-automl: warning: {warning}" in stderr.splitlines() and "Traceback" not in stderr
    data = json.loads((folder / "plain" / "run.json").read_text())["data"]
    columns = data["columns"]
    assert {k: columns["kinds"][k] for k in ("income", "rate", "price", "comment")} == {
        "income": "numeric", "rate": "numeric", "price": "numeric", "comment": "text",
    }  # fmt: skip
    assert columns["numbers"] == {"income": ".", "rate": ".", "price": "."}
    assert columns["not_numbers"] == {"income": {"count": 3, "examples": ["n/a?", "unknown"]}}
    assert columns["missing"] == {"income": 3, "rate": 2}
    assert "X_text" in data["data_leaves"] and "comment" not in data["dropped"]
    log = (folder / "plain" / "search.log").read_text()
    assert "data: numbers written as text in income, rate, price" in log
    assert "data: 1 text column(s): comment: TF-IDF words" in log


def test_a_compressed_copy_gives_the_same_run(runs):
    folder, _ = runs
    plain, packed = (json.loads((folder / name / "run.json").read_text()) for name in ("plain", "gz"))
    assert packed["data"]["read"] == plain["data"]["read"] == {"format": "csv", "sep": ","}
    assert packed["data"]["fingerprint"] == plain["data"]["fingerprint"]
    assert (packed["best_key"], packed["best_score"]) == (plain["best_key"], plain["best_score"])


def _run_script(path, data, cwd):
    run = subprocess.run([sys.executable, path, data], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert run.returncode == 0, run.stderr
    return float(re.search(r"CV balanced_accuracy: ([0-9.e-]+)", run.stdout).group(1))


@pytest.mark.parametrize("name, data", [("plain", "shop.csv"), ("gz", "shop.csv.gz")])
def test_the_exported_script_runs_alone_and_reproduces_the_score(runs, tmp_path, name, data):
    folder, _ = runs
    script = (folder / name / "best_pipeline.py").read_text()
    assert "class ParseNumbers" in script and "from gp_automl" not in script and "import gp_automl" not in script
    (tmp_path / "best.py").write_text(script)  # away from the repository: nothing to import from it
    best_score = json.loads((folder / name / "run.json").read_text())["best_score"]
    assert abs(_run_script(tmp_path / "best.py", folder / data, tmp_path) - best_score) <= 1e-9


def test_a_text_leaf_pipeline_exports_to_a_script_that_runs_alone(runs, tmp_path):
    folder, _ = runs
    info = json.loads((folder / "plain" / "run.json").read_text())
    key = "LogisticRegression(X_text, C=1.0)"
    context = PipelineContext(load_catalog(info["catalog"], info["task"]), info["seed"], fronts_from_run(info["data"]))
    script = export_script(parse(key), context, script_info(info, key, 0.0, info["data"]["path"], info["target"]))
    assert "class TextFeatures" in script and "TextFeatures(max_features=200)" in script
    (tmp_path / "text.py").write_text(script)
    assert _run_script(tmp_path / "text.py", folder / "shop.csv", tmp_path) > 0.7  # the comment words carry signal


def _new_rows(folder, name: str, column: str, values) -> str:
    """Eight training rows without junk, the target left out, one column changed."""
    rows = pd.read_csv(folder / "shop.csv").drop(columns=["bought"]).iloc[20:28].reset_index(drop=True)
    rows[column] = values
    path = folder / f"{name}.csv"
    rows.to_csv(path, index=False)
    return path


def test_predict_reads_junk_cells_as_missing_with_a_warning(runs):
    folder, _ = runs
    incomes = pd.read_csv(folder / "shop.csv")["income"].iloc[21:28].tolist()
    new = _new_rows(folder, "junk", "income", ["lots", *incomes])
    run = cli("predict", folder / "plain", new)
    assert run.returncode == 0, run.stderr
    assert f"gp-automl: warning: {new}: column 'income': 1 value(s) are not numbers (e.g. 'lots')" in run.stderr
    assert run.stdout.count("\n") == 1 + 8  # header and one line per row


def test_predict_refuses_text_where_training_had_numbers(runs):
    folder, _ = runs
    new = _new_rows(folder, "text", "price", "expensive")
    run = cli("predict", folder / "plain", new, "-o", folder / "out.csv")
    assert_one_clear_error(run, "column 'price' held numbers in training, but none of its values here is a number", 2)
    assert not (folder / "out.csv").exists()


def test_predict_with_an_empty_column_warns_and_imputes(runs):
    folder, _ = runs
    new = _new_rows(folder, "empty", "rate", np.nan)
    run = cli("predict", folder / "plain", new)
    assert run.returncode == 0, run.stderr
    assert f"gp-automl: warning: {new}: column(s) without any value: rate" in run.stderr


def test_predict_refuses_gaps_a_model_without_imputation_cannot_take(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    frame["bought"] = np.where(frame["a"] > 0, "yes", "no")
    frame.to_csv(tmp_path / "clean.csv", index=False)
    fit = cli("fit", tmp_path / "clean.csv", *FIT_TINY, "--out", tmp_path / "run")
    assert fit.returncode == 0, fit.stderr
    rows = frame.drop(columns=["bought"]).head(4).astype(object)
    rows.loc[1, "a"] = "oops"
    rows.to_csv(tmp_path / "junk.csv", index=False)
    run = cli("predict", tmp_path / "run", tmp_path / "junk.csv")
    assert_one_clear_error(run, "column 'a' has 1 value(s) that are not numbers (e.g. 'oops')", 2)
    rows.loc[1, "a"] = None
    rows.to_csv(tmp_path / "gap.csv", index=False)
    assert_one_clear_error(cli("predict", tmp_path / "run", tmp_path / "gap.csv"), "column 'a' has 1 missing value", 2)
