"""What a person watching a search sees: a live status bar on a terminal, plain timestamped lines
otherwise (batch logs), the same lines in the run directory's ``search.log``; ``verbosity=0`` is
silent on screen. A line that cannot be written to ``search.log`` (disk full, ...) is a
``WriteError`` naming it."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from gp_automl.archive import Archive, Entry
from gp_automl.rundir import write_failed


class Progress:
    def __init__(self, verbosity: int, stream: TextIO | None = None):
        self.verbosity = verbosity
        self.stream = stream or sys.stdout
        self._pending_lines: list[str] = []  # said before the run directory existed
        self._log: TextIO | None = None
        self._bar: tqdm | None = None
        self.busy_seconds = 0.0  # worker time spent on evaluations this session
        self.started = time.monotonic()
        self.n_workers = 1

    @property
    def live(self) -> bool:
        return self.verbosity > 0 and self.stream.isatty()

    def attach_log(self, path: Path) -> None:
        try:
            self._log = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise write_failed(path, exc) from None
        self._write_log(self._pending_lines)
        self._pending_lines.clear()

    def _write_log(self, lines: list[str]) -> None:
        try:
            self._log.write("".join(line + "\n" for line in lines))
            self._log.flush()
        except OSError as exc:
            path = self._log.name
            self._close_log()  # no second attempt at the lines that failed
            raise write_failed(Path(path), exc) from None

    def _close_log(self) -> None:
        log, self._log = self._log, None
        try:
            log.close()
        except OSError:
            pass  # buffered lines that could not be written: already reported

    def say(self, message: str) -> None:
        line = f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {message}"
        if self._log is not None:
            self._write_log([line])
        else:
            self._pending_lines.append(line)
        if self.verbosity > 0:
            if self._bar is not None:
                self._bar.write(line, file=self.stream)
            else:
                print(line, file=self.stream, flush=True)

    def result(self, entry: Entry, archive: Archive, remaining: float | None) -> None:
        """One finished evaluation: count its worker time, refresh the live bar."""
        self.busy_seconds += entry.result.seconds
        if not self.live:
            return
        if self._bar is None:
            self._bar = tqdm(file=self.stream, unit=" pipelines", dynamic_ncols=True, leave=False)
        self._bar.update(1)
        self._bar.set_postfix_str(self.status(archive, remaining), refresh=False)

    def status(self, archive: Archive, remaining: float | None) -> str:
        best = archive.best()
        parts = [
            f"best {best.result.score:.4f} {best.tree.key[:60]}" if best else "best none yet",
            f"failed {archive.failures - archive.timeouts - archive.out_of_memory}",
            f"timed out {archive.timeouts}",
            f"out of memory {archive.out_of_memory}",
            f"rejected early {archive.rejected}",
            f"front {len(archive.front())}",
            f"workers {self.utilization():.0%} busy",
        ]
        if remaining is not None:
            parts.append(f"{remaining:.0f}s left")
        return ", ".join(parts)

    def workers_ready(self, n_workers: int) -> None:
        """Start the utilization clock: worker time counts from when the workers have the data."""
        self.n_workers = n_workers
        self.started = time.monotonic()

    def utilization(self) -> float:
        """Busy worker-seconds over available worker-seconds, this session."""
        available = self.n_workers * (time.monotonic() - self.started)
        return min(1.0, self.busy_seconds / available) if available > 0 else 0.0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._log is not None:
            self._close_log()
