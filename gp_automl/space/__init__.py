"""The search space as data: operator specs and hyperparameter domains, loaded from catalogs."""

from gp_automl.space.catalog import Catalog, OperatorSpec, load_catalog
from gp_automl.space.domains import Choice, Domain, FloatRange, IntRange

__all__ = ["Catalog", "Choice", "Domain", "FloatRange", "IntRange", "OperatorSpec", "load_catalog"]
