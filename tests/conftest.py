"""Shared fixtures: small real datasets and one real Dask LocalCluster for the whole session."""

from __future__ import annotations

import logging
import os

# One BLAS/OpenMP thread in the test process, as on the workers: nested threads on a busy
# 2-core machine make a 0.1 s HistGradientBoosting fit take over a minute.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification

REPO = Path(__file__).resolve().parent.parent
SHIPPED_DATA = REPO / "benchmarks" / "data"


@pytest.fixture(scope="session")
def tiny_classification():
    X, y = make_classification(n_samples=80, n_features=8, n_informative=5, n_redundant=1, n_classes=3, random_state=0)
    return X, y


@pytest.fixture(scope="session")
def breast_cancer():
    return load_breast_cancer(return_X_y=True)


@pytest.fixture(scope="session")
def dask_client():
    """A real two-worker LocalCluster (processes, one thread each), shared to save start-up time."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
