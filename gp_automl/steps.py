"""Small scikit-learn helpers that pipeline trees need and scikit-learn does not ship.

Each class a pipeline uses is copied verbatim into its exported script (see ``codegen``), so this
module imports only numpy, pandas and scikit-learn and holds nothing but the helper classes.
"""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone, is_classifier
from sklearn.feature_extraction.text import TfidfVectorizer


class StackingFeatures(TransformerMixin, BaseEstimator):
    """Append a model's predictions (class probabilities where it has them) to the features."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self

    def transform(self, X):
        model = self.estimator_
        if is_classifier(model) and hasattr(model, "predict_proba"):
            extra = model.predict_proba(X)
        elif is_classifier(model) and hasattr(model, "decision_function"):
            extra = model.decision_function(X)
        else:
            extra = model.predict(X)
        extra = np.asarray(extra, dtype=float)
        if extra.ndim == 1:
            extra = extra.reshape(-1, 1)
        return np.hstack([np.asarray(X, dtype=float), extra])


class DateTimeFeatures(TransformerMixin, BaseEstimator):
    """Expand date/time columns into numbers: year, month, day, weekday, hour and days since 1970.

    Values are parsed on every call (raw CSV files hold dates as text); missing or unparseable
    ones become NaN, for the imputer that follows.
    """

    parts = ("year", "month", "day", "day_of_week", "hour")

    def fit(self, X, y=None):
        self.columns_ = [str(c) for c in pd.DataFrame(X).columns]
        return self

    def transform(self, X):
        frame = pd.DataFrame(X)
        out = []
        for name in frame.columns:
            when = self._parse(frame[name])
            out += [getattr(when.dt, part).to_numpy(dtype=float, na_value=np.nan) for part in self.parts]
            days = (when - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)
            out.append(days.to_numpy(dtype=float, na_value=np.nan))
        return np.column_stack(out) if out else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features=None):
        names = self.columns_ if input_features is None else list(input_features)
        return np.array([f"{c}_{p}" for c in names for p in (*self.parts, "days")], dtype=object)

    @staticmethod
    def _parse(values):
        """ISO 8601 fast; any other format value by value. Time zones are converted to UTC."""
        if isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype.kind == "M":
            return pd.to_datetime(values, utc=True)
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        if parsed.isna().sum() > values.isna().sum():
            parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        return parsed


class ParseNumbers(TransformerMixin, BaseEstimator):
    """Read numbers as people write them: ``12,345``, ``1 234,5``, ``3.4%`` (0.034), ``$1,200``,
    ``-€5``, `` 7 ``; missing markers (``NA``, ``n/a``, ``-``, ``?``, ``null``, ...) and any other
    text become NaN, for the imputer that follows.

    The rules live here, in one place, because this class is the first step of the pipeline the
    search evaluates, of the refit model and of the exported script: the column typing at fit, the
    checks at predict and the served model all parse with ``ParseNumbers.parse``.
    ``decimal_comma``: the columns whose decimal mark is a comma (``1.234,5``); others use a point.
    """

    MISSING = frozenset({"", "na", "n/a", "n.a.", "nan", "null", "none", "nil", "-", "--", "?", "#n/a", "missing"})
    _CURRENCY = "$\u20ac\u00a3\u00a5\u20b9"  # $ EUR GBP YEN RUPEE
    _SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (French thousands)
    _SHAPE = (
        r"(?P<sign>[-+\u2212]?)\s*(?P<prefix>[{cur}]?)\s*(?P<sign2>[-+\u2212]?)\s*"
        r"(?P<number>{number})\s*(?P<suffix>%|[{cur}]?)"
    )
    _GROUPED = r"\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d*)?"  # thousands in groups of three, one separator
    _PLAIN = r"(?:\d+(?:{dec}\d*)?|{dec}\d+)(?:[eE][-+]?\d+)?"

    def __init__(self, decimal_comma=()):
        self.decimal_comma = decimal_comma

    def fit(self, X, y=None):
        self.columns_ = [str(c) for c in pd.DataFrame(X).columns]
        return self

    def transform(self, X):
        frame = pd.DataFrame(X)
        comma = set(self.decimal_comma)
        out = [self.parse(frame[name], "," if str(name) in comma else ".")[0] for name in frame.columns]
        return np.column_stack(out) if out else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features=None):
        return np.array(self.columns_ if input_features is None else list(input_features), dtype=object)

    @classmethod
    def parse(cls, values, decimal="."):
        """(floats, not_a_number): NaN for missing values and for text that is not a number; the
        mask marks the latter (present, but no number), so callers can count and show them."""
        series = pd.Series(values).reset_index(drop=True)
        if series.dtype.kind in "iufb":
            return series.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(series), dtype=bool)
        objects = series.astype(object)
        out = np.full(len(series), np.nan)
        bad = np.zeros(len(series), dtype=bool)
        is_text = objects.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        is_number = ~is_text & objects.notna().to_numpy(dtype=bool)
        if is_number.any():  # numbers among strings (a DataFrame built in Python): taken as they are
            numbers = pd.to_numeric(objects[is_number], errors="coerce").to_numpy(dtype=float)
            out[is_number], bad[is_number] = numbers, np.isnan(numbers)
        if is_text.any():
            numbers, no_number = cls._parse_text(objects[is_text].str.strip(), decimal)
            out[is_text], bad[is_text] = numbers, no_number
        return out, bad

    @classmethod
    def _parse_text(cls, text, decimal):
        found = text.str.extract(cls._pattern(decimal))
        matched = found["number"].notna().to_numpy(dtype=bool, copy=True)
        signs = (found["sign"].fillna("") + found["sign2"].fillna("")).to_numpy(dtype=object)
        prefix = found["prefix"].fillna("").to_numpy(dtype=object)
        suffix = found["suffix"].fillna("").to_numpy(dtype=object)
        matched &= np.array([len(s) <= 1 for s in signs]) & ~((prefix != "") & (suffix != ""))
        digits = found["number"].where(matched, "0").fillna("0")
        digits = digits.str.replace(f"[{cls._SPACES}.]" if decimal == "," else f"[{cls._SPACES}',]", "", regex=True)
        if decimal == ",":
            digits = digits.str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(digits, errors="coerce").to_numpy(dtype=float)
        numbers = np.where(np.isin(signs, ["-", "\u2212"]), -numbers, numbers)
        numbers = np.where(suffix == "%", numbers / 100.0, numbers)
        missing = text.str.lower().isin(cls.MISSING).to_numpy(dtype=bool)
        numbers = np.where(matched, numbers, np.nan)
        return numbers, ~matched & ~missing

    @classmethod
    def _pattern(cls, decimal):
        if decimal == ",":  # 1.234.567,5 or 1 234 567,5; a point is never a decimal mark here
            separators, dec = (r"\.", f"[{cls._SPACES}]"), ","
        else:  # 1,234,567.5 or 1 234 567.5 or 1'234'567.5
            separators, dec = (",", f"[{cls._SPACES}]", "'"), r"\."
        grouped = "|".join(cls._GROUPED.format(sep=sep, dec=dec) for sep in separators)
        number = f"{grouped}|{cls._PLAIN.format(dec=dec)}"
        return "^" + cls._SHAPE.format(cur=cls._CURRENCY, number=number) + "$"


class TextFeatures(TransformerMixin, BaseEstimator):
    """Free-text columns as TF-IDF word weights, one vocabulary of at most ``max_features`` words per
    column (the most frequent in the training rows); missing text is an empty document."""

    def __init__(self, max_features=200):
        self.max_features = max_features

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        self.columns_ = [str(c) for c in frame.columns]
        self.vectorizers_ = [
            TfidfVectorizer(max_features=self.max_features).fit(self._documents(frame[c])) for c in frame.columns
        ]
        return self

    def transform(self, X):
        frame = pd.DataFrame(X)
        pairs = zip(self.vectorizers_, frame.columns, strict=True)
        out = [vectorizer.transform(self._documents(frame[c])).toarray() for vectorizer, c in pairs]
        return np.hstack(out) if out else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features=None):
        names = self.columns_ if input_features is None else list(input_features)
        pairs = zip(names, self.vectorizers_, strict=True)
        return np.array([f"{c}_{word}" for c, v in pairs for word in v.get_feature_names_out()], dtype=object)

    @staticmethod
    def _documents(values):
        return pd.Series(values).astype(object).where(pd.Series(values).notna(), "").map(str).to_numpy()
