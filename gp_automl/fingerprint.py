"""The training data's fingerprint: what ``gp-automl drift`` compares new data with.

Written to ``fingerprint.json`` in the run directory when a search starts, so that drift can be
checked later without the training table. Per feature column: its kind (the training typing) and
missing rate; for numeric and date columns the share of rows in each of (up to) ten quantile bins,
a few quantiles for people to read and a seeded sample of up to ``SAMPLE_SIZE`` values (the
two-sample KS test needs values, not only bins); for categorical columns the share of each value
(the ``MAX_CATEGORIES`` most frequent, the rest as one share). The sample holds training values:
the file is as private as the data (docs/trust.md).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from gp_automl.columns import CATEGORICAL, DATETIME, NUMERIC, ColumnTyping
from gp_automl.columns import _as_text as category_text  # the text form predict compares categories in
from gp_automl.errors import RunDirError
from gp_automl.rundir import RunDir, atomic_write_text
from gp_automl.steps import ParseNumbers

FINGERPRINT = "fingerprint.json"
FORMAT = 1
SAMPLE_SIZE = 200
BINS = 10
MAX_CATEGORIES = 200
SHOWN_QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
_SEED = 0


def write_fingerprint(run_dir: RunDir, frame: pd.DataFrame, typing: ColumnTyping) -> None:
    """Write ``fingerprint.json`` (atomically; compact, as it holds samples)."""
    atomic_write_text(run_dir.file(FINGERPRINT), json.dumps(data_fingerprint(frame, typing), separators=(",", ":")))


def read_fingerprint(run_dir: RunDir) -> dict[str, Any]:
    """The run's fingerprint; a run started before fingerprints were written is one clear error."""
    if not run_dir.file(FINGERPRINT).exists() and run_dir.file("run.json").exists():
        raise RunDirError(
            f"{run_dir.path} has no {FINGERPRINT} (runs started before gp_automl wrote one); fit again to get one"
        )
    fingerprint = run_dir.read_json(FINGERPRINT)
    if fingerprint.get("format") != FORMAT or not isinstance(fingerprint.get("columns"), dict):
        raise RunDirError(f"{run_dir.file(FINGERPRINT)} is damaged or of another format; fit again to get one")
    return fingerprint


def data_fingerprint(frame: pd.DataFrame, typing: ColumnTyping) -> dict[str, Any]:
    """The fingerprint of the feature table ``frame`` as typed by ``typing`` (JSON-ready)."""
    columns = {}
    marks = dict(typing.numbers)
    for name, kind in typing.kinds:
        column = frame[name]
        entry: dict[str, Any] = {"kind": kind, "missing_rate": _rate(column.isna().sum(), len(column))}
        if name in marks:
            entry["decimal"] = marks[name]
        if kind in (NUMERIC, DATETIME):
            entry.update(_numeric(as_numbers(column, kind, marks.get(name, "."))))
        elif kind == CATEGORICAL:
            entry.update(_categorical(column))
        columns[name] = entry
    return {"format": FORMAT, "rows": int(len(frame)), "columns": columns}


def as_numbers(column: pd.Series, kind: str, decimal: str = ".") -> np.ndarray:
    """A numeric or date column as float64 (dates as seconds since 1970); what is neither is NaN.
    Numbers written as text (``12,345``, ``3.4%``) are read as at fit, by ``ParseNumbers``."""
    if kind == DATETIME:
        stamps = pd.to_datetime(column, errors="coerce", utc=True, format="mixed")
        seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return seconds.to_numpy(dtype=np.float64, na_value=np.nan)
    return ParseNumbers.parse(column, decimal)[0]


def bin_shares(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Share of ``values`` in each bin: below the first edge, between edges (right edge included), above."""
    if len(values) == 0:
        return np.zeros(len(edges) + 1)
    counts = np.bincount(np.searchsorted(np.asarray(edges), values, side="left"), minlength=len(edges) + 1)
    return counts / len(values)


def _numeric(numbers: np.ndarray) -> dict[str, Any]:
    values = numbers[np.isfinite(numbers)]
    if len(values) == 0:
        return {"count": 0}
    edges = np.unique(np.quantile(values, np.linspace(0, 1, BINS + 1)[1:-1])).tolist()
    sample = values if len(values) <= SAMPLE_SIZE else np.random.default_rng(_SEED).choice(values, SAMPLE_SIZE, False)
    return {
        "count": int(len(values)),
        "mean": float(values.mean()),
        "std": float(values.std()),
        "quantiles": {f"{q:g}": float(np.quantile(values, q)) for q in SHOWN_QUANTILES},
        "bins": edges,
        "bin_shares": bin_shares(values, edges).round(6).tolist(),
        "sample": [float(f"{v:.6g}") for v in np.sort(sample)],
    }


def _categorical(column: pd.Series) -> dict[str, Any]:
    texts = column.dropna().map(category_text)
    if texts.empty:
        return {"count": 0, "frequencies": {}, "other_share": 0.0}
    counts = texts.value_counts()
    listed = counts.iloc[:MAX_CATEGORIES]
    return {
        "count": int(len(texts)),
        "frequencies": {str(value): _rate(n, len(texts)) for value, n in listed.items()},
        "other_share": _rate(counts.iloc[MAX_CATEGORIES:].sum(), len(texts)),
    }


def _rate(part, whole: int) -> float:
    return round(float(part) / whole, 6) if whole else 0.0
