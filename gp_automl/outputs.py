"""Where a command may write: never over its own input data, into a run directory, or onto a directory.

Every ``-o`` is checked here before any work is done. Onto the data the command reads (predict's
table, the run's training file named in run.json) or onto a file inside a run directory (a
directory holding run.json, at any depth) it is refused as bad input (``DataError``, exit 2): a
typo must not cost a data file or a model. The run's own writer is the exception: a command's
default output inside its run (export's best_pipeline.py, report's report.html, export --front's
front/) is passed as ``own``. A directory, a missing folder or a place that cannot be written is
a ``RunDirError`` (exit 6). Paths are compared after resolving symlinks, and existing files by
identity (``os.path.samefile``), so a symlink or a hard link to the data is caught too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from gp_automl.errors import DataError, RunDirError

RUN_MARKER = "run.json"

Paths = Iterable[str | Path | None]


def check_output(path: str | Path, inputs: Paths = (), own: Paths = ()) -> Path:
    """Return ``path`` if a command may write its output file there, else raise (see the module)."""
    target = Path(path)
    if target.is_dir():
        raise RunDirError(f"-o {path} is a directory; give a file name")
    for source in _paths(inputs):
        if _same(target, source):
            raise DataError(f"-o {path} is the input data {source}; refusing to write over it, choose another file")
    if not any(_same(target, mine) for mine in _paths(own)):
        run = run_directory_holding(target.resolve().parent)  # a symlink counts where it points
        if run is not None:
            raise DataError(
                f"-o {path} is inside the run directory {run}; refusing to write over a run's files, "
                "choose a path outside it"
            )
    _check_writable(target)
    return target


def check_output_folder(folder: str | Path, inputs: Paths = (), own: Paths = ()) -> Path:
    """Return ``folder`` (created if missing) if a command may write its files into it, else raise."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise RunDirError(f"-o {folder} exists and is not a directory; give a folder")
    if not any(_same(target, mine) for mine in _paths(own)):
        run = run_directory_holding(target)
        if run is not None:
            raise DataError(
                f"-o {folder} is inside the run directory {run}; refusing to write into a run, choose a folder "
                "outside it"
            )
    for source in _paths(inputs):
        if _same(target, source):
            raise DataError(f"-o {folder} is the input data {source}; choose another folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    return target


def run_directory_holding(folder: Path) -> Path | None:
    """The run directory ``folder`` is (or lies inside), or None."""
    for candidate in (folder.resolve(), *folder.resolve().parents):
        if (candidate / RUN_MARKER).is_file():
            return candidate
    return None


def _check_writable(target: Path) -> None:
    parent = target.parent
    if not parent.is_dir():
        raise RunDirError(f"cannot write {target}: the folder {parent} does not exist")
    if _read_only(parent):
        raise RunDirError(f"cannot write {target}: {parent} is on a read-only file system")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RunDirError(f"cannot write {target}: no permission to write in {parent}")
    if target.exists() and not os.access(target, os.W_OK):
        raise RunDirError(f"cannot write {target}: the file is write-protected")


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _paths(paths: Paths) -> list[Path]:
    """The given paths, without the absent ones (None, or a run.json value that is not a path)."""
    return [Path(p) for p in paths if isinstance(p, str | Path) and str(p)]


def _same(a: Path, b: Path) -> bool:
    """One file (or place) under two names: same inode if both exist, else the same resolved path."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False
