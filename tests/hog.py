"""A test-only operator: a classifier whose fit first allocates ``gib`` GiB, standing in for a
pipeline that asks for far more memory than its worker has."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class Hog(ClassifierMixin, BaseEstimator):
    def __init__(self, gib: float = 0.0):
        self.gib = gib

    def fit(self, X, y):
        # np.empty, not np.ones: the memory limit must refuse the allocation itself; if it ever
        # failed to, the test fails (the fit succeeds) instead of the machine running out of memory.
        self.block_size_ = np.empty(int(self.gib * 2**30) // 8).nbytes
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)
