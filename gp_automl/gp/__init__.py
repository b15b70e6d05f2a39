"""The DEAP boundary: nothing outside this package imports deap."""

from gp_automl.gp.evolution import Evolution, Scored

__all__ = ["Evolution", "Scored"]
