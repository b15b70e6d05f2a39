"""The preprocessing front: raw table -> numbers, as a plan (``Call``) so exports show it as code.

Every pipeline starts at a data leaf; each leaf names a front variant. ``X`` is the default
(one-hot encoding, median imputation); where a choice matters for these data, more leaves exist
and the search chooses between them like any other gene:

    X_ordinal       ordinal codes instead of one-hot (often better for trees)   [categorical columns]
    X_mean          mean instead of median imputation                           [missing values]
    X_ordinal_mean  both
    X_..._text      any of these plus TF-IDF words of the free-text columns       [text columns]

Clean numeric data get no front at all (the leaf ``X`` passes them through), as before. Numbers
written as text (``12,345``, ``3.4%``) are read by ``ParseNumbers`` before they are imputed.
"""

from __future__ import annotations

from itertools import product

from gp_automl.build import Call
from gp_automl.columns import CATEGORICAL, DATETIME, NUMERIC, TEXT, ColumnTyping
from gp_automl.tree import DATA, DATA_VARIANT_PREFIX

ENCODINGS = ("onehot", "ordinal")
IMPUTATIONS = ("median", "mean")
MIN_FREQUENCY = 5  # categories seen on fewer training rows are pooled as "infrequent"
MAX_CATEGORIES = 30  # per column, infrequent pool included: keeps one-hot width bounded
MAX_TEXT_FEATURES = 200  # TF-IDF words per text column: keeps the width bounded on long texts

COLUMN_TRANSFORMER = "sklearn.compose.ColumnTransformer"
PIPELINE = "sklearn.pipeline.Pipeline"
IMPUTER = "sklearn.impute.SimpleImputer"
ONE_HOT = "sklearn.preprocessing.OneHotEncoder"
ORDINAL = "sklearn.preprocessing.OrdinalEncoder"
DATETIME_FEATURES = "gp_automl.steps.DateTimeFeatures"
PARSE_NUMBERS = "gp_automl.steps.ParseNumbers"
TEXT_FEATURES = "gp_automl.steps.TextFeatures"


def leaf_name(encoding: str, imputation: str, text: bool = False) -> str:
    parts = [p for p, default in ((encoding, ENCODINGS[0]), (imputation, IMPUTATIONS[0])) if p != default]
    parts += ["text"] if text else []
    return DATA_VARIANT_PREFIX + "_".join(parts) if parts else DATA


def front_variants(typing: ColumnTyping) -> dict[str, Call]:
    """Data leaf -> front step, for every variant that differs on these data (``X`` first).

    A leaf missing from the result (only ``X``, for clean numeric data) means no front.
    """
    encodings = ENCODINGS if typing.columns(CATEGORICAL) else ENCODINGS[:1]
    imputations = IMPUTATIONS if typing.has_missing((NUMERIC, DATETIME)) else IMPUTATIONS[:1]
    # text is a choice where there is something besides it; a table of text alone always uses it
    texts = (False, True) if typing.columns(TEXT) and typing.used else (bool(typing.columns(TEXT)),)
    variants = {}
    for encoding, imputation, text in product(encodings, imputations, texts):
        step = front_step(typing, encoding, imputation, text)
        if step is not None:
            variants[leaf_name(encoding, imputation, text and len(texts) > 1)] = step
    return variants


def fronts_from_run(data_info: dict) -> dict[str, Call]:
    """The fronts of a finished run, rebuilt from run.json's ``data`` (runs from before column
    typing recorded only whether an imputer was needed)."""
    if "columns" in data_info:
        return front_variants(ColumnTyping.from_json(data_info["columns"], data_info["features"]))
    return {DATA: _imputer("median")} if data_info.get("imputed") else {}


def columns_read(typing: ColumnTyping, leaves) -> list[str]:
    """The columns a pipeline with these data leaves reads: the kept ones, and the text columns
    where one of its fronts turns text into features (new rows must then have them)."""
    fronts = front_variants(typing)
    reads_text = any(
        name == "text"
        for leaf in leaves
        if leaf in fronts
        for name, *_ in dict(fronts[leaf].kwargs).get("transformers", [])
    )
    return typing.used + (typing.columns(TEXT) if reads_text else [])


def data_leaves(typing: ColumnTyping) -> tuple[str, ...]:
    return (DATA, *(leaf for leaf in front_variants(typing) if leaf != DATA))


def front_step(
    typing: ColumnTyping, encoding: str = "onehot", imputation: str = "median", text: bool = False
) -> Call | None:
    if typing.numeric_only:
        return _imputer(imputation) if typing.has_missing() else None
    parts = []
    if typing.columns(NUMERIC):
        parts.append(("numeric", _numbers(typing, imputation), typing.columns(NUMERIC)))
    if typing.columns(CATEGORICAL):
        parts.append(("categorical", _encoder(encoding), typing.columns(CATEGORICAL)))
    if typing.columns(DATETIME):
        dates = Call(PIPELINE, (("steps", [("parts", Call(DATETIME_FEATURES)), ("impute", _imputer(imputation))]),))
        parts.append(("datetime", dates, typing.columns(DATETIME)))
    if text and typing.columns(TEXT):
        parts.append(("text", Call(TEXT_FEATURES, (("max_features", MAX_TEXT_FEATURES),)), typing.columns(TEXT)))
    # remainder="drop": ID, constant columns, text outside *_text (and any extra column) never reach the model
    return Call(
        COLUMN_TRANSFORMER,
        (("remainder", "drop"), ("sparse_threshold", 0.0), ("transformers", [tuple(p) for p in parts])),
    )


def _numbers(typing: ColumnTyping, imputation: str) -> Call:
    """Numeric columns: read numbers written as text first where there are any, then impute."""
    if not typing.numbers:
        return _imputer(imputation)
    comma = (("decimal_comma", typing.decimal_comma),) if typing.decimal_comma else ()
    return Call(PIPELINE, (("steps", [("parse", Call(PARSE_NUMBERS, comma)), ("impute", _imputer(imputation))]),))


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
