"""Whether resuming a finished run would search any further, and what to pass when it would not.

A finished run stopped because one of its stop rules fired; resumed under the same rules it would
stop again at once and only rewrite its files. So a finished run is continued only under a larger
total the user gives (generations, time budget, early stop), and otherwise refused with one line
saying what to pass, before anything is written.
"""

from __future__ import annotations

import math
from pathlib import Path

from gp_automl.checkpoint import SearchState
from gp_automl.config import ASYNC
from gp_automl.errors import ConfigError
from gp_automl.search.budget import EXHAUSTED

FINISHED = "finished"


def check_can_continue(run_dir: Path, info: dict, state: SearchState | None, settings: dict) -> None:
    """Raise ConfigError if the finished run in ``run_dir`` would stop at once under ``settings``
    (its settings with the user's new totals); do nothing for a run that is not finished."""
    if info.get("status") != FINISHED:
        return
    if info.get("stop_reason") == EXHAUSTED:
        raise ConfigError(
            f"{run_dir} is finished: every pipeline the search can reach has been evaluated, nothing is left to "
            "continue"
        )
    last = last_generation(state, settings.get("mode"))
    stale = state.stale_generations if state else 0
    used = max(float(info.get("elapsed_seconds") or 0.0), state.elapsed if state else 0.0)
    needs = []
    if settings.get("generations") is not None and last >= settings["generations"]:
        needs.append(f"--generations above {last}")
    if settings.get("max_time_mins") is not None and 60.0 * settings["max_time_mins"] <= used:
        needs.append(f"--max-time-mins above {math.ceil(used / 6.0) / 10.0:g}")
    if settings.get("early_stop") is not None and stale >= settings["early_stop"]:
        needs.append(f"--early-stop above {stale}")
    if needs:
        raise ConfigError(
            f"{run_dir} is finished (stopped by {info.get('stop_reason')} after generation {last}, {used:.0f} s "
            f"used); to continue it, give a larger total: {' and '.join(needs)}"
        )


def last_generation(state: SearchState | None, mode: str | None) -> int:
    """The last generation the run completed (-1: none), from its checkpoint."""
    if state is None:
        return -1
    if mode == ASYNC:  # the steady-state loop checkpoints the generation it is counting results for
        return state.generation - 1
    return state.generation - (1 if state.pending else 0)
