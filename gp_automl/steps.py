"""Small scikit-learn helpers that pipeline trees need and scikit-learn does not ship.

Each class a pipeline uses is copied verbatim into its exported script (see ``codegen``), so this
module imports only numpy, pandas and scikit-learn and holds nothing but the helper classes.
"""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone, is_classifier


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
