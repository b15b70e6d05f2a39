"""What a search loop tells the outside world: each new result, each generation, each checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gp_automl.archive import Archive, Entry
from gp_automl.checkpoint import SearchState


def _nothing(*args) -> None:
    return None


@dataclass
class Hooks:
    on_result: Callable[[Entry], None] = _nothing
    on_generation: Callable[[int, Archive], None] = _nothing
    on_checkpoint: Callable[[SearchState], None] = _nothing
