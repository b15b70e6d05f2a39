"""PipelineTree: the neutral, immutable pipeline that everything after the search speaks.

A node is an operator name, its hyperparameters and its children. Leaves are the data: ``X``, or a
named variant such as ``X_ordinal`` (the same raw table through another preprocessing front, see
``front``); a ``Combine`` node joins two branches as a feature union; a model below the root is a
stacking step.
The canonical key is a Python-call-shaped string, e.g.
``LogisticRegression(Combine(PCA(X, n_components=0.9), X), C=0.5)``: parameters sorted by name,
values as Python literals. Equal trees have equal keys, and ``parse`` turns a key back into a tree
without evaluating any code.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

DATA = "X"
DATA_VARIANT_PREFIX = "X_"
COMBINE = "Combine"
Value = Any  # int | float | str | bool | None


@dataclass(frozen=True)
class PipelineTree:
    op: str
    params: tuple[tuple[str, Value], ...] = ()
    children: tuple[PipelineTree, ...] = ()

    @staticmethod
    def node(op: str, params: dict[str, Value] | None = None, *children: PipelineTree) -> PipelineTree:
        """Build a node with parameters in canonical (sorted) order."""
        return PipelineTree(op, tuple(sorted((params or {}).items())), tuple(children))

    @property
    def is_data(self) -> bool:
        return is_data_name(self.op)

    @cached_property
    def key(self) -> str:
        return str(self)

    @cached_property
    def complexity(self) -> int:
        """Number of operators (data leaves and Combine joints are free)."""
        own = 0 if self.is_data or self.op == COMBINE else 1
        return own + sum(child.complexity for child in self.children)

    @cached_property
    def depth(self) -> int:
        return 1 + max((child.depth for child in self.children), default=0)

    def walk(self) -> Iterator[PipelineTree]:
        yield self
        for child in self.children:
            yield from child.walk()

    def operators(self) -> list[str]:
        return [n.op for n in self.walk() if not (n.is_data or n.op == COMBINE)]

    def data_leaves(self) -> set[str]:
        return {n.op for n in self.walk() if n.is_data}

    def __str__(self) -> str:
        if self.is_data:
            return self.op
        parts = [str(child) for child in self.children]
        parts += [f"{name}={format_value(value)}" for name, value in self.params]
        return f"{self.op}({', '.join(parts)})"

    def to_dict(self) -> dict:
        return {"op": self.op, "params": dict(self.params), "children": [c.to_dict() for c in self.children]}

    @staticmethod
    def from_dict(data: dict) -> PipelineTree:
        children = [PipelineTree.from_dict(c) for c in data.get("children", [])]
        return PipelineTree.node(data["op"], data.get("params", {}), *children)


def is_data_name(name: str) -> bool:
    """``X`` or a front variant ``X_<something>``: a leaf that stands for the (preprocessed) data."""
    return name == DATA or (name.startswith(DATA_VARIANT_PREFIX) and name[len(DATA_VARIANT_PREFIX) :].isidentifier())


def format_value(value: Value) -> str:
    """A Python literal for a hyperparameter value (``repr`` round-trips floats exactly).

    The base types' own ``__repr__`` is called, so a subclass cannot render itself as code."""
    if value is None or isinstance(value, bool):
        return "None" if value is None else ("True" if value else "False")
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, str):
        return str.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"hyperparameter value {value!r} is not a finite number")
        return float.__repr__(value)
    raise TypeError(f"hyperparameter value of type {type(value).__name__} is not a literal")


def parse(key: str) -> PipelineTree:
    """Turn a canonical key back into a tree; only names, calls and literals are accepted."""
    try:
        expression = ast.parse(key, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not a pipeline key: {key!r} ({exc.msg})") from None
    return _from_ast(expression, key)


def _from_ast(node: ast.AST, key: str) -> PipelineTree:
    if isinstance(node, ast.Name) and is_data_name(node.id):
        return PipelineTree(node.id)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"not a pipeline key: {key!r}")
    params = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ValueError(f"not a pipeline key: {key!r}")
        try:
            params[keyword.arg] = ast.literal_eval(keyword.value)
        except ValueError:
            raise ValueError(f"parameter {keyword.arg} in {key!r} is not a literal") from None
    children = [_from_ast(arg, key) for arg in node.args]
    return PipelineTree.node(node.func.id, params, *children)
