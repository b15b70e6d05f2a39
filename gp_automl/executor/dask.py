"""Dask executor: a LocalCluster by default, or any existing scheduler.

Workers run one thread each (scikit-learn fits are CPU-bound and hold the GIL in places). The
evaluation context (data, folds, catalog) is scattered to every worker once; each task then
carries only its tree.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator

import dask

from gp_automl.errors import SchedulerError
from gp_automl.evaluate import EvalContext, evaluate
from gp_automl.executor.base import StopCheck, never_stop
from gp_automl.result import ERROR, EvalResult
from gp_automl.tree import PipelineTree

CONNECT_TIMEOUT_S = 15
# Dask keeps logs of recent messages and transitions for its own debugging (1,000 entries each by
# default, per comm). In the driver, which hosts a LocalCluster's scheduler, they made memory grow
# by about 6 MiB per 1,000 tasks; switched off they add about 0.8 (benchmarks/README.md).
DEVELOPER_LOGS = "distributed.admin.low-level-log-length"
POLL_S = 0.5  # how often a wait for results checks the deadline and stop requests
WORKER_WAIT_S = 60


class DaskExecutor:
    def __init__(self, scheduler=None, n_workers: int | None = None):
        self._scheduler = scheduler
        self._requested_workers = n_workers
        self._cluster = None
        self._client = None
        self._owns_client = False
        self._context = None
        self.n_workers = 0
        self.description = ""

    def __enter__(self) -> DaskExecutor:
        self._connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        scheduler = self._scheduler
        if scheduler is None:
            workers = self._requested_workers or os.cpu_count() or 1
            try:
                with dask.config.set({DEVELOPER_LOGS: 0}):
                    self._cluster = LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                        silence_logs=logging.ERROR,
                    )
                    self._client = Client(self._cluster)
            except RuntimeError as exc:
                raise SchedulerError(
                    f"could not start local Dask workers ({exc}); in a script, call fit() under "
                    '`if __name__ == "__main__":` so that worker processes can import it safely'
                ) from None
            self._owns_client = True
            where = f"LocalCluster with {workers} worker process(es)"
        elif isinstance(scheduler, Client):
            self._client = scheduler
            where = f"existing client of {scheduler.scheduler.address}"
        else:
            with dask.config.set({DEVELOPER_LOGS: 0}):
                self._client = _connect_to(str(scheduler))
            self._owns_client = True
            where = f"scheduler {self._client.scheduler.address}"
        self.n_workers = self._wait_for_workers()
        link = self._client.dashboard_link
        self.description = f"{where}; dashboard: {link}" if link else where

    def _wait_for_workers(self) -> int:
        try:
            self._client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError:
            self.close()
            raise SchedulerError(
                f"the scheduler has no workers after {WORKER_WAIT_S} s; start some with `dask worker`"
            ) from None
        return len(self._client.scheduler_info(n_workers=-1)["workers"])

    def start(self, context: EvalContext) -> None:
        self._context = self._client.scatter(context, broadcast=True, hash=False)

    def evaluate(
        self, trees: Iterable[PipelineTree], deadline: float | None = None, should_stop: StopCheck = never_stop
    ) -> Iterator[EvalResult]:
        from distributed import wait

        assert self._context is not None, "start() first"
        pending = {self._client.submit(evaluate, tree, self._context, pure=False): tree for tree in trees}
        try:
            while pending:
                if should_stop() or (deadline is not None and time.monotonic() >= deadline):
                    return
                try:
                    done, _ = wait(list(pending), timeout=POLL_S, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                except Exception:  # noqa: BLE001 - futures cancelled under us, e.g. workers hit by the same Ctrl-C
                    done = [future for future in pending if future.done()]
                    if not done:
                        if should_stop():
                            return
                        raise
                for future in done:
                    yield _result_of(future, pending.pop(future))
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Shut down what we started; a cluster already half-gone (workers killed) must not hide the
        search's results behind a shutdown error."""
        try:
            if self._owns_client and self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
        except Exception:  # noqa: BLE001
            pass
        finally:
            self._client = self._cluster = self._context = None


def _connect_to(scheduler: str):
    from distributed import Client

    try:
        if scheduler.endswith(".json") or os.path.isfile(scheduler):
            if not os.path.isfile(scheduler):
                raise SchedulerError(f"scheduler file {scheduler} not found")
            return Client(scheduler_file=scheduler, timeout=CONNECT_TIMEOUT_S)
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except SchedulerError:
        raise
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _result_of(future, tree: PipelineTree) -> EvalResult:
    """A finished future as a result; a task that died with its worker becomes an error result."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - KilledWorker, CancelledError, ...
        reason = "worker died" if type(exc).__name__ == "KilledWorker" else f"{type(exc).__name__}: {exc}"
        return EvalResult(key=tree.key, status=ERROR, complexity=tree.complexity, error=reason)
