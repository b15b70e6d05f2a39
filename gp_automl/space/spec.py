"""What a catalog entry becomes once read: plain frozen values, shared by the loader and its checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gp_automl.space.domains import Domain


@dataclass(frozen=True)
class ObjectRef:
    """A fixed argument that is an object named by import path, optionally called with kwargs."""

    import_path: str
    kwargs: tuple[tuple[str, Any], ...] | None = None  # None: pass the object itself


@dataclass(frozen=True)
class OperatorSpec:
    name: str
    import_path: str
    role: str
    params: tuple[tuple[str, Domain], ...] = ()
    fixed: tuple[tuple[str, Any], ...] = ()
    stack: bool = True

    @property
    def is_model(self) -> bool:
        return self.role == "model"

    def domain(self, param: str) -> Domain:
        return dict(self.params)[param]
