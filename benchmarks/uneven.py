"""A classifier of chosen cost, for measuring scheduling rather than learning (benchmarks only).

``BusyClassifier(seconds=...)`` keeps a core busy for ``seconds`` per fit, then predicts the
majority class. A catalog offering several costs gives pipelines of uneven cost, the case where a
generation barrier leaves workers idle behind the slowest pipeline.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class BusyClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, seconds: float = 0.1, variant: int = 0):
        self.seconds = seconds
        self.variant = variant  # only there to make many distinct pipelines of the same cost

    def fit(self, X, y):
        until = time.process_time() + self.seconds
        while time.process_time() < until:
            pass
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)
