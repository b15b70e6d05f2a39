"""Render a pipeline plan as a standalone, readable Python script. Nothing here evaluates code.

The script imports scikit-learn, numpy and pandas (and any model library the pipeline names),
writes helper classes inline, rebuilds the exact pipeline, and when run cross-validates it on the
training data with the same folds and prints the score the search reported.

Scripts are handed to colleagues, so nothing a catalog or a run.json holds may become code: every
value is written as a literal that is checked to read back as itself, and the finished script is
parsed back (``readback``) and compared with the plan before anyone can write it.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass, field
from typing import Any

from gp_automl import steps as steps_module
from gp_automl.build import HELPERS_MODULE, Call, Ref, import_paths
from gp_automl.errors import ExportError
from gp_automl.readback import constants, plan_from_script, same
from gp_automl.tree import format_value

_LINE = 88


@dataclass(frozen=True)
class ScriptInfo:
    """What the script says about where it came from and how to check it."""

    key: str
    task: str
    scoring: str
    cv_splits: int
    random_state: int | None
    score: float
    data_path: str | None
    target: str | None
    version: str
    read: dict = field(default_factory=lambda: {"format": "csv", "sep": ","})  # see data.read_options


def render_script(plan: Call, info: ScriptInfo) -> str:
    """The script; ExportError if any value is not a plain literal or the script does not read back as ``plan``."""
    if type(info.cv_splits) is not int or not (info.random_state is None or type(info.random_state) is int):
        raise ExportError("cv splits and random_state must be integers (is run.json damaged?)")
    try:
        score = float.__repr__(float(info.score))
    except (TypeError, ValueError):
        raise ExportError(f"the reported score {info.score!r} is not a number") from None
    doc = (
        f"Pipeline found by gp_automl {info.version}.\n\nPipeline: {info.key}\n"
        f"Reported {info.cv_splits}-fold CV {info.scoring}: {score}\n\n"
        "Usage: python best_pipeline.py [DATA.csv]   (defaults to the training data below)\n"
    )
    paths = import_paths(plan)
    helpers = {path.rpartition(".")[2] for path in paths if path.startswith(HELPERS_MODULE + ".")}
    helper_imports, helper_body = _helper_source(helpers) if helpers else ([], "")
    splitter = "StratifiedKFold" if info.task == "classification" else "KFold"
    lines = [
        f'"""{_docstring(doc)}"""',
        "",
        "import sys",
        "",
        "import numpy as np",
        "import pandas as pd",
        f"from sklearn.model_selection import {splitter}, cross_val_score",
        *_from_imports({path for path in paths if not path.startswith(HELPERS_MODULE + ".")}),
        *(line for line in helper_imports if line not in ("import numpy as np", "import pandas as pd")),
        "",
    ]
    if helper_body:
        lines += ["", helper_body, ""]
    lines += [
        "",
        f"DATA_PATH = {_literal(info.data_path)}",
        f"TARGET = {_literal(info.target)}",
        f"SCORING = {_literal(info.scoring)}",
        f"CV = {splitter}(n_splits={info.cv_splits}, shuffle=True, random_state={_literal(info.random_state)})",
        "",
        "",
        "def make_pipeline():",
        f"    return {_render(plan, 4)}",
        "",
        "",
        "def load_data(path):",
        '    """Read the raw table the way gp_automl did; the pipeline itself does the preprocessing."""',
        f"    data = {_reader(info.read)}",
        "    data = data[data[TARGET].notna()].reset_index(drop=True)  # rows without a target are not used",
        "    X = data.drop(columns=[TARGET])",
        "    y = data[TARGET].to_numpy(dtype=float)"
        if info.task != "classification"
        else "    y = data[TARGET].infer_objects().to_numpy()",
        "    return X, y",
        "",
        "",
        'if __name__ == "__main__":',
        "    path = sys.argv[1] if len(sys.argv) > 1 else DATA_PATH",
        "    if path is None or TARGET is None:",
        '        sys.exit("usage: python best_pipeline.py DATA.csv (and set TARGET in this file)")',
        "    X, y = load_data(path)",
        "    scores = cross_val_score(make_pipeline(), X, y, cv=CV, scoring=SCORING)",
        '    print(f"CV {SCORING}: {float(scores.mean())!r}")',
        "    pipeline = make_pipeline().fit(X, y)",
        "",
    ]
    script = "\n".join(lines)
    _check_reads_back(script, plan, {"__doc__": doc, "DATA_PATH": info.data_path, "TARGET": info.target,
                                     "SCORING": info.scoring})  # fmt: skip
    return script


def _check_reads_back(script: str, plan: Call, expected: dict[str, Any]) -> None:
    """Refuse a script whose docstring, constants or pipeline are not exactly what was meant."""
    found = constants(script)
    for name, value in expected.items():
        if not same(found.get(name), value):
            raise ExportError(f"the exported script's {name} does not read back as written; export refused")
    if not same(plan_from_script(script), plan):
        raise ExportError("the exported script's pipeline does not read back as the tree it came from; export refused")


def _literal(value: Any) -> str:
    """``format_value``, checked: the text must read back as the same value of the same type."""
    try:
        text = format_value(value)
    except (TypeError, ValueError) as exc:
        raise ExportError(f"cannot export: {exc}") from None
    if not same(ast.literal_eval(text), value):
        raise ExportError(f"cannot export: {value!r} does not read back as a literal")
    return text


def _docstring(text: str) -> str:
    """The body of a triple-quoted docstring that reads back as ``text`` (quotes, backslashes and
    control characters escaped, so no text can end the docstring early)."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n" or char.isprintable():
            out.append(char)
        else:
            out.append(ascii(char)[1:-1])
    return "".join(out)


def render_expression(plan: Call) -> str:
    """The pipeline as one line of Python (for tables); the script has the readable layout."""
    return _render(plan, 0, width=10**9)


def _from_imports(paths: set[str]) -> list[str]:
    """One ``from module import A, B`` line per module, sorted."""
    by_module: dict[str, list[str]] = {}
    for path in paths:
        module, _, name = path.rpartition(".")
        by_module.setdefault(module, []).append(name)
    return [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(by_module.items())]


def _reader(read: dict) -> str:
    if read.get("format") == "parquet":
        return "pd.read_parquet(path)"
    decimal = f", decimal={_literal(read['decimal'])}" if read.get("decimal") else ""
    encoding = f", encoding={_literal(read['encoding'])}" if read.get("encoding") else ""
    return f"pd.read_csv(path, sep={_literal(read.get('sep', ','))}{decimal}{encoding})"


def _helper_source(names: set[str]) -> tuple[list[str], str]:
    """The helpers module's import lines and the named class definitions, verbatim."""
    source = inspect.getsource(steps_module)
    lines = source.splitlines()
    imports, body = [], []
    for statement in ast.parse(source).body:
        text = "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            imports.append(text)
        elif isinstance(statement, ast.ClassDef) and statement.name in names:
            body.append(text)
    return imports, "\n\n\n".join(body)


def _render(value: Any, indent: int, width: int = _LINE) -> str:
    """Render a plan value; short calls stay on one line, longer ones get one argument per line."""
    if isinstance(value, Call):
        name = value.import_path.rpartition(".")[2]
        parts = [f"{key}={_render(item, indent + 4, width)}" for key, item in value.kwargs]
        flat = f"{name}({', '.join(parts)})"
        if "\n" not in flat and indent + len(flat) <= width:
            return flat
        inner = " " * (indent + 4)
        return f"{name}(\n" + "".join(f"{inner}{part},\n" for part in parts) + " " * indent + ")"
    if isinstance(value, Ref):
        return value.import_path.rpartition(".")[2]
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = " " * (indent + 4)
        flat = "[" + ", ".join(_render(item, indent, width) for item in value) + "]"
        plain = not any(isinstance(item, (Call, tuple, list)) for item in value)  # e.g. column names
        if width > _LINE or (plain and indent + len(flat) <= width):
            return flat
        items = "".join(f"{inner}{_render(item, indent + 4, width)},\n" for item in value)
        return "[\n" + items + " " * indent + "]"
    if isinstance(value, tuple):
        flat = "(" + ", ".join(_render(item, indent, width) for item in value) + ("," if len(value) == 1 else "") + ")"
        if "\n" not in flat or width > _LINE:
            return flat
        inner = " " * (indent + 4)
        items = "".join(f"{inner}{_render(item, indent + 4, width)},\n" for item in value)
        return "(\n" + items + " " * indent + ")"
    return _literal(value)
