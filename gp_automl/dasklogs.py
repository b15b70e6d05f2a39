"""Dask's own log lines go to the run's ``search.log`` while the command line runs a search.

On the terminal a user sees progress and at most one ``gp-automl: error:`` line. Dask logs what it
does about a lost scheduler, a worker stopped by Ctrl-C or a busy event loop to stderr, in the
driver (its client, and a LocalCluster's scheduler and nannies); gp_automl deals with each of these
itself and says so in one line. The records are kept, not dropped: in ``search.log``, beside the
progress lines, for whoever needs to look into what happened.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DASK_LOGGERS = ("distributed", "tornado", "bokeh", "asyncio")
FORMAT = "[%(asctime)s] dask: %(name)s %(levelname)s: %(message)s"


class _AppendToFile(logging.Handler):
    """Appends each record to ``path``; before the run directory exists, records are dropped."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.setFormatter(logging.Formatter(FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with open(self.path, "a", encoding="utf-8") as log:
                log.write(self.format(record) + "\n")
        except OSError:
            pass  # no run directory yet, or it cannot be written: the run itself reports that


@contextmanager
def dask_logs_to(path: Path) -> Iterator[None]:
    """While inside, records of Dask's loggers that would reach stderr are appended to ``path``."""
    import distributed  # noqa: F401 - it sets up its loggers when first imported: before we swap them

    to_file = _AppendToFile(path)
    swapped: list[tuple[logging.Logger, list[logging.Handler], bool]] = []
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in DASK_LOGGERS]
    for name in sorted(set(names) | set(DASK_LOGGERS)):
        logger = logging.getLogger(name)
        to_stderr = [h for h in logger.handlers if getattr(h, "stream", None) is sys.stderr]
        if to_stderr or (name in DASK_LOGGERS and logger.propagate):
            swapped.append((logger, to_stderr, logger.propagate))
            for handler in to_stderr:
                logger.removeHandler(handler)
            logger.addHandler(to_file)
            logger.propagate = False
    try:
        yield
    finally:
        for logger, handlers, propagate in swapped:
            logger.removeHandler(to_file)
            for handler in handlers:
                logger.addHandler(handler)
            logger.propagate = propagate
