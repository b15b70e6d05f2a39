"""Exported scripts: every value is a checked literal and the script reads back as the tree it came from."""

import ast
import json
import runpy
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gp_automl.build import instantiate, plan_pipeline
from gp_automl.codegen import ScriptInfo, render_script
from gp_automl.columns import infer_columns
from gp_automl.errors import ExportError
from gp_automl.front import data_leaves, front_variants
from gp_automl.readback import constants, plan_from_script, same
from gp_automl.space import Choice, FloatRange, IntRange, load_catalog
from gp_automl.tree import COMBINE, PipelineTree, parse

FUZZ = settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
CATALOGS = {
    (name, task): load_catalog(name, task) for name in ("default", "light") for task in ("classification", "regression")
}  # noqa: E501
# Column names a user's table may have: they end up in the exported ColumnTransformer.
TABLE = pd.DataFrame(
    {
        "it's": np.arange(40.0),
        '"""; import os #': ["a", "b", "c", None] * 10,
        "when\\": pd.date_range("2024-01-01", periods=40).strftime("%Y-%m-%d"),
        "n\n2": [1.5, None] * 20,
    }
)
TYPING = infer_columns(TABLE)
FRONTS = front_variants(TYPING)
LEAVES = data_leaves(TYPING)


def values(domain):
    if isinstance(domain, Choice):
        return st.sampled_from(domain.values)
    if isinstance(domain, IntRange):
        return st.integers(domain.low, domain.high)
    assert isinstance(domain, FloatRange)
    return st.floats(domain.low, domain.high, allow_nan=False, allow_infinity=False)


@st.composite
def trees(draw, catalog, depth=0):
    """A random pipeline over every operator of ``catalog``: chains, feature unions, stacking, every data leaf."""

    def node(spec, child):
        params = {name: draw(values(domain)) for name, domain in spec.params}
        return PipelineTree.node(spec.name, params, child)

    def below(level):
        kind = draw(st.sampled_from(["leaf", "step", "union", "stack"] if level < 3 else ["leaf"]))
        if kind == "leaf":
            return PipelineTree(draw(st.sampled_from(LEAVES)))
        if kind == "union":
            return PipelineTree.node(COMBINE, {}, below(level + 1), below(level + 1))
        pool = catalog.transformers if kind == "step" else [s for s in catalog.models if s.stack]
        return node(draw(st.sampled_from(pool)), below(level + 1))

    return node(draw(st.sampled_from(catalog.models)), below(depth))


def info(key, **overrides):
    fields = dict(
        key=key, task="classification", scoring="balanced_accuracy", cv_splits=3, random_state=0, score=0.5,
        data_path="train.csv", target="y", version="test",
    )  # fmt: skip
    return ScriptInfo(**{**fields, **overrides})


def scalars(estimator):
    """An estimator's nested parameters that are plain values (objects compare by identity)."""
    return {k: v for k, v in estimator.get_params(deep=True).items() if v is None or isinstance(v, (str, int, float))}


@FUZZ
@given(data=st.data())
def test_random_trees_over_the_full_catalogs_read_back_from_their_script(data):
    name = data.draw(st.sampled_from(sorted(CATALOGS)))
    catalog = CATALOGS[name]
    tree = data.draw(trees(catalog))
    plan = plan_pipeline(tree, catalog, 7, FRONTS)
    script = render_script(plan, info(tree.key))
    ast.parse(script)
    assert same(plan_from_script(script), plan)
    assert parse(constants(script)["__doc__"].split("Pipeline: ", 1)[1].split("\n", 1)[0]) == tree
    assert scalars(instantiate(plan_from_script(script))) == scalars(instantiate(plan))


HOSTILE = [
    '""";__import__("pathlib").Path(MARKER).touch();"""',
    "');__import__('pathlib').Path(MARKER).touch();('",
    '");__import__("pathlib").Path(MARKER).touch();("',
    "\n__import__('pathlib').Path(MARKER).touch()\n",
    '\\\n"""\n__import__("pathlib").Path(MARKER).touch()\n"',
    "\r\x00\x0c\u2028\U0001f600\x7f ''' \"",
]


def catalog_with(tmp_path, strings):
    """A catalog whose choices (and a fixed argument) hold ``strings``, written as TOML the user could write."""
    toml = [json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f") for s in strings]
    body = f"""
    [operators.Model]
    import = "sklearn.linear_model.LogisticRegression"
    role = "model"
    fixed = {{ multi_class = {toml[0]} }}
    [operators.Model.params]
    solver = {{ choices = [{", ".join(toml)}] }}
    """
    path = tmp_path / "hostile.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    # not validated: scikit-learn would refuse these solvers at load; the script writer must hold
    # any string safely all the same (a parameter without declared constraints takes free text)
    return load_catalog(path, "classification", validate=False)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_catalog_strings_stay_strings_in_the_script(tmp_path, hostile):
    marker = tmp_path / "pwned"
    text = hostile.replace("MARKER", json.dumps(str(marker)))  # double quotes: repr leaves them unescaped
    catalog = catalog_with(tmp_path, [text])
    tree = PipelineTree.node("Model", {"solver": text}, PipelineTree("X"))
    plan = plan_pipeline(tree, catalog, 0, {})
    script = render_script(plan, info(tree.key, target=text, data_path=text, scoring=text))
    found = constants(script)
    assert found["TARGET"] == found["DATA_PATH"] == found["SCORING"] == text
    assert f"Pipeline: {tree.key}" in found["__doc__"]
    model = dict(plan_from_script(script).kwargs)["steps"][-1][1]
    assert dict(model.kwargs)["solver"] == text
    path = tmp_path / "best_pipeline.py"
    path.write_text(script, encoding="utf-8")
    runpy.run_path(str(path), run_name="imported")  # module level only: imports, classes, constants
    assert not marker.exists()


@FUZZ
@given(strings=st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30), min_size=1,
                        max_size=4, unique=True))  # fmt: skip
def test_any_catalog_string_reads_back_unchanged(tmp_path_factory, strings):
    catalog = catalog_with(tmp_path_factory.mktemp("catalog"), strings)
    for text in strings:
        tree = PipelineTree.node("Model", {"solver": text}, PipelineTree("X"))
        plan = plan_pipeline(tree, catalog, 0, {})
        assert same(plan_from_script(render_script(plan, info(tree.key))), plan)


class Sneaky(str):
    def __repr__(self):
        return "__import__('os').system('echo pwned')"


@pytest.mark.parametrize(
    "value, refused",
    [(Sneaky("liblinear"), False), (object(), True), (float("nan"), True), ({"a": 1}, True), (b"bytes", True)],
)
def test_values_render_as_their_plain_literal_or_are_refused(value, refused):
    catalog = CATALOGS["light", "classification"]
    tree = PipelineTree("LogisticRegression", (("C", value),), (PipelineTree("X"),))
    if refused:
        with pytest.raises(ExportError):
            render_script(plan_pipeline(tree, catalog, 0, {}), info("LogisticRegression(X)"))
        return
    script = render_script(plan_pipeline(tree, catalog, 0, {}), info("LogisticRegression(X)"))
    assert "os" not in script.split("def make_pipeline", 1)[1].split("def load_data")[0]
    assert "C='liblinear'" in script


def test_a_damaged_run_json_cannot_put_code_in_the_script():
    with pytest.raises(ExportError):
        render_script(
            plan_pipeline(parse("GaussianNB(X)"), CATALOGS["light", "classification"], 0, {}),
            info("GaussianNB(X)", cv_splits="3); __import__('os').system('echo pwned'); (3"),
        )
