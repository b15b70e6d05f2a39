"""`gp-automl serve` as a user runs it: a real server process on a free port, answered over HTTP
with urllib, compared with `gp-automl predict` on the same rows; and predict's joinable output."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gp_automl.serve import MAX_BODY_BYTES, MAX_ROWS
from tests.conftest import SHIPPED_DATA
from tests.integration.test_cli import assert_one_clear_error, cli

MESSY = SHIPPED_DATA / "messy.csv"
MESSY_NEW = SHIPPED_DATA / "messy_new.csv"

pytestmark = pytest.mark.slow  # one small search for the module, servers that take seconds to start


@pytest.fixture(scope="module")
def messy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve") / "run"
    run = cli(
        "fit", MESSY, "--target", "churned", "--operators", "light", "--generations", "1", "--population-size", "4",
        "--scheduler", "in-process", "--seed", "3", "--out", out,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(run_dir, *options, port=None):
    """A `gp-automl serve` subprocess, yielded once it answers /ping; stopped with SIGTERM."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gp_automl.cli", "serve", str(run_dir), "--port", str(port), *map(str, options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if get(url, "/ping")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /ping within 60 s"
            time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(url: str, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(url + path, timeout=30) as response:
        return response.status, response.read().decode()


def post(url: str, body: bytes | str | dict, content_type="application/json", query="") -> tuple[int, dict]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    data = data.encode() if isinstance(data, str) else data
    request = urllib.request.Request(
        f"{url}/invocations{query}", data=data, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def json_rows(frame: pd.DataFrame) -> list[list]:
    """Cells as JSON values: gaps as null, numbers exact (pandas' to_json rounds to 10 digits)."""
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def predicted_by_cli(run_dir, csv: Path, tmp_path: Path) -> pd.DataFrame:
    run = cli("predict", run_dir, csv, "--proba", "-o", tmp_path / "predicted.csv")
    assert run.returncode == 0, run.stderr
    return pd.read_csv(tmp_path / "predicted.csv")


def test_serve_answers_as_predict_does_in_every_input_format(messy_run, tmp_path):
    new = pd.read_csv(MESSY_NEW)
    new.to_csv(tmp_path / "new.csv", index=False)
    expected = predicted_by_cli(messy_run, tmp_path / "new.csv", tmp_path)
    labels = expected["prediction"].tolist()
    probabilities = expected[["probability_no", "probability_yes"]].to_numpy()
    split = {"dataframe_split": {"columns": list(new.columns), "data": json_rows(new)}}
    records = [dict(zip(new.columns, row, strict=True)) for row in json_rows(new)]
    with server(messy_run) as (url, process):
        status, answer = post(url, split)
        assert status == 200 and answer["predictions"] == labels
        assert "categories not seen in training (encoded as rare/unknown): plan: enterprise" in answer["notes"][1]
        status, answer = post(url, (tmp_path / "new.csv").read_bytes(), content_type="text/csv; charset=utf-8")
        assert status == 200 and answer["predictions"] == labels
        for body, query in [(split, "?proba=true"), ({"dataframe_records": records, "params": {"proba": True}}, "")]:
            status, answer = post(url, body, query=query)
            assert status == 200
            assert [row["prediction"] for row in answer["predictions"]] == labels
            served = np.array([[row["probability_no"], row["probability_yes"]] for row in answer["predictions"]])
            assert np.allclose(served, probabilities, rtol=0, atol=1e-12)
        status, answer = post(url, {"instances": records[:3]})
        assert status == 200 and answer["predictions"] == labels[:3]
        columns = {name: [row[name] for row in records[:4]] for name in new.columns}
        status, answer = post(url, {"inputs": columns})
        assert status == 200 and answer["predictions"] == labels[:4]
        assert process.poll() is None


def test_schema_metadata_version_and_health(messy_run):
    info = json.loads((messy_run / "run.json").read_text())
    with server(messy_run) as (url, _):
        assert get(url, "/ping")[0] == 200 and get(url, "/health")[0] == 200
        assert get(url, "/version") == (200, "0.1.0")
        schema = json.loads(get(url, "/schema")[1])
        by_name = {column["name"]: column for column in schema["inputs"]}
        assert [c["name"] for c in schema["inputs"]] == info["data"]["features"]
        assert by_name["age"]["type"] == "double" and by_name["age"]["required"]
        assert by_name["plan"]["categories"] == ["basic", "premium", "standard"]
        assert by_name["signup_date"]["type"] == "datetime"
        assert not by_name["customer_id"]["required"] and "ID-like" in by_name["customer_id"]["ignored"]
        metadata = json.loads(get(url, "/metadata")[1])
        assert metadata["pipeline"] == info["best_key"] and metadata["cv_score"] == info["best_score"]
        assert metadata["metric"] == "balanced_accuracy" and metadata["task"] == "classification"
        assert metadata["classes"] == ["no", "yes"]


ROW = {
    "signup_date": "2022-05-09", "age": 41, "monthly_fee": 43.4, "plan": "basic", "region": "north",
    "paperless": True, "support_calls": 3, "notes": "invoice app friendly", "customer_id": "C1",
}  # fmt: skip


def _with(**changes) -> dict:
    return {"dataframe_records": [{**ROW, **changes}]}


BAD_PAYLOADS = [
    # body, content type, status, fragment of the message
    ("{not json", "application/json", 400, "not valid JSON"),
    ("[1, 2]", "application/json", 400, "must be an object"),
    ({"rows": [ROW]}, "application/json", 400, "exactly one of dataframe_split"),
    ({"dataframe_records": [ROW], "instances": [ROW]}, "application/json", 400, "exactly one of"),
    ({**_with(), "params": {"probability": True}}, "application/json", 400, "unknown parameter(s) 'probability'"),
    ({**_with(), "params": {"proba": "maybe"}}, "application/json", 400, "proba: expected true or false"),
    ({"dataframe_records": [{k: v for k, v in ROW.items() if k != "age"}]}, "application/json", 400, "age"),
    (_with(age="forty"), "application/json", 400, "column 'age' held numbers in training"),
    (_with(monthly_fee=[1, 2]), "application/json", 400, "column 'monthly_fee' holds a nested value"),
    (_with(paperless="maybe"), "application/json", 400, "column 'paperless' held booleans"),
    (_with(support_calls="many"), "application/json", 400, "column 'support_calls' held number codes"),
    ({"dataframe_split": {"columns": ["age", "plan"], "data": [[1]]}}, "application/json", 400, "row 0 has 1 values"),
    ({"dataframe_split": {"columns": ["age", "age"], "data": [[1, 2]]}}, "application/json", 400, "given twice: age"),
    ({"dataframe_records": []}, "application/json", 400, "no rows"),
    ({"dataframe_records": [ROW] * (MAX_ROWS + 1)}, "application/json", 413, f"the limit is {MAX_ROWS}"),
    (b"x" * (MAX_BODY_BYTES + 1), "application/json", 413, f"over {MAX_BODY_BYTES} bytes"),
    ("age,plan\n1,basic\n", "text/csv", 400, "lacks column(s) the model was trained on"),
    ('age,plan\n1,"basic\n', "text/csv", 400, "CSV body could not be read"),
    ("age=1", "application/x-www-form-urlencoded", 415, "not supported"),
]


def test_every_bad_payload_is_a_4xx_naming_the_fault_and_the_server_lives_on(messy_run):
    with server(messy_run) as (url, process):
        for body, content_type, status, fragment in BAD_PAYLOADS:
            got, answer = post(url, body, content_type=content_type)
            assert got == status, (fragment, got, answer)
            assert fragment in answer["message"], (fragment, answer)
            assert answer["error_code"] in {"BAD_REQUEST", "MALFORMED_REQUEST", "INVALID_PARAMETER_VALUE",
                                            "REQUEST_LIMIT_EXCEEDED"}  # fmt: skip
            assert process.poll() is None and get(url, "/ping")[0] == 200
        assert post(url, _with())[0] == 200  # and still scores
    assert "Traceback" not in process.stderr.read()


def test_serve_refuses_a_damaged_model_a_taken_port_and_a_missing_extra(messy_run, tmp_path):
    damaged = tmp_path / "damaged"
    subprocess.run(["cp", "-r", str(messy_run), str(damaged)], check=True)
    with (damaged / "model.pkl").open("ab") as stream:
        stream.write(b"\0")
    assert_one_clear_error(cli("serve", damaged, "--port", free_port()), "does not match its checksum", 6)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_one_clear_error(cli("serve", messy_run, "--port", port), f"cannot listen on 127.0.0.1:{port}", 4)
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "fastapi.py").write_text("raise ImportError(\"No module named 'fastapi'\")\n")
    run = cli("serve", messy_run, env={"PYTHONPATH": str(shadow)})
    assert_one_clear_error(run, 'pip install "gp_automl[serve]"', 4)


def test_predict_keeps_id_columns_and_adds_probabilities_only_when_asked(messy_run, tmp_path):
    new = pd.read_csv(MESSY_NEW)
    new.to_csv(tmp_path / "new.csv", index=False)
    run = cli("predict", messy_run, tmp_path / "new.csv", "-o", tmp_path / "plain.csv")
    assert run.returncode == 0, run.stderr
    plain = pd.read_csv(tmp_path / "plain.csv")
    assert list(plain.columns) == ["customer_id", "prediction"]  # the ID column training dropped, then the label
    assert plain["customer_id"].tolist() == new["customer_id"].tolist()
    run = cli("predict", messy_run, tmp_path / "new.csv", "--proba", "--keep", "region", "campaign",
              "-o", tmp_path / "joined.csv")  # fmt: skip
    assert run.returncode == 0, run.stderr
    joined = pd.read_csv(tmp_path / "joined.csv")
    assert list(joined.columns) == ["customer_id", "region", "campaign", "prediction", "probability_no",
                                    "probability_yes"]  # fmt: skip
    assert joined["region"].tolist() == new["region"].tolist() and joined["prediction"].equals(plain["prediction"])
    assert np.allclose(joined[["probability_no", "probability_yes"]].sum(axis=1), 1.0)
    assert_one_clear_error(cli("predict", messy_run, tmp_path / "new.csv", "--keep", "postcode"), "postcode", 2)


def test_scored_rows_are_logged_and_drift_reads_the_log(messy_run, tmp_path):
    log = tmp_path / "scored.jsonl"
    rows = pd.read_csv(MESSY).drop(columns=["churned"])
    with server(messy_run, "--log-inputs", log) as (url, _):
        first = {"dataframe_split": {"columns": list(rows.columns), "data": json_rows(rows.iloc[:150])}}
        assert post(url, first)[0] == 200
        assert post(url, rows.iloc[150:].to_csv(index=False), content_type="text/csv")[0] == 200
        assert post(url, _with(age="forty"))[0] == 400  # refused rows are not logged
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(entries) == len(rows) and {"time", "inputs", "prediction"} <= set(entries[0])
    assert entries[0]["inputs"]["customer_id"] == rows["customer_id"].iloc[0]
    run = cli("drift", messy_run, log)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"no drift in 10 column(s) ({len(rows)} new rows against 395 in training)" in run.stdout
