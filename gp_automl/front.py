"""The preprocessing front: raw table -> numbers, as a plan (``Call``) so exports show it as code.

Every pipeline starts at a data leaf; each leaf names a front variant. ``X`` is the default
(one-hot encoding, median imputation); where a choice matters for these data, more leaves exist
and the search chooses between them like any other gene:

    X_ordinal       ordinal codes instead of one-hot (often better for trees)   [categorical columns]
    X_mean          mean instead of median imputation                           [missing values]
    X_ordinal_mean  both

Clean numeric data get no front at all (the leaf ``X`` passes them through), as before.
"""

from __future__ import annotations

from itertools import product

from gp_automl.build import Call
from gp_automl.columns import CATEGORICAL, DATETIME, NUMERIC, ColumnTyping
from gp_automl.tree import DATA, DATA_VARIANT_PREFIX

ENCODINGS = ("onehot", "ordinal")
IMPUTATIONS = ("median", "mean")
MIN_FREQUENCY = 5  # categories seen on fewer training rows are pooled as "infrequent"
MAX_CATEGORIES = 30  # per column, infrequent pool included: keeps one-hot width bounded

COLUMN_TRANSFORMER = "sklearn.compose.ColumnTransformer"
PIPELINE = "sklearn.pipeline.Pipeline"
IMPUTER = "sklearn.impute.SimpleImputer"
ONE_HOT = "sklearn.preprocessing.OneHotEncoder"
ORDINAL = "sklearn.preprocessing.OrdinalEncoder"
DATETIME_FEATURES = "gp_automl.steps.DateTimeFeatures"


def leaf_name(encoding: str, imputation: str) -> str:
    parts = [p for p, default in ((encoding, ENCODINGS[0]), (imputation, IMPUTATIONS[0])) if p != default]
    return DATA_VARIANT_PREFIX + "_".join(parts) if parts else DATA


def front_variants(typing: ColumnTyping) -> dict[str, Call]:
    """Data leaf -> front step, for every variant that differs on these data (``X`` first).

    A leaf missing from the result (only ``X``, for clean numeric data) means no front.
    """
    encodings = ENCODINGS if typing.columns(CATEGORICAL) else ENCODINGS[:1]
    imputations = IMPUTATIONS if typing.has_missing((NUMERIC, DATETIME)) else IMPUTATIONS[:1]
    variants = {}
    for encoding, imputation in product(encodings, imputations):
        step = front_step(typing, encoding, imputation)
        if step is not None:
            variants[leaf_name(encoding, imputation)] = step
    return variants


def fronts_from_run(data_info: dict) -> dict[str, Call]:
    """The fronts of a finished run, rebuilt from run.json's ``data`` (runs from before column
    typing recorded only whether an imputer was needed)."""
    if "columns" in data_info:
        return front_variants(ColumnTyping.from_json(data_info["columns"], data_info["features"]))
    return {DATA: _imputer("median")} if data_info.get("imputed") else {}


def data_leaves(typing: ColumnTyping) -> tuple[str, ...]:
    return (DATA, *(leaf for leaf in front_variants(typing) if leaf != DATA))


def front_step(typing: ColumnTyping, encoding: str = "onehot", imputation: str = "median") -> Call | None:
    if typing.numeric_only:
        return _imputer(imputation) if typing.has_missing() else None
    parts = []
    if typing.columns(NUMERIC):
        parts.append(("numeric", _imputer(imputation), typing.columns(NUMERIC)))
    if typing.columns(CATEGORICAL):
        parts.append(("categorical", _encoder(encoding), typing.columns(CATEGORICAL)))
    if typing.columns(DATETIME):
        dates = Call(PIPELINE, (("steps", [("parts", Call(DATETIME_FEATURES)), ("impute", _imputer(imputation))]),))
        parts.append(("datetime", dates, typing.columns(DATETIME)))
    # remainder="drop": ID, text and constant columns (and any extra column) never reach the model
    return Call(
        COLUMN_TRANSFORMER,
        (("remainder", "drop"), ("sparse_threshold", 0.0), ("transformers", [tuple(p) for p in parts])),
    )


def _imputer(strategy: str) -> Call:
    return Call(IMPUTER, (("add_indicator", True), ("strategy", strategy)))


def _encoder(encoding: str) -> Call:
    if encoding == "ordinal":
        return Call(
            ORDINAL,
            (
                ("encoded_missing_value", -2),
                ("handle_unknown", "use_encoded_value"),
                ("min_frequency", MIN_FREQUENCY),
                ("unknown_value", -1),
            ),
        )
    return Call(
        ONE_HOT,
        (
            ("handle_unknown", "infrequent_if_exist"),
            ("max_categories", MAX_CATEGORIES),
            ("min_frequency", MIN_FREQUENCY),
            ("sparse_output", False),
        ),
    )
