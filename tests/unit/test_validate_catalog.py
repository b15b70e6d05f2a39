"""Catalog entries are checked against the classes they name when a search loads them: each bad
entry is one CatalogError line naming the file, the operator and the parameter."""

import re
import textwrap

import pytest

from gp_automl.errors import CatalogError
from gp_automl.space import load_catalog
from gp_automl.space.catalog import shipped_catalog_dir
from tests.conftest import REPO

TREE = """
[operators.Tree]
import = "sklearn.tree.DecisionTreeClassifier"
role = "model"
[operators.Tree.params]
max_depth = { int = [1, 5] }
"""

SCALER = '\n[operators.Scale]\nimport = "sklearn.preprocessing.StandardScaler"\nrole = "transformer"\n'


def write(tmp_path, body, name="catalog.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def refused(tmp_path, body, task="classification", **kwargs) -> str:
    path = write(tmp_path, body)
    with pytest.raises(CatalogError) as error:
        load_catalog(path, task, **kwargs)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


@pytest.mark.parametrize(
    "line, where, fragment",
    [
        ("max_depth_like = { int = [1, 10] }", "param max_depth_like", "has no parameter 'max_depth_like'"),
        ('criterion = { choices = ["gini", "entropee"] }', "param criterion", "choice 'entropee' is refused"),
        ("min_samples_leaf = { int = [0, 5] }", "param min_samples_leaf", "low end 0 of [0, 5] is refused"),
        ("min_samples_split = { float = [0.5, 3.0] }", "param min_samples_split", "high end 3.0 of [0.5, 3.0] is"),
        ("ccp_alpha = { float = [-1.0, 1.0] }", "param ccp_alpha", "low end -1.0 of [-1.0, 1.0] is refused"),
        ("max_features = { choices = [0.5, 0] }", "param max_features", "choice 0 is refused"),
        ("splitter = { choices = [true] }", "param splitter", "choice True is refused"),
    ],
    ids=["unknown-name", "bad-choice", "low-end", "float-above-bound", "negative", "zero-choice", "wrong-type"],
)
def test_a_bad_parameter_names_the_file_the_operator_and_the_parameter(tmp_path, line, where, fragment):
    message = refused(tmp_path, TREE + line + "\n")
    assert f"operator Tree: {where}: " in message and fragment in message
    if "is refused" in fragment:
        assert "by DecisionTreeClassifier: The '" in message  # scikit-learn's own words follow


def test_an_unknown_name_suggests_the_close_one_and_lists_the_parameters(tmp_path):
    message = refused(tmp_path, TREE + "max_dept = { int = [1, 3] }\n")
    assert "did you mean 'max_depth'?" in message and "min_samples_leaf" in message


def test_fixed_arguments_are_checked_too(tmp_path):
    body = TREE.replace('role = "model"', 'role = "model"\nfixed = { max_leaves = 8 }')
    assert "operator Tree: fixed.max_leaves: DecisionTreeClassifier has no parameter" in refused(tmp_path, body)
    body = TREE.replace('role = "model"', 'role = "model"\nfixed = { criterion = "gini!" }')
    assert "operator Tree: fixed.criterion: value 'gini!' is refused" in refused(tmp_path, body)


def test_the_arguments_of_a_fixed_estimator_are_checked(tmp_path):
    select = """
    [operators.Select]
    import = "sklearn.feature_selection.SelectFromModel"
    role = "selector"
    fixed = { estimator = { estimator = "sklearn.ensemble.ExtraTreesClassifier", kwargs = { n_trees = 10 } } }
    """
    message = refused(tmp_path, TREE + select)
    assert "operator Select: fixed.estimator: sklearn.ensemble.ExtraTreesClassifier has no parameter 'n_t" in message
    message = refused(tmp_path, TREE + select.replace("n_trees = 10", "n_estimators = -3"))
    assert "operator Select: fixed.estimator:" in message and "value -3 of 'n_estimators' is refused" in message


def test_a_fixed_object_is_checked_against_the_constraint(tmp_path):
    body = (
        TREE
        + """
    [operators.KBest]
    import = "sklearn.feature_selection.SelectKBest"
    role = "selector"
    fixed = { score_func = { object = "sklearn.feature_selection.SelectKBest" } }
    """
    )
    assert load_catalog(write(tmp_path, body), "classification")["KBest"]  # a class is callable: accepted
    message = refused(tmp_path, body.replace('sklearn.feature_selection.SelectKBest" }', 'sklearn.__version__" }'))
    assert "operator KBest: fixed.score_func: sklearn.__version__ is refused by SelectKBest" in message


@pytest.mark.parametrize(
    "operator, fragment",
    [
        (
            '[operators.Forest]\nimport = "sklearn.ensemble.RandomForestRegressor"\nrole = "model"\n',
            "operator Forest: RandomForestRegressor is a regressor, and this catalog is loaded for classification",
        ),
        (
            '[operators.Logit]\nimport = "sklearn.linear_model.LogisticRegression"\nrole = "transformer"\n',
            'operator Logit: role = "transformer", but LogisticRegression has no transform method; use role = "model"',
        ),
        (
            '[operators.Scale]\nimport = "sklearn.preprocessing.StandardScaler"\nrole = "selector"\n',
            'operator Scale: role = "selector", but StandardScaler has no get_support method',
        ),
        (
            '[operators.Scale]\nimport = "sklearn.preprocessing.StandardScaler"\nrole = "model"\n',
            'operator Scale: role = "model", but StandardScaler is neither a classifier nor a regressor',
        ),
        (
            '[operators.Bunch]\nimport = "sklearn.utils.Bunch"\nrole = "transformer"\n',
            "operator Bunch: sklearn.utils.Bunch is not a scikit-learn estimator class",
        ),
        (
            '[operators.Clone]\nimport = "sklearn.base.clone"\nrole = "transformer"\n',
            "operator Clone: sklearn.base.clone is not a scikit-learn estimator class",
        ),
    ],
    ids=[
        "regressor-in-classification",
        "model-as-transformer",
        "not-a-selector",
        "not-a-model",
        "not-an-estimator",
        "a-function",
    ],  # fmt: skip
)
def test_an_operator_in_the_wrong_role(tmp_path, operator, fragment):
    assert fragment in refused(tmp_path, TREE + "\n" + operator)


def test_a_catalog_for_the_other_task_is_refused_as_a_whole():
    for task, other in (("classification", "regression"), ("regression", "classification")):
        for name in ("default", "light"):
            with pytest.raises(CatalogError) as error:
                load_catalog(shipped_catalog_dir() / f"{name}-{other}.toml", task)
            message = str(error.value)
            assert f"{name}-{other}.toml: a {other} catalog (its models are" in message
            assert f"cannot be used for {task}" in message and f"--task {other}" in message


def test_an_error_in_an_included_file_names_that_file(tmp_path):
    included = SCALER.replace('role = "transformer"', 'role = "transformer"\nfixed = { with_median = 1 }')
    write(tmp_path, included, "pre.toml")
    path = write(tmp_path, '[catalog]\ninclude = ["pre.toml"]\n' + TREE)
    with pytest.raises(CatalogError, match=re.escape(f"{tmp_path / 'pre.toml'}: operator Scale: fixed.with_median")):
        load_catalog(path, "classification")


def test_a_class_without_declared_constraints_is_constructed_and_read_back(tmp_path, monkeypatch):
    """The round trip for classes without ``_parameter_constraints`` (users' own, older libraries)."""
    module = tmp_path / "picky_models.py"
    module.write_text(
        "from sklearn.base import BaseEstimator, ClassifierMixin\n\n"
        "class Picky(ClassifierMixin, BaseEstimator):\n"
        "    def __init__(self, k=1):\n"
        "        if k < 0:\n"
        "            raise ValueError('k must be >= 0')\n"
        "        self.k = k\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    body = '[operators.Picky]\nimport = "picky_models.Picky"\nrole = "model"\n[operators.Picky.params]\n'
    trusted = {"allow_modules": ["picky_models"]}
    assert load_catalog(write(tmp_path, body + "k = { int = [0, 3] }\n"), "classification", **trusted)
    message = refused(tmp_path, body + "k = { int = [-1, 3] }\n", **trusted)
    assert "operator Picky: param k: low end -1 of [-1, 3] is refused by Picky: " in message
    assert message.endswith("Picky(k=-1) cannot be constructed (k must be >= 0)")
    message = refused(tmp_path, body + "j = { int = [0, 3] }\n", **trusted)
    assert "operator Picky: param j: Picky has no parameter 'j'" in message


def test_a_name_a_trusted_module_binds_at_run_time_resolves(tmp_path):
    """os.system comes from ``from posix import *``: the source does not show it, the import does."""
    body = TREE + (
        '[operators.KBest]\nimport = "sklearn.feature_selection.SelectKBest"\nrole = "selector"\n'
        'fixed = { score_func = { object = "os.system" } }\n'
    )
    catalog = load_catalog(write(tmp_path, body), "classification", allow_modules=["os"])
    assert catalog["KBest"].fixed[0][1].import_path == "os.system"
    message = refused(tmp_path, body.replace("os.system", "os.sistem"), allow_modules=["os"])
    assert "operator KBest: fixed.score_func: import path 'os.sistem' does not resolve" in message


@pytest.mark.parametrize(
    "path", sorted(p for p in shipped_catalog_dir().glob("*-*.toml")), ids=lambda p: p.stem
)  # fmt: skip
def test_every_shipped_catalog_passes_for_its_task(path):
    task = path.stem.rsplit("-", 1)[1]
    catalog = load_catalog(path, task)
    assert catalog.models and catalog.transformers
    assert set(catalog.skipped) <= {"XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor"}


def test_the_shared_preprocessing_operators_pass_for_both_tasks(tmp_path):
    for task, model in (("classification", "LogisticRegression"), ("regression", "Ridge")):
        body = (
            f'[catalog]\ninclude = ["{shipped_catalog_dir() / "preprocessing.toml"}"]\n'
            f'[operators.M]\nimport = "sklearn.linear_model.{model}"\nrole = "model"\n'
        )
        assert len(load_catalog(write(tmp_path, body), task).transformers) > 10


def readme_toml_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Operator catalogs", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```toml\n(.*?)```", section, re.S)


def test_the_readme_catalog_examples_load(tmp_path):
    operator, start = readme_toml_blocks()
    catalog = load_catalog(write(tmp_path, operator), "classification")
    assert [spec.name for spec in catalog.models] == ["LogisticRegression"]
    scaler = SCALER.replace("Scale]", "StandardScaler]")  # the start pipeline's other operator
    catalog = load_catalog(write(tmp_path, start + operator + scaler), "classification")
    assert [tree.key for tree in catalog.start] == [
        "LogisticRegression(StandardScaler(X), C=1.0, class_weight='balanced')"
    ]
