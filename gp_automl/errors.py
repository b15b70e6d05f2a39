"""One exception tree for everything a user can get wrong.

    GPAutoMLError                 base; the CLI prints its message and exits with ``exit_code``
    ├── DataError                 unreadable file, unknown target, one class, NaN in target, ...
    ├── CatalogError              malformed catalog, or one its classes refuse (names the file and the operator)
    ├── ConfigError               an invalid setting, or one the task or target cannot take (scorer, cv)
    ├── SchedulerError            a Dask scheduler that cannot be reached
    │   └── SchedulerLost         the scheduler, connection or cluster went away mid-search (the run is saved)
    ├── RunDirError               a run directory that exists, is incomplete, damaged, is not ours, or in use
    │   └── WriteError            a file that could not be written (disk full, file-size limit, I/O, read-only)
    ├── SearchError               a search that evaluated no pipeline successfully
    └── ExportError               a pipeline that cannot be written as a script that reads back as itself

Each message names the thing at fault and what to do about it.

    DataWarning (UserWarning)     data we could use after a fix-up the user should know about
                                  (rows without a target dropped); the CLI prints it on one line
"""

from __future__ import annotations


class GPAutoMLError(Exception):
    """Base class; ``exit_code`` is what the command line returns."""

    exit_code = 1


class DataError(GPAutoMLError, ValueError):
    exit_code = 2


class CatalogError(GPAutoMLError, ValueError):
    exit_code = 3


class ConfigError(GPAutoMLError, ValueError):
    exit_code = 4


class SchedulerError(GPAutoMLError, ConnectionError):
    exit_code = 5


class SchedulerLost(SchedulerError):
    """Raised by ``fit``/``resume`` after the run was saved: the estimator holds the best so far."""


class RunDirError(GPAutoMLError, OSError):
    exit_code = 6


class WriteError(RunDirError):
    """A write that failed (ENOSPC, EFBIG, EIO, EROFS, ...); the message names the file."""


class SearchError(GPAutoMLError, RuntimeError):
    exit_code = 7


class ExportError(GPAutoMLError, ValueError):
    exit_code = 8


class DataWarning(UserWarning):
    """Data used after a fix-up the user should hear about (e.g. rows without a target dropped)."""
