"""Mutation and crossover: DEAP's typed operators plus one it lacks, all under static limits.

Mutations: replace an operator by another of the same output type (DEAP's ``mutNodeReplacement``
only swaps nodes of identical signature, and each operator here has its own hyperparameter types),
insert an operator (``mutInsert``), remove one (``mutShrink``), redraw one hyperparameter
(``mutEphemeral``) and, when the data have more than one preprocessing front, switch one data leaf
to another front. Crossover is DEAP's typed one-point subtree exchange (``cxOnePoint``).
``staticLimit`` (Koza 1992) undoes any variation whose result is too deep or too large.
Each mutation has a name (``MUTATIONS``), which the journal records as the child's variation.
"""

from __future__ import annotations

import operator
import random
from functools import partial

from deap import gp

from gp_automl.gp.generate import _terminal
from gp_automl.gp.primitives import Individual, Matrix, PrimitiveSet
from gp_automl.lineage import mutation
from gp_automl.tree import COMBINE

# the mutation operators by the name the journal gives them (``mutation:<name>``)
REPLACE, INSERT, SHRINK, HYPERPARAMETER, PREPROCESSING = (
    "replace",
    "insert",
    "shrink",
    "hyperparameter",
    "preprocessing",
)
MUTATIONS = (REPLACE, INSERT, SHRINK, HYPERPARAMETER, PREPROCESSING)


def complexity(individual: list) -> int:
    """Number of operators, the second objective (Combine joints are free)."""
    return sum(1 for node in individual if isinstance(node, gp.Primitive) and node.name != COMBINE)


def mut_replace_operator(individual: Individual, primitives: PrimitiveSet) -> tuple[Individual]:
    """Swap one operator for another of the same output type, keeping its input branch(es)."""
    positions = [i for i, node in enumerate(individual) if isinstance(node, gp.Primitive)]
    index = random.choice(positions)
    node = individual[index]
    candidates = [p for p in primitives.pset.primitives[node.ret] if p.name != node.name]
    if not candidates:
        return (individual,)
    replacement = random.choice(candidates)
    branches = _matrix_branches(individual, index)
    subtree: list = [replacement]
    for arg_type in replacement.args:
        if arg_type is Matrix:
            subtree += branches.pop(0) if branches else [primitives.pset.mapping["X"]]
        else:
            subtree.append(_terminal(random.choice(primitives.pset.terminals[arg_type])))
    individual[individual.searchSubtree(index)] = subtree
    return (individual,)


def _matrix_branches(individual: Individual, index: int) -> list[list]:
    """The Matrix-typed argument subtrees of the node at ``index``, in order."""
    branches, child = [], index + 1
    for arg_type in individual[index].args:
        span = individual.searchSubtree(child)
        if arg_type is Matrix:
            branches.append(individual[span])
        child = span.stop
    return branches


def mut_data_leaf(individual: Individual, primitives: PrimitiveSet) -> tuple[Individual]:
    """Send one data leaf through another preprocessing front (e.g. ``X`` -> ``X_ordinal``)."""
    positions = [i for i, node in enumerate(individual) if getattr(node, "name", None) in primitives.data_leaves]
    index = random.choice(positions)
    others = [leaf for leaf in primitives.data_leaves if leaf != individual[index].name]
    individual[index] = primitives.pset.mapping[random.choice(others)]
    return (individual,)


class Variation:
    """Bound, limited variation operators for one primitive set."""

    def __init__(self, primitives: PrimitiveSet, max_depth: int, max_complexity: int):
        limits = [
            gp.staticLimit(key=operator.attrgetter("height"), max_value=max_depth),
            gp.staticLimit(key=complexity, max_value=max_complexity),
        ]
        mutations = [
            (REPLACE, partial(mut_replace_operator, primitives=primitives)),
            (INSERT, partial(gp.mutInsert, pset=primitives.pset)),
            (SHRINK, gp.mutShrink),
            (HYPERPARAMETER, partial(gp.mutEphemeral, mode="one")),
        ]
        if len(primitives.data_leaves) > 1:  # only then: a search on one front draws as it always did
            mutations.append((PREPROCESSING, partial(mut_data_leaf, primitives=primitives)))
        self._mutations = [(mutation(name), _limited(m, limits)) for name, m in mutations]
        self._crossover = _limited(gp.cxOnePoint, limits)

    def mutate(self, individual: Individual) -> tuple[Individual, str]:
        """A mutated child and its variation name (``mutation:<name>``); one draw picks the operator."""
        name, operator_ = random.choice(self._mutations)
        (child,) = operator_(individual)
        return child, name

    def crossover(self, first: Individual, second: Individual) -> Individual:
        child, _ = self._crossover(first, second)
        return child


def _limited(function, limits):
    for limit in limits:
        function = limit(function)
    return function
