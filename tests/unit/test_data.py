import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from gp_automl.data import infer_task, prediction_frame, prepare, read_options, read_table
from gp_automl.errors import DataError, DataWarning


def test_csv_delimiter_is_detected_and_recorded(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("a;b;target\n1.5;x;0\n2.5;y;1\n")
    frame = read_table(path)
    assert list(frame.columns) == ["a", "b", "target"] and len(frame) == 2
    assert read_options(path) == {"format": "csv", "sep": ";"}
    path.write_text("a\tb\ttarget\n1\tx\t0\n2\ty\t1\n")
    assert read_options(path) == {"format": "csv", "sep": "\t"}


def test_utf8_with_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffnaïve,target\né,0\n".encode())
    assert list(read_table(path).columns) == ["naïve", "target"]


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"a,b,a\n1,2,3\n", "duplicate column names: a"),
        (b"a,target\n", "header but no rows"),
        (b"", "is empty"),
    ],
)
def test_unreadable_files(tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=fragment):
        read_table(path)


def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(DataError, match=r"pip install 'gp_automl\[parquet\]'"):
        read_table(path)


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", None], "target": ["p", "q"]})
    frame.to_parquet(tmp_path / "data.parquet")
    assert read_table(tmp_path / "data.parquet").equals(pd.read_parquet(tmp_path / "data.parquet"))
    assert read_options(tmp_path / "data.parquet") == {"format": "parquet"}


def test_rows_without_a_target_are_dropped_with_a_warning():
    X = pd.DataFrame({"a": np.arange(12.0), "b": list("xy") * 6})
    y = pd.Series(["yes", "no"] * 5 + [None, np.nan], name="label")
    with pytest.warns(DataWarning, match="dropped 2 of 12 rows whose target column 'label' is missing"):
        dataset = prepare(X, y, "classification", cv=2)
    assert len(dataset.X) == len(dataset.y) == 10 and dataset.dropped_target_rows == 2
    assert set(dataset.y) == {"yes", "no"}


def test_boolean_labels_with_gaps_come_back_as_booleans():
    y = pd.Series([True, False] * 5 + [np.nan], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        dataset = prepare(pd.DataFrame({"a": np.arange(11.0)}), y, "classification", cv=2)
    assert dataset.y.dtype == bool


@pytest.mark.parametrize(
    "y, task",
    [(["a", "b"], "classification"), ([True, False], "classification"), ([0.5, 1.5], "regression")],
)
def test_infer_task(y, task):
    assert infer_task(pd.Series(y * 10)) == task


def test_nullable_pandas_dtypes_are_accepted():
    X = pd.DataFrame(
        {"i": pd.array([1, None, 3, 4] * 5, dtype="Int64"), "s": pd.array(["a", None, "b", "a"] * 5, dtype="string")}
    )
    dataset = prepare(X, [0, 1] * 10, "classification", cv=2)
    assert dataset.X["i"].dtype == np.float64 and dataset.X["s"].isna().sum() == 5


def test_prediction_frame_needs_used_columns_only():
    frame, extra = prediction_frame(pd.DataFrame({"b": [1.0], "new": [0]}), ["id", "b"], used=["b"])
    assert list(frame.columns) == ["id", "b"] and extra == ["new"]
    with pytest.raises(DataError, match="new.csv lacks column\\(s\\) the model was trained on: b"):
        prediction_frame(pd.DataFrame({"id": [1]}), ["id", "b"], used=["b"], where="new.csv")


def test_integer_labels_read_as_floats_because_of_gaps_come_back_as_integers():
    y = pd.Series([0.0, 1.0] * 5 + [np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        dataset = prepare(pd.DataFrame({"a": np.arange(11.0)}), y, "classification", cv=2)
    assert dataset.y.dtype == np.int64 and set(dataset.y) == {0, 1}


def test_objects_of_mixed_types_become_text():
    X = pd.DataFrame({"m": pd.Series([1, "a", None, 2.5] * 5, dtype=object), "n": np.arange(20.0)})
    dataset = prepare(X, [0, 1] * 10, "classification", cv=2)
    assert set(dataset.X["m"].dropna()) == {"1", "a", "2.5"}


def test_decimal_comma_in_semicolon_files(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("a;b;target\n1,5;x;0\n-2,25;y;1\n3;x;0\n")
    assert read_options(path) == {"format": "csv", "sep": ";", "decimal": ","}
    assert read_table(path)["a"].tolist() == [1.5, -2.25, 3.0]
    path.write_text("a;b;target\n1.5;x,y;0\n2.5;y;1\n")
    assert read_options(path) == {"format": "csv", "sep": ";"}
