"""Stop rules: wall-clock budget, generation count, and generations without front improvement."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

TIME, GENERATIONS, EARLY_STOP = "max_time_mins", "generations", "early_stop"
EXHAUSTED = "search_space_exhausted"
INTERRUPTED = "interrupted"
SCHEDULER_LOST = "scheduler lost"  # the scheduler or cluster went away; the run is saved for a resume


@dataclass
class Budget:
    max_time_mins: float | None
    generations: int | None
    early_stop: int | None
    already_elapsed: float = 0.0  # seconds spent before a resume
    started: float = field(default_factory=time.monotonic)
    stale_generations: int = 0
    interrupted: bool = False  # set by a signal handler; the loop stops at the next result

    @property
    def deadline(self) -> float | None:
        if self.max_time_mins is None:
            return None
        return self.started + 60.0 * self.max_time_mins - self.already_elapsed

    def elapsed(self) -> float:
        return self.already_elapsed + time.monotonic() - self.started

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def record_generation(self, front_improved: bool) -> None:
        self.stale_generations = 0 if front_improved else self.stale_generations + 1

    def stop_reason(self, generation: int) -> str | None:
        """Why the search must stop before starting generation ``generation + 1``, or None."""
        if self.interrupted:
            return INTERRUPTED
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return TIME
        if self.generations is not None and generation >= self.generations:
            return GENERATIONS
        if self.early_stop is not None and self.stale_generations >= self.early_stop:
            return EARLY_STOP
        return None
