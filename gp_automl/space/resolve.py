"""Check that an import path is trusted and names something real, without importing anything.

A catalog only names classes; loading and validating one must never execute code from the
packages it names. Only packages in ``ALLOWED_PACKAGES`` (or opted in by the user) are looked at
at all; for those we find the module file with the import system's finders (which read
directories, not code) and look for the name among what the module binds at top level.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
from collections.abc import Iterable
from functools import lru_cache

# Packages a catalog may name without an opt-in: scikit-learn, the optional model libraries, us.
ALLOWED_PACKAGES = ("sklearn", "xgboost", "lightgbm", "gp_automl")


def is_allowed(import_path: str, allow_modules: Iterable[str] = ()) -> bool:
    """True when ``import_path`` lies inside an allowed package or a module the user opted in."""
    return any(
        import_path == trusted or import_path.startswith(trusted + ".")
        for trusted in (*ALLOWED_PACKAGES, *allow_modules)
    )


def check_module_names(names: Iterable[str]) -> tuple[str, ...]:
    """The opt-in list, validated: dotted Python identifiers such as ``tests`` or ``mylab.models``."""
    if isinstance(names, str):
        names = [names]
    checked = tuple(names)
    for name in checked:
        if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
            raise ValueError(f"{name!r} is not a module name such as 'mylab' or 'mylab.models'")
    return checked


def package_installed(import_path: str) -> bool:
    """True when the top-level package of ``import_path`` can be found on this machine."""
    top = import_path.split(".", 1)[0]
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def resolves(import_path: str) -> bool:
    """True when ``a.b.C`` names a module ``a.b`` that binds ``C`` at top level."""
    module, _, attribute = import_path.rpartition(".")
    if not module or not attribute:
        return False
    source = _module_source(module)
    if source is None:
        return False
    return attribute in _top_level_names(source)


@lru_cache(maxsize=256)
def _module_source(module: str) -> str | None:
    parts = module.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        return None
    for depth in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            return None
        name = ".".join(parts[: depth + 1])
        spec = importlib.machinery.PathFinder.find_spec(name, list(spec.submodule_search_locations))
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    try:
        with open(spec.origin, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


@lru_cache(maxsize=256)
def _top_level_names(source: str) -> frozenset[str]:
    """Names a module binds: definitions, assignments, imports, and entries of ``__all__``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # lazy-loading packages list their public names as strings (__all__, lazy maps)
            if node.value.isidentifier():
                names.add(node.value)
    return frozenset(names)
