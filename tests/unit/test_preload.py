"""Operator modules are imported once per worker, not once per (forked) evaluation."""

import subprocess
import sys

from gp_automl.build import preload
from gp_automl.space import load_catalog


def test_preload_imports_every_operator_of_the_catalog_and_the_fronts():
    code = (
        "import sys\n"
        "from gp_automl.build import Call, preload\n"
        "from gp_automl.space import load_catalog\n"
        "assert 'sklearn.ensemble' not in sys.modules\n"
        "front = Call('sklearn.compose.ColumnTransformer', (('transformers', [('n', Call('sklearn.impute.SimpleImputer'), [0])]),))\n"  # noqa: E501
        "preload(load_catalog('default', 'classification'), {'X': front})\n"
        "needed = ['sklearn.ensemble', 'sklearn.svm', 'sklearn.neural_network', 'sklearn.impute', 'sklearn.compose']\n"
        "print([m for m in needed if m not in sys.modules])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_an_operator_that_cannot_be_imported_is_left_to_fail_in_its_own_evaluation():
    catalog = load_catalog("light", "classification")
    broken = catalog.operators[0].__class__(name="Gone", import_path="sklearn.no_such_module.Gone", role="model")
    preload(catalog.__class__(catalog.name, catalog.path, "", (*catalog.operators, broken)), {})
