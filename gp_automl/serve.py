"""``gp-automl serve``: a run's model over HTTP, speaking MLflow's scoring protocol.

``POST /invocations`` takes JSON (``dataframe_split``, ``dataframe_records``, ``instances`` or
``inputs``, with optional ``params``) or ``text/csv`` and answers ``{"predictions": [...]}``, so
clients written for ``mlflow models serve`` work unchanged. ``GET /ping``, ``/health`` and
``/version`` are MLflow's; ``/schema`` and ``/metadata`` describe the run.

A request's rows go through ``scoring.model_rows``, the function ``gp-automl predict`` uses, so both
apply the same typing rules. Everything a client can get wrong is a 4xx whose message names the
field or column at fault; the process serves on. The model is loaded once, after its checksum
(``RunDir.read_model``). FastAPI and uvicorn come with the optional extra ``serve``; this module
imports them only when a server starts, so the rest of gp_automl never needs them.
"""

import io
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from gp_automl.columns import CATEGORICAL, DATETIME, NUMERIC
from gp_automl.data import CLASSIFICATION
from gp_automl.errors import ConfigError, DataError, GPAutoMLError, RunDirError
from gp_automl.outputs import check_output
from gp_automl.rundir import RunDir
from gp_automl.scoring import PREDICTION, ScoringLog, model_rows, prediction_table
from gp_automl.version import __version__

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
MAX_ROWS = 10_000  # rows per request; larger tables go in several requests
MAX_BODY_BYTES = 16 * 1024 * 1024  # a request body above this is refused before it is parsed
DRAIN_BYTES = 8 * MAX_BODY_BYTES  # beyond this a refused body is no longer read: the connection is dropped
INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
PARAMS = {"proba": "add class probabilities (classification): predictions become records"}
JSON_TYPES = {NUMERIC: "double", CATEGORICAL: "string", DATETIME: "datetime"}
EXTRA_MISSING = 'serving needs FastAPI and uvicorn: pip install "gp_automl[serve]"'
_ENVIRONMENT = "GP_AUTOML_SERVE"  # how the worker processes of `--workers N` learn what to serve


class PayloadError(Exception):
    """A request the server refuses: its HTTP status, an MLflow error code and a message."""

    def __init__(self, status: int, message: str, code: str = "BAD_REQUEST"):
        super().__init__(message)
        self.status, self.code = status, code


def check_extra() -> None:
    """A ConfigError (one line, exit 4) when the ``serve`` extra is not installed."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"{EXTRA_MISSING} ({exc})") from None


class Scorer:
    """One run's model and typing: turns request bodies into predictions. No HTTP in here.

    Its process keeps one BLAS/OpenMP thread (as evaluations do): a server's parallelism comes
    from concurrent requests and ``--workers``, and a model's own threads on top of them thrash
    the cores (a HistGradientBoosting predict took 7x longer on a busy 2-core machine)."""

    def __init__(self, run_dir: str | Path, log_inputs: str | Path | None = None):
        threadpool_limits(limits=1)
        self.run_dir = RunDir(run_dir)
        self.info = self.run_dir.read_run()
        if "best_key" not in self.info:
            raise RunDirError(f"{self.run_dir.path} holds no finished run (status {self.info.get('status')!r})")
        self.model = self.run_dir.read_model()
        self.log = ScoringLog(log_inputs) if log_inputs else None

    # -- what the server says about itself

    def schema(self) -> dict[str, Any]:
        data = self.info["data"]
        kinds = data.get("columns", {}).get("kinds", {})
        used = set(data.get("used", data["features"]))
        inputs = []
        for name in data["features"]:
            column = {"name": name, "type": JSON_TYPES.get(kinds.get(name), "any"), "kind": kinds.get(name)}
            column["required"] = name in used
            if name in used and data.get("categories", {}).get(name):
                column["categories"] = data["categories"][name]
            if name not in used:
                column["ignored"] = data.get("dropped", {}).get(name, "not used by the model")
            inputs.append(column)
        outputs = [{"name": PREDICTION, "type": "label" if self.is_classifier else "double"}]
        return {"inputs": inputs, "outputs": outputs, "target": self.info.get("target"), "params": PARAMS}

    def metadata(self) -> dict[str, Any]:
        info = self.info
        classes = getattr(self.model, "classes_", None)
        return {
            "run": str(self.run_dir.path.resolve()),
            "task": info["task"],
            "metric": info["settings"].get("scoring"),
            "cv_score": info.get("best_score"),
            "pipeline": info.get("best_key"),
            "target": info.get("target"),
            "classes": None if classes is None or not self.is_classifier else [_plain(c) for c in classes],
            "rows_trained_on": info["data"].get("rows"),
            "status": info.get("status"),
            "finished": info.get("finished"),
            "gp_automl_version": __version__,
            "trained_with": info.get("gp_automl_version"),
            "limits": {"max_rows": MAX_ROWS, "max_body_bytes": MAX_BODY_BYTES},
        }

    @property
    def is_classifier(self) -> bool:
        return self.info["task"] == CLASSIFICATION

    # -- scoring

    def invoke(self, body: bytes, content_type: str, query_proba: str | None) -> dict[str, Any]:
        """The answer to ``POST /invocations``; a PayloadError for anything the client got wrong."""
        frame, params = parse_body(body, content_type)
        proba = _flag("proba", params.get("proba", query_proba if query_proba is not None else False))
        if proba and not self.is_classifier:
            raise PayloadError(400, "proba: the model is a regressor; it has no class probabilities",
                               "INVALID_PARAMETER_VALUE")  # fmt: skip
        try:
            scored = model_rows(frame, self.info, where="request")
        except DataError as exc:
            raise PayloadError(400, str(exc)) from None
        try:
            table = prediction_table(self.model, scored.rows, self.info["task"], proba=proba)
        except (ValueError, TypeError, KeyError) as exc:  # what the fitted pipeline refuses in these rows
            raise PayloadError(
                422, f"the model could not score these rows: {type(exc).__name__}: {exc}"[:500]
            ) from None
        if self.log is not None:
            try:
                self.log.append(frame, table[PREDICTION])
            except GPAutoMLError as exc:  # scoring goes on; the operator hears about the log
                print(f"gp-automl: warning: scoring log not written: {exc}", file=sys.stderr, flush=True)
        answer: dict[str, Any] = {"predictions": _predictions(table, proba)}
        notes = []
        if scored.extra:
            notes.append(f"ignored column(s) not used in training: {', '.join(map(str, scored.extra[:10]))}")
        if scored.unseen:
            shown = "; ".join(f"{name}: {', '.join(values[:5])}" for name, values in list(scored.unseen.items())[:10])
            notes.append(f"categories not seen in training (encoded as rare/unknown): {shown}")
        if notes:
            answer["notes"] = notes
        return answer


def parse_body(body: bytes, content_type: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The rows and params of an MLflow scoring request (JSON or CSV)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "text/csv":
        frame, params = _csv_rows(body), {}
    elif media == "application/json":
        frame, params = _json_rows(body)
    else:
        raise PayloadError(
            415, f"content type {content_type or '(none)'!r} is not supported; send application/json or text/csv"
        )
    if frame.shape[0] == 0:
        raise PayloadError(400, "the request holds no rows")
    if frame.shape[0] > MAX_ROWS:
        raise PayloadError(
            413, f"the request holds {frame.shape[0]} rows; the limit is {MAX_ROWS} per request: send smaller batches",
            "REQUEST_LIMIT_EXCEEDED",
        )  # fmt: skip
    return frame, params


def _csv_rows(body: bytes) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError(400, f"the CSV body is not UTF-8 text (byte {exc.start})", "MALFORMED_REQUEST") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise PayloadError(400, f"the CSV body could not be read: {exc}"[:300], "MALFORMED_REQUEST") from None


def _json_rows(body: bytes) -> tuple[pd.DataFrame, dict[str, Any]]:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise PayloadError(400, f"the body is not valid JSON: {exc}"[:300], "MALFORMED_REQUEST") from None
    if not isinstance(payload, dict):
        raise PayloadError(400, f"the JSON body must be an object with one of the fields {', '.join(INPUT_KEYS)}")
    given = [key for key in INPUT_KEYS if key in payload]
    unknown = [str(key) for key in payload if key not in (*INPUT_KEYS, "params")]
    if len(given) != 1 or unknown:
        found = ", ".join(map(repr, [*given, *unknown])) or "none"
        raise PayloadError(400, f"the JSON body must hold exactly one of {', '.join(INPUT_KEYS)} (and optionally "
                                f"params); found: {found}")  # fmt: skip
    params = payload.get("params") or {}
    if not isinstance(params, dict):
        raise PayloadError(400, 'params must be a JSON object, e.g. {"proba": true}', "INVALID_PARAMETER_VALUE")
    unknown_params = [name for name in params if name not in PARAMS]
    if unknown_params:
        raise PayloadError(400, f"params: unknown parameter(s) {', '.join(map(repr, unknown_params))}; known: "
                                f"{', '.join(PARAMS)}", "INVALID_PARAMETER_VALUE")  # fmt: skip
    key = given[0]
    rows = payload[key]
    if key == "dataframe_split":
        frame = _split_rows(rows)
    elif key == "dataframe_records" or (isinstance(rows, list) and rows and isinstance(rows[0], dict)):
        frame = _record_rows(rows, key)
    elif isinstance(rows, dict):
        frame = _column_rows(rows, key)
    else:
        raise PayloadError(400, f"{key}: expected a list of records ({{column: value}}) or an object of columns "
                                "({column: [values]})")  # fmt: skip
    duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if duplicated:
        raise PayloadError(400, f"column(s) given twice: {', '.join(duplicated)}")
    _check_scalars(frame, key)
    return frame, params


def _split_rows(split: Any) -> pd.DataFrame:
    if (
        not isinstance(split, dict)
        or not isinstance(split.get("columns"), list)
        or not isinstance(split.get("data"), list)
    ):
        raise PayloadError(400, 'dataframe_split must be an object {"columns": [...], "data": [[...], ...]}')
    columns, data = split["columns"], split["data"]
    if not all(isinstance(name, str) for name in columns):
        raise PayloadError(400, "dataframe_split.columns must be a list of column names (strings)")
    if len(data) > MAX_ROWS:
        raise PayloadError(413, f"the request holds {len(data)} rows; the limit is {MAX_ROWS} per request: send "
                                "smaller batches", "REQUEST_LIMIT_EXCEEDED")  # fmt: skip
    for number, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            size = len(row) if isinstance(row, list) else type(row).__name__
            raise PayloadError(400, f"dataframe_split.data row {number} has {size} values for {len(columns)} columns")
    return pd.DataFrame(data, columns=columns)


def _record_rows(records: Any, key: str) -> pd.DataFrame:
    if not isinstance(records, list):
        raise PayloadError(400, f"{key} must be a list of records ({{column: value}})")
    if len(records) > MAX_ROWS:
        raise PayloadError(413, f"the request holds {len(records)} rows; the limit is {MAX_ROWS} per request: send "
                                "smaller batches", "REQUEST_LIMIT_EXCEEDED")  # fmt: skip
    for number, record in enumerate(records):
        if not isinstance(record, dict):
            raise PayloadError(400, f"{key}[{number}] is not a record ({{column: value}})")
    return pd.DataFrame.from_records(records)


def _column_rows(columns: dict, key: str) -> pd.DataFrame:
    lengths = {name: len(values) if isinstance(values, list) else None for name, values in columns.items()}
    if any(length is None for length in lengths.values()) or len(set(lengths.values())) > 1:
        shown = ", ".join(
            f"{name}: {length if length is not None else 'not a list'}" for name, length in lengths.items()
        )
        raise PayloadError(400, f"{key}: every column must be a list of the same length ({shown[:300]})")
    return pd.DataFrame(columns)


def _check_scalars(frame: pd.DataFrame, key: str) -> None:
    for name in frame.columns:
        if frame[name].dtype == object:
            nested = frame[name].map(lambda v: isinstance(v, dict | list)).to_numpy()
            if nested.any():
                raise PayloadError(400, f"{key}: column {name!r} holds a nested value (row {int(nested.argmax())}); "
                                        "send one number, string, boolean or null per cell")  # fmt: skip


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise PayloadError(400, f"{name}: expected true or false, got {value!r}", "INVALID_PARAMETER_VALUE")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _predictions(table: pd.DataFrame, proba: bool) -> list:
    """Plain labels or numbers; with ``proba``, one record per row (MLflow's shape for a table)."""
    if not proba:
        return table[PREDICTION].tolist()
    columns = [table[name].tolist() for name in table.columns]
    return [dict(zip(table.columns, values, strict=True)) for values in zip(*columns, strict=True)]


# -- HTTP


def make_app(scorer: Scorer):
    """The FastAPI application around ``scorer``."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse
    from starlette.concurrency import run_in_threadpool

    app = FastAPI(title="gp_automl model server", version=__version__, docs_url=None, redoc_url=None)

    def refused(exc: PayloadError) -> JSONResponse:
        return JSONResponse({"error_code": exc.code, "message": str(exc)}, status_code=exc.status)

    @app.get("/ping")
    @app.get("/health")
    def ping() -> PlainTextResponse:
        return PlainTextResponse("\n")

    @app.get("/version")
    def version() -> PlainTextResponse:
        return PlainTextResponse(__version__)

    @app.get("/schema")
    def schema() -> dict:
        return scorer.schema()

    @app.get("/metadata")
    def metadata() -> dict:
        return scorer.metadata()

    @app.post("/invocations")
    async def invocations(request: Request):
        try:
            body = await _read_body(request)
            answer = await run_in_threadpool(
                scorer.invoke, body, request.headers.get("content-type", ""), request.query_params.get("proba")
            )
        except PayloadError as exc:
            return refused(exc)
        return JSONResponse(answer)

    return app


async def _read_body(request) -> bytes:
    """The body, refused (413) once it passes MAX_BODY_BYTES. The rest of a refused body is read
    and dropped (up to DRAIN_BYTES) so that a client still sending gets the 413, not a broken pipe."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
        elif size > DRAIN_BYTES:
            break
    if size > MAX_BODY_BYTES:
        raise PayloadError(
            413, f"the request body is over {MAX_BODY_BYTES} bytes; send smaller batches", "REQUEST_LIMIT_EXCEEDED"
        )
    return b"".join(chunks)


def app_from_environment():
    """The app of one worker process under ``--workers N`` (uvicorn imports it by name)."""
    settings = json.loads(os.environ[_ENVIRONMENT])
    return make_app(Scorer(settings["run_dir"], settings["log_inputs"]))


def serve(run_dir: str, host: str, port: int, workers: int, log_inputs: str | None) -> None:
    """Load and check the model, then serve until Ctrl-C or SIGTERM."""
    check_extra()
    if workers < 1:
        raise ConfigError(f"--workers {workers}: give 1 or more")
    if log_inputs:
        check_output(log_inputs, inputs=[RunDir(run_dir).read_run()["data"].get("path")])
    scorer = Scorer(run_dir, log_inputs)  # the checksum and the unpickling fail here, before any port is taken
    _check_port(host, port)
    import uvicorn

    print(
        f"gp-automl: serving {scorer.run_dir.path} ({scorer.info['task']}, CV {scorer.info['settings'].get('scoring')} "
        f"{scorer.info.get('best_score'):.4f}) on http://{_url_host(host)}:{port} with {workers} worker(s); "
        "POST /invocations, GET /schema; Ctrl-C stops",
        flush=True,
    )
    options = {"host": host, "port": port, "log_level": "warning", "access_log": False}
    if workers == 1:
        uvicorn.run(make_app(scorer), **options)
        return
    os.environ[_ENVIRONMENT] = json.dumps({"run_dir": str(Path(run_dir).resolve()), "log_inputs": log_inputs})
    uvicorn.run("gp_automl.serve:app_from_environment", factory=True, workers=workers, **options)


def _check_port(host: str, port: int) -> None:
    """One clear line for a port that is taken or a host that is not ours, before uvicorn starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port or --host"
            ) from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
