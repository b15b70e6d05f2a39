"""From a raw table to predictions, the same way for ``predict`` and ``serve``.

``model_rows`` is the one place where new rows meet the training typing (the columns the model
needs, the columns it ignores, categories it never saw), so a change to those rules reaches the
command line and the HTTP server alike. ``prediction_table`` turns model rows into the output
columns, and ``ScoringLog`` records what a server scored for ``gp-automl drift`` to read.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gp_automl.columns import ID, unseen_categories
from gp_automl.data import CLASSIFICATION, prediction_frame
from gp_automl.errors import DataError, WriteError
from gp_automl.rundir import write_failed

PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"


@dataclass(frozen=True)
class ModelRows:
    rows: pd.DataFrame  # laid out as the training table, ready for the model
    extra: list[str]  # columns the model does not know, ignored
    unseen: dict[str, list[str]]  # column -> categories training never saw


def model_rows(frame: pd.DataFrame, info: dict, where: str) -> ModelRows:
    """``frame`` (a raw table) as rows the run's model takes; ``info`` is run.json.

    Numbers are read and checked as at fit (``data.prediction_frame`` with the training typing);
    categories are matched to the kind of value training had. A DataError names the column at
    fault."""
    data = info["data"]
    if info.get("target") in frame.columns:
        frame = frame.drop(columns=[info["target"]])
    used = data.get("used", data["features"])
    rows, extra = prediction_frame(frame, data["features"], used, where=where, columns=data.get("columns"))
    _match_categories(rows, data.get("categories", {}), used, where)
    return ModelRows(rows, extra, unseen_categories(rows, data.get("categories", {})))


_TRUTH = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}


def _match_categories(rows: pd.DataFrame, listed: dict[str, list[str] | None], used: list[str], where: str) -> None:
    """Categories in the kind of value training had, told by its listed values: booleans, number
    codes or text. The encoders cannot compare a number with a text; a value of another kind is
    made text (an unseen category) where training had text, and refused where it had numbers or
    booleans, naming the column."""
    for name, known in listed.items():
        if not known or name not in used:
            continue
        values = rows[name]
        present = values.notna()
        if set(known) <= {"True", "False"}:
            if values.dtype.kind == "b":
                continue
            converted = values.map(lambda v: _TRUTH.get(str(v).strip().lower()) if pd.notna(v) else None)
            expected = "booleans (true/false)"
        elif all(_is_number(text) for text in known):
            if values.dtype.kind in "iuf":
                continue
            converted = pd.to_numeric(values, errors="coerce")
            expected = "number codes"
        else:
            if values.dtype == object and all(isinstance(v, str) for v in values[present]):
                continue
            rows[name] = values.map(lambda v: v if pd.isna(v) else _as_category_text(v))
            continue
        bad = present & converted.isna()
        if bad.any():
            examples = ", ".join(repr(str(v)) for v in dict.fromkeys(values[bad].tolist()[:50]))
            raise DataError(
                f"{where}: column {name!r} held {expected} in training ({', '.join(known[:5])}), "
                f"but {int(bad.sum())} value(s) here are not (e.g. {examples[:120]})"
            )
        rows[name] = converted.astype(object).where(present, np.nan) if expected.startswith("bool") else converted


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_category_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def id_columns(info: dict) -> list[str]:
    """The columns training dropped as ID-like (run.json ``data.columns.kinds``), in table order."""
    kinds = info["data"].get("columns", {}).get("kinds", {})
    return [name for name in info["data"]["features"] if kinds.get(name) == ID]


def prediction_table(model: Any, rows: pd.DataFrame, task: str, proba: bool) -> pd.DataFrame:
    """``prediction`` and, with ``proba`` on a classifier, one ``probability_<label>`` column per class."""
    table = pd.DataFrame({PREDICTION: model.predict(rows)})
    if proba and task == CLASSIFICATION and hasattr(model, "predict_proba"):
        for label, column in zip(model.classes_, model.predict_proba(rows).T, strict=True):
            table[f"{PROBABILITY_PREFIX}{label}"] = column
    return table


class ScoringLog:
    """What a server scored, appended as JSON lines: one line per row, ``{"time", "inputs",
    "prediction"}``. Each request is one ``write`` under an exclusive ``flock``, so lines from
    several server workers never interleave; ``read_scoring_log`` reads the file back."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_failed(self.path, exc) from None

    def append(self, frame: pd.DataFrame, predictions: pd.Series) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        records = json.loads(frame.to_json(orient="records", date_format="iso", double_precision=15))
        lines = "".join(
            json.dumps({"time": now, "inputs": inputs, PREDICTION: prediction}, default=str) + "\n"
            for inputs, prediction in zip(records, predictions.tolist(), strict=True)
        )
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                os.write(self._fd, lines.encode("utf-8"))
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        except OSError as exc:
            raise WriteError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        os.close(self._fd)


SCORING_LOG_SUFFIXES = (".jsonl", ".ndjson")


def is_scoring_log(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SCORING_LOG_SUFFIXES


def read_scoring_log(path: str | Path) -> pd.DataFrame:
    """The rows a server logged (their inputs as sent), as one table; a damaged line is a DataError."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"scoring log {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"scoring log {path} could not be read: {exc}") from None
    inputs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            inputs.append(dict(entry["inputs"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise DataError(f"scoring log {path}, line {number}: not a line `gp-automl serve` wrote") from None
    if not inputs:
        raise DataError(f"scoring log {path} holds no scored rows")
    return pd.DataFrame.from_records(inputs)
