"""A test-only operator: a classifier whose fit first sleeps, standing in for a pipeline stuck
inside C code. With ``GP_AUTOML_TEST_PIDS`` set to a folder, each fit leaves its process id
there, so a test can check that no stuck evaluation outlives the search."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class Stall(ClassifierMixin, BaseEstimator):
    def __init__(self, seconds: float = 0.0):
        self.seconds = seconds

    def fit(self, X, y):
        folder = os.environ.get("GP_AUTOML_TEST_PIDS")
        if folder:
            Path(folder, str(os.getpid())).touch()
        time.sleep(self.seconds)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class KillsItsWorker(Stall):
    """Kills the Dask worker that evaluates it (the parent of the forked evaluation), every time:
    a pipeline that would take the cluster down one worker after another."""

    def fit(self, X, y):
        import signal

        os.kill(os.getppid(), signal.SIGKILL)
        return super().fit(X, y)
