"""A search on a real TLS-only `dask scheduler` and `dask worker` on 127.0.0.1, certificates made here by openssl."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import dask
import pytest

from gp_automl.cli import main
from gp_automl.errors import SchedulerError
from gp_automl.executor import DaskExecutor

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")


def dask_command(*args):
    return [sys.executable, "-m", "dask", *args]


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    """(address, certificate files): one self-signed certificate serves as CA, scheduler, worker and client."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    scheduler_file = folder / "scheduler.json"
    processes = [
        subprocess.Popen(
            dask_command(
                "scheduler",
                "--protocol",
                "tls",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
                *tls,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tls://")
        processes.append(
            subprocess.Popen(
                dask_command(
                    "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", *tls
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        )
        yield address, {"ca": cert, "cert": cert, "key": key}
    finally:
        for process in processes[1:]:
            process.kill()  # a nanny-less worker: one process, nothing of it is left behind
        processes[0].terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_search_runs_on_a_tls_scheduler_from_the_command_line(tls_cluster, tmp_path, capsys):
    address, files = tls_cluster
    data = tmp_path / "data.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{(i * 7) % 5},{int(i % 5 > 1)}\n" for i in range(60)))
    out = tmp_path / "run"
    code = main(
        ["fit", str(data), "--target", "y", "--scheduler", address, "--generations", "1", "--population-size", "4",
         "--operators", "light", "--cv", "2", "--out", str(out), "--verbosity", "0",
         "--tls-ca-file", str(files["ca"]), "--tls-cert", str(files["cert"]), "--tls-key", str(files["key"])]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    info = json.loads((out / "run.json").read_text())
    assert info["settings"]["scheduler"] == address and info["settings"]["security"] == "tls"
    assert info["evaluations"] >= 4 and info["status"] == "finished"
    assert "key.pem" not in (out / "run.json").read_text()  # certificate paths are not recorded


def test_the_dask_config_tls_settings_are_honoured(tls_cluster):
    address, files = tls_cluster
    config = {
        "distributed.comm.tls.ca-file": str(files["ca"]),
        "distributed.comm.tls.client.cert": str(files["cert"]),
        "distributed.comm.tls.client.key": str(files["key"]),
    }
    with dask.config.set(config), DaskExecutor(address) as executor:
        assert executor.n_workers == 1 and address in executor.description


def test_a_tls_scheduler_without_credentials_is_one_clear_error(tls_cluster, tmp_path, capsys):
    address, _ = tls_cluster
    data = tmp_path / "data.csv"
    data.write_text("a,y\n" + "".join(f"{i % 7},{i % 2}\n" for i in range(40)))
    code = main(["fit", str(data), "--target", "y", "--scheduler", address, "--generations", "1",
                 "--out", str(tmp_path / "run"), "--verbosity", "0"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == SchedulerError.exit_code, err
    assert err.startswith("gp-automl: error: ") and err.count("\n") == 1 and "--tls-ca-file" in err
