"""Load and validate training data; infer the task; one clear error per bad input.

This first version takes numeric features (missing values allowed: an imputer is put in front of
every pipeline) and a target column. Each problem raises ``DataError`` naming what is wrong.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gp_automl.build import Call
from gp_automl.errors import DataError

CLASSIFICATION, REGRESSION = "classification", "regression"
MAX_CLASSES_FOR_INTEGER_TARGET = 20

IMPUTER = Call("sklearn.impute.SimpleImputer", (("add_indicator", True), ("strategy", "median")))


def front_steps(has_missing: bool) -> tuple[Call, ...]:
    """Fixed steps in front of every pipeline: imputation when features have gaps."""
    return (IMPUTER,) if has_missing else ()


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str | None
    task: str

    @property
    def has_missing(self) -> bool:
        return bool(np.isnan(self.X).any())

    @property
    def front(self) -> tuple[Call, ...]:
        return front_steps(self.has_missing)

    def fingerprint(self) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(self.X).tobytes())
        digest.update(pd.util.hash_array(np.asarray(self.y, dtype=object)).tobytes())
        return digest.hexdigest()[:16]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file exactly as the exported script does."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {path} not found")
    if path.stat().st_size == 0:
        raise DataError(f"data file {path} is empty")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"data file {path} could not be read as CSV: {exc}") from None
    if frame.empty:
        raise DataError(f"data file {path} has a header but no rows")
    return frame


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:20]))
        raise DataError(f"target column {target!r} not found; columns are: {shown}")
    return frame.drop(columns=[target]), frame[target]


def infer_task(y) -> str:
    """Classification for text, boolean, categorical or few-valued integer targets."""
    values = pd.Series(np.asarray(y).ravel())
    if values.dtype.kind in "OSUbc" or isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == "string":
        return CLASSIFICATION
    if values.dtype.kind in "iu":
        return CLASSIFICATION if values.nunique() <= MAX_CLASSES_FOR_INTEGER_TARGET else REGRESSION
    return REGRESSION


def prepare(X, y, task: str, cv: int) -> Dataset:
    """Validate X and y for a search with ``cv`` folds."""
    features, names = to_matrix(X)
    target = np.asarray(y)
    if target.ndim == 2 and target.shape[1] == 1:
        target = target.ravel()
    if target.ndim != 1:
        raise DataError(f"y must be one column, got shape {target.shape}")
    if len(target) != features.shape[0]:
        raise DataError(f"X has {features.shape[0]} rows but y has {len(target)}")
    if pd.isna(pd.Series(target)).any():
        raise DataError(f"the target has {int(pd.isna(pd.Series(target)).sum())} missing values; drop those rows first")
    if task == CLASSIFICATION:
        _check_classes(target, cv)
    else:
        try:
            target = target.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError("regression needs a numeric target; use classification for labels") from None
        if not np.isfinite(target).all():
            raise DataError("the target has infinite values")
        if features.shape[0] < cv:
            raise DataError(f"{features.shape[0]} rows are too few for cv={cv}")
    target_name = getattr(y, "name", None)
    return Dataset(features, target, names, None if target_name is None else str(target_name), task)


def to_matrix(X, expected_features: int | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X) if not hasattr(X, "shape") else X)
    if frame.ndim != 2 or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"X must be a non-empty 2-D table, got shape {frame.shape}")
    names = tuple(str(c) for c in frame.columns)
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"duplicate column names: {', '.join(duplicates)}")
    non_numeric = [str(c) for c, kind in zip(frame.columns, frame.dtypes, strict=True) if not _numeric(kind)]
    if non_numeric:
        raise DataError(f"non-numeric feature column(s): {', '.join(non_numeric[:10])}; encode them as numbers first")
    matrix = frame.to_numpy(dtype=np.float64)
    if np.isinf(matrix).any():
        bad = [names[i] for i in np.where(np.isinf(matrix).any(axis=0))[0]]
        raise DataError(f"infinite values in column(s): {', '.join(bad[:10])}")
    if expected_features is not None and matrix.shape[1] != expected_features:
        raise DataError(f"X has {matrix.shape[1]} features; the model was fitted on {expected_features}")
    return matrix, names


def _numeric(dtype) -> bool:
    return dtype.kind in "iufb"


def _check_classes(target: np.ndarray, cv: int) -> None:
    labels, counts = np.unique(target.astype(str) if target.dtype.kind == "O" else target, return_counts=True)
    if len(labels) < 2:
        raise DataError(f"the target has a single class ({labels[0]!r}); classification needs at least two")
    rare = [str(label) for label, count in zip(labels, counts, strict=True) if count < cv]
    if rare:
        raise DataError(
            f"class(es) {', '.join(rare[:10])} have fewer than cv={cv} rows; add rows, merge classes or lower cv"
        )
