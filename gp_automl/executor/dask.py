"""Dask executor: a LocalCluster by default, or any existing scheduler.

Workers run one thread each (scikit-learn fits are CPU-bound and hold the GIL in places). The
evaluation context (data, folds, catalog) is scattered to every worker once; each task then
carries only its tree. A worker that dies (killed by hand, by the OS, or by its nanny's memory
limit) is replaced by its nanny and fetches the context from a peer; the tasks it was running are
retried once elsewhere (``ALLOWED_FAILURES`` on the clusters we start), then recorded as
"worker died". A scheduler, connection or cluster that goes away is not a pipeline's fault: the
lost evaluations are resubmitted once it is back (within ``loss.reconnect_grace()``), or the search
stops with ``SchedulerLost`` and they stay pending (see ``loss``).
"""

from __future__ import annotations

import importlib
import logging
import os
import time

import dask
from dask.utils import key_split

from gp_automl.errors import ConfigError, SchedulerError, SchedulerLost
from gp_automl.evaluate import EvalContext, evaluate_with_limit
from gp_automl.executor.loss import is_infrastructure_loss, is_killed_worker, reconnect_grace
from gp_automl.isolate import stop_evaluations
from gp_automl.rejection import Bar
from gp_automl.result import ERROR, EvalResult
from gp_automl.tree import PipelineTree

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 15
# Dask keeps logs of recent messages and transitions for its own debugging (1,000 entries each by
# default, per comm). In the driver, which hosts a LocalCluster's scheduler, they made memory grow
# by about 6 MiB per 1,000 tasks; switched off they add about 0.8 (benchmarks/README.md).
DEVELOPER_LOGS = "distributed.admin.low-level-log-length"
# Three things in Dask's scheduler grow with the search, and for a LocalCluster it lives in the
# driver. Per submitted task (one per evaluation): ``key_split``'s cache (up to 100,000 keys, about
# 0.2 MiB per 1,000 evaluations) and the metadata list of the scheduler's span (never trimmed: one
# {"type": "Future"} per submission). Per generation: a new "default" span, started whenever the
# cluster has gone idle and never forgotten, with its task group. Tidied every this many results;
# the latest KEEP_SPANS finished default spans stay, as many as Dask keeps computations. Only the
# clusters gp_automl starts (LocalCluster, dask-jobqueue) are tidied: a scheduler someone else runs
# (an address, a file, a Client or cluster object) is left exactly as it is.
TIDY_EVERY = 1000
KEEP_SPANS = 100
WORKER_WAIT_S = 60
JOB_WAIT_S = 1800  # batch jobs may wait in the queue before the first worker starts
RECOUNT_S = 10
ATTEMPT_S = 5  # a lost cluster is looked at again this often during the grace period
JOBQUEUE_PREFIX = "jobqueue:"
JOBQUEUE_CLUSTERS = {
    "slurm": "dask_jobqueue.SLURMCluster",
    "pbs": "dask_jobqueue.PBSCluster",
    "sge": "dask_jobqueue.SGECluster",
    "lsf": "dask_jobqueue.LSFCluster",
    "htcondor": "dask_jobqueue.HTCondorCluster",
    "oar": "dask_jobqueue.OARCluster",
    "moab": "dask_jobqueue.MoabCluster",
    "local": "dask_jobqueue.local.LocalCluster",  # runs the "jobs" as local processes: for trying things out
}
# A task whose worker died is retried this many times before it fails as KilledWorker: once, so a
# pipeline that kills workers cannot take the cluster down one worker after another.
ALLOWED_FAILURES = "distributed.scheduler.allowed-failures"
WORKER_PRELOAD = "distributed.worker.preload"
QUIET_WORKER = "gp_automl.executor.loss"  # its dask_setup makes local workers ignore Ctrl-C


class DaskExecutor:
    def __init__(self, scheduler=None, n_workers: int | None = None, security=None, say=logger.info):
        self._scheduler = scheduler
        self._say = say  # tells the person watching that the cluster is lost and being waited for
        self._security = security  # None: Dask's config (distributed.comm.tls.*) decides
        self._requested_workers = n_workers
        self._cluster = None
        self._client = None
        self._owns_client = False
        self._context = None  # the scattered context (a future)
        self._context_value: EvalContext | None = None  # kept to scatter it again after a loss
        self._pending: dict = {}  # future -> (tree, bar)
        self._unsent: list[tuple[PipelineTree, Bar | None]] = []  # submitted while the client was closed
        self._address = ""  # the scheduler's, for reconnecting and for messages
        self._cluster_size = 0  # workers of a cluster we started, to start again after a loss
        self._since_tidy = 0  # results since Dask's per-task leftovers were last tidied
        self._slots = 0
        self._counted_at = 0.0
        self.description = ""

    def __enter__(self) -> DaskExecutor:
        self._connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> None:
        from distributed import Client
        from distributed.deploy import Cluster

        scheduler = self._scheduler
        wait_s = WORKER_WAIT_S
        if scheduler is None:
            where = self._start_local_cluster()
        elif isinstance(scheduler, Client):
            self._client = scheduler
            where = f"existing client of {scheduler.scheduler.address}"
        elif isinstance(scheduler, Cluster):
            self._client = Client(scheduler)
            self._owns_client = True
            where = f"{type(scheduler).__name__} at {scheduler.scheduler_address}"
            wait_s = JOB_WAIT_S
        elif isinstance(scheduler, str) and scheduler.startswith(JOBQUEUE_PREFIX):
            kind, workers = scheduler[len(JOBQUEUE_PREFIX) :], self._requested_workers or 1
            with dask.config.set({DEVELOPER_LOGS: 0}):
                self._cluster = _jobqueue_cluster(kind, workers)
                self._client = Client(self._cluster)
            self._owns_client = True
            self._cluster_size = workers
            where = f"dask-jobqueue {kind} cluster, {workers} worker(s) requested"
            wait_s = JOB_WAIT_S
        else:
            with dask.config.set({DEVELOPER_LOGS: 0}):
                self._client = _connect_to(str(scheduler), self._security)
            self._owns_client = True
            where = f"scheduler {self._client.scheduler.address}"
        self._address = str(self._client.scheduler.address)
        self._wait_for_workers(wait_s)
        link = self._client.dashboard_link
        self.description = f"{where}; dashboard: {link}" if link else where

    def _start_local_cluster(self) -> str:
        from distributed import Client, LocalCluster

        workers = self._requested_workers or os.cpu_count() or 1
        preload = [*dask.config.get(WORKER_PRELOAD, []), QUIET_WORKER]
        try:
            with dask.config.set({DEVELOPER_LOGS: 0, ALLOWED_FAILURES: 1, WORKER_PRELOAD: preload}):
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
        self._cluster_size = workers
        return f"LocalCluster with {workers} worker process(es)"

    def _wait_for_workers(self, wait_s: float) -> None:
        try:
            self._client.wait_for_workers(1, timeout=wait_s)
        except TimeoutError:
            self.close()
            raise SchedulerError(
                f"the scheduler has no workers after {wait_s:g} s; start some with `dask worker`"
            ) from None
        self._count_workers()

    @property
    def n_workers(self) -> int:
        """Evaluation slots (worker threads) now; clusters grow and shrink, so looked up now and then."""
        if self._client is not None and time.monotonic() - self._counted_at > RECOUNT_S:
            self._count_workers()
        return self._slots

    def _count_workers(self) -> None:
        try:
            self._slots = max(1, sum(self._client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a scheduler briefly busy or reconnecting: keep the last count
            pass
        self._counted_at = time.monotonic()

    def start(self, context: EvalContext) -> None:
        self._context_value = context
        self._context = self._client.scatter(context, broadcast=True, hash=False)

    def submit(self, tree: PipelineTree, bar: Bar | None = None) -> None:
        from distributed.client import ClosedClientError

        assert self._context is not None, "start() first"
        try:
            future = self._client.submit(evaluate_with_limit, tree, self._context, bar, pure=False)
        except ClosedClientError:  # the client gave up reconnecting: the next results() deals with it
            self._unsent.append((tree, bar))
            return
        self._pending[future] = (tree, bar)

    def results(self, timeout: float) -> list[EvalResult]:
        """Finished results; evaluations lost with the scheduler or cluster are resubmitted once it is
        back, or ``SchedulerLost`` is raised (nothing of them is returned: they are not results)."""
        from distributed import wait

        if self._unsent:
            self._recover()
        if not self._pending:
            return []
        done = [future for future in self._pending if future.done()]  # Dask's wait(timeout=0) never finds them
        try:
            if not done and timeout > 0:
                done, _ = wait(list(self._pending), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        except Exception:  # noqa: BLE001 - futures cancelled under us (by a lost scheduler or Ctrl-C)
            done = [future for future in self._pending if future.done()]
        self._since_tidy += len(done)
        if self._since_tidy >= TIDY_EVERY and self._cluster is not None:
            self._tidy()  # only a cluster we started: a user's scheduler and its spans are theirs
        results, lost = [], False
        for future in done:
            result = self._result_of(future, *self._pending[future])
            if result is None:
                lost = True
            else:
                results.append(result)
                del self._pending[future]
        if lost and not results:  # else next time: the lost futures stay done, the results here are logged first
            self._recover()
        return results

    def _result_of(self, future, tree: PipelineTree, bar: Bar | None) -> EvalResult | None:
        """A finished future as a result; None when the cluster, not the pipeline, lost it."""
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - sorted below: KilledWorker, cancelled, closed, ...
            if is_infrastructure_loss(exc) or (is_killed_worker(exc) and not self._workers_back()):
                return None
            reason = "worker died" if is_killed_worker(exc) else f"{type(exc).__name__}: {exc}"
            return EvalResult(key=tree.key, status=ERROR, complexity=tree.complexity, error=reason)

    def _workers_back(self) -> bool:
        """Does the cluster still have a worker, or get one back within the grace period?"""
        try:
            self._client.wait_for_workers(1, timeout=reconnect_grace())
            return True
        except Exception:  # noqa: BLE001 - timed out, or the client is gone too
            return False

    def _recover(self) -> None:
        """Get the cluster back (reconnect, a worker, the context scattered again) within the grace
        period and resubmit every evaluation not finished yet; else raise ``SchedulerLost``."""
        trees = [*self._pending.values(), *self._unsent]
        self._forget_pending()
        self._unsent.clear()
        deadline = time.monotonic() + reconnect_grace()
        self._say(
            f"lost the Dask scheduler or cluster with {len(trees)} evaluation(s) in flight; "
            f"waiting up to {reconnect_grace():g} s for it to come back"
        )
        while True:
            try:
                self._reconnect(deadline)
                break
            except Exception as exc:  # noqa: BLE001 - still down: try again until the deadline
                if time.monotonic() >= deadline:  # the loop keeps them pending for a resume; none is logged
                    raise SchedulerLost(self._lost_message()) from exc
                time.sleep(0.5)
        self._say(f"the Dask cluster is back ({self._address}); resubmitting {len(trees)} evaluation(s)")
        for tree, bar in trees:
            self.submit(tree, bar)

    def _reconnect(self, deadline: float) -> None:
        """One attempt: a running client (Dask's own reconnection, or a new client of the same
        address once that gave up), a worker, and the evaluation context scattered again."""
        from distributed import Client

        status = self._client.status
        if status == "connecting":
            raise ConnectionError("reconnecting")
        if status != "running":
            if not (self._owns_client and self._address and self._cluster is None):
                raise ConnectionError(f"client {status}")  # not ours to replace
            with dask.config.set({DEVELOPER_LOGS: 0}):
                client = Client(self._address, timeout=_connect_timeout(), security=self._security)
            self._client.close()
            self._client = client
        if self._cluster is not None and self._cluster_size:
            # nannies that could not restart their worker in time are closed by the cluster
            # (distributed.deploy.lost-worker-timeout): scaling to the same size starts new ones
            self._cluster.scale(self._cluster_size)
        self._client.wait_for_workers(1, timeout=min(ATTEMPT_S, max(0.1, deadline - time.monotonic())))
        left = max(0.1, deadline - time.monotonic())
        self._context = self._client.scatter(self._context_value, broadcast=True, hash=False, timeout=left)
        self._count_workers()

    def _lost_message(self) -> str:
        grace = f"{reconnect_grace():g} s"
        if self._cluster is not None and self._scheduler is None:
            return f"lost every worker of the local Dask cluster and none came back within {grace}"
        return f"lost the Dask scheduler at {self._address} (not back within {grace})"

    def _forget_pending(self) -> None:
        """Cancel what is still out; its results, if any ever come, are never read."""
        if self._pending and self._client is not None:
            try:
                self._client.cancel(list(self._pending))
            except Exception:  # noqa: BLE001 - a closed client has nothing left to cancel
                pass
        self._pending.clear()

    def _tidy(self) -> None:
        self._since_tidy = 0
        key_split.cache_clear()
        try:
            self._client.run_on_scheduler(_tidy_scheduler, keep_spans=KEEP_SPANS)
        except Exception:  # noqa: BLE001 - housekeeping only: a busy or older scheduler must not stop the search
            logger.debug("could not tidy the scheduler", exc_info=True)

    @property
    def in_flight(self) -> int:
        return len(self._pending) + len(self._unsent)

    def cancel_all(self) -> None:
        """Cancel the queued evaluations and kill the running ones on their workers."""
        if self._pending and self._client is not None:
            keys = [tree.key for tree, _ in self._pending.values()]
            self._forget_pending()
            try:
                self._client.run(stop_evaluations, keys, on_error="ignore")
            except Exception:  # noqa: BLE001 - workers gone (killed, or shutting down): nothing left to stop
                pass
        self._pending.clear()
        self._unsent.clear()

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


def _tidy_scheduler(dask_scheduler, keep_spans: int = KEEP_SPANS) -> None:
    """Run on the scheduler: empty ``key_split``'s cache, keep one copy of each repeated entry in
    its spans' metadata (which Dask only appends to), and forget all but the latest ``keep_spans``
    finished default spans. Only spans none of whose task groups the scheduler still holds: a group
    lives on while it has tasks, new ones included, and names its span by id. Spans a user named are
    left alone."""
    key_split.cache_clear()
    spans = dask_scheduler.extensions.get("spans")
    if spans is None:
        return
    for span in spans.spans.values():
        collections = (span.metadata or {}).get("collections")
        if collections and len(collections) > 1:
            collections[:] = {repr(entry): entry for entry in collections}.values()
    defaults = spans.spans_search_by_name.get(("default",), [])
    old = defaults[: max(0, len(defaults) - max(1, keep_spans))]  # the latest may still be running
    live_groups = {id(group) for group in dask_scheduler.task_groups.values()}
    gone = {
        id(span)
        for span in old
        if span.done and not span.children and not any(id(group) in live_groups for group in span.groups)
    }
    if not gone:
        return
    for span in old:
        if id(span) in gone:
            del spans.spans[span.id]
    for index in (spans.root_spans, defaults, spans.spans_search_by_tag.get("default", [])):
        index[:] = [span for span in index if id(span) not in gone]


def _connect_to(scheduler: str, security=None):
    """A Client of an address (``tcp://``, ``tls://``) or scheduler file. With ``security=None``
    distributed builds its Security from the Dask config, so ``distributed.comm.tls.*`` applies."""
    from distributed import Client

    try:
        if scheduler.endswith(".json") or os.path.isfile(scheduler):
            if not os.path.isfile(scheduler):
                raise SchedulerError(f"scheduler file {scheduler} not found")
            return Client(scheduler_file=scheduler, timeout=_connect_timeout(), security=security)
        return Client(scheduler, timeout=_connect_timeout(), security=security)
    except SchedulerError:
        raise
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        hint = ""
        if scheduler.startswith("tls://") or "tls" in str(exc).lower():
            hint = (
                "; a TLS scheduler needs a CA file, certificate and key (--tls-ca-file, --tls-cert, --tls-key, "
                "Python security=distributed.Security(...), or the Dask config distributed.comm.tls.*)"
            )
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}{hint}") from None


def _connect_timeout() -> float:
    """Our 15 s, or less if the Dask config says so (``distributed.comm.timeouts.connect``)."""
    from dask.utils import parse_timedelta

    configured = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds")
    return min(CONNECT_TIMEOUT_S, configured)


def _jobqueue_cluster(kind: str, n_workers: int):
    """A dask-jobqueue cluster of ``kind`` configured by the Dask config (its ``jobqueue.<kind>``
    section, e.g. ~/.config/dask/jobqueue.yaml), scaled to ``n_workers`` workers."""
    if kind not in JOBQUEUE_CLUSTERS:
        raise ConfigError(f"unknown jobqueue cluster {kind!r}; use one of {sorted(JOBQUEUE_CLUSTERS)}")
    module_name, class_name = JOBQUEUE_CLUSTERS[kind].rsplit(".", 1)
    try:
        cluster_class = getattr(importlib.import_module(module_name), class_name)
    except ImportError:
        raise SchedulerError(
            f"{JOBQUEUE_PREFIX}{kind} needs dask-jobqueue: pip install 'gp_automl[jobqueue]'"
        ) from None
    try:
        with dask.config.set({ALLOWED_FAILURES: 1}):
            cluster = cluster_class()
    except ValueError as exc:  # e.g. cores or memory not configured
        raise SchedulerError(
            f"cannot set up the {kind} cluster: {exc}. Set the jobqueue.{kind} section of the Dask config "
            f"(~/.config/dask/jobqueue.yaml, or variables such as DASK_JOBQUEUE__{kind.upper()}__CORES)"
        ) from None
    cluster.scale(n=n_workers)
    return cluster
