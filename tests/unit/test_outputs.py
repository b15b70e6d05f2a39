"""The one rule every `-o` goes through (gp_automl.outputs), on real files: names, symlinks, hard links."""

from __future__ import annotations

import pytest

from gp_automl.errors import DataError, RunDirError
from gp_automl.outputs import check_output, check_output_folder


@pytest.fixture
def place(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    (run / "model.pkl").write_bytes(b"model")
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    return tmp_path, run, data


def test_the_input_data_under_any_name_is_refused(place):
    tmp_path, _, data = place
    (tmp_path / "hard.csv").hardlink_to(data)
    (tmp_path / "soft.csv").symlink_to(data)
    for name in (data, tmp_path / "hard.csv", tmp_path / "soft.csv", tmp_path / "sub" / ".." / "data.csv"):
        with pytest.raises(DataError, match="is the input data"):
            check_output(name, inputs=[data])
    assert check_output(tmp_path / "other.csv", inputs=[data, None]) == tmp_path / "other.csv"


def test_files_of_a_run_are_refused_unless_they_are_the_commands_own(place):
    tmp_path, run, _ = place
    (tmp_path / "link").symlink_to(run / "model.pkl")
    (run / "front").mkdir()
    for name in (run / "model.pkl", run / "run.json", run / "new.csv", tmp_path / "link", run / "front" / "x.py"):
        with pytest.raises(DataError, match=f"inside the run directory {run}"):
            check_output(name)
    assert check_output(run / "best_pipeline.py", own=[run / "best_pipeline.py"]) == run / "best_pipeline.py"
    with pytest.raises(DataError, match="inside the run directory"):
        check_output_folder(run / "mine")
    assert check_output_folder(run / "front", own=[run / "front"]).is_dir()


def test_a_directory_a_missing_folder_or_a_file_as_folder_is_a_run_directory_error(place):
    tmp_path, _, data = place
    with pytest.raises(RunDirError, match="is a directory"):
        check_output(tmp_path)
    with pytest.raises(RunDirError, match="does not exist"):
        check_output(tmp_path / "missing" / "out.csv")
    with pytest.raises(RunDirError, match="is not a directory"):
        check_output_folder(data)
