"""Frozen, validated search settings, built inside ``fit`` from the estimator's parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gp_automl.cv import check_scoring_name
from gp_automl.errors import ConfigError
from gp_automl.space.resolve import check_module_names

GENERATIONAL, ASYNC, RANDOM = "generational", "async", "random"
MODES = (GENERATIONAL, ASYNC, RANDOM)
AUTO = "auto"
AUTO_EVAL_MINS = 5.0
# With max_eval_time_mins="auto", one pipeline may use at most this share of the time budget: a
# generation waits for its slowest pipeline, so a 60 s search must not let one fit take all of it.
AUTO_EVAL_SHARE = 0.2

# Upper bounds of the size settings, checked before anything starts. Far above any real search, they
# stop a typo (a few zeros too many) from building a generation that fills the memory, asking for a
# cluster of a million processes or computing a deadline from an infinite budget.
MAX_POPULATION = 10_000  # a generation is bred, held and submitted as a whole
MAX_GENERATIONS = 1_000_000
MAX_WORKERS = 10_000  # processes a LocalCluster or batch-job cluster is asked for
MAX_CV = 1_000  # every evaluation fits once per fold
MAX_MINUTES = 366 * 24 * 60  # a year: budgets must be finite to have a deadline
MAX_CHECKPOINT_INTERVAL = 7 * 24 * 3600  # a week, in seconds
MAX_SEED = 2**32 - 1  # numpy's seed range: a larger random_state would fail every pipeline
# max_eval_memory, what one evaluation may allocate besides what it shares with its worker: below
# 256 MiB an ordinary fit of a small table fails; above a pebibyte it limits nothing.
MIN_EVAL_MEMORY = 256 * 2**20
MAX_EVAL_MEMORY = 2**50


@dataclass(frozen=True)
class Settings:
    task: str
    generations: int | None
    population_size: int
    max_time_mins: float | None
    max_eval_time_mins: float | str | None
    cv: int
    scoring: str
    operators: str
    scheduler: Any
    n_workers: int | None
    mode: str
    early_stop: int | None
    checkpoint_dir: str | None
    checkpoint_interval: float | None
    random_state: int | None
    verbosity: int
    allow_modules: tuple[str, ...] = ()
    security: Any = None
    early_rejection: bool = True
    max_depth: int = 6
    max_complexity: int = 8
    max_eval_memory: int | str | None = AUTO  # bytes one evaluation may hold (see memory.py)

    def eval_limit_s(self) -> float | None:
        """Seconds one evaluation may run (None: no limit). ``"auto"``: 5 minutes, but at most a fifth
        of ``max_time_mins``; a number is taken as it is."""
        if self.max_eval_time_mins != AUTO:
            return None if self.max_eval_time_mins is None else 60 * self.max_eval_time_mins
        if self.max_time_mins is None:
            return 60 * AUTO_EVAL_MINS
        return 60 * min(AUTO_EVAL_MINS, AUTO_EVAL_SHARE * self.max_time_mins)

    def to_json(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict would deep-copy a Client
        data["scheduler"] = None if self.scheduler is None else str(self.scheduler)
        data["allow_modules"] = list(self.allow_modules)  # a record only: resuming never reads it back
        data["security"] = None if self.security is None else "tls"  # certificates are given again on resume
        return data


def make_settings(params: dict[str, Any], task: str) -> Settings:
    """Check every parameter (type, range, upper bound) before anything starts; ConfigError names the first bad one."""
    p = dict(params)
    _optional_int(p, "generations", 0, MAX_GENERATIONS, "a generation count beyond any search's end")
    _int(p, "population_size", 2, MAX_POPULATION, "a generation is held in memory; use more generations instead")
    _optional_number(p, "max_time_mins", maximum=MAX_MINUTES, why="a year; the budget must be finite")
    if p["max_eval_time_mins"] != AUTO:
        _optional_number(
            p, "max_eval_time_mins", accepts="'auto', a positive number or None", maximum=MAX_MINUTES,
            why="a year; use None for no limit",
        )  # fmt: skip
    _optional_number(p, "checkpoint_interval", allow_zero=True, maximum=MAX_CHECKPOINT_INTERVAL, why="a week")
    _int(p, "cv", 2, MAX_CV, "every evaluation fits once per fold")
    _optional_int(p, "n_workers", 1, MAX_WORKERS, "worker processes to start")
    _optional_int(p, "early_stop", 1, MAX_GENERATIONS, "a generation count beyond any search's end")
    _optional_int(p, "random_state", 0, MAX_SEED, "numpy's seed range")
    _int(p, "verbosity", 0)
    p["max_eval_memory"] = eval_memory(p.get("max_eval_memory", AUTO))
    if not isinstance(p["early_rejection"], bool):
        raise ConfigError(f"early_rejection must be True or False, got {p['early_rejection']!r}")
    if p["generations"] is None and p["max_time_mins"] is None:
        raise ConfigError("set generations, max_time_mins, or both: otherwise the search never ends")
    if p["mode"] not in MODES:
        raise ConfigError(f"mode must be one of {list(MODES)}, got {p['mode']!r}")
    check_scoring_name(p["scoring"])
    if not isinstance(p["operators"], (str, Path)):
        raise ConfigError("operators must be a shipped catalog name (e.g. 'default', 'light') or a .toml path")
    p["operators"] = str(p["operators"])
    try:
        p["allow_modules"] = check_module_names(p.get("allow_modules") or ())
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"allow_modules must be a list of module names: {exc}") from None
    _check_security(p)
    if p["checkpoint_dir"] is not None:
        p["checkpoint_dir"] = str(p["checkpoint_dir"])
    return Settings(task=task, **p)


def eval_memory(value: Any) -> int | str | None:
    """``max_eval_memory`` as "auto", None or a number of bytes: a number, or a size such as "4GB" or
    "512MiB" (Dask's ``parse_bytes``)."""
    if value is None or value == AUTO:
        return value
    accepts = "'auto', None, a number of bytes or a size such as '4GB'"
    size = value
    if isinstance(value, str):
        from dask.utils import parse_bytes

        try:
            size = parse_bytes(value)
        except (ValueError, TypeError):
            raise ConfigError(f"max_eval_memory must be {accepts}, got {value!r}") from None
    if isinstance(size, bool) or not isinstance(size, (int, float)) or not math.isfinite(size):
        raise ConfigError(f"max_eval_memory must be {accepts}, got {value!r}")
    if not MIN_EVAL_MEMORY <= size <= MAX_EVAL_MEMORY:
        raise ConfigError(
            f"max_eval_memory must be between {MIN_EVAL_MEMORY // 2**20} MiB and {MAX_EVAL_MEMORY // 2**50} PiB, "
            f"got {value!r} (what one evaluation may allocate besides the data it shares; None: no limit)"
        )
    return int(size)


def _check_security(p: dict) -> None:
    security = p.get("security")
    if security is None:
        return
    from distributed import Security

    if not isinstance(security, Security):
        raise ConfigError(f"security must be a distributed.Security object, got {type(security).__name__}")
    if not isinstance(p["scheduler"], str) or p["scheduler"] == "in-process" or p["scheduler"].startswith("jobqueue:"):
        raise ConfigError(
            "security applies to a scheduler address (tls://host:port) or scheduler file; "
            "a Client or cluster object carries its own"
        )


def _int(p: dict, name: str, minimum: int, maximum: int | None = None, why: str = "") -> None:
    value = p[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum:_}, got {_shown(value)} ({why})")


def _optional_int(p: dict, name: str, minimum: int, maximum: int | None = None, why: str = "") -> None:
    if p[name] is not None:
        _int(p, name, minimum, maximum, why)


def _optional_number(
    p: dict,
    name: str,
    allow_zero: bool = False,
    accepts: str = "a positive number or None",
    maximum: float | None = None,
    why: str = "",
) -> None:
    value = p[name]
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 or allow_zero and value == 0):
        raise ConfigError(f"{name} must be {accepts}, got {value!r}")
    if maximum is not None and not value <= maximum:  # also infinity
        raise ConfigError(f"{name} must be at most {maximum:_}, got {_shown(value)} ({why})")
    p[name] = float(value)


def _shown(value: float) -> str:
    """A number as a user can count its digits: 99_999_999_999_999."""
    return f"{value:_}" if isinstance(value, int) else repr(value)
