"""Read an exported script back into the plan it builds, without running it.

``codegen`` checks every script this way before it is written: the script's docstring, its
constants and the pipeline ``make_pipeline`` returns must be exactly what was meant, value for
value and type for type. A hyperparameter string that tried to close a quote or a docstring and
smuggle in code would read back as something else, and the export is refused.
"""

from __future__ import annotations

import ast
from typing import Any

from gp_automl.build import HELPERS_MODULE, Call, Ref
from gp_automl.errors import ExportError


def plan_from_script(source: str) -> Call:
    """The plan ``make_pipeline()`` returns in ``source``: names resolved through its ``from`` imports."""
    module = _parse(source)
    names = {
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in module.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    names.update(_defined_classes(module))
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == "make_pipeline":
            body = node.body
            if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
                plan = _plan(body[0].value, names)
                if isinstance(plan, Call):
                    return plan
    raise ExportError("the exported script has no make_pipeline() returning a pipeline")


def constants(source: str) -> dict[str, Any]:
    """The module docstring (``__doc__``) and every top-level ``NAME = literal`` of ``source``."""
    module = _parse(source)
    found: dict[str, Any] = {"__doc__": ast.get_docstring(module, clean=False)}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # e.g. CV = KFold(...): a call, compared through its own check
    return found


def same(a: Any, b: Any) -> bool:
    """Equal and of the same kinds all the way down (``1``, ``1.0`` and ``True`` are not the same)."""
    if _kind(a) is not _kind(b):
        return False
    if isinstance(a, Call):
        return a.import_path == b.import_path and same(a.kwargs, b.kwargs)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _kind(value: Any) -> type:
    """The plain type of a scalar (numpy's float64 counts as a float), else the exact type."""
    return next((kind for kind in (bool, int, float, str) if isinstance(value, kind)), type(value))


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise ExportError(f"the exported script does not parse ({exc.msg}, line {exc.lineno})") from None


def _defined_classes(module: ast.Module) -> dict[str, str]:
    """Helper classes written inline stand for ``gp_automl.steps.<name>``, as in the plan."""
    return {node.name: f"{HELPERS_MODULE}.{node.name}" for node in module.body if isinstance(node, ast.ClassDef)}


def _plan(node: ast.expr, names: dict[str, str]) -> Any:
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in names or node.args:
            raise ExportError(f"unexpected call in the exported pipeline: {ast.unparse(node)[:200]}")
        if any(keyword.arg is None for keyword in node.keywords):
            raise ExportError("unexpected **kwargs in the exported pipeline")
        return Call(names[node.func.id], tuple((k.arg, _plan(k.value, names)) for k in node.keywords))
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ExportError(f"unknown name {node.id!r} in the exported pipeline")
        return Ref(names[node.id])
    if isinstance(node, ast.List):
        return [_plan(item, names) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_plan(item, names) for item in node.elts)
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ExportError(f"not a literal in the exported pipeline: {ast.unparse(node)[:200]}") from None
