"""``gp-automl report``: a finished run, a run still being written, a regression run, and runs whose
data cannot be had all give one self-contained HTML page with every section and decodable images."""

from __future__ import annotations

import base64
import json
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from contextlib import closing
from html.parser import HTMLParser

import pandas as pd
import pytest

from gp_automl import GPClassifier, GPRegressor
from gp_automl.report import REPORT, load_run, write_report
from tests.conftest import SHIPPED_DATA
from tests.integration.test_cli import CANCER, cli

SECTIONS = [
    "summary",
    "pareto-front",
    "variations",
    "convergence",
    "leaderboard",
    "winner",
    "importance",
    "held-out",
    "data",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VOID = {"meta", "img", "br", "hr", "input", "link"}


class Page(HTMLParser):
    """What a test needs from the report: section ids, images, external references, tag balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[str] = []
        self.images: list[str] = []
        self.external: list[str] = []
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs["src"])
        if tag in ("script", "link", "iframe"):
            self.external.append(tag)
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if not value.startswith(("data:image/png;base64,", "#")) and value:
                self.external.append(value)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.unbalanced.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse_report(path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert not page.unbalanced and not page.open, (page.unbalanced, page.open)
    assert not page.external, page.external  # self-contained: no scripts, no links out, no remote images
    return page


def png_size(src: str) -> tuple[int, int]:
    """Width and height from the PNG header of a data URI (no imaging library needed)."""
    data = base64.b64decode(src.split(",", 1)[1], validate=True)
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_complete(page: Page, images: int) -> str:
    assert page.sections == SECTIONS
    assert len(page.images) == images
    for src in page.images:
        width, height = png_size(src)
        assert width > 100 and height > 100
    text = " ".join(page.text)
    assert "<code>" not in text, "markup built by the report was escaped into visible text"
    return text


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    frame = pd.read_csv(CANCER)
    estimator = GPClassifier(
        generations=1,
        population_size=8,
        cv=3,
        operators="light",
        scheduler="in-process",
        checkpoint_dir=out,
        random_state=0,
        verbosity=0,
    ).fit(frame.drop(columns="target"), frame["target"], data_path=str(CANCER))
    return out, estimator


def test_report_of_a_finished_run_has_every_section_and_inline_images(finished_run):
    out, estimator = finished_run
    before = files(out)
    run = cli("report", out)
    assert run.returncode == 0, run.stderr
    assert files(out) == {**before, REPORT: files(out)[REPORT]}  # the report is the only file written
    assert run.stdout.strip() == f"wrote {out / REPORT}"
    text = assert_complete(parse_report(out / REPORT), images=4)  # front, convergence, importance, confusion
    ok, rejected = counts(estimator, "ok", "rejected")
    assert ok + rejected == 16 and ok > 0
    first = estimator.evaluations_[estimator.evaluations_["variation"] == "init"]
    assert len(first) == 8
    for fragment in [
        "finished",
        f"16 in 2 generation(s): {ok} ok, 0 failed, 0 timed out, 0 out of memory, {rejected} rejected early",
        "worker utilization",
        f"{estimator.best_score_:.4f} ±",
        "def make_pipeline():",
        "3 of 3 folds",
        "Rows per class: 0: 212, 1: 357",
        f"init {len(first)} {(first['status'] == 'ok').sum()}",  # variations: generation 0, evaluated and ok
        "mean_radius",
    ]:
        assert fragment in text, fragment
    assert estimator.best_tree_.key in text  # the winner, in the leaderboard and the script


def files(folder) -> dict[str, int]:
    """Name -> modification time, leaving out SQLite's shared-memory index that any reader may create."""
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if not p.name.endswith(("-shm", "-wal"))}


def test_the_plots_are_also_methods_of_the_estimator(finished_run):
    _, estimator = finished_run
    assert estimator.plot_pareto_front().axes[0].get_xlabel() == "complexity (number of operators)"
    assert len(estimator.plot_convergence().axes) == 1  # no time column in evaluations_: evaluations only


def test_report_of_a_run_still_in_progress(tmp_path):
    """A real search appends to its log while the report reads it; the search is not disturbed."""
    out = tmp_path / "running"
    with open(tmp_path / "search.err", "w") as err:
        search = subprocess.Popen(
            [sys.executable, "-m", "gp_automl.cli", "fit", CANCER, "--target", "target", "--operators", "light",
             "--scheduler", "in-process", "--population-size", "6", "--cv", "3", "--max-time-mins", "3", "--out", out,
             "--verbosity", "0"],
            stdout=subprocess.DEVNULL,
            stderr=err,  # a file, not a pipe nobody reads (which could fill up and block the search)
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while logged(out) < 5:
            assert search.poll() is None and time.monotonic() < deadline, (tmp_path / "search.err").read_text()
            time.sleep(0.5)
        run = cli("report", out, "-o", tmp_path / "live.html")
        assert run.returncode == 0, run.stderr
        assert search.poll() is None  # still searching while the report was written
        assert json.loads((out / "run.json").read_text())["status"] == "running"
    finally:
        search.send_signal(signal.SIGKILL)
        search.wait()
    assert not (out / "model.pkl").exists()
    text = assert_complete(parse_report(tmp_path / "live.html"), images=4)
    assert "The search is still running" in text and "The best pipeline logged so far" in text
    assert "not yet" in text  # finished


def logged(out) -> int:
    try:
        with closing(sqlite3.connect(f"{(out / 'evaluations.sqlite').as_uri()}?mode=ro", uri=True)) as db:
            return db.execute("SELECT COUNT(*) FROM evaluations WHERE status = 'ok'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_report_of_a_regression_run_draws_residuals(tmp_path):
    """On data with gaps (imputed in front of every pipeline) and a column name that is HTML."""
    frame = pd.read_csv(SHIPPED_DATA / "diabetes.csv").rename(columns={"bp": "<b>bp</b> & co"})
    frame.loc[::10, "bmi"] = float("nan")
    frame.to_csv(tmp_path / "diabetes.csv", index=False)
    GPRegressor(
        generations=1,
        population_size=6,
        cv=3,
        operators="light",
        scheduler="in-process",
        checkpoint_dir=tmp_path / "run",
        verbosity=0,
    ).fit(frame.drop(columns="target"), frame["target"], data_path=str(tmp_path / "diabetes.csv"))
    path = write_report(tmp_path / "run")
    text = assert_complete(parse_report(path), images=4)
    assert "Residuals (held-out folds)" in text and "3 of 3 folds" in text
    assert "Preprocessing variants the search chose between (one per data leaf): X: SimpleImputer(" in text
    assert "45 missing values in 1 column(s): bmi (45); the preprocessing front fills them in" in text
    assert "<b>bp</b> & co" in text  # as text: parsed back from its escaped form


def counts(estimator, *statuses: str) -> list[int]:
    """How many of the run's evaluations have each status (early rejection decides ok/rejected)."""
    return [int((estimator.evaluations_.status == status).sum()) for status in statuses]


def test_a_run_without_reachable_data_says_so_in_place(finished_run, tmp_path):
    out, estimator = finished_run
    ok, rejected = counts(estimator, "ok", "rejected")
    moved = shutil.copytree(out, tmp_path / "moved")
    info = json.loads((moved / "run.json").read_text())
    info["data"]["path"] = str(tmp_path / "gone.csv")
    (moved / "run.json").write_text(json.dumps(info))
    with closing(sqlite3.connect(moved / "evaluations.sqlite")) as db:  # a copy: add failures and a timeout
        with db:  # one committed transaction
            db.executemany(
                "INSERT INTO evaluations (key, generation, status, score, fold_scores, complexity, seconds, error,"
                " finished_at) VALUES (?, 1, ?, NULL, '[]', 1, 1.0, ?, ?)",
                [
                    ("GaussianNB(X, var_smoothing=1.0)", "error", "ValueError: <bad> input", time.time()),
                    ("GaussianNB(X, var_smoothing=2.0)", "error", "ValueError: <bad> input", time.time()),
                    ("GaussianNB(X, var_smoothing=3.0)", "timeout", "stopped after 300 s", time.time()),
                ],
            )
    text = assert_complete(parse_report(write_report(moved)), images=2)  # front and convergence only
    assert text.count("Not available: the training data could not be read: data file") == 3
    assert f"19 in 2 generation(s): {ok} ok, 2 failed, 1 timed out, 0 out of memory, {rejected} rejected early" in text
    assert "Most frequent failures" in text and "ValueError: <bad> input" in text  # parsed text: it was escaped

    changed = pd.read_csv(CANCER)
    changed.loc[0, "mean_radius"] += 1
    changed.to_csv(tmp_path / "changed.csv", index=False)
    info["data"]["path"] = str(tmp_path / "changed.csv")
    (moved / "run.json").write_text(json.dumps(info))
    text = assert_complete(parse_report(write_report(moved)), images=2)
    assert "has changed since the run" in text


def test_pipelines_stopped_early_are_counted_apart_from_failures(finished_run, tmp_path):
    out, estimator = finished_run
    ok, rejected = counts(estimator, "ok", "rejected")
    copy = shutil.copytree(out, tmp_path / "copy")
    with closing(sqlite3.connect(copy / "evaluations.sqlite")) as db, db:
        db.execute(
            "INSERT INTO evaluations (key, generation, status, score, fold_scores, complexity, seconds, error,"
            " finished_at) VALUES ('GaussianNB(X, var_smoothing=1.0)', 1, 'rejected', NULL, '[0.5]', 1, 0.1,"
            " 'stopped after 1 of 3 folds: mean 0.5000 against 0.9500', ?)",
            (time.time(),),
        )
    text = assert_complete(parse_report(write_report(copy)), images=4)
    assert (
        f"17 in 2 generation(s): {ok} ok, 0 failed, 0 timed out, 0 out of memory, {rejected + 1} rejected early" in text
    )
    assert "Most frequent failures" not in text and "stopped after 1 of 3 folds" not in text


def test_a_run_that_has_logged_nothing_yet(finished_run, tmp_path):
    out, _ = finished_run
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    info = json.loads((out / "run.json").read_text())
    for finished_only in ("best_key", "best_score", "finished", "elapsed_seconds", "stop_reason", "worker_utilization"):
        info.pop(finished_only)
    info["status"] = "running"
    (fresh / "run.json").write_text(json.dumps(info))
    state = load_run(fresh)
    assert state.in_progress and state.winner is None and state.evaluations.empty
    text = assert_complete(parse_report(write_report(fresh)), images=2)  # empty front and convergence
    assert "no evaluation has been logged yet" in text and "No successful pipeline yet" in text
    assert "No evaluation yet." in text  # the variations


@pytest.mark.parametrize("make", ["missing", "not-a-run"])
def test_report_of_something_that_is_not_a_run_is_one_clear_error(tmp_path, make):
    target = tmp_path / "nothing" if make == "missing" else tmp_path
    run = cli("report", target)
    assert run.returncode == 6, run.stderr
    assert run.stderr.startswith("gp-automl: error: ") and "Traceback" not in run.stderr
    assert ("does not exist" if make == "missing" else "not a gp_automl run directory") in run.stderr
