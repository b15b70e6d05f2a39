"""Random or damaged bytes where a catalog, a CSV or a run file should be: our own error, never a crash."""

import pickle
import random
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gp_automl.checkpoint import SearchState, load_checkpoint, save_checkpoint
from gp_automl.cli import main
from gp_automl.data import prepare, read_table, split_target
from gp_automl.errors import CatalogError, ConfigError, DataError, GPAutoMLError, RunDirError
from gp_automl.journal import EvaluationLog
from gp_automl.report.state import read_evaluations
from gp_automl.rundir import MODEL, MODEL_DIGEST, RUN_JSON, RunDir
from gp_automl.space import load_catalog
from gp_automl.space.catalog import shipped_catalog_dir
from tests.conftest import SHIPPED_DATA

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CATALOG_BYTES = (shipped_catalog_dir() / "light-classification.toml").read_bytes()
CSV_BYTES = (SHIPPED_DATA / "messy_new.csv").read_bytes()


@st.composite
def damaged(draw, original: bytes):
    """``original`` truncated, with bytes overwritten, or replaced by random bytes."""
    kind = draw(st.sampled_from(["truncate", "overwrite", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=400))
    data = bytearray(original)
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(data=damaged(CATALOG_BYTES))
def test_a_damaged_catalog_is_a_catalog_error_or_still_a_catalog(tmp_path, data):
    path = tmp_path / "catalog.toml"
    path.write_bytes(data)
    try:
        catalog = load_catalog(path, "classification")
    except CatalogError as exc:
        assert str(path) in str(exc)
    else:
        assert catalog.models


@FUZZ
@given(data=damaged(CSV_BYTES))
@pytest.mark.filterwarnings("ignore::gp_automl.errors.DataWarning")
def test_a_damaged_csv_is_a_data_error_or_still_a_table(tmp_path, data):
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    try:
        X, y = split_target(read_table(path), "plan")
        dataset = prepare(X, y, "classification", cv=2)
    except (DataError, ConfigError) as exc:  # ConfigError: too few rows of a class for cv
        assert str(exc) and "\n" not in str(exc)  # one line for the user
    else:  # what got through is a usable table: a label per row, a used column, two classes
        assert len(dataset.y) == len(dataset.X) >= 2
        assert dataset.typing.used and len(set(dataset.y)) >= 2


def state() -> SearchState:
    rng = random.Random(3)
    return SearchState(
        generation=4,
        population=(("GaussianNB(X)", 0.9), ("LogisticRegression(PCA(X, n_components=2), C=0.5)", 0.8)),
        rng_state=rng.getstate(),
        logged=12,
        elapsed=30.5,
        stale_generations=1,
        pending=("GaussianNB(X_ordinal)",),
    )


def test_a_checkpoint_reads_back_as_written(tmp_path):
    save_checkpoint(tmp_path / "checkpoint.json", state())
    assert load_checkpoint(tmp_path / "checkpoint.json") == state()


@FUZZ
@given(data=st.data())
def test_a_damaged_checkpoint_is_refused(tmp_path, data):
    path = tmp_path / "checkpoint.json"
    save_checkpoint(path, state())
    original = path.read_bytes()
    broken = data.draw(damaged(original).filter(lambda b: b != original))
    path.write_bytes(broken)
    with pytest.raises(RunDirError, match="checkpoint.json"):
        load_checkpoint(path)


def test_deeply_nested_json_is_refused_not_a_recursion_crash(tmp_path):
    path = tmp_path / "checkpoint.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(RunDirError):
        load_checkpoint(path)
    (tmp_path / RUN_JSON).write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(RunDirError):
        RunDir(tmp_path).read_run()


@FUZZ
@given(data=st.binary(max_size=300) | st.sampled_from([b"[]", b"{}", b'{"task": 1}', b"null", b'"x"']))
def test_a_damaged_run_json_is_one_clear_line_from_every_command(tmp_path, capsys, data):
    (tmp_path / RUN_JSON).write_bytes(data)
    for command in (["export", str(tmp_path)], ["predict", str(tmp_path), "x.csv"], ["resume", str(tmp_path)]):
        code = main(command)
        err = capsys.readouterr().err
        assert code == RunDirError.exit_code, (command, err)
        assert err.startswith("gp-automl: error: ") and err.count("\n") == 1


def log_with_rows(path, n=30):
    from gp_automl.journal import Entry
    from gp_automl.result import EvalResult
    from gp_automl.tree import parse

    log = EvaluationLog(path)
    for i in range(n):
        key = f"LogisticRegression(X, C={i + 0.5})"
        log.append(Entry(parse(key), EvalResult(key=key, status="ok", fold_scores=(0.5, 0.6), score=0.55), 0))
    log.close()


@FUZZ
@given(data=st.data())
def test_a_damaged_evaluation_log_is_refused_when_opened(tmp_path, data):
    path = tmp_path / "evaluations.sqlite"
    path.unlink(missing_ok=True)
    log_with_rows(path)
    original = path.read_bytes()
    broken = data.draw(damaged(original).filter(lambda b: b != original))
    path.write_bytes(broken)
    for read in (
        lambda: len(EvaluationLog(path)),
        lambda: list(EvaluationLog(path).entries()),
        lambda: read_evaluations(path),
    ):  # noqa: E501
        try:
            read()
        except RunDirError as exc:
            assert "evaluations.sqlite" in str(exc)
        except sqlite3.Error as exc:  # pragma: no cover - the failure this test exists to catch
            pytest.fail(f"raw SQLite error escaped: {exc!r}")


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:4096] + b"\xff" * 4096 + b[8192:],  # a page overwritten
        lambda b: b[:8192] + bytes(range(256)) * 16 + b[12288:],
    ],
)
def test_a_truncated_or_overwritten_log_is_refused_when_opened(tmp_path, damage):
    path = tmp_path / "evaluations.sqlite"
    log_with_rows(path, 200)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(RunDirError, match="evaluations.sqlite"):
        EvaluationLog(path)
    with pytest.raises(RunDirError, match="evaluations.sqlite"):
        read_evaluations(path)


def test_a_foreign_sqlite_file_is_not_taken_for_a_log(tmp_path):
    path = tmp_path / "evaluations.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE evaluations (name TEXT)")
    with pytest.raises(RunDirError, match="not a gp_automl evaluation log"):
        EvaluationLog(path)


class Payload:
    """Unpickling this runs code: it is what a model.pkl from someone else could hold."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_model_pickles_load_only_when_their_checksum_matches(tmp_path):
    run = RunDir(tmp_path)
    run.write_model({"weights": [1.0, 2.0]})
    assert run.read_model() == {"weights": [1.0, 2.0]}
    assert (tmp_path / MODEL_DIGEST).read_text().endswith(f"  {MODEL}\n")  # sha256sum -c reads it
    good = (tmp_path / MODEL).read_bytes()
    marker = tmp_path / "unpickled.marker"
    for broken in (good[:-5], good[:10] + bytes([good[10] ^ 1]) + good[11:], pickle.dumps(Payload(marker))):
        (tmp_path / MODEL).write_bytes(broken)
        with pytest.raises(RunDirError, match="does not match its checksum"):
            run.read_model()
    (tmp_path / MODEL_DIGEST).unlink()
    with pytest.raises(RunDirError, match="no readable checksum"):
        run.read_model()
    assert not marker.exists()


def test_every_error_has_its_own_exit_code():
    codes = [cls.exit_code for cls in GPAutoMLError.__subclasses__()]
    assert len(codes) == len(set(codes)) and all(code > 1 for code in codes)
