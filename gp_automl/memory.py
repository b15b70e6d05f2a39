"""How much memory one evaluation may allocate, and holding its process to it.

``max_eval_memory`` is what an evaluation may allocate on top of what it shares with its worker
(the data and the libraries, inherited copy-on-write by the forked child). ``"auto"`` derives it
from the worker's own budget: its Dask memory limit (as Dask's ``memory_limit="auto"`` would set it
for a worker that has none; the machine's memory outside Dask), shared among the worker's threads,
minus what the worker already holds. So worker and evaluation together stay within the worker's
budget, and the nanny, which watches only the worker process, never has to kill it.

The limit is ``RLIMIT_DATA``, set in the child right after the fork. Since Linux 4.7 it counts the
process's private writable memory: the heap and anonymous mappings, which is where numpy, pandas
and BLAS put their arrays. An allocation past it fails at once (``MemoryError`` in Python,
``std::bad_alloc`` in C++) instead of growing until the kernel's out-of-memory killer picks a
process. ``RLIMIT_AS`` would count all address space instead: shared libraries, file mappings, and
reservations that never become memory (glibc's per-thread malloc arenas, thread stacks, OpenBLAS's
buffers); a worker's address space is much larger than the memory it uses, and by a different
amount on every machine and library build, so a limit on it would not say how much memory an
evaluation may use. Elsewhere than
Linux, no limit is set.
"""

from __future__ import annotations

import os
import sys

AUTO = "auto"
# What one evaluation may allocate besides what it shares with its worker: below 256 MiB an ordinary
# fit of a small table fails; above a pebibyte it limits nothing.
MIN_EVAL_MEMORY = 256 * 2**20
MAX_EVAL_MEMORY = 2**50

_STATUS = "/proc/self/status"
_VMSTAT = "/proc/vmstat"
ENFORCED = sys.platform.startswith("linux")


def allowance(setting: int | str | None) -> int | None:
    """Bytes the next evaluation in this process may allocate (None: no limit), for ``max_eval_memory``
    as settings hold it: None, a number of bytes, or ``"auto"``."""
    if not ENFORCED or setting is None:
        return None
    if setting != AUTO:
        return int(setting)
    budget, slots = _process_budget()
    held = data_size()
    if budget is None or held is None:
        return None
    return max(MIN_EVAL_MEMORY, budget // slots - held)


def _process_budget() -> tuple[int | None, int]:
    """This process's memory budget and how many evaluations share it at once."""
    from distributed import get_worker
    from distributed.system import MEMORY_LIMIT

    try:
        worker = get_worker()
    except ValueError:  # not inside a Dask task: the in-process executor, one evaluation at a time
        return MEMORY_LIMIT or None, 1
    threads = max(1, worker.state.nthreads)
    limit = worker.memory_manager.memory_limit
    if not limit:  # a worker started without a limit: Dask's "auto" share of the machine
        limit = int(MEMORY_LIMIT * min(1, threads / (os.cpu_count() or threads)))
    return limit or None, threads


def limit_growth(extra: int) -> None:
    """Hold this process to ``extra`` bytes of private memory beyond what it holds now (call it in
    the child right after the fork: the pipeline code cannot raise it again)."""
    import resource  # POSIX only; ENFORCED is Linux

    held = data_size()
    if held is None:
        return
    limit = held + extra
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def data_size() -> int | None:
    """This process's private writable memory in bytes (Linux ``VmData``), as ``RLIMIT_DATA`` counts it."""
    return _field(_STATUS, "VmData:", 1024)


def oom_kills() -> int | None:
    """How many processes the kernel's out-of-memory killer has killed since boot (None: unknown)."""
    return _field(_VMSTAT, "oom_kill ", 1)


def _field(path: str, name: str, unit: int) -> int | None:
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(name):
                    return int(line.split()[1]) * unit
    except (OSError, ValueError, IndexError):
        pass
    return None
