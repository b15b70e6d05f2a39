"""Random typed trees within depth limits.

DEAP's ``gp.generate`` decides terminal-or-primitive from depth alone, so at inner depths it asks
for a primitive of every type, and hyperparameter types have only terminals. This grower makes
the same half-and-half choice from the same ``pset`` tables, but takes a terminal wherever a
type has no primitive.
"""

from __future__ import annotations

import random

from deap import gp

from gp_automl.gp.primitives import Individual, PrimitiveSet

TERMINAL_RATIO = 0.5


def random_individual(primitives: PrimitiveSet, min_depth: int, max_depth: int) -> Individual:
    """A tree whose operator depth is drawn in [min_depth, max_depth]; "grow" or "full" at random."""
    height = random.randint(min_depth, max_depth)
    full = random.random() < 0.5
    nodes: list = []
    stack = [(0, primitives.pset.ret)]
    while stack:
        depth, type_ = stack.pop()
        primitive_choices = primitives.pset.primitives[type_]
        terminal_choices = primitives.pset.terminals[type_]
        stop = depth >= height or (not full and depth > 0 and random.random() < TERMINAL_RATIO)
        if terminal_choices and (stop or not primitive_choices):
            nodes.append(_terminal(random.choice(terminal_choices)))
        else:
            primitive = random.choice(primitive_choices)
            nodes.append(primitive)
            stack.extend((depth + 1, arg) for arg in reversed(primitive.args))
    return Individual(nodes)


def _terminal(choice):
    return choice() if isinstance(choice, gp.MetaEphemeral) else choice
