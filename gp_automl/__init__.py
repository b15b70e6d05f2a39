"""gp_automl: genetic-programming AutoML on Dask, exporting readable scikit-learn scripts."""

from typing import TYPE_CHECKING

from gp_automl.version import __version__

if TYPE_CHECKING:
    from gp_automl.estimator import GPClassifier, GPRegressor, resume

__all__ = ["GPClassifier", "GPRegressor", "__version__", "resume"]


def __getattr__(name: str):
    # Imported on first use, so a Dask worker importing gp_automl.evaluate loads neither the
    # estimators nor DEAP.
    if name in ("GPClassifier", "GPRegressor", "resume"):
        from gp_automl import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'gp_automl' has no attribute {name!r}")
