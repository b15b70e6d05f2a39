"""Where evaluations run: Dask (default) or in-process."""

from gp_automl.executor.base import Executor, evaluate_all
from gp_automl.executor.dask import DaskExecutor
from gp_automl.executor.local import InProcessExecutor

IN_PROCESS = "in-process"


def make_executor(scheduler=None, n_workers: int | None = None, security=None, say=None) -> Executor:
    """``scheduler=None``: a LocalCluster; ``"in-process"``: no Dask; else an address, file or Client.

    ``security``: a ``distributed.Security`` for a TLS scheduler address or file (else the Dask
    config's ``distributed.comm.tls`` settings apply). ``say`` reports a lost cluster being waited for."""
    if scheduler == IN_PROCESS:
        return InProcessExecutor()
    return DaskExecutor(scheduler, n_workers, security, **({} if say is None else {"say": say}))


__all__ = ["IN_PROCESS", "DaskExecutor", "Executor", "InProcessExecutor", "evaluate_all", "make_executor"]
