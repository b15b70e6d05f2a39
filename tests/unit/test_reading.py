"""Odd input files: compressed CSV, byte-order marks, Latin-1, and what is no CSV file at all."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zipfile

import pandas as pd
import pytest

from gp_automl.codegen import _reader
from gp_automl.data import read_options, read_table
from gp_automl.errors import DataError, DataWarning

CSV = "a;b;target\n1,5;x;0\n2,5;y;1\n3,5;x;0\n"


def _write(path, data: bytes):
    name = path.name.lower()
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    elif name.endswith(".bz2"):
        path.write_bytes(bz2.compress(data))
    elif name.endswith(".xz"):
        path.write_bytes(lzma.compress(data))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("inner.csv", data)
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".CSV.GZ"])
def test_compressed_csv_reads_like_the_plain_file_and_the_script_reads_it_the_same(tmp_path, suffix):
    plain = _write(tmp_path / "data.csv", CSV.encode())
    packed = _write(tmp_path / f"data{suffix}", CSV.encode())
    assert read_options(packed) == read_options(plain) == {"format": "csv", "sep": ";", "decimal": ","}
    frame = read_table(packed)
    assert frame.equals(read_table(plain)) and frame["a"].tolist() == [1.5, 2.5, 3.5]
    reader = _reader(read_options(packed))  # the exported script's own call
    assert eval(reader, {"pd": pd, "path": str(packed)}).equals(frame)  # noqa: S307 - our own rendered call


def test_byte_order_mark_stays_out_of_the_first_column_name(tmp_path):
    path = _write(tmp_path / "bom.csv.gz", "\ufeffprice,target\n1,0\n2,1\n".encode())
    assert list(read_table(path).columns) == ["price", "target"]
    assert "encoding" not in read_options(path)


@pytest.mark.parametrize("encoding, text", [("cp1252", "Göteborg – €"), ("latin-1", "Göteborg \x81")])
def test_western_european_files_are_read_with_a_notice(tmp_path, encoding, text):
    rows = "".join(f"{i},{text},{i % 2}\n" for i in range(5))
    path = _write(tmp_path / "old.csv", ("a,city,target\n" + rows).encode(encoding))
    with pytest.warns(DataWarning, match=f"is not UTF-8; read it as {encoding}"):
        frame = read_table(path)
    assert frame["city"].iloc[0] == text
    options = read_options(path)
    assert options["encoding"] == encoding
    assert eval(_reader(options), {"pd": pd, "path": str(path)}).equals(frame)  # noqa: S307


def test_a_non_ascii_byte_late_in_a_big_file_is_found(tmp_path):
    body = "a,target\n" + "1,0\n2,1\n" * 40_000 + "Göteborg,1\n"  # past the sniffed head
    path = _write(tmp_path / "late.csv", body.encode("cp1252"))
    assert read_options(path)["encoding"] == "cp1252"


def test_utf16_with_its_mark_is_read(tmp_path):
    path = _write(tmp_path / "wide.csv", "a,target\n1,0\n2,1\n".encode("utf-16"))
    assert read_table(path)["a"].tolist() == [1, 2]


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: p.mkdir(), "is a directory; give the CSV or Parquet file itself"),
        (lambda p: os.mkfifo(p), "is a named pipe (FIFO)"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"\n\n  \n"), "is empty"),
        (lambda p: p.write_bytes(b"a,target\n"), "has a header but no rows"),
        (lambda p: p.write_bytes(b"a,b,a\n1,2,3\n"), "duplicate column names: a"),
        (lambda p: p.write_bytes(b"PK\x03\x04\x00\x00binary"), "is not a text file (it holds NUL bytes)"),
    ],
    ids=["directory", "fifo", "empty", "blank-lines", "header-only", "duplicate-names", "binary"],
)
def test_what_is_no_csv_is_named_for_what_it_is(tmp_path, make, fragment):
    path = tmp_path / "data.csv"
    make(path)
    with pytest.raises(DataError, match=f"data file {path} .*{fragment.replace('(', '.').replace(')', '.')}"):
        read_table(path)


@pytest.mark.parametrize(
    "name, data, fragment",
    [
        ("data.csv.gz", gzip.compress(b""), "is empty once decompressed"),
        ("data.csv.gz", gzip.compress(b"a,target\n"), "has a header but no rows"),
        ("data.csv.bz2", bz2.compress(b"a,a,target\n1,2,0\n"), "duplicate column names: a"),
        ("data.csv.gz", b"not gzip at all", "could not be read as gzip"),
        ("data.csv.xz", b"\xfd7zXZ\x00damaged", "could not be read as xz"),
        ("data.csv.zip", b"PK but no zip", "could not be read as zip"),
    ],
)
def test_bad_compressed_files(tmp_path, name, data, fragment):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError, match=fragment):
        read_table(path)


def test_a_zip_must_hold_one_file(tmp_path):
    path = tmp_path / "two.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "a,target\n1,0\n")
        archive.writestr("b.csv", "a,target\n1,0\n")
    with pytest.raises(DataError, match="holds 2 files; a zip must hold exactly one CSV"):
        read_table(path)
