"""Numbers as people write them: ParseNumbers' rules one by one, round trips of formatted floats,
and the column typing that uses them (decided once at fit, applied the same to any later rows)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gp_automl.columns import CATEGORICAL, NUMBER_SHARE, NUMERIC, TEXT, infer_columns
from gp_automl.data import check_against_typing, prepare
from gp_automl.errors import DataError, DataWarning
from gp_automl.steps import ParseNumbers


def parse_one(text, decimal="."):
    numbers, bad = ParseNumbers.parse(pd.Series([text], dtype=object), decimal)
    return numbers[0], bool(bad[0])


@pytest.mark.parametrize(
    "text, decimal, expected",
    [
        ("12,345", ".", 12345.0),
        ("1,234,567.25", ".", 1234567.25),
        ("1 234", ".", 1234.0),
        ("1\u00a0234.5", ".", 1234.5),  # no-break space
        ("1'234.5", ".", 1234.5),  # Swiss
        ("3.4%", ".", 0.034),
        ("3.4 %", ".", 0.034),
        ("$1,200", ".", 1200.0),
        ("-$1,200.50", ".", -1200.5),
        ("$-3", ".", -3.0),
        ("\u20ac5", ".", 5.0),
        ("12 \u20ac", ".", 12.0),
        ("\u00a37.5", ".", 7.5),
        ("  42  ", ".", 42.0),
        ("\u22123", ".", -3.0),  # Unicode minus
        ("+3", ".", 3.0),
        (".5", ".", 0.5),
        ("1e3", ".", 1000.0),
        ("1 234,5", ",", 1234.5),
        ("1.234,5", ",", 1234.5),
        ("1.234.567", ",", 1234567.0),
        ("3,4%", ",", 0.034),
        ("\u20ac1.200,50", ",", 1200.5),
        ("12,345", ",", 12.345),  # a comma is the decimal mark here
    ],
)
def test_each_written_form_reads_as_its_number(text, decimal, expected):
    number, bad = parse_one(text, decimal)
    assert not bad and number == pytest.approx(expected, rel=1e-12)


MARKERS = ["", "NA", "n/a", "N/A", "-", "--", "?", "null", "NULL", "none", "None", "nan", " NA "]


@pytest.mark.parametrize("text", MARKERS)
def test_missing_markers_are_missing_not_junk(text):
    number, bad = parse_one(text)
    assert np.isnan(number) and not bad


@pytest.mark.parametrize(
    "text, decimal",
    [
        ("n/a?", "."),
        ("unknown", "."),
        ("1,5", "."),  # a decimal comma in a column that uses points
        ("1.5", ","),  # and the converse
        ("12,34,567", "."),  # groups of three only
        ("1,2345", "."),
        ("$5%", "."),
        ("--5", "."),
        ("(5)", "."),
        ("5 apples", "."),
        ("2024-03-01", "."),
        ("inf", "."),
        ("nan%", "."),
    ],
)
def test_other_text_is_no_number(text, decimal):
    number, bad = parse_one(text, decimal)
    assert np.isnan(number) and bad


def test_numbers_already_numbers_pass_through_and_python_numbers_among_strings_are_kept():
    numbers, bad = ParseNumbers.parse(pd.Series([1.5, np.nan, 3.0]))
    assert np.array_equal(numbers, [1.5, np.nan, 3.0], equal_nan=True) and not bad.any()
    numbers, bad = ParseNumbers.parse(pd.Series([2, "1,000", None, "x"], dtype=object))
    assert np.array_equal(numbers, [2.0, 1000.0, np.nan, np.nan], equal_nan=True)
    assert bad.tolist() == [False, False, False, True]


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).map(lambda v: round(v, 2))


def _grouped(value: float, thousands: str, decimal: str) -> str:
    text = f"{abs(value):,.2f}".replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
    return ("-" if value < 0 else "") + text


@settings(max_examples=300, deadline=None)
@given(finite, st.sampled_from([",", " ", "\u00a0", "'"]), st.sampled_from(["", "$", "\u20ac", "\u00a3"]))
def test_round_trip_with_thousands_separators_and_currency(value, thousands, currency):
    text = _grouped(value, thousands, ".")
    text = text.replace("-", "-" + currency) if value < 0 else currency + text
    number, bad = parse_one(f"  {text} ")
    assert not bad and number == pytest.approx(value, rel=1e-12, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(finite, st.sampled_from([".", " ", "\u202f"]), st.booleans())
def test_round_trip_with_decimal_comma(value, thousands, percent):
    text = _grouped(value, thousands, ",") + ("%" if percent else "")
    number, bad = parse_one(text, ",")
    assert not bad and number == pytest.approx(value / 100 if percent else value, rel=1e-12, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_round_trip_of_plain_repr_and_percent(value):
    assert parse_one(repr(value)) == (value, False)
    number, bad = parse_one(f"{value!r}%")
    assert not bad and number == pytest.approx(value / 100, rel=1e-12, abs=1e-300)


def written(rng: np.random.Generator, n: int) -> pd.DataFrame:
    values = rng.normal(5000, 2000, n)
    return pd.DataFrame(
        {
            "income": [f"{v:,.2f}" for v in values],
            "rate": [f"{v / 100:.1f}%" for v in values],
            "price": [f"${v:,.0f}" for v in values],
            "euro": [f"{v:,.2f}".replace(",", " ").replace(".", ",") for v in values],
        }
    )


def test_written_numbers_are_numeric_with_their_decimal_mark(rng):
    typing = infer_columns(written(rng, 50))
    assert dict(typing.kinds) == dict.fromkeys(["income", "rate", "price", "euro"], NUMERIC)
    assert dict(typing.numbers) == {"income": ".", "rate": ".", "price": ".", "euro": ","}
    assert not typing.numeric_only and typing.not_numbers == ()


def test_a_few_junk_cells_are_counted_named_and_missing_past_that_the_column_is_not_numeric(rng):
    frame = written(rng, 50)
    junk = round(50 * (1 - NUMBER_SHARE))  # at the limit: still numeric
    frame.loc[: junk - 1, "income"] = ["n/a?", "unknown", "n/a?", "??", "tbd"][:junk]
    frame.loc[5, "rate"] = "-"  # a missing marker, not junk
    named = r"column 'income': 5 value\(s\) are not numbers \(e.g. 'n/a\?', 'unknown', '\?\?'\)"
    with pytest.warns(DataWarning, match=named):
        dataset = prepare(frame, np.arange(50) % 2, "classification", 2)
    typing = dataset.typing
    assert dict(typing.kinds)["income"] == NUMERIC and dict(typing.missing)["income"] == 5
    assert dict(typing.missing)["rate"] == 1 and [n for n, *_ in typing.not_numbers] == ["income"]
    assert any("'income': 5 value(s) are not numbers" in line for line in typing.describe())
    frame.loc[junk, "income"] = "nope"  # one more: under 90% numbers, so text (categories here)
    assert dict(infer_columns(frame).kinds)["income"] != NUMERIC


def test_text_categories_and_codes_are_not_numbers(rng):
    frame = pd.DataFrame(
        {
            "size": rng.choice(["S", "M", "L"], 60),
            "code": rng.choice(["1", "2", "3", "x"], 60),
            "note": [f"the parcel came late {i} times" for i in range(60)],
        }
    )
    kinds = dict(infer_columns(frame).kinds)
    assert kinds == {"size": CATEGORICAL, "code": CATEGORICAL, "note": TEXT}


@st.composite
def column_and_rows(draw):
    values = draw(st.lists(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False), min_size=20, max_size=40))
    style = draw(st.sampled_from(["thousands", "percent", "currency", "comma"]))
    form = {
        "thousands": lambda v: f"{v:,.3f}",
        "percent": lambda v: f"{v:.2f}%",
        "currency": lambda v: f"-${abs(v):,.2f}" if v < 0 else f"${v:,.2f}",
        "comma": lambda v: f"{v:,.2f}".replace(",", " ").replace(".", ","),
    }[style]
    cells = [form(v) for v in values]
    for i in draw(st.lists(st.integers(0, len(cells) - 1), max_size=len(cells) // 10, unique=True)):
        cells[i] = draw(st.sampled_from(["NA", "-", "?", "", "n/a?", "unknown"]))
    rows = draw(st.lists(st.integers(0, len(cells) - 1), min_size=1, max_size=len(cells)))
    return pd.DataFrame({"v": cells, "k": [f"u{i}" for i in range(len(cells))]}), rows


@settings(max_examples=100, deadline=None)
@given(column_and_rows())
def test_a_column_typed_at_fit_reads_the_same_at_predict_on_any_subset_of_its_rows(case):
    frame, rows = case
    typing = infer_columns(frame, decimal=",")
    if dict(typing.kinds)["v"] != NUMERIC:
        return  # e.g. every value the same: nothing to carry over
    fit_numbers = ParseNumbers(decimal_comma=typing.decimal_comma).fit(frame[["v"]]).transform(frame[["v"]])[:, 0]
    junk = ParseNumbers.parse(frame["v"], dict(typing.numbers)["v"])[1]
    subset = frame.iloc[rows].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # junk cells in the subset are warned about; tested below
        if junk[rows].any() and np.isnan(fit_numbers[rows]).all():
            with pytest.raises(DataError, match="none of its values here is a number"):
                check_against_typing(subset, typing, ["v"], "new.csv")
            return
        checked = check_against_typing(subset, typing, ["v"], "new.csv")
    assert np.array_equal(checked["v"].to_numpy(dtype=float), fit_numbers[rows], equal_nan=True)


def test_predict_time_checks_warn_or_refuse_by_what_the_model_can_take(rng):
    frame = written(rng, 40)
    typing = infer_columns(frame)
    new = frame.head(4).copy()
    new.loc[0, "income"] = "lots"
    with pytest.warns(DataWarning, match=r"new.csv: column 'income': 1 value\(s\) are not numbers \(e.g. 'lots'\)"):
        checked = check_against_typing(new, typing, typing.used, "new.csv")
    assert np.isnan(checked.loc[0, "income"]) and checked["income"].dtype == float
    new.loc[0, "income"] = "1,000"
    new["rate"] = np.nan
    with pytest.warns(DataWarning, match=r"column\(s\) without any value: rate"):
        check_against_typing(new, typing, typing.used, "new.csv")
    new["rate"] = "1%"
    new["price"] = "abc"
    with pytest.raises(DataError, match="'price' held numbers in training, but none of its values here is a number"):
        check_against_typing(new, typing, typing.used, "new.csv")
    clean = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30)})
    clean_typing = infer_columns(clean)  # no front: the model cannot fill gaps
    rows = clean.head(3).astype(object)
    rows.loc[1, "a"] = "oops"
    with pytest.raises(DataError, match=r"'a' has 1 value\(s\) that are not numbers .* cannot fill in gaps"):
        check_against_typing(rows, clean_typing, ["a", "b"], "new.csv")
    rows.loc[1, "a"] = None
    with pytest.raises(DataError, match=r"'a' has 1 missing value\(s\) and the model cannot fill in gaps"):
        check_against_typing(rows, clean_typing, ["a", "b"], "new.csv")
