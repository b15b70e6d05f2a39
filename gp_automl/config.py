"""Frozen, validated search settings, built inside ``fit`` from the estimator's parameters."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gp_automl.cv import check_scoring
from gp_automl.errors import ConfigError
from gp_automl.space.resolve import check_module_names

GENERATIONAL, ASYNC, RANDOM = "generational", "async", "random"
MODES = (GENERATIONAL, ASYNC, RANDOM)
AUTO = "auto"
AUTO_EVAL_MINS = 5.0
# With max_eval_time_mins="auto", one pipeline may use at most this share of the time budget: a
# generation waits for its slowest pipeline, so a 60 s search must not let one fit take all of it.
AUTO_EVAL_SHARE = 0.2


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
    p = dict(params)
    _optional_int(p, "generations", minimum=0)
    _int(p, "population_size", minimum=2)
    _optional_number(p, "max_time_mins")
    if p["max_eval_time_mins"] != AUTO:
        _optional_number(p, "max_eval_time_mins", accepts="'auto', a positive number or None")
    _optional_number(p, "checkpoint_interval", allow_zero=True)
    _int(p, "cv", minimum=2)
    _optional_int(p, "n_workers", minimum=1)
    _optional_int(p, "early_stop", minimum=1)
    _optional_int(p, "random_state", minimum=0)
    _int(p, "verbosity", minimum=0)
    if not isinstance(p["early_rejection"], bool):
        raise ConfigError(f"early_rejection must be True or False, got {p['early_rejection']!r}")
    if p["generations"] is None and p["max_time_mins"] is None:
        raise ConfigError("set generations, max_time_mins, or both: otherwise the search never ends")
    if p["mode"] not in MODES:
        raise ConfigError(f"mode must be one of {list(MODES)}, got {p['mode']!r}")
    check_scoring(p["scoring"], task)
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


def _int(p: dict, name: str, minimum: int) -> None:
    value = p[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _optional_int(p: dict, name: str, minimum: int) -> None:
    if p[name] is not None:
        _int(p, name, minimum)


def _optional_number(p: dict, name: str, allow_zero: bool = False, accepts: str = "a positive number or None") -> None:
    value = p[name]
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 or allow_zero and value == 0):
        raise ConfigError(f"{name} must be {accepts}, got {value!r}")
    p[name] = float(value)
