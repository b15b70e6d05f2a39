import json

import numpy as np
import pandas as pd
import pytest

from gp_automl.build import instantiate, plan_pipeline
from gp_automl.codegen import render_expression
from gp_automl.columns import (
    CATEGORICAL,
    CONSTANT,
    DATETIME,
    EMPTY,
    ID,
    NUMERIC,
    TEXT,
    ColumnTyping,
    category_values,
    infer_columns,
    unseen_categories,
)
from gp_automl.front import columns_read, data_leaves, front_step, front_variants, fronts_from_run
from gp_automl.space import load_catalog
from gp_automl.tree import PipelineTree

N = 60


def table(rng) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": np.arange(N),
            "code": [f"K{i:04d}" for i in range(N)],
            "amount": rng.normal(size=N),
            "level": rng.integers(1, 5, N),
            "colour": rng.choice(["red", "green", "blue"], N),
            "flag": rng.random(N) < 0.5,
            "when": pd.date_range("2024-01-01", periods=N, freq="D").strftime("%Y-%m-%d"),
            "note": [f"customer said thing number {i}" for i in range(N)],
            "same": 7,
            "nothing": np.nan,
        }
    )


def test_each_kind_is_recognised(rng):
    kinds = dict(infer_columns(table(rng)).kinds)
    assert kinds == {
        "row": ID,
        "code": ID,
        "amount": NUMERIC,
        "level": CATEGORICAL,  # a few integer codes
        "colour": CATEGORICAL,
        "flag": CATEGORICAL,
        "when": DATETIME,
        "note": TEXT,
        "same": CONSTANT,
        "nothing": EMPTY,
    }


def test_typing_round_trips_through_json_and_says_what_it_dropped(rng):
    frame = table(rng)
    frame.loc[3, "amount"] = np.nan
    typing = infer_columns(frame)
    stored = json.loads(json.dumps(typing.to_json(), sort_keys=True))  # as run.json stores it
    assert ColumnTyping.from_json(stored, list(frame.columns)) == typing
    text = "\n".join(typing.describe())
    assert "1 text column(s): note: TF-IDF words" in text and "dropped column 'row': ID-like" in text
    assert "note" not in typing.dropped
    assert "missing values in amount" in text


def test_pandas_category_and_datetime_dtypes(rng):
    frame = pd.DataFrame(
        {"c": pd.Categorical(rng.choice(["a", "b"], N)), "t": pd.date_range("2020-01-01", periods=N, freq="h")}
    )
    assert dict(infer_columns(frame).kinds) == {"c": CATEGORICAL, "t": DATETIME}


def test_clean_numeric_data_keep_no_front(rng):
    typing = infer_columns(pd.DataFrame(rng.normal(size=(N, 3)), columns=list("abc")))
    assert front_variants(typing) == {} and data_leaves(typing) == ("X",)
    gappy = pd.DataFrame({"a": [1.5, np.nan] * 30, "b": rng.normal(size=N)})
    assert set(front_variants(infer_columns(gappy))) == {"X", "X_mean"}


def test_every_front_variant_transforms_the_raw_table_to_finite_numbers(rng):
    frame = table(rng)
    frame.loc[::7, ["amount", "colour", "when"]] = np.nan
    variants = front_variants(infer_columns(frame))
    plain = {"X", "X_ordinal", "X_mean", "X_ordinal_mean"}
    assert set(variants) == plain | {f"{leaf}_text" for leaf in plain}
    new = frame.head(5).copy()
    new.loc[0, "colour"] = "purple"  # never seen
    new.loc[1, "note"] = np.nan
    new = new.drop(columns=["row"])  # dropped columns may be absent
    for leaf, plan in variants.items():
        step = instantiate(plan).fit(frame)
        widths = set()
        for rows in (frame, new if leaf.endswith("_text") else new.drop(columns=["note"])):
            out = step.transform(rows)
            assert np.isfinite(out).all(), leaf
            widths.add(out.shape[1])
        assert len(widths) == 1, leaf


def test_a_data_leaf_variant_puts_its_front_first_in_the_plan(rng):
    typing = infer_columns(table(rng))
    catalog = load_catalog("light", "classification")
    tree = PipelineTree.node(
        "LogisticRegression", {"C": 1.0}, PipelineTree.node("Combine", {}, PipelineTree("X_ordinal"), PipelineTree("X"))
    )
    source = render_expression(plan_pipeline(tree, catalog, 0, front_variants(typing)))
    assert source.count("ColumnTransformer(") == 2 and "OrdinalEncoder(" in source and "OneHotEncoder(" in source
    assert "DateTimeFeatures()" in source


def test_fronts_from_an_older_run_json():
    assert fronts_from_run({"imputed": False}) == {}
    assert "SimpleImputer" in fronts_from_run({"imputed": True})["X"].import_path


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_front_step_names_only_the_columns_it_uses(rng, encoding):
    plan = front_step(infer_columns(table(rng)), encoding)
    columns = [cols for _, _, cols in dict(plan.kwargs)["transformers"]]
    assert sorted(sum(columns, [])) == ["amount", "colour", "flag", "level", "when"]


def test_unseen_categories_are_named(rng):
    frame = table(rng)
    listed = category_values(frame, infer_columns(frame))
    new = pd.DataFrame({"colour": ["red", "mauve", None], "level": [1.0, 9.0, np.nan], "flag": [True, False, True]})
    assert unseen_categories(new, listed) == {"colour": ["mauve"], "level": ["9"]}


def test_text_is_a_choice_beside_other_columns_and_always_used_alone(rng):
    typing = infer_columns(table(rng))
    assert columns_read(typing, {"X", "X_ordinal"}) == typing.used  # new rows may lack the text then
    assert columns_read(typing, {"X", "X_ordinal_text"}) == [*typing.used, "note"]
    alone = infer_columns(table(rng)[["note"]])
    assert data_leaves(alone) == ("X",) and columns_read(alone, {"X"}) == ["note"]
    step = instantiate(front_variants(alone)["X"]).fit(table(rng)[["note"]])
    out = step.transform(pd.DataFrame({"note": ["customer said thing", None]}))
    assert out.shape[0] == 2 and out[0].sum() > 0 and out[1].sum() == 0  # missing text: an empty document
