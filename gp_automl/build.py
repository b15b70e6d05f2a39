"""PipelineTree -> scikit-learn estimator, through a neutral *plan*.

A plan is a nest of ``Call`` (an import path called with keyword arguments), ``Ref`` (an object
passed as it is), lists, tuples and plain values. ``instantiate`` turns it into live objects and
``codegen`` renders the very same plan as source, so the exported script cannot drift from the
evaluated pipeline. This module builds operators; ``space.validate`` only imports (trusted)
operator classes to check a catalog against them.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gp_automl.space.catalog import Catalog, ObjectRef
from gp_automl.tree import COMBINE, DATA, PipelineTree

PIPELINE = "sklearn.pipeline.Pipeline"
UNION = "sklearn.pipeline.FeatureUnion"
STACKING = "gp_automl.steps.StackingFeatures"
HELPERS_MODULE = "gp_automl.steps"

# Data leaf -> the step that turns the raw table into numbers (a ColumnTransformer, an imputer).
# A leaf without an entry passes the data through as they are (clean numeric data).
Fronts = Mapping[str, "Call"]


@dataclass(frozen=True)
class Call:
    import_path: str
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Ref:
    import_path: str


def plan_pipeline(tree: PipelineTree, catalog: Catalog, random_state: int | None, fronts: Fronts | None = None) -> Call:
    """The plan of a full pipeline: each data leaf's front step, then the tree's steps, the model last."""
    if tree.is_data or not catalog[tree.op].is_model:
        raise ValueError(f"the root of a pipeline must be a model, got {tree.op}")
    fronts = fronts or {}
    steps = [*_chain(tree.children[0], catalog, random_state, fronts), _operator(tree, catalog, random_state)]
    return Call(PIPELINE, (("steps", _named(steps)),))


def build_pipeline(tree: PipelineTree, catalog: Catalog, random_state: int | None, fronts: Fronts | None = None):
    return instantiate(plan_pipeline(tree, catalog, random_state, fronts))


def _chain(tree: PipelineTree, catalog: Catalog, random_state: int | None, fronts: Fronts) -> list[Call]:
    if tree.is_data:
        if tree.op in fronts:
            return [fronts[tree.op]]
        if tree.op != DATA:
            raise ValueError(f"data leaf {tree.op} has no preprocessing front for these data")
        return []
    if tree.op == COMBINE:
        branches = [_branch(child, catalog, random_state, fronts) for child in tree.children]
        named = [(f"branch{i}", branch) for i, branch in enumerate(branches, 1)]
        return [Call(UNION, (("transformer_list", named),))]
    step = _operator(tree, catalog, random_state)
    if catalog[tree.op].is_model:
        step = Call(STACKING, (("estimator", step),))
    return [*_chain(tree.children[0], catalog, random_state, fronts), step]


def _branch(tree: PipelineTree, catalog: Catalog, random_state: int | None, fronts: Fronts) -> Any:
    steps = _chain(tree, catalog, random_state, fronts)
    if not steps:
        return "passthrough"
    if len(steps) == 1:
        return steps[0]
    return Call(PIPELINE, (("steps", _named(steps)),))


def _named(steps: list[Call]) -> list[tuple[str, Call]]:
    """Readable, unique step names: the class name in lower case, numbered when repeated."""
    names: list[tuple[str, Call]] = []
    used: dict[str, int] = {}
    for step in steps:
        inner = dict(step.kwargs)["estimator"] if step.import_path == STACKING else step
        base = inner.import_path.rsplit(".", 1)[1].lower()
        if step.import_path == STACKING:
            base = f"stack_{base}"
        used[base] = used.get(base, 0) + 1
        names.append((base if used[base] == 1 else f"{base}_{used[base]}", step))
    return names


def _operator(tree: PipelineTree, catalog: Catalog, random_state: int | None) -> Call:
    spec = catalog[tree.op]
    kwargs = {name: _fixed(value, random_state) for name, value in spec.fixed}
    kwargs.update(dict(tree.params))
    return _seeded(spec.import_path, kwargs, random_state)


def _fixed(value: Any, random_state: int | None) -> Any:
    if not isinstance(value, ObjectRef):
        return value
    if value.kwargs is None:
        return Ref(value.import_path)
    return _seeded(value.import_path, dict(value.kwargs), random_state)


def _seeded(import_path: str, kwargs: dict[str, Any], random_state: int | None) -> Call:
    if random_state is not None and "random_state" in _parameters(import_path):
        kwargs.setdefault("random_state", random_state)
    return Call(import_path, tuple(sorted(kwargs.items())))


@lru_cache(maxsize=512)
def _parameters(import_path: str) -> frozenset[str]:
    return frozenset(inspect.signature(import_object(import_path)).parameters)


@lru_cache(maxsize=512)
def import_object(import_path: str) -> Any:
    module, _, name = import_path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def instantiate(plan: Any) -> Any:
    if isinstance(plan, Call):
        return import_object(plan.import_path)(**{k: instantiate(v) for k, v in plan.kwargs})
    if isinstance(plan, Ref):
        return import_object(plan.import_path)
    if isinstance(plan, list):
        return [instantiate(item) for item in plan]
    if isinstance(plan, tuple):
        return tuple(instantiate(item) for item in plan)
    return plan


def preload(catalog: Catalog, fronts: Fronts) -> None:
    """Import every class ``catalog``'s pipelines can use, once per process. Evaluations run in
    processes forked from this one; without this, each would import its operators' modules again
    (a few tenths of a second for ``sklearn.ensemble``), and throw them away when it exits."""
    paths = {PIPELINE, UNION, STACKING} | import_paths(list(fronts.values()))
    for spec in catalog.operators:
        paths.add(spec.import_path)
        paths.update(value.import_path for _, value in spec.fixed if isinstance(value, ObjectRef))
    for path in paths - _preloaded:
        _preloaded.add(path)
        try:
            _parameters(path)  # imports it, and caches the signature the random_state check reads
        except Exception:  # noqa: BLE001 - a broken operator fails in its own evaluation, with its own error
            pass


_preloaded: set[str] = set()


def import_paths(plan: Any) -> set[str]:
    """Every import path a plan names."""
    if isinstance(plan, Call):
        found = {plan.import_path}
        for _, value in plan.kwargs:
            found |= import_paths(value)
        return found
    if isinstance(plan, Ref):
        return {plan.import_path}
    if isinstance(plan, (list, tuple)):
        return set().union(*(import_paths(item) for item in plan)) if plan else set()
    return set()
