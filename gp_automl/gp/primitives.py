"""The typed DEAP primitive set built from a catalog.

Types: ``Matrix`` (raw or transformed features; the data ``X`` and its front variants such as
``X_ordinal`` are its terminals), ``Output`` (a
model's predictions, the root) and one type per operator hyperparameter, whose only terminal is
an ephemeral constant drawing from that parameter's domain. Transformers and selectors map
Matrix -> Matrix, models map Matrix -> Output at the root and, as stacking steps, Matrix ->
Matrix inside the tree, and ``Combine`` joins two Matrix branches (a feature union).
"""

from __future__ import annotations

import functools
import random
import zlib
from dataclasses import dataclass

from deap import base, creator, gp

from gp_automl.space import Catalog, Domain
from gp_automl.tree import COMBINE, DATA

STACK_SUFFIX = "__stack"


class StableType(type):
    """A metaclass whose classes hash by name, not by address.

    DEAP's ``cxOnePoint`` picks the crossover type from a ``set`` of types; with the default
    id-based hash the set's order, and so the search, would change from run to run.
    """

    def __hash__(cls) -> int:
        return zlib.crc32(cls.__qualname__.encode())

    def __eq__(cls, other) -> bool:
        return cls is other


class Matrix(metaclass=StableType):
    """Feature matrix flowing between operators."""


class Output(metaclass=StableType):
    """Predictions of the model at the root."""


# DEAP's creator classes are made once per process, at import, so individuals pickle.
if not hasattr(creator, "GPAutoMLFitness"):
    creator.create("GPAutoMLFitness", base.Fitness, weights=(1.0, -1.0))
    creator.create("GPAutoMLIndividual", gp.PrimitiveTree, fitness=creator.GPAutoMLFitness)

Individual = creator.GPAutoMLIndividual


def _never_called(*args):
    raise RuntimeError("pipelines are built by gp_automl.build, never by compiling DEAP trees")


def _draw(domain: Domain):
    return domain.sample(random)  # ``random`` here is the search's generator (see rng.py)


@dataclass
class PrimitiveSet:
    """DEAP's primitive set plus the lookups conversion needs."""

    pset: gp.PrimitiveSetTyped
    catalog: Catalog
    ephemerals: dict[tuple[str, str], type]  # (operator, parameter) -> ephemeral terminal class
    data_leaves: tuple[str, ...] = (DATA,)


def hyperparameter_name(operator: str, param: str) -> str:
    return f"{operator}__{param}"


def build_primitive_set(catalog: Catalog, data_leaves: tuple[str, ...] = (DATA,)) -> PrimitiveSet:
    """``data_leaves``: the data terminals, ``X`` first, then one per preprocessing-front variant
    the search may choose between (so that choice is a gene that crossover and mutation act on)."""
    pset = gp.PrimitiveSetTyped("pipeline", [], Output)
    if not data_leaves or data_leaves[0] != DATA:
        raise ValueError(f"the data leaves must start with {DATA}, got {data_leaves}")
    for leaf in data_leaves:
        pset.addTerminal(leaf, Matrix, name=leaf)
    ephemerals: dict[tuple[str, str], type] = {}
    for spec in catalog.operators:
        arg_types = [Matrix]
        for param, domain in spec.params:
            name = hyperparameter_name(spec.name, param)
            hp_type = StableType(name, (), {"__doc__": f"hyperparameter {param} of {spec.name}"})
            pset.addEphemeralConstant(name, functools.partial(_draw, domain), hp_type)
            ephemerals[(spec.name, param)] = pset.mapping[name]
            arg_types.append(hp_type)
        if spec.is_model:
            pset.addPrimitive(_never_called, arg_types, Output, name=spec.name)
            if spec.stack:
                pset.addPrimitive(_never_called, arg_types, Matrix, name=spec.name + STACK_SUFFIX)
        else:
            pset.addPrimitive(_never_called, arg_types, Matrix, name=spec.name)
    pset.addPrimitive(_never_called, [Matrix, Matrix], Matrix, name=COMBINE)
    return PrimitiveSet(pset, catalog, ephemerals, tuple(data_leaves))
