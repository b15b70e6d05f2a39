"""What does serving a model over HTTP cost, against scoring the same rows in-process? (issue 28)

Starts a real `gp-automl serve` process on a free port of 127.0.0.1, then for single rows and for
1,000-row batches sends a fixed number of requests from 1 and from N client threads (each thread
on its own keep-alive connection, bodies encoded beforehand) and measures each request's latency.
The baseline does what `gp-automl predict` does for the same rows in this process
(``scoring.model_rows`` and ``scoring.prediction_table`` on a DataFrame): the overhead ratio is the
server's median latency over the in-process median (and the in-process rows/s over the server's).

    python benchmarks/serve_latency.py RUN_DIR DATA.csv [--clients 4] [--single 400] [--batches 40]
                                       [--workers 1] [--out results.json] [--markdown table.md]

Every loop is bounded by its request count; the server is stopped at the end (SIGTERM).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from gp_automl.rundir import RunDir
from gp_automl.scoring import model_rows, prediction_table

BATCH_ROWS = 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(run_dir: str, port: int, workers: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "gp_automl.cli", "serve", run_dir, "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"serve_latency: the server ended: {server.stderr.read()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/ping")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    sys.exit("serve_latency: the server did not answer /ping within 120 s")


def body(frame: pd.DataFrame) -> bytes:
    cells = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return json.dumps({"dataframe_split": {"columns": list(frame.columns), "data": cells}}).encode()


def over_http(port: int, payload: bytes, requests: int, clients: int) -> tuple[list[float], float]:
    """Latencies (s) of ``requests`` POSTs shared by ``clients`` threads, and the wall time."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            connection.request("POST", "/invocations", payload, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(str(response.status))
        connection.close()
        with lock:
            latencies.extend(mine)

    shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    threads = [threading.Thread(target=client, args=(n,)) for n in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        sys.exit(f"serve_latency: {len(failures)} request(s) failed: {failures[:3]}")
    return latencies, wall


def in_process(model, info: dict, frame: pd.DataFrame, requests: int) -> tuple[list[float], float]:
    """As the server scores (one BLAS/OpenMP thread, see ``serve.Scorer``), minus HTTP and JSON."""
    threadpool_limits(limits=1)
    latencies = []
    started = time.perf_counter()
    for _ in range(requests):
        began = time.perf_counter()
        scored = model_rows(frame, info, where="benchmark")
        prediction_table(model, scored.rows, info["task"], proba=False)
        latencies.append(time.perf_counter() - began)
    return latencies, time.perf_counter() - started


def summary(name: str, rows: int, latencies: list[float], wall: float) -> dict:
    ordered = np.sort(latencies)
    return {
        "case": name,
        "requests": len(latencies),
        "rows_per_request": rows,
        "p50_ms": round(1000 * float(np.quantile(ordered, 0.5)), 2),
        "p99_ms": round(1000 * float(np.quantile(ordered, 0.99)), 2),
        "requests_per_s": round(len(latencies) / wall, 1),
        "rows_per_s": round(rows * len(latencies) / wall, 1),
    }


def markdown(results: list[dict], baseline: dict[int, dict]) -> str:
    lines = [
        "| case | rows/request | requests | p50 ms | p99 ms | rows/s | p50 vs in-process | rows/s vs in-process |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        base = baseline[r["rows_per_request"]]
        ratio_p50 = r["p50_ms"] / base["p50_ms"]
        ratio_rate = base["rows_per_s"] / r["rows_per_s"]
        lines.append(
            f"| {r['case']} | {r['rows_per_request']} | {r['requests']} | {r['p50_ms']} | {r['p99_ms']} | "
            f"{r['rows_per_s']:,.0f} | {ratio_p50:.2f}x | {ratio_rate:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("data", help="CSV of rows to score (the training file will do)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--single", type=int, default=400, help="single-row requests per case")
    parser.add_argument("--batches", type=int, default=40, help="1,000-row requests per case")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--out", help="write the results as JSON")
    parser.add_argument("--markdown", help="write the table as Markdown")
    args = parser.parse_args()
    if min(args.clients, args.single, args.batches, args.workers) < 1:
        sys.exit("serve_latency: --clients, --single, --batches and --workers must be 1 or more")

    run = RunDir(args.run_dir)
    info, model = run.read_run(), run.read_model()
    table = pd.read_csv(args.data)
    if info.get("target") in table.columns:
        table = table.drop(columns=[info["target"]])
    single = table.iloc[:1]
    batch = table.sample(n=BATCH_ROWS, replace=len(table) < BATCH_ROWS, random_state=0).reset_index(drop=True)

    in_process(model, info, single, min(args.single, 10))  # warm-up, as for the server
    baseline = {
        1: summary("in-process, 1 row", 1, *in_process(model, info, single, args.single)),
        BATCH_ROWS: summary(
            f"in-process, {BATCH_ROWS} rows", BATCH_ROWS, *in_process(model, info, batch, args.batches)
        ),
    }
    port = free_port()
    server = start_server(args.run_dir, port, args.workers)
    results = []
    try:
        for rows, frame, count in [(1, single, args.single), (BATCH_ROWS, batch, args.batches)]:
            payload = body(frame)
            over_http(port, payload, min(count, 10), 1)  # warm-up: connections, first-call caches
            for clients in sorted({1, args.clients}):
                name = f"HTTP, {clients} client{'s' if clients > 1 else ''}"
                results.append(summary(name, rows, *over_http(port, payload, count, clients)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows_of = {1: [], BATCH_ROWS: []}
    for r in [*baseline.values(), *results]:
        rows_of[r["rows_per_request"]].append(r)
    ordered = rows_of[1] + rows_of[BATCH_ROWS]
    text = markdown(ordered, baseline)
    print(text)
    report = {
        "run": str(Path(args.run_dir).resolve()),
        "pipeline": info.get("best_key"),
        "server_workers": args.workers,
        "results": ordered,
        "median_of_in_process_ms": {k: v["p50_ms"] for k, v in baseline.items()},
        "python": sys.version.split()[0],
        "cpus": len(os.sched_getaffinity(0)),
        "note": "p50 vs in-process: server median latency / in-process median; rows/s vs in-process: "
        "in-process rows/s / server rows/s; quantiles: numpy, linear",
    }
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")


if __name__ == "__main__":
    main()
