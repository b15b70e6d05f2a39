"""Check that an import path names something real, without importing (and so running) anything.

A catalog only names classes; loading and validating one must never execute code from the
packages it names. We find the module file with the import system's finders (which read
directories, not code) and look for the name among what the module binds at top level.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
from functools import lru_cache


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
