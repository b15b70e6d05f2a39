import subprocess
import sys
import textwrap

import pytest

from gp_automl.errors import CatalogError
from gp_automl.space import Choice, FloatRange, IntRange, load_catalog
from gp_automl.space.catalog import ObjectRef

GOOD_MODEL = """
[operators.Tree]
import = "sklearn.tree.DecisionTreeClassifier"
role = "model"
[operators.Tree.params]
max_depth = { int = [1, 5] }
"""


def write(tmp_path, body, name="catalog.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize("name", ["default", "light"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_shipped_catalogs_load(name, task):
    catalog = load_catalog(name, task)
    assert catalog.models and catalog.transformers
    for spec in catalog.operators:
        for _, domain in spec.params:
            assert isinstance(domain, (Choice, IntRange, FloatRange))


def test_default_catalogs_are_rich():
    names = {s.name for s in load_catalog("default", "classification").operators}
    for expected in [
        "StandardScaler",
        "PCA",
        "Nystroem",
        "PolynomialFeatures",
        "SelectFromModel",
        "LogisticRegression",
        "GaussianNB",
        "KNeighborsClassifier",
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "HistGradientBoostingClassifier",
        "SVC",
        "MLPClassifier",
    ]:
        assert expected in names


def test_user_catalog_with_object_and_estimator_arguments(tmp_path):
    path = write(
        tmp_path,
        GOOD_MODEL
        + """
    [operators.Select]
    import = "sklearn.feature_selection.SelectFromModel"
    role = "selector"
    fixed = { estimator = { estimator = "sklearn.ensemble.ExtraTreesClassifier", kwargs = { n_estimators = 10 } } }
    [operators.KBest]
    import = "sklearn.feature_selection.SelectKBest"
    role = "selector"
    fixed = { score_func = { object = "sklearn.feature_selection.f_classif" } }
    [operators.KBest.params]
    k = { int = [1, 20], log = true }
    """,
    )
    catalog = load_catalog(str(path), "classification")
    assert dict(catalog["Select"].fixed)["estimator"] == ObjectRef(
        "sklearn.ensemble.ExtraTreesClassifier", (("n_estimators", 10),)
    )
    assert dict(catalog["KBest"].fixed)["score_func"] == ObjectRef("sklearn.feature_selection.f_classif")


@pytest.mark.parametrize(
    "body, fragment",
    [
        (GOOD_MODEL.replace('role = "model"', 'role = "model"\ncolour = "red"'), "unknown field(s) ['colour']"),
        (GOOD_MODEL.replace("DecisionTreeClassifier", "DecisionTreeClassifer"), "does not resolve"),
        (GOOD_MODEL.replace("sklearn.tree.", "sklearn.trees."), "does not resolve"),
        (GOOD_MODEL.replace("[1, 5]", "[5, 1]"), "inverted"),
        (GOOD_MODEL.replace("{ int = [1, 5] }", "{ choices = [] }"), "choices is empty"),
        (GOOD_MODEL.replace("{ int = [1, 5] }", "{ float = [0.0, 1.0], log = true }"), "log range needs low > 0"),
        (GOOD_MODEL.replace("{ int = [1, 5] }", "{ float = [1.0, 1.0] }"), "is empty"),
        (GOOD_MODEL.replace("{ int = [1, 5] }", "{ int = [1, 5], choices = [1] }"), "exactly one of"),
        (GOOD_MODEL.replace("{ int = [1, 5] }", "{ int = [1.5, 5] }"), "int must be [low, high]"),
        (GOOD_MODEL.replace('role = "model"', 'role = "modle"'), "role must be one of"),
        (GOOD_MODEL.replace('role = "model"', 'role = "model"\nfixed = { max_depth = 3 }'), "both fixed and searched"),
        (
            GOOD_MODEL.replace("[operators.Tree]", "[operators.X]").replace("operators.Tree.", "operators.X."),
            "identifier other than X",
        ),
    ],
)
def test_malformed_operator_names_file_and_operator(tmp_path, body, fragment):
    path = write(tmp_path, body)
    with pytest.raises(CatalogError) as error:
        load_catalog(str(path), "classification")
    message = str(error.value)
    assert str(path) in message and fragment in message
    if "identifier" not in fragment:
        assert "operator Tree" in message


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("[operators.Tree\nimport = 1", "not a valid TOML file"),
        ("[catalog]\ninclude = ['missing.toml']\n" + GOOD_MODEL, "included file 'missing.toml' not found"),
        ("[catalog]\nauthor = 'me'\n" + GOOD_MODEL, "unknown field(s) ['author']"),
        (
            "[operators.Scale]\nimport = 'sklearn.preprocessing.StandardScaler'\nrole = 'transformer'\n",
            "no usable operator",
        ),
        ("[extra]\na = 1\n" + GOOD_MODEL, "unknown top-level table"),
    ],
)
def test_malformed_catalog_files(tmp_path, body, fragment):
    path = write(tmp_path, body)
    with pytest.raises(CatalogError) as error:
        load_catalog(str(path), "classification")
    assert fragment in str(error.value) and str(tmp_path) in str(error.value)


def test_missing_catalog_lists_shipped_names(tmp_path):
    with pytest.raises(CatalogError, match="default, light"):
        load_catalog("nonexistent", "classification")


def test_operator_of_a_missing_library_is_skipped_with_a_notice(tmp_path):
    path = write(
        tmp_path,
        GOOD_MODEL
        + """
    [operators.Boost]
    import = "surely_not_installed_lib.Booster"
    role = "model"
    """,
    )
    catalog = load_catalog(str(path), "classification", allow_modules=["surely_not_installed_lib"])
    assert catalog.skipped == ("Boost",)
    assert [s.name for s in catalog.operators] == ["Tree"]


def test_loading_without_validation_imports_no_operator_module():
    """export and report read a finished run's catalog statically; a search's load imports the
    (trusted) classes to validate them, see test_trusted_catalogs and test_validate_catalog."""
    code = (
        "import sys, warnings; from gp_automl.space import load_catalog; warnings.simplefilter('ignore'); "
        "before = set(sys.modules); "
        "load_catalog('default', 'classification', validate=False); "
        "load_catalog('default', 'regression', validate=False); "
        "print(sorted(set(sys.modules) - before))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


START_HEADER = "[catalog]\nstart = [{}]\n"


def test_start_pipelines_are_checked_and_kept_in_order(tmp_path):
    path = write(tmp_path, START_HEADER.format('"Tree(X, max_depth=3)", "Tree(X, max_depth=5)"') + GOOD_MODEL)
    catalog = load_catalog(str(path), "classification")
    assert [tree.key for tree in catalog.start] == ["Tree(X, max_depth=3)", "Tree(X, max_depth=5)"]


@pytest.mark.parametrize(
    "start, fragment",
    [
        ('"Tree(X)"', "needs exactly the parameters ['max_depth']"),
        ('"Tree(X, max_depth=9)"', "max_depth=9 is outside its domain"),
        ('"Tree(X, max_depth=3.0)"', "outside its domain"),
        ('"Forest(X, max_depth=3)"', "unknown operator 'Forest'"),
        ('"Tree(X_ordinal, max_depth=3)"', "use X"),
        ('"X"', "X must be a leaf under a model"),
        ("\"__import__('os')\"", "not a pipeline key"),
        ("1", "list of pipeline strings"),
    ],
)
def test_malformed_start_pipelines_name_the_file_and_the_pipeline(tmp_path, start, fragment):
    path = write(tmp_path, START_HEADER.format(start) + GOOD_MODEL)
    with pytest.raises(CatalogError) as error:
        load_catalog(str(path), "classification")
    assert str(path) in str(error.value) and fragment in str(error.value)


def test_start_pipelines_of_a_missing_library_are_left_out(tmp_path):
    boost = '\n[operators.Boost]\nimport = "surely_not_installed_lib.Booster"\nrole = "model"\n'
    path = write(tmp_path, START_HEADER.format('"Boost(X)", "Tree(X, max_depth=1)"') + GOOD_MODEL + boost)
    catalog = load_catalog(str(path), "classification", allow_modules=["surely_not_installed_lib"])
    assert [tree.key for tree in catalog.start] == ["Tree(X, max_depth=1)"]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_default_catalogs_start_from_well_tried_models(task):
    starts = [tree.op for tree in load_catalog("default", task).start]
    assert {"RandomForest", "ExtraTrees"} <= {op.removesuffix("Classifier").removesuffix("Regressor") for op in starts}
    assert {"LogisticRegression", "Ridge"} & set(starts)
