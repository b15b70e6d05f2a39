"""Small scikit-learn helpers that pipeline trees need and scikit-learn does not ship.

This module is copied verbatim into exported scripts (see ``codegen``), so it imports only
numpy and scikit-learn and holds nothing but the helper classes.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone, is_classifier


class StackingFeatures(TransformerMixin, BaseEstimator):
    """Append a model's predictions (class probabilities where it has them) to the features."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self

    def transform(self, X):
        model = self.estimator_
        if is_classifier(model) and hasattr(model, "predict_proba"):
            extra = model.predict_proba(X)
        elif is_classifier(model) and hasattr(model, "decision_function"):
            extra = model.decision_function(X)
        else:
            extra = model.predict(X)
        extra = np.asarray(extra, dtype=float)
        if extra.ndim == 1:
            extra = extra.reshape(-1, 1)
        return np.hstack([np.asarray(X, dtype=float), extra])
