"""Load and validate training data; infer the task; one clear error per bad input.

Features stay a raw pandas DataFrame (strings, dates, gaps and all): the preprocessing front
(``front``) is part of every pipeline, so the exported script and the saved model take the same
raw table. Each problem raises ``DataError`` naming what is wrong and what to do.
"""

from __future__ import annotations

import csv
import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gp_automl.build import Call
from gp_automl.columns import ColumnTyping, infer_columns
from gp_automl.cv import check_folds
from gp_automl.errors import ConfigError, DataError, DataWarning
from gp_automl.front import data_leaves, front_variants

CLASSIFICATION, REGRESSION = "classification", "regression"
MAX_CLASSES_FOR_INTEGER_TARGET = 20
PARQUET_SUFFIXES = (".parquet", ".pq")
SEPARATORS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_DECIMAL_COMMA = re.compile(r"(^|[;\t|])-?\d+,\d+(?=$|[;\t|])", re.M)
_DECIMAL_POINT = re.compile(r"(^|[;\t|])-?\d+\.\d+(?=$|[;\t|])", re.M)


@dataclass(frozen=True)
class Dataset:
    X: pd.DataFrame
    y: np.ndarray
    typing: ColumnTyping
    target_name: str | None
    task: str
    dropped_target_rows: int = 0

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.X.columns)

    @property
    def front(self) -> dict[str, Call]:
        return front_variants(self.typing)

    @property
    def data_leaves(self) -> tuple[str, ...]:
        return data_leaves(self.typing)

    def fingerprint(self) -> str:
        digest = hashlib.sha256("\x1f".join(self.X.columns).encode())
        digest.update(pd.util.hash_pandas_object(self.X, index=False).to_numpy().tobytes())
        digest.update(pd.util.hash_array(np.asarray(self.y, dtype=object)).tobytes())
        return digest.hexdigest()[:16]


def read_options(path: str | Path) -> dict:
    """How the exported script must read this file: its format and, for CSV, the delimiter and the
    decimal mark (``1,5`` in files separated by ``;``, as European spreadsheets write them)."""
    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        return {"format": "parquet"}
    sample = _sample(Path(path))
    sep = _sniff_separator(sample)
    options = {"format": "csv", "sep": sep}
    if sep != "," and _DECIMAL_COMMA.search(sample) and not _DECIMAL_POINT.search(sample):
        options["decimal"] = ","
    return options


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, delimiter detected) or Parquet file exactly as the exported script does."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {path} not found")
    if path.stat().st_size == 0:
        raise DataError(f"data file {path} is empty")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
    else:
        options = read_options(path)
        _check_header(path, options["sep"])
        try:
            frame = pd.read_csv(path, sep=options["sep"], decimal=options.get("decimal", "."), encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"data file {path} is not UTF-8 text (byte {exc.object[exc.start]:#x} at position {exc.start});"
                " re-save it as UTF-8"
            ) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"data file {path} could not be read as CSV: {exc}") from None
    if frame.empty:
        raise DataError(f"data file {path} has a header but no rows")
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401 - pandas needs it; say so plainly when it is absent
    except ImportError:
        raise DataError(f"reading {path} needs pyarrow; install it with: pip install 'gp_automl[parquet]'") from None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors have no common public base
        raise DataError(f"data file {path} could not be read as Parquet: {exc}") from None


def _sample(path: Path) -> str:
    head = path.read_bytes()[:_SNIFF_BYTES].decode("utf-8-sig", errors="replace")
    lines = head.splitlines()
    return "\n".join(lines[:-1] if len(lines) > 1 else lines)  # the last line may be cut short


def _sniff_separator(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","


def _check_header(path: Path, sep: str) -> None:
    """pandas renames repeated header names (a, a.1); the user should hear about them instead."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            header = next(csv.reader(stream, delimiter=sep), [])
    except UnicodeDecodeError as exc:
        raise DataError(
            f"data file {path} is not UTF-8 text (byte {exc.object[exc.start]:#x} at position {exc.start});"
            " re-save it as UTF-8"
        ) from None
    _check_unique([name.strip() for name in header], f"data file {path}")


def _check_unique(names: list[str], where: str) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"{where} has duplicate column names: {', '.join(duplicates[:10])}; rename them")


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:20]))
        raise DataError(f"target column {target!r} not found; columns are: {shown}")
    return frame.drop(columns=[target]), frame[target]


def infer_task(y) -> str:
    """Classification for text, boolean, categorical or few-valued integer targets."""
    values = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y).dropna()
    if values.dtype.kind in "OSUbc" or isinstance(values.dtype, (pd.CategoricalDtype, pd.StringDtype)):
        return CLASSIFICATION
    if values.dtype.kind in "iu" or (values.dtype.kind == "f" and np.all(values == np.round(values))):
        return CLASSIFICATION if values.nunique() <= MAX_CLASSES_FOR_INTEGER_TARGET else REGRESSION
    return REGRESSION


def prepare(X, y, task: str, cv: int) -> Dataset:
    """Validate X and y for a search with ``cv`` folds; rows without a target are dropped (warned)."""
    frame = to_frame(X)
    target = _target_series(y)
    if len(target) != len(frame):
        raise DataError(f"X has {len(frame)} rows but y has {len(target)}")
    _check_finite(frame)
    target_name = None if target.name is None else str(target.name)
    missing = target.isna().to_numpy()
    if missing.all():
        raise DataError(f"the target{_named(target_name)} has no values: every row is missing it")
    if missing.any():
        warnings.warn(
            f"dropped {int(missing.sum())} of {len(target)} rows whose target{_named(target_name)} is missing",
            DataWarning,
            stacklevel=4,  # the user's call: fit() or resume() -> _fit() -> prepare()
        )
        frame, target = frame[~missing].reset_index(drop=True), target[~missing].reset_index(drop=True)
    labels = _labels(target, task, target_name)
    if task == CLASSIFICATION:
        _check_classes(labels)
    check_folds(labels, task, cv)
    typing = infer_columns(frame)
    if not typing.used:
        reasons = "; ".join(f"{name}: {why}" for name, why in list(typing.dropped.items())[:5])
        raise DataError(f"no usable feature column: every one was dropped ({reasons})")
    return Dataset(frame, labels, typing, target_name, task, int(missing.sum()))


def _named(name: str | None) -> str:
    return "" if name is None else f" column {name!r}"


def to_frame(X) -> pd.DataFrame:
    """Features as a DataFrame with string column names and plain (numpy-backed) dtypes."""
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise DataError(f"X must be a 2-D table, got shape {array.shape}")
        frame = pd.DataFrame(array)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"X must be a non-empty 2-D table, got shape {frame.shape}")
    names = [str(c) for c in frame.columns]
    _check_unique(names, "X")
    frame = frame.set_axis(names, axis=1).infer_objects()  # numbers in an object array become numbers
    return frame.apply(_plain) if any(_masked(frame[c].dtype) or frame[c].dtype == object for c in names) else frame


def _masked(dtype) -> bool:
    return (
        isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and not isinstance(dtype, (pd.CategoricalDtype, pd.DatetimeTZDtype))
        and getattr(dtype, "na_value", None) is pd.NA
    )


def _plain(column: pd.Series) -> pd.Series:
    """pandas' nullable dtypes (Int64, boolean, string with pd.NA) -> what read_csv gives; objects of
    mixed types (1 and "a") -> text, as encoders need values of one type."""
    if column.dtype == object:
        kinds = {type(v) for v in column.dropna()}
        if len(kinds) > 1 and not kinds <= {bool, np.bool_}:
            return column.map(lambda v: v if pd.isna(v) else str(v))
        return column
    if not _masked(column.dtype):
        return column
    if column.dtype.kind in "iuf":
        return pd.Series(column.to_numpy(dtype=np.float64, na_value=np.nan), name=column.name)
    return pd.Series(column.to_numpy(dtype=object, na_value=np.nan), name=column.name)


def _target_series(y) -> pd.Series:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise DataError(f"y must be one column, got shape {y.shape}")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        return _plain(y.reset_index(drop=True)).rename(y.name)
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.ravel()
    if array.ndim != 1:
        raise DataError(f"y must be one column, got shape {array.shape}")
    return pd.Series(array)


def _labels(target: pd.Series, task: str, name: str | None = None) -> np.ndarray:
    if task == CLASSIFICATION:
        values = target.infer_objects()  # True/False read next to gaps stay objects until the gaps go
        array = values.to_numpy()
        if array.dtype.kind == "f" and (distinct := len(np.unique(array))) > MAX_CLASSES_FOR_INTEGER_TARGET:
            raise ConfigError(
                f"the target{_named(name)} holds {distinct} distinct numbers, a quantity rather than classes; use "
                "regression (--task regression or auto, GPRegressor), or bin it into classes (or class codes"
                " written as text) first"
            )
        if array.dtype.kind == "f" and np.all(array == np.round(array)):
            array = array.astype(np.int64)  # 0/1 labels read as 0.0/1.0 because of gaps: back to 0/1
        if array.dtype == object and len({type(v) for v in array}) > 1:
            array = array.astype(str)  # mixed labels (1 and "1") cannot be sorted; compare as text
        return array
    try:
        numbers = target.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("regression needs a numeric target; use classification for labels") from None
    if not np.isfinite(numbers).all():
        raise DataError("the target has infinite values")
    return numbers


def _check_finite(frame: pd.DataFrame) -> None:
    numeric = frame.select_dtypes(include="number")
    if numeric.shape[1] == 0:
        return
    bad = [str(c) for c in numeric.columns if np.isinf(numeric[c].to_numpy(dtype=np.float64)).any()]
    if bad:
        raise DataError(f"infinite values in column(s): {', '.join(bad[:10])}; replace them or leave them empty")


def prediction_frame(X, features: list[str], used: list[str], where: str = "X") -> tuple[pd.DataFrame, list[str]]:
    """New rows laid out like the training table; returns them and the extra columns ignored.

    Columns the pipeline uses must all be there; columns it dropped (IDs, text) may be absent.
    """
    if not isinstance(X, pd.DataFrame):
        array = np.asarray(X)
        if array.ndim != 2 or array.shape[1] != len(features):
            raise DataError(f"X has shape {array.shape}; the model was fitted on {len(features)} columns")
        X = pd.DataFrame(array, columns=features)
    frame = to_frame(X)
    missing = [c for c in used if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where} lacks column(s) the model was trained on: {', '.join(missing[:10])}"
            f"{f' ({len(missing)} in all)' if len(missing) > 10 else ''}"
        )
    extra = [c for c in frame.columns if c not in features]
    frame = frame.reindex(columns=features)
    _check_finite(frame[used])
    return frame, extra


def _check_classes(target: np.ndarray) -> None:
    labels = np.unique(target)
    if len(labels) < 2:
        raise DataError(f"the target has a single class ({labels[0]!r}); classification needs at least two")
