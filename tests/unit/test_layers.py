"""Cheap checks that keep the layers and the public surface honest."""

import ast
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


def documented_layers() -> dict[str, int]:
    """docs/architecture.md's layer table: module or package name -> layer number."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    layers = {}
    for number, modules in re.findall(r"^\| (\d+) \| ([^|]+) \|", text, re.M):
        for name in re.findall(r"`(\w+)`", modules):
            layers[name] = int(number)
    return layers


def internal_imports(path: Path) -> set[str]:
    """The top-level gp_automl modules or packages that ``path`` imports from."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gp_automl."):
            found.add(node.module.split(".")[1])
    return found


def test_imports_run_downwards_through_the_documented_layers():
    package = Path(gp_automl.__file__).parent
    layers = documented_layers()
    upward = []
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).with_suffix("").parts
        name = parts[0]
        if name == "__init__":
            continue
        assert name in layers, f"{name} is missing from the layer table in docs/architecture.md"
        for imported in internal_imports(path) - {name}:
            if layers.get(imported, 99) >= layers[name]:
                upward.append(f"{'/'.join(parts)} -> {imported}")
    assert upward == []
