"""One writer per run directory: an exclusive ``flock`` on ``RUN_DIR/run.lock`` for the life of a fit or resume.

Two processes appending to one evaluation log and renaming checkpoints over each other would
leave a run that neither of them describes, so the second writer is refused at once, with the
holder's PID and host in the message. The kernel drops a ``flock`` when its process ends, however
it ends (``kill -9`` included), so a lock left behind never blocks; the file itself stays, holding
the last holder's PID and host. A process forked while the lock is held (an evaluation child in
``isolate``) closes its copy at once, so the lock ends with the process that took it. Readers
(report, predict, export) never take it.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from gp_automl.errors import RunDirError

LOCK = "run.lock"
_held: set[int] = set()  # descriptors of the locks this process holds


def _forget_in_child() -> None:
    """In a forked child: drop the inherited descriptors (not the locks, which stay the parent's)."""
    for fd in _held:
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class RunLock:
    def __init__(self, folder: str | Path):
        self.path = Path(folder) / LOCK
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock or raise RunDirError naming its holder; a refused caller changes nothing."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by exec'd children
        except OSError as exc:
            raise RunDirError(f"cannot open the run lock {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunDirError(
                f"{self.path.parent} is in use by {holder} (it holds {self.path}); "
                "wait for that search to end or stop it, then try again"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
        except OSError:
            pass  # e.g. a full disk: the lock holds without the note, a refused writer just hears no PID
        self._fd = fd
        _held.add(fd)
        return self

    def release(self) -> None:
        if self._fd is not None:
            _held.discard(self._fd)
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        pid, host = os.pread(fd, 512, 0).decode("utf-8", "replace").split()[:2]
    except (OSError, ValueError):
        return "another process"
    return f"process {pid} on host {host}"
