"""`-o` never writes over a command's input data, a run directory's files or a directory (issue 24).

One finished tiny run serves every test; each checks the exit code, the one error line, and that
the file it aimed at kept its bytes."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from tests.integration.test_cli import CANCER, assert_one_clear_error, cli

pytestmark = pytest.mark.slow  # one tiny search, then a CLI process per check


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished run whose training data is its own copy of the CSV, so a test may aim at it."""
    folder = tmp_path_factory.mktemp("outputs")
    data = folder / "train.csv"
    shutil.copy(CANCER, data)
    out = folder / "run"
    run = cli("fit", data, "--target", "target", "--operators", "light", "--generations", "1",
              "--population-size", "4", "--n-workers", "1", "--out", out)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return out


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_predict_onto_its_own_input_is_refused_before_predicting(finished_run, tmp_path):
    data = tmp_path / "new.csv"
    shutil.copy(CANCER, data)
    before = digest(data)
    run = cli("predict", finished_run, data, "-o", data)
    assert_one_clear_error(run, f"-o {data} is the input data", 2)
    assert digest(data) == before


def test_export_onto_the_model_is_refused_and_the_model_kept(finished_run):
    model = finished_run / "model.pkl"
    before = digest(model)
    run = cli("export", finished_run, "-o", model)
    assert_one_clear_error(run, f"-o {model} is inside the run directory", 2)
    assert digest(model) == before


def test_report_onto_the_training_data_is_refused(finished_run):
    data = finished_run.parent / "train.csv"
    before = digest(data)
    run = cli("report", finished_run, "-o", data)
    assert_one_clear_error(run, f"-o {data} is the input data", 2)
    assert digest(data) == before


def test_a_directory_or_a_missing_folder_as_output_is_exit_6(finished_run, tmp_path):
    assert_one_clear_error(cli("export", finished_run, "-o", tmp_path), "is a directory", 6)
    missing = tmp_path / "no" / "such" / "pipeline.py"
    assert_one_clear_error(cli("predict", finished_run, CANCER, "-o", missing), "does not exist", 6)
    assert not (tmp_path / "no").exists()


def test_the_commands_own_outputs_in_the_run_stay_allowed(finished_run):
    run = cli("export", finished_run, "-o", finished_run / "best_pipeline.py")
    assert run.returncode == 0, run.stderr
    into_run = cli("export", finished_run, "--front", "-o", finished_run)
    assert_one_clear_error(into_run, "is inside the run directory", 2)
    assert not list(finished_run.glob("pipeline_*.py")) and not list(finished_run.glob(".*.tmp"))
