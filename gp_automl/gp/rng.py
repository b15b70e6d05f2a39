"""Give DEAP a private random generator.

DEAP's operators draw from the module-level ``random``. So does the Dask scheduler, which runs
in the driver's process (a LocalCluster) on another thread: sharing the global generator would
make a seeded search depend on how many workers and messages there were. While a search draws,
the ``random`` name inside DEAP's modules and ours points at the search's own generator.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import deap.gp
import deap.tools.emo

_lock = threading.RLock()


def _modules() -> list[ModuleType]:
    from gp_automl.gp import generate, primitives, variation

    return [deap.gp, deap.tools.emo, generate, primitives, variation]


@contextmanager
def drawing_from(rng: random.Random) -> Iterator[None]:
    with _lock:
        modules = _modules()
        saved = [module.random for module in modules]
        for module in modules:
            module.random = rng
        try:
            yield
        finally:
            for module, original in zip(modules, saved, strict=True):
                module.random = original
