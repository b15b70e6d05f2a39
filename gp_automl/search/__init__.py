"""Search loops: where variation (gp/) meets evaluation (executor/)."""

from gp_automl.search.budget import EARLY_STOP, EXHAUSTED, GENERATIONS, INTERRUPTED, SCHEDULER_LOST, TIME, Budget
from gp_automl.search.generational import GenerationalSearch, RandomSearch
from gp_automl.search.hooks import Hooks
from gp_automl.search.steady import SteadyStateSearch

__all__ = [
    "EARLY_STOP",
    "EXHAUSTED",
    "GENERATIONS",
    "INTERRUPTED",
    "SCHEDULER_LOST",
    "TIME",
    "Budget",
    "GenerationalSearch",
    "Hooks",
    "RandomSearch",
    "SteadyStateSearch",
]
