"""Load and validate training data; infer the task; one clear error per bad input.

Features stay a raw pandas DataFrame (strings, dates, gaps and all): the preprocessing front
(``front``) is part of every pipeline, so the exported script and the saved model take the same
raw table. Each problem raises ``DataError`` naming what is wrong and what to do.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import hashlib
import io
import lzma
import re
import stat
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from gp_automl.build import Call
from gp_automl.columns import NUMERIC, TEXT, ColumnTyping, infer_columns, not_numbers_message
from gp_automl.cv import check_folds
from gp_automl.errors import ConfigError, DataError, DataWarning
from gp_automl.front import data_leaves, front_step, front_variants
from gp_automl.steps import ParseNumbers

CLASSIFICATION, REGRESSION = "classification", "regression"
MAX_CLASSES_FOR_INTEGER_TARGET = 20
PARQUET_SUFFIXES = (".parquet", ".pq")
SEPARATORS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1 << 20
COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}  # as pandas infers them
FALLBACK_ENCODINGS = ("cp1252", "latin-1")  # Windows' Western European, then ISO Latin-1 (reads any byte)
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
    """How the exported script must read this file: its format and, for CSV, the delimiter, the
    decimal mark (``1,5`` in files separated by ``;``, as European spreadsheets write them) and the
    encoding where it is not UTF-8. Compressed CSV files (.gz, .bz2, .xz, .zip) are read through."""
    path = Path(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return {"format": "parquet"}
    check_file(path)
    status = path.stat()
    return dict(_csv_options(str(path.resolve()), status.st_mtime_ns, status.st_size))


@lru_cache(maxsize=8)
def _csv_options(path: str, _mtime_ns: int, _size: int) -> tuple[tuple[str, str], ...]:
    """Cached by modification time and size: fit reads the options up to three times."""
    encoding = _encoding(Path(path))
    sample = _sample(Path(path), encoding)
    sep = _sniff_separator(sample)
    options = {"format": "csv", "sep": sep}
    if sep != "," and _DECIMAL_COMMA.search(sample) and not _DECIMAL_POINT.search(sample):
        options["decimal"] = ","
    if encoding != "utf-8":
        options["encoding"] = encoding
    return tuple(options.items())


def decimal_hint(options: dict) -> str:
    """The decimal mark to assume for numbers written as text that read either way (``1,234``):
    a comma in files whose cells are separated by ``;`` or whose numbers pandas read with a comma."""
    return "," if options.get("decimal") == "," or options.get("sep") == ";" else "."


def check_file(path: Path) -> None:
    """A regular, non-empty file; anything else named for what it is (a FIFO is never opened)."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise DataError(f"data file {path} not found") from None
    except OSError as exc:
        raise DataError(f"data file {path} cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(status.st_mode):
        raise DataError(f"data file {path} is a directory; give the CSV or Parquet file itself")
    if stat.S_ISFIFO(status.st_mode):
        raise DataError(f"data file {path} is a named pipe (FIFO); it is read more than once, so save it to a file")
    if not stat.S_ISREG(status.st_mode):
        raise DataError(f"data file {path} is not a regular file (a device or socket); give a CSV or Parquet file")
    if status.st_size == 0:
        raise DataError(f"data file {path} is empty")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (delimiter, encoding and compression detected) or Parquet file exactly as the
    exported script does."""
    path = Path(path)
    check_file(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
    else:
        options = read_options(path)
        encoding = options.get("encoding", "utf-8")
        if encoding in FALLBACK_ENCODINGS:
            warnings.warn(
                f"data file {path} is not UTF-8; read it as {encoding} (Western European), "
                "check its accented letters or re-save it as UTF-8",
                DataWarning,
                stacklevel=2,
            )
        _check_header(path, options["sep"], encoding)
        try:
            frame = pd.read_csv(path, sep=options["sep"], decimal=options.get("decimal", "."), encoding=encoding)
        except pd.errors.EmptyDataError:
            raise DataError(f"data file {path} has no header row (only blank lines)") from None
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
            raise DataError(f"data file {path} could not be read as CSV: {_first_line(exc)}") from None
    if frame.empty:
        raise DataError(f"data file {path} has a header but no rows")
    return frame


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401 - pandas needs it; say so plainly when it is absent
    except ImportError:
        raise DataError(f"reading {path} needs pyarrow; install it with: pip install 'gp_automl[parquet]'") from None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors have no common public base
        raise DataError(f"data file {path} could not be read as Parquet: {exc}") from None


@contextmanager
def _open_bytes(path: Path):
    """The file's bytes, decompressed as pandas would (by the name's ending); a damaged archive or
    a zip that does not hold exactly one file is a DataError."""
    compression = COMPRESSIONS.get(path.suffix.lower())
    try:
        if compression == "zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise DataError(f"data file {path} holds {len(members)} files; a zip must hold exactly one CSV")
                with archive.open(members[0]) as stream:
                    yield stream
        else:
            opener = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}.get(compression, open)
            with opener(path, "rb") as stream:
                yield stream
    except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile) as exc:
        raise DataError(f"data file {path} could not be read{f' as {compression}' if compression else ''}: "
                        f"{_first_line(exc)}") from None  # fmt: skip


def _encoding(path: Path) -> str:
    """utf-8 (a byte-order mark allowed), utf-16 (by its mark), else the first Western European
    encoding that decodes every byte. The whole file is checked: a stray byte may sit on any row."""
    with _open_bytes(path) as stream:
        head = stream.read(_SNIFF_BYTES)
        if not head.strip():
            unpacked = " once decompressed" if path.suffix.lower() in COMPRESSIONS else ""
            raise DataError(f"data file {path} is empty{unpacked}")
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in head:
            raise DataError(f"data file {path} is not a text file (it holds NUL bytes); give a CSV or Parquet file")
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = head
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = stream.read(_CHUNK_BYTES)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    for encoding in FALLBACK_ENCODINGS:
        with _open_bytes(path) as stream:
            try:
                while chunk := stream.read(_CHUNK_BYTES):
                    chunk.decode(encoding)
                return encoding
            except UnicodeDecodeError:
                continue
    return FALLBACK_ENCODINGS[-1]  # latin-1 decodes every byte; not reached


def _sample(path: Path, encoding: str) -> str:
    with _open_bytes(path) as stream:
        head = stream.read(_SNIFF_BYTES).decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="replace")
    lines = head.splitlines()
    return "\n".join(lines[:-1] if len(lines) > 1 else lines)  # the last line may be cut short


def _sniff_separator(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","


def _check_header(path: Path, sep: str, encoding: str = "utf-8") -> None:
    """pandas renames repeated header names (a, a.1); the user should hear about them instead."""
    with _open_bytes(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")
        header = next(csv.reader(text, delimiter=sep), [])
    _check_unique([name.strip() for name in header], f"data file {path}")


def _check_unique(names: list[str], where: str) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"{where} has duplicate column names: {', '.join(duplicates[:10])}; rename them")


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:20]))
        raise DataError(f"target column {target!r} not found; columns are: {shown}")
    if frame.shape[1] == 1:
        raise DataError(f"target column {target!r} is the only column: there are no features to learn from")
    return frame.drop(columns=[target]), frame[target]


def infer_task(y) -> str:
    """Classification for text, boolean, categorical or few-valued integer targets."""
    values = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y).dropna()
    if values.dtype.kind in "OSUbc" or isinstance(values.dtype, (pd.CategoricalDtype, pd.StringDtype)):
        return CLASSIFICATION
    if values.dtype.kind in "iu" or (values.dtype.kind == "f" and np.all(values == np.round(values))):
        return CLASSIFICATION if values.nunique() <= MAX_CLASSES_FOR_INTEGER_TARGET else REGRESSION
    return REGRESSION


def prepare(X, y, task: str, cv: int, decimal: str = ".") -> Dataset:
    """Validate X and y for a search with ``cv`` folds; rows without a target are dropped (warned).
    ``decimal``: the decimal mark numbers written as text are assumed to use where they read either
    way (see ``decimal_hint``)."""
    frame = to_frame(X)
    target = _target_series(y)
    if len(target) != len(frame):
        raise DataError(f"X has {len(frame)} rows but y has {len(target)}")
    _check_finite(frame)
    target_name = None if target.name is None else str(target.name)
    missing = target.isna().to_numpy()
    if missing.all():
        raise DataError(f"the target{_named(target_name)} has no values: every row is missing it")
    rows = len(target)
    if missing.any():
        frame, target = frame[~missing].reset_index(drop=True), target[~missing].reset_index(drop=True)
    labels = _labels(target, task, target_name)
    if task == CLASSIFICATION:
        _check_classes(labels, target_name)
    check_folds(labels, task, cv)
    typing = infer_columns(frame, decimal)
    if not typing.used and not typing.columns(TEXT):
        reasons = "; ".join(f"{name}: {why}" for name, why in list(typing.dropped.items())[:5])
        raise DataError(f"no usable feature column: every one was dropped ({reasons})")
    # warnings only for data that passed every check: a refused input is one error line, nothing else
    if missing.any():
        warnings.warn(
            f"dropped {int(missing.sum())} of {rows} rows whose target{_named(target_name)} is missing",
            DataWarning,
            stacklevel=4,  # the user's call: fit() or resume() -> _fit() -> prepare()
        )
    for name, count, examples in typing.not_numbers:
        warnings.warn(not_numbers_message(name, count, examples), DataWarning, stacklevel=4)
    return Dataset(frame, labels, typing, target_name, task, int(missing.sum()))


def _named(name: str | None) -> str:
    return "" if name is None else f" column {name!r}"


def to_frame(X) -> pd.DataFrame:
    """Features as a DataFrame with string column names and plain (numpy-backed) dtypes."""
    _check_not_sparse(X, "X")
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise DataError(f"X must be a 2-D table, got shape {array.shape}; {RESHAPE}")
        frame = pd.DataFrame(array)
    if frame.shape[0] == 0:
        raise DataError(f"X has 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required")
    if frame.shape[1] == 0:
        raise DataError(f"X has 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required.")
    complex_columns = [str(c) for c in frame.columns if frame[c].dtype.kind == "c"]
    if complex_columns:
        raise DataError(f"Complex data not supported: X column(s) {', '.join(complex_columns[:10])}; {COMPLEX}")
    names = [str(c) for c in frame.columns]
    _check_unique(names, "X")
    frame = frame.set_axis(names, axis=1).infer_objects()  # numbers in an object array become numbers
    return frame.apply(_plain) if any(_masked(frame[c].dtype) or frame[c].dtype == object for c in names) else frame


RESHAPE = "Reshape your data: one row is X.reshape(1, -1), one column X.reshape(-1, 1)"
COMPLEX = "give real numbers (for example the real and imaginary parts as two columns)"


def _check_not_sparse(data, where: str) -> None:
    """A scipy sparse matrix or array is refused by name: the preprocessing needs the table itself."""
    if type(data).__module__.startswith("scipy.sparse"):
        raise DataError(
            f"{where} is a scipy sparse matrix; sparse input is not supported: convert it with .toarray() "
            "(the preprocessing types each column of a dense table)"
        )


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
    if y is None:
        raise DataError("the search requires y to be passed, but the target y is None; give the target column")
    _check_not_sparse(y, "y")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise DataError(f"y must be one column (one target; several are not supported), got shape {y.shape}")
        _column_vector_warning()
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        series = _plain(y.reset_index(drop=True)).rename(y.name)
    else:
        array = np.asarray(y)
        if array.ndim == 2 and array.shape[1] == 1:
            _column_vector_warning()
            array = array.ravel()
        if array.ndim != 1:
            raise DataError(f"y must be one column (one target; several are not supported), got shape {array.shape}")
        series = pd.Series(array)
    if series.dtype.kind == "c":
        raise DataError(f"Complex data not supported: the target y holds complex numbers; {COMPLEX}")
    return series


def _column_vector_warning() -> None:
    """scikit-learn's warning (and wording) for a target given as one column of a 2-D table."""
    from sklearn.exceptions import DataConversionWarning

    warnings.warn(
        "A column-vector y was passed when a 1d array was expected; it is used as one column. "
        "Please change the shape of y to (n_samples,), for example using ravel().",
        DataConversionWarning,
        stacklevel=5,
    )


def _labels(target: pd.Series, task: str, name: str | None = None) -> np.ndarray:
    if task == CLASSIFICATION:
        values = target.infer_objects()  # True/False read next to gaps stay objects until the gaps go
        array = values.to_numpy()
        if array.dtype.kind == "f" and (distinct := len(np.unique(array))) > MAX_CLASSES_FOR_INTEGER_TARGET:
            raise ConfigError(
                f"the target{_named(name)} holds {distinct} distinct numbers, a quantity rather than classes (a "
                "continuous target); use regression (--task regression or auto, GPRegressor), or bin it into "
                "classes (or class codes written as text) first"
            )
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise DataError(f"the target{_named(name)} has infinite values; a class label must be finite")
        if array.dtype.kind == "f" and np.all(array == np.round(array)):
            array = array.astype(np.int64)  # 0/1 labels read as 0.0/1.0 because of gaps: back to 0/1
        if array.dtype == object and len({type(v) for v in array}) > 1:
            array = array.astype(str)  # mixed labels (1 and "1") cannot be sorted; compare as text
        return array
    try:
        numbers = target.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"regression needs a numeric target, and the target{_named(name)} holds text; use classification for labels"
        ) from None
    if not np.isfinite(numbers).all():
        raise DataError(f"the target{_named(name)} has infinite values; replace them or leave them empty")
    return numbers


def _check_finite(frame: pd.DataFrame) -> None:
    numeric = frame.select_dtypes(include="number")
    if numeric.shape[1] == 0:
        return
    bad = [str(c) for c in numeric.columns if np.isinf(numeric[c].to_numpy(dtype=np.float64)).any()]
    if bad:
        raise DataError(f"infinite values in column(s): {', '.join(bad[:10])}; replace them or leave them empty")


def prediction_frame(
    X, features: list[str], used: list[str], where: str = "X", columns: dict | None = None, model: str = "the model"
) -> tuple[pd.DataFrame, list[str]]:
    """New rows laid out like the training table; returns them and the extra columns ignored.

    Columns the pipeline uses must all be there; columns it dropped (IDs, text) may be absent.
    ``columns``: the training typing (run.json's ``data.columns``); with it, numeric columns are
    read with the training rules and checked (see ``check_against_typing``). ``model``: what the
    messages call the fitted model.
    """
    _check_not_sparse(X, where)
    if not isinstance(X, pd.DataFrame):
        array = np.asarray(X)
        if array.ndim != 2:
            raise DataError(f"X must be a 2-D table, got shape {array.shape}; {RESHAPE}")
        if array.shape[1] != len(features):
            raise DataError(
                f"X has {array.shape[1]} features, but {model} is expecting {len(features)} features as input "
                "(the columns it was fitted on, in that order; a DataFrame is matched by column names)"
            )
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
    if columns is not None:
        frame = check_against_typing(frame, ColumnTyping.from_json(columns, list(features)), used, where)
    _check_finite(frame[used])
    return frame, extra


def check_against_typing(frame: pd.DataFrame, typing: ColumnTyping, used: list[str], where: str) -> pd.DataFrame:
    """Numeric columns read as at fit (``ParseNumbers``), as numbers; what the model cannot take is a
    DataError naming the column, what it can is a DataWarning:

    - a numeric column in which no value is a number: an error (the wrong column, or shifted);
    - some values that are not numbers: read as missing, with a warning, where the pipeline imputes
      (any table that is not clean numbers without gaps at fit); else an error;
    - gaps, or a used column without any value: a warning where the pipeline imputes; else an error.
    """
    imputes = front_step(typing) is not None
    marks = dict(typing.numbers)
    frame = frame.copy()
    for name in [c for c in typing.columns(NUMERIC) if c in used]:
        column = frame[name]
        numbers, bad = ParseNumbers.parse(column, marks.get(name, "."))
        if bad.any():
            examples = tuple(dict.fromkeys(column[bad].astype(str)))[:3]
            shown = ", ".join(map(repr, examples))
            if np.isnan(numbers).all():
                raise DataError(
                    f"{where}: column {name!r} held numbers in training, but none of its values here is a number "
                    f"(e.g. {shown}); check that it is the right column"
                )
            if not imputes:
                raise DataError(
                    f"{where}: column {name!r} has {int(bad.sum())} value(s) that are not numbers (e.g. {shown}) and "
                    "the model cannot fill in gaps (it was trained without any); correct those values"
                )
            warnings.warn(f"{where}: {not_numbers_message(name, int(bad.sum()), examples)}", DataWarning, stacklevel=3)
        elif np.isnan(numbers).any() and not imputes:
            raise DataError(
                f"{where}: column {name!r} has {int(np.isnan(numbers).sum())} missing value(s) and the model cannot "
                "fill in gaps (it was trained without any); fill them in"
            )
        frame[name] = numbers
    empty = [name for name in used if frame[name].isna().all()]
    if empty:
        warnings.warn(
            f"{where}: column(s) without any value: {', '.join(empty[:10])}; "
            "the model fills them in as it learned to fill gaps",
            DataWarning,
            stacklevel=3,
        )
    return frame


def _check_classes(target: np.ndarray, name: str | None = None) -> None:
    labels = np.unique(target)
    if len(labels) < 2:
        label = labels[0].item() if isinstance(labels[0], np.generic) else labels[0]  # 1, not np.int64(1)
        raise DataError(
            f"the target{_named(name)} has a single class ({label!r}); one class is not enough, "
            "classification needs at least two"
        )
