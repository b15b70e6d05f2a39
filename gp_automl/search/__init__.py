"""Search loops: where variation (gp/) meets evaluation (executor/)."""

from gp_automl.search.budget import EARLY_STOP, EXHAUSTED, GENERATIONS, TIME, Budget
from gp_automl.search.generational import run_generational

__all__ = ["EARLY_STOP", "EXHAUSTED", "GENERATIONS", "TIME", "Budget", "run_generational"]
