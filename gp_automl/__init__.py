"""gp_automl: genetic-programming AutoML on Dask, exporting readable scikit-learn scripts."""

from gp_automl.estimator import GPClassifier, GPRegressor
from gp_automl.version import __version__

__all__ = ["GPClassifier", "GPRegressor", "__version__"]
