"""Cheap checks that keep the layers and the public surface honest."""

import re
import subprocess
import sys
from pathlib import Path

import gp_automl


def test_public_api_is_exactly_what_the_docs_say():
    assert sorted(gp_automl.__all__) == ["GPClassifier", "GPRegressor", "__version__", "resume"]


def test_workers_never_load_deap():
    code = "import sys, gp_automl.evaluate; print('deap' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"


def test_only_the_gp_package_imports_deap():
    package = Path(gp_automl.__file__).parent
    importing = re.compile(r"^\s*(import deap|from deap)", re.M)
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.relative_to(package).parts[0] != "gp" and importing.search(path.read_text())
    ]
    assert offenders == []
