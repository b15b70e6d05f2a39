import ast

import numpy as np
import pandas as pd

from gp_automl.build import plan_pipeline
from gp_automl.codegen import ScriptInfo, render_script
from gp_automl.columns import infer_columns
from gp_automl.front import front_variants
from gp_automl.space import load_catalog
from gp_automl.tree import parse


def script(key: str, fronts, **read) -> str:
    catalog = load_catalog("light", "classification")
    info = ScriptInfo(
        key=key, task="classification", scoring="accuracy", cv_splits=3, random_state=0, score=0.5,
        data_path="data.csv", target="y", version="test", read=read or {"format": "csv", "sep": ","},
    )  # fmt: skip
    return render_script(plan_pipeline(parse(key), catalog, 0, fronts), info)


def test_only_the_helpers_a_pipeline_uses_are_written_inline():
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=30).strftime("%Y-%m-%d"), "n": np.arange(30)})
    fronts = front_variants(infer_columns(frame))
    text = script("GaussianNB(X)", fronts)
    ast.parse(text)
    assert "class DateTimeFeatures" in text and "class StackingFeatures" not in text
    assert "import gp_automl" not in text and "from gp_automl" not in text
    plain = script("GaussianNB(LogisticRegression(X, C=1.0))", {})
    assert "class StackingFeatures" in plain and "class DateTimeFeatures" not in plain


def test_the_script_reads_the_file_as_the_search_did():
    assert "pd.read_csv(path, sep=';', decimal=',')" in script("GaussianNB(X)", {}, format="csv", sep=";", decimal=",")
    assert "pd.read_parquet(path)" in script("GaussianNB(X)", {}, format="parquet")
