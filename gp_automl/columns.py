"""Column typing: decide, once and on the training table, what each raw column is.

Kinds kept as features: numeric (also numbers written as text, ``12,345`` or ``3.4%``, read by
``steps.ParseNumbers``), categorical (strings, pandas category, booleans, integer codes with a
handful of values), datetime (parsed and expanded later by the front) and free text (TF-IDF words,
in the front variants that use it). Kinds dropped, each with a reason the user sees: constant,
empty and ID-like (a different value on every row). The typing is written to run.json and the
front is rebuilt from it, so it is decided once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gp_automl.steps import ParseNumbers

NUMERIC, CATEGORICAL, DATETIME = "numeric", "categorical", "datetime"
CONSTANT, EMPTY, ID, TEXT = "constant", "empty", "id", "text"
KEPT = (NUMERIC, CATEGORICAL, DATETIME)
REASONS = {
    CONSTANT: "a single value on every row",
    EMPTY: "every value is missing",
    ID: "ID-like: a different value on (nearly) every row",
}

MAX_CODE_VALUES = 10  # integer columns with 3..10 distinct values are treated as category codes
MIN_ROWS_FOR_ID = 20  # below this, "every value distinct" says nothing
ID_DISTINCT_SHARE = 0.95
TEXT_MIN_WORDS = 3.0
TEXT_DISTINCT_SHARE = 0.5
DATE_SHARE = 0.9  # share of values that must look like and parse as dates
NUMBER_SHARE = 0.9  # share of a text column's present values that must read as numbers for it to be numeric
MAX_EXAMPLES = 3  # values that are not numbers, shown in the warning and kept in run.json
_DATE_LIKE = re.compile(
    r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"  # 2024-03-01, 01/03/2024, 1.3.2024
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"  # optional time and zone
)
_SAMPLE = 500


@dataclass(frozen=True)
class ColumnTyping:
    """Each feature column's kind, in table order, and how many of its values are missing.

    ``numbers``: numeric columns written as text, with their decimal mark ("." or ","), which
    ``ParseNumbers`` reads; ``not_numbers``: per such column, how many present values were no
    number (read as missing) and a few of them.
    """

    kinds: tuple[tuple[str, str], ...]
    missing: tuple[tuple[str, int], ...] = ()
    numbers: tuple[tuple[str, str], ...] = ()
    not_numbers: tuple[tuple[str, int, tuple[str, ...]], ...] = ()

    def columns(self, kind: str) -> list[str]:
        return [name for name, k in self.kinds if k == kind]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.kinds]

    @property
    def used(self) -> list[str]:
        return [name for name, kind in self.kinds if kind in KEPT]

    @property
    def dropped(self) -> dict[str, str]:
        return {name: REASONS[kind] for name, kind in self.kinds if kind in REASONS}

    @property
    def decimal_comma(self) -> list[str]:
        return [name for name, mark in self.numbers if mark == ","]

    def has_missing(self, kinds: tuple[str, ...] = KEPT) -> bool:
        kind_of = dict(self.kinds)
        return any(count > 0 and kind_of[name] in kinds for name, count in self.missing)

    @property
    def numeric_only(self) -> bool:
        """Every column numeric, kept and stored as numbers: the data need no column-wise preprocessing."""
        return all(kind == NUMERIC for _, kind in self.kinds) and not self.numbers

    def to_json(self) -> dict:
        return {
            "kinds": dict(self.kinds),
            "missing": {name: n for name, n in self.missing if n},
            "numbers": dict(self.numbers),
            "not_numbers": {name: {"count": n, "examples": list(shown)} for name, n, shown in self.not_numbers},
        }

    @staticmethod
    def from_json(data: dict, names: list[str]) -> ColumnTyping:
        """``names``: the columns in table order (run.json is written with sorted keys, and the
        front's column order decides the order of features every model sees)."""
        kinds = tuple((name, data["kinds"][name]) for name in names)
        numbers, not_numbers = data.get("numbers", {}), data.get("not_numbers", {})
        return ColumnTyping(
            kinds,
            tuple((name, int(data.get("missing", {}).get(name, 0))) for name, _ in kinds),
            tuple((name, str(numbers[name])) for name in names if name in numbers),
            tuple(
                (name, int(not_numbers[name]["count"]), tuple(map(str, not_numbers[name]["examples"])))
                for name in names
                if name in not_numbers
            ),
        )

    def describe(self) -> list[str]:
        """Lines for the user: what is used as what, and what is dropped and why."""
        lines = []
        for kind in KEPT:
            names = self.columns(kind)
            if names:
                lines.append(f"{len(names)} {kind} column(s): {_shorten(names)}")
        if self.numbers:
            comma = f" (decimal comma: {_shorten(self.decimal_comma)})" if self.decimal_comma else ""
            lines.append(
                f"numbers written as text in {_shorten([name for name, _ in self.numbers])}{comma}: read with "
                "thousands separators, %, currency signs and missing markers (NA, n/a, -, ?, ...)"
            )
        lines += [not_numbers_message(name, n, shown) for name, n, shown in self.not_numbers]
        if self.columns(TEXT):
            lines.append(
                f"{len(self.columns(TEXT))} text column(s): {_shorten(self.columns(TEXT))}: TF-IDF words, "
                "in the preprocessing variants whose name ends in _text"
            )
        for name, reason in self.dropped.items():
            lines.append(f"dropped column {name!r}: {reason}")
        with_gaps = [name for name, n in self.missing if n and name in self.used]
        if with_gaps:
            lines.append(f"missing values in {_shorten(with_gaps)}: imputed inside the pipeline")
        return lines


def not_numbers_message(name: str, count: int, examples: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(repr(v) for v in examples)
    return f"column {name!r}: {count} value(s) are not numbers (e.g. {shown}); read as missing"


def infer_columns(frame: pd.DataFrame, decimal: str = ".") -> ColumnTyping:
    """Type every column of ``frame`` (features only, target removed). ``decimal``: the decimal mark
    to assume where a text column reads as numbers either way (``1,234``), from the file's format."""
    kinds, missing, numbers, not_numbers = [], [], [], []
    for name in frame.columns:
        column, name = frame[name], str(name)
        reading = read_numbers(column, decimal)
        kind = column_kind(pd.Series(reading[0])) if reading else None
        if reading and kind == NUMERIC:
            parsed, bad, mark = reading
            numbers.append((name, mark))
            missing.append((name, int(np.isnan(parsed).sum())))
            if bad.any():
                shown = tuple(dict.fromkeys(column[bad].astype(str)))[:MAX_EXAMPLES]
                not_numbers.append((name, int(bad.sum()), shown))
        else:
            kind = column_kind(column)
            missing.append((name, int(column.isna().sum())))
        kinds.append((name, kind))
    return ColumnTyping(tuple(kinds), tuple(missing), tuple(numbers), tuple(not_numbers))


def read_numbers(column: pd.Series, decimal: str = ".") -> tuple[np.ndarray, np.ndarray, str] | None:
    """A text column that reads as numbers: (numbers, not-a-number mask, decimal mark), else None.

    Numbers if at least ``NUMBER_SHARE`` of the present values (missing markers aside) parse; the
    decimal mark is the one under which more of them parse (``decimal`` on a tie).
    """
    if not _is_text(column):
        return None
    sample = column.dropna().iloc[:_SAMPLE]
    if sample.empty or min(ParseNumbers.parse(sample, mark)[1].mean() for mark in ".,") > 0.5:
        return None  # most of the sample is no number either way: no need to parse every row
    best = None
    for mark in (decimal, "," if decimal == "." else "."):
        parsed, bad = ParseNumbers.parse(column, mark)
        if best is None or bad.sum() < best[1].sum():
            best = (parsed, bad, mark)
    parsed, bad, mark = best
    numbers = int((~np.isnan(parsed)).sum())
    if numbers == 0 or numbers < NUMBER_SHARE * (numbers + bad.sum()):
        return None
    return parsed, bad, mark


def _is_text(column: pd.Series) -> bool:
    if isinstance(column.dtype, pd.StringDtype):
        return True
    if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype.kind in "iufbMm":
        return False
    return column.dtype.kind == "O" and column.map(lambda v: isinstance(v, str)).any()


def column_kind(column: pd.Series) -> str:
    values = column.dropna()
    if values.empty:
        return EMPTY
    distinct = values.nunique()
    if distinct == 1 and len(values) == len(column):
        return CONSTANT
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) or dtype.kind == "b":
        return CATEGORICAL
    if dtype.kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
        return DATETIME
    if dtype.kind in "iuf":
        return _numeric_kind(values, distinct)
    if _all_booleans(values):
        return CATEGORICAL
    return _text_kind(values.astype(str), distinct)


def _numeric_kind(values: pd.Series, distinct: int) -> str:
    numbers = values.to_numpy(dtype=np.float64)
    integral = bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))
    if not integral:
        return NUMERIC
    if 3 <= distinct <= MAX_CODE_VALUES and len(values) > 2 * distinct:
        return CATEGORICAL
    steps = np.diff(numbers)
    if len(values) >= MIN_ROWS_FOR_ID and distinct == len(values) and len(set(steps.tolist())) == 1:
        return ID  # 1, 2, 3, ... : a row number
    return NUMERIC


def _all_booleans(values: pd.Series) -> bool:
    return values.map(lambda v: isinstance(v, (bool, np.bool_))).all()


def _text_kind(values: pd.Series, distinct: int) -> str:
    sample = values.iloc[:_SAMPLE]
    if _looks_like_dates(sample):
        return DATETIME
    share = distinct / len(values)
    if sample.str.split().str.len().mean() >= TEXT_MIN_WORDS and share > TEXT_DISTINCT_SHARE:
        return TEXT
    if len(values) >= MIN_ROWS_FOR_ID and share >= ID_DISTINCT_SHARE:
        return ID
    return CATEGORICAL


def _looks_like_dates(sample: pd.Series) -> bool:
    if sample.str.match(_DATE_LIKE).mean() < DATE_SHARE:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", utc=True, format="mixed")
    return parsed.notna().mean() >= DATE_SHARE


def _shorten(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


MAX_LISTED_CATEGORIES = 200


def category_values(frame: pd.DataFrame, typing: ColumnTyping) -> dict[str, list[str] | None]:
    """Each categorical column's training values (as text), to name unseen ones at predict time;
    None for a column with too many values to list."""
    listed: dict[str, list[str] | None] = {}
    for name in typing.columns(CATEGORICAL):
        values = sorted({_as_text(v) for v in frame[name].dropna()})
        listed[name] = values if len(values) <= MAX_LISTED_CATEGORIES else None
    return listed


def unseen_categories(frame: pd.DataFrame, listed: dict[str, list[str] | None]) -> dict[str, list[str]]:
    """Column -> values in ``frame`` that training never saw (the encoders handle them; users
    should still hear about them)."""
    unseen = {}
    for name, known in listed.items():
        if known is None or name not in frame.columns:
            continue
        new = sorted({_as_text(v) for v in frame[name].dropna()} - set(known))
        if new:
            unseen[name] = new
    return unseen


def _as_text(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))  # 3.0 from a column with gaps is the code 3
    return str(value)
