"""Every bad input of issue 5 through the real command line: one clear line, a non-zero exit, no
traceback, and no run directory created (or an existing one touched)."""

from __future__ import annotations

import pytest

from tests.integration.test_cli import assert_one_clear_error, cli

OK_ROWS = "".join(f"{i},{'ab'[i % 2]},{i % 2}\n" for i in range(12))


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "not found"),
        (b"", "is empty"),
        (b"a,b,target\n", "has a header but no rows"),
        (b"a,b,label\n" + OK_ROWS.encode(), "target column 'target' not found; columns are: a, b, label"),
        (b"a,b,target\n" + "".join(f"{i},x,\n" for i in range(12)).encode(), "has no values"),
        (b"a,b,target\n" + "".join(f"{i},x,1\n" for i in range(12)).encode(), "single class ("),
        (b"a,b,target\n" + OK_ROWS.encode() + b"inf,a,1\n", "infinite values in column(s): a"),
        (b"a,a,target\n" + OK_ROWS.encode(), "duplicate column names: a"),
        (b"a,b,target\n" + OK_ROWS.encode() + b"1,\x00\x01,0\n", "is not a text file (it holds NUL bytes)"),
    ],
    ids=[
        "missing-file",
        "empty-file",
        "header-only",
        "unknown-target",
        "target-all-missing",
        "one-class",
        "inf-values",
        "duplicate-columns",
        "binary",
    ],
)
def test_bad_training_data(tmp_path, content, fragment):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "run"
    run = cli("fit", path, "--target", "target", "--scheduler", "in-process", "--generations", "1", "--out", out)
    assert_one_clear_error(run, fragment, 2)
    assert not out.exists()


def test_bad_data_never_touches_an_existing_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text('{"status": "finished"}\n')
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,target\n")
    assert_one_clear_error(cli("fit", path, "--target", "target", "--out", out), "header but no rows", 2)
    path.write_bytes(b"a,target\n" + b"1,1\n" * 12)  # readable, but one class: the run is refused first
    assert_one_clear_error(cli("fit", path, "--target", "target", "--out", out), "already holds a run", 6)
    assert [p.name for p in out.iterdir()] == ["run.json"]
    assert (out / "run.json").read_text() == '{"status": "finished"}\n'


def test_rows_without_a_target_are_dropped_counted_and_warned(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,target\n" + OK_ROWS + "5,a,\n6,b,\n")
    out = tmp_path / "run"
    run = cli(
        "fit", path, "--target", "target", "--scheduler", "in-process", "--operators", "light",
        "--generations", "0", "--population-size", "2", "--cv", "2", "--out", out,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "gp-automl: warning: dropped 2 of 14 rows whose target column 'target' is missing" in run.stderr
    assert "Traceback" not in run.stderr
    assert "data: dropped 2 row(s) whose target is missing" in (out / "search.log").read_text()
