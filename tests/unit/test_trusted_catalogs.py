"""Catalogs name import paths: only trusted packages are looked at unless the user opts a module in."""

import json
import sys
import textwrap

import pytest

from gp_automl import GPClassifier
from gp_automl.cli import main
from gp_automl.errors import CatalogError, ConfigError
from gp_automl.space import load_catalog

HOSTILE_MODULE = """
import pathlib

from sklearn.base import BaseEstimator, ClassifierMixin

pathlib.Path({marker!r}).write_text("imported")


class Model(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        return self
"""

CATALOG = """
[operators.Tree]
import = "sklearn.tree.DecisionTreeClassifier"
role = "model"

[operators.Mine]
import = "{module}.Model"
role = "model"
"""


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """A module on sys.path that leaves a marker file if anything ever imports it, and a catalog naming it."""
    name = f"hostile_{tmp_path.name.replace('-', '_')}"
    marker = tmp_path / "imported.marker"
    (tmp_path / f"{name}.py").write_text(HOSTILE_MODULE.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path))
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(textwrap.dedent(CATALOG.format(module=name)))
    yield name, catalog, marker
    sys.modules.pop(name, None)


def test_a_module_outside_the_trusted_packages_is_refused_without_importing_it(hostile):
    name, catalog, marker = hostile
    with pytest.raises(CatalogError) as error:
        load_catalog(catalog, "classification")
    message = str(error.value)
    assert f"{name}.Model" in message and "operator Mine" in message
    assert f"--allow-module {name}" in message and f"allow_modules=[{name!r}]" in message
    assert not marker.exists() and name not in sys.modules


def test_an_opted_in_module_is_imported_to_be_validated_only_when_a_search_loads_it(hostile):
    name, catalog, marker = hostile
    loaded = load_catalog(catalog, "classification", allow_modules=[name], validate=False)
    assert [spec.name for spec in loaded.models] == ["Tree", "Mine"]
    assert not marker.exists() and name not in sys.modules  # the static checks read the source, never run it
    load_catalog(catalog, "classification", allow_modules=[name])  # the user trusts it: asked, as a search would
    assert marker.exists() and name in sys.modules


def test_object_arguments_are_held_to_the_same_rule(tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[operators.Select]\nimport = "sklearn.feature_selection.SelectKBest"\nrole = "selector"\n'
        'fixed = { score_func = { object = "os.system" } }\n'
        '[operators.Tree]\nimport = "sklearn.tree.DecisionTreeClassifier"\nrole = "model"\n'
    )
    with pytest.raises(CatalogError, match=r"'os.system' is outside the trusted packages.*--allow-module os"):
        load_catalog(catalog, "classification")


def test_a_prefix_of_a_trusted_name_is_not_trusted(tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[operators.Tree]\nimport = "sklearnx.tree.Tree"\nrole = "model"\n')
    with pytest.raises(CatalogError, match="outside the trusted packages"):
        load_catalog(catalog, "classification")


def test_the_command_line_refuses_with_the_opt_in_and_creates_no_run(hostile, tmp_path, capsys):
    name, catalog, marker = hostile
    data = tmp_path / "data.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    out = tmp_path / "run"
    code = main(["fit", str(data), "--target", "y", "--operators", str(catalog), "--out", str(out), "--verbosity", "0"])
    err = capsys.readouterr().err
    assert code == CatalogError.exit_code
    assert err.count("\n") == 1 and err.startswith("gp-automl: error: ") and f"--allow-module {name}" in err
    assert not out.exists() and not marker.exists()


def test_allow_modules_must_be_module_names(tiny_classification):
    X, y = tiny_classification
    with pytest.raises(ConfigError, match="allow_modules"):
        GPClassifier(generations=1, operators="light", allow_modules=["not a module"]).fit(X, y)


def test_a_run_directory_cannot_grant_the_opt_in(tmp_path):
    """resume() takes allow_modules from its caller only: run.json's record of it is not read back."""
    from gp_automl import resume
    from gp_automl.config import make_settings
    from tests.conftest import REPO

    data = tmp_path / "data.csv"
    data.write_text("a,b,y\n" + "".join(f"{i % 7},{i % 3},{i % 2}\n" for i in range(40)))
    params = {**GPClassifier(generations=1, operators=str(REPO / "tests" / "data" / "stall-classification.toml"),
                             allow_modules=["tests"]).get_params(), "scoring": "accuracy"}  # fmt: skip
    settings = make_settings(params, "classification").to_json()
    assert settings["allow_modules"] == ["tests"]
    run = tmp_path / "run"
    run.mkdir()
    info = {"task": "classification", "settings": settings, "seed": 0, "catalog": settings["operators"],
            "data": {"path": str(data), "fingerprint": "0"}, "target": "y"}  # fmt: skip
    (run / "run.json").write_text(json.dumps(info))
    with pytest.raises(CatalogError, match="--allow-module tests"):
        resume(run, verbosity=0)
