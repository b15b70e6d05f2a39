"""The run directory on disk: atomic writes, and refusing to write over someone else's run.

Layout (contract): run.json, evaluations.sqlite (the log, see ``journal``), evaluations.csv,
checkpoint.json, search.log, pareto_front.csv, best_pipeline.py, model.pkl and its checksum
model.pkl.sha256 (``sha256sum -c`` reads it). Every file is written to a temporary name in the same
directory and renamed into place, so a crash leaves either the old file or the new one, never half
of one. The model is unpickled only from a run directory the user named, and only when its bytes
match the checksum: a truncated or altered pickle is refused before ``pickle`` sees it. The
checksum catches damage, not malice (anyone who can write the pickle can rewrite the checksum),
so load models only from run directories you trust (docs/trust.md).

A write that fails (disk full, a file-size limit, an I/O error, a read-only file system) is a
``WriteError`` naming the file; the old file stays as it was and the temporary one is removed.

One writer per run: a fit or resume holds an exclusive ``flock`` on ``RUN_DIR/run.lock`` for its
whole life (``create`` takes it for a new run, ``resume`` before it reads anything), so two
processes never append to one log or rename checkpoints over each other; the second is refused at
once, with the holder's PID and host in the message. The kernel drops a ``flock`` when its process
ends, however it ends (``kill -9`` included), so a lock left behind never blocks; the file itself
stays, holding the last holder's PID and host. A process forked while the lock is held (an
evaluation child in ``isolate``) closes its copy at once, so the lock ends with the process that
took it. Readers (report, predict, export) never take it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import socket
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from gp_automl.errors import RunDirError, WriteError

RUN_JSON = "run.json"
EVALUATIONS = "evaluations.csv"
PARETO_FRONT = "pareto_front.csv"
BEST_PIPELINE = "best_pipeline.py"
MODEL = "model.pkl"
MODEL_DIGEST = "model.pkl.sha256"
SEARCH_LOG = "search.log"
LOCK = "run.lock"


def write_failed(path: Path, exc: OSError) -> WriteError:
    """The one-line error for a failed write of ``path``."""
    return WriteError(f"cannot write {path}: {exc.strerror or exc}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place: all or nothing."""
    path = Path(path)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        _discard(temporary)
        raise write_failed(path, exc) from None
    except BaseException:
        _discard(temporary)
        raise


def _discard(temporary: str | None) -> None:
    """Remove a half-written temporary file; a failure here must not hide the first error."""
    if temporary is None:
        return
    try:
        os.unlink(temporary)
    except OSError:
        pass


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock: RunLock | None = None

    def check_new(self) -> None:
        """Refuse a place that holds a run already, or is not a directory, before any work starts."""
        if (self.path / RUN_JSON).exists():
            raise RunDirError(
                f"{self.path} already holds a run (run.json); choose another output directory or resume it"
            )
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(f"{self.path} exists and is not a directory")
        above = next((folder for folder in self.path.parents if folder.exists()), None)  # where it would be made
        if above is not None and not above.is_dir():
            raise RunDirError(f"cannot create run directory {self.path}: {above} is a file, not a folder")
        if above is not None and not os.access(above, os.W_OK | os.X_OK):
            raise RunDirError(f"cannot create run directory {self.path}: no permission to write in {above}")

    def create(self) -> RunDir:
        """Make the directory and take its lock; an existing run there is an error, never overwritten."""
        self.check_new()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(f"cannot create run directory {self.path}: {exc.strerror}") from None
        self._lock = RunLock(self.path).acquire()
        try:
            self.check_new()  # another process may have started a run here since the first check
        except RunDirError:
            self.unlock()
            raise
        return self

    def unlock(self) -> None:
        """Release the lock ``create`` took (nothing if it took none)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def file(self, name: str) -> Path:
        return self.path / name

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        atomic_write_text(self.file(name), json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")

    def read_json(self, name: str = RUN_JSON) -> dict[str, Any]:
        try:
            data = json.loads(self.file(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            if not self.path.exists():
                raise RunDirError(f"run directory {self.path} does not exist; give the folder a search wrote") from None
            raise RunDirError(f"{self.path} is not a gp_automl run directory (no {name})") from None
        except NotADirectoryError:
            raise RunDirError(f"{self.path} is a file, not a run directory") from None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise RunDirError(f"{self.file(name)} is damaged: {type(exc).__name__}: {exc}"[:300]) from None
        if not isinstance(data, dict):
            raise RunDirError(f"{self.file(name)} is damaged: not a JSON object")
        return data

    def read_run(self) -> dict[str, Any]:
        """run.json with the fields every command relies on checked, so a damaged one is one clear error."""
        info = self.read_json(RUN_JSON)
        shapes = {"task": str, "settings": dict, "data": dict, "seed": int, "catalog": str}
        for field, kind in shapes.items():
            if not isinstance(info.get(field), kind):
                raise RunDirError(f"{self.file(RUN_JSON)} lacks a valid {field!r}: damaged, or not ours")
        return info

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        atomic_write_text(self.file(name), frame.to_csv(index=False))

    def write_text(self, name: str, text: str) -> None:
        atomic_write_text(self.file(name), text)

    def write_model(self, model: Any) -> None:
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write_bytes(self.file(MODEL), data)
        atomic_write_text(self.file(MODEL_DIGEST), f"{hashlib.sha256(data).hexdigest()}  {MODEL}\n")

    def read_model(self) -> Any:
        """Unpickle the refit model; only ever from a run directory the user named, and only when
        its bytes match ``model.pkl.sha256``."""
        try:
            data = self.file(MODEL).read_bytes()
        except FileNotFoundError:
            raise RunDirError(f"{self.path} has no saved model ({MODEL})") from None
        try:
            recorded = self.file(MODEL_DIGEST).read_text(encoding="ascii").split()[0]
        except (FileNotFoundError, UnicodeDecodeError, IndexError):
            raise RunDirError(
                f"{self.file(MODEL)} has no readable checksum ({MODEL_DIGEST}), so it is not loaded; "
                "refit the exported best_pipeline.py instead"
            ) from None
        if hashlib.sha256(data).hexdigest() != recorded:
            raise RunDirError(
                f"{self.file(MODEL)} does not match its checksum ({MODEL_DIGEST}): truncated or altered, not loaded"
            )
        try:
            return pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - e.g. a class that moved between library versions
            raise RunDirError(f"{self.file(MODEL)} could not be loaded: {type(exc).__name__}: {exc}"[:300]) from None


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
    """The one-writer lock of a run directory (see the module docstring); a context manager too."""

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
