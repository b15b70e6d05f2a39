"""Lineage: which parents and which variation made a pipeline, recorded beside it in the journal.

Neutral like ``PipelineTree``: the search draws it in ``gp/``, the journal stores it, the report and
``evaluations_`` read it, and none of them sees a DEAP object. Parents are pipeline keys.
"""

from __future__ import annotations

from dataclasses import dataclass

START = "start"  # one of the catalog's start pipelines
INIT = "init"  # a random tree of the first generation
RANDOM = "random"  # a random tree later: random mode, a fill-up when breeding found too few unseen children, ...
CROSSOVER = "crossover"  # a subtree of the second parent put into the first
MUTATION = "mutation:"  # prefix; the mutation operator's name follows (see gp/variation.py)
UNKNOWN = "unknown"  # logged before lineage was recorded (an old run directory)


@dataclass(frozen=True)
class Lineage:
    parents: tuple[str, ...] = ()
    variation: str = UNKNOWN


def mutation(name: str) -> str:
    """The variation name of mutation operator ``name``, e.g. ``mutation:insert``."""
    return MUTATION + name


NO_LINEAGE = Lineage()
