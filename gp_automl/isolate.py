"""Run one evaluation in a forked child process, so that hard time and memory limits can stop it.

A thread stuck in C code or ``time.sleep`` cannot be stopped, but a process can: the worker forks,
the child evaluates and sends its result back through a pipe, and at the limit the worker kills the
child and records a timeout. The child is held to its memory allowance (``memory.limit_growth``), so
an allocation past it fails inside the child and is recorded as ``memory``, as is a child the
kernel's out-of-memory killer took. A pipeline that crashes its process (a segfault) takes down
only the child, so the worker stays in service. The child inherits the worker's copy of the data
(copy-on-write), so nothing is sent again.

Where ``os.fork`` does not exist (Windows) the evaluation runs inline and the limits are not enforced.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from dask.utils import format_bytes

from gp_automl.memory import limit_growth, oom_kills
from gp_automl.result import ERROR, MEMORY, TIMEOUT, EvalResult
from gp_automl.tree import PipelineTree

CAN_FORK = hasattr(os, "fork")
OUT_OF_MEMORY_EXIT = 75  # the child's exit code when even sending its result back ran out of memory
_PR_SET_PDEATHSIG = 1
_running: dict[str, int] = {}  # tree key -> pid of the child evaluating it, in this process
_running_lock = threading.Lock()  # a pid is killed only before its child is reaped, never after (pid reuse)


def run_with_limit(
    evaluate: Callable[[], EvalResult], tree: PipelineTree, limit_s: float | None, memory: int | None = None
) -> EvalResult:
    """``evaluate()`` in a child process, killed after ``limit_s`` seconds and allowed ``memory`` bytes
    beyond what it shares with this process (None: no limit; with neither limit, inline)."""
    if (limit_s is None and memory is None) or not CAN_FORK:
        return evaluate()
    started = time.monotonic()
    killed_before = oom_kills()
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: evaluate, report, and leave without running the worker's exit handlers
        code = 1
        try:
            os.close(read_end)
            if memory is not None:
                limit_growth(memory)
            _die_with_parent(parent)
            for stop in (signal.SIGINT, signal.SIGTERM):  # not the search's handlers: a stop ends the child
                signal.signal(stop, signal.SIG_DFL)
            payload = pickle.dumps(evaluate())
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            code = 0
        except MemoryError:
            code = OUT_OF_MEMORY_EXIT
        finally:
            os._exit(code)
    os.close(write_end)
    with _running_lock:
        _running[tree.key] = pid
    try:
        payload, finished = _read_until(read_end, None if limit_s is None else started + limit_s)
    finally:
        os.close(read_end)
        with _running_lock:
            _running.pop(tree.key, None)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    seconds = time.monotonic() - started
    if not finished:
        return EvalResult(
            tree.key, TIMEOUT, complexity=tree.complexity, seconds=seconds, error=f"stopped at the {limit_s:g} s limit"
        )
    try:
        result = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - nothing (or half a result) came back: the child died
        if _out_of_memory(status, killed_before):
            return EvalResult(
                tree.key, MEMORY, complexity=tree.complexity, seconds=seconds, error=_memory_death(status, memory)
            )
        return EvalResult(tree.key, ERROR, complexity=tree.complexity, seconds=seconds, error=_death(status))
    if result.status == MEMORY and memory is not None:
        result = replace(result, error=f"{result.error} (limit per pipeline: {format_bytes(memory)})"[:2000])
    return result


def stop_evaluations(keys: Iterable[str]) -> int:
    """Kill the children evaluating ``keys`` in this process; returns how many. A search that stops
    cancels what is in flight, and this frees the workers at once instead of leaving them to finish
    evaluations nobody will read (which also made closing the cluster wait for them)."""
    stopped = 0
    with _running_lock:
        for key in keys:
            pid = _running.get(key)
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                    stopped += 1
                except ProcessLookupError:
                    pass
    return stopped


def _read_until(fd: int, deadline: float | None) -> tuple[bytes, bool]:
    """Everything written to ``fd`` until its writer closes it; False if ``deadline`` came first."""
    chunks = []
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return b"", False
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this child if its worker dies, so no evaluation outlives it."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the worker died before the request above took effect
        os._exit(1)


def _out_of_memory(status: int, killed_before: int | None) -> bool:
    """Did the child run out of memory: its own report, or a SIGKILL while the kernel's
    out-of-memory killer was at work (its count rose during the evaluation)?"""
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status) == OUT_OF_MEMORY_EXIT
    if not os.WIFSIGNALED(status) or os.WTERMSIG(status) != signal.SIGKILL or killed_before is None:
        return False
    killed_after = oom_kills()
    return killed_after is not None and killed_after > killed_before


def _memory_death(status: int, memory: int | None) -> str:
    how = "killed by the kernel's out-of-memory killer" if os.WIFSIGNALED(status) else "out of memory"
    limit = "" if memory is None else f" (limit per pipeline: {format_bytes(memory)})"
    return f"the evaluation process was {how}{limit}"


def _death(status: int) -> str:
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the evaluation process died: {name}{hint}"
    return f"the evaluation process exited with code {os.WEXITSTATUS(status)} without a result"
