"""When a lost evaluation is the infrastructure's fault, not the pipeline's, and how long to wait.

The evaluation log is the memo cache: whatever is logged as a pipeline's outcome is never evaluated
again. So a result lost because the scheduler, the connection or the whole cluster went away must
never be logged; the search resubmits it once the cluster is back, or stops and leaves it pending
in the checkpoint for ``resume``. What counts as lost:

- a future cancelled when we did not cancel it (our own cancels are forgotten before anyone reads
  them): Dask cancels every future when the client loses its scheduler (``scheduler-connection-lost``),
  and the tasks that needed the scattered evaluation context when every worker holding it died;
- a closed client or a broken connection while fetching a result;
- ``KilledWorker`` while no worker comes back within the grace period: the cluster died, the
  pipeline did not kill it. With workers alive, ``KilledWorker`` stays the pipeline's outcome
  ("worker died"): a task is retried once after its worker dies (``ALLOWED_FAILURES``), so a
  pipeline that killed two workers is recorded and can never take the cluster down one by one.
"""

from __future__ import annotations

import dask

RECONNECT_GRACE_S = 30.0  # a scheduler restarted by its supervisor, or nannies restarting workers
GRACE_CONFIG = "gp_automl.reconnect-grace"  # Dask config key to change it (DASK_GP_AUTOML__RECONNECT_GRACE=60)


def reconnect_grace() -> float:
    """Seconds a lost scheduler or cluster may take to come back before the search stops."""
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get(GRACE_CONFIG, RECONNECT_GRACE_S), default="seconds"))


def is_infrastructure_loss(exc: BaseException) -> bool:
    """Is this exception, raised by a future's ``result()``, the cluster's fault rather than the task's?"""
    from concurrent.futures import CancelledError

    from distributed.client import ClosedClientError
    from distributed.comm import CommClosedError

    return isinstance(exc, CancelledError | ClosedClientError | CommClosedError | ConnectionError)


def is_killed_worker(exc: BaseException) -> bool:
    return type(exc).__name__ == "KilledWorker"


def dask_setup(worker) -> None:
    """Worker preload for the clusters gp_automl starts in the driver: a terminal's Ctrl-C reaches
    every process of its group, and the driver alone decides what it means (stop, then shut the
    workers down). A worker that died of it would lose the scattered data and print a traceback."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
