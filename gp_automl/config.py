"""Every user setting, declared once: ``SETTINGS`` is the table, ``make_settings`` checks a set of
values against it and gives the frozen ``Settings`` a search runs with.

From the table come the CLI's flags (``cli.py``), run.json's ``settings`` (``Settings.to_json``,
which ``GPClassifier(**settings)`` reads back) and what ``resume`` may change. The estimators'
``__init__`` and the README's parameter list are written out by hand for people to read, and
``tests/unit/test_config.py`` checks both against the table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gp_automl.cv import check_scoring, check_scoring_name
from gp_automl.errors import ConfigError
from gp_automl.memory import AUTO, MAX_EVAL_MEMORY, MIN_EVAL_MEMORY
from gp_automl.space.resolve import check_module_names

GENERATIONAL, ASYNC, RANDOM = "generational", "async", "random"
MODES = (GENERATIONAL, ASYNC, RANDOM)
AUTO_EVAL_MINS = 5.0
# With max_eval_time_mins="auto", one pipeline may use at most this share of the time budget: a
# generation waits for its slowest pipeline, so a 60 s search must not let one fit take all of it.
AUTO_EVAL_SHARE = 0.2
IN_PROCESS = "in-process"
DEFAULT_SCORING = {"classification": "balanced_accuracy", "regression": "r2"}  # scoring=None means these

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

AS_PYTHON = object()  # a flag whose default is the Python default
Check = Callable[[str, Any], Any]  # (name, value) -> the value to use; raises ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    check: Check
    help: str
    flag: str | None = None  # the CLI's flag on `fit`; None: Python only, or spelled by hand in cli.py
    resumable: bool = False  # `resume` may give a new value (it does not change what was evaluated)
    cli: Mapping[str, Any] = field(default_factory=dict)  # argparse options besides help and default
    cli_default: Any = AS_PYTHON  # the flag's default, where the command line's differs from Python's


# --- checks: each takes (name, value) and returns the value to use --------------------------------


def integer(minimum: int, optional: bool = False, maximum: int | None = None, why: str = "") -> Check:
    def check(name: str, value: Any) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(f"{name} must be an integer >= {minimum}{' or None' if optional else ''}, got {value!r}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum:_}, got {_shown(value)} ({why})")
        return value

    return check


def number(allow_zero: bool = False, allow_auto: bool = False, maximum: float | None = None, why: str = "") -> Check:
    def check(name: str, value: Any) -> float | str | None:
        if value is None or (allow_auto and value == AUTO):
            return value
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (is_number and (value > 0 or allow_zero and value == 0)):
            accepts = ("'auto', " if allow_auto else "") + ("a number >= 0" if allow_zero else "a positive number")
            raise ConfigError(f"{name} must be {accepts} or None, got {value!r}")
        if maximum is not None and not value <= maximum:  # also infinity
            raise ConfigError(f"{name} must be at most {maximum:_}, got {_shown(value)} ({why})")
        return float(value)

    return check


def one_of(choices: tuple[str, ...]) -> Check:
    def check(name: str, value: Any) -> str:
        if value not in choices:
            raise ConfigError(f"{name} must be one of {list(choices)}, got {value!r}")
        return value

    return check


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False, got {value!r}")
    return value


def scoring_name(name: str, value: Any) -> str | None:
    return None if value is None else check_scoring_name(value)


def catalog_name(name: str, value: Any) -> str:
    if not isinstance(value, (str, Path)):
        raise ConfigError(f"{name} must be a shipped catalog name (e.g. 'default', 'light') or a .toml path")
    return str(value)


def optional_path(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, (str, Path)):
        raise ConfigError(f"{name} must be a directory path or None, got {type(value).__name__}")
    return None if value is None else str(value)


def module_names(name: str, value: Any) -> tuple[str, ...]:
    try:
        return check_module_names(value or ())
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a list of module names: {exc}") from None


def anything(name: str, value: Any) -> Any:
    return value


# --- the table -----------------------------------------------------------------------------------

INT, FLOAT = {"type": int, "metavar": "N"}, {"type": float, "metavar": "N"}  # argparse options
ENDLESS = "a generation count beyond any search's end"
SETTINGS: tuple[Setting, ...] = (
    Setting("generations", None, integer(0, True, MAX_GENERATIONS, ENDLESS),
            "generations to run (None: until another stop rule)",
            "--generations", resumable=True, cli=INT),
    Setting("population_size", 50,
            integer(2, maximum=MAX_POPULATION, why="a generation is held in memory; use more generations instead"),
            "pipelines per generation",
            "--population-size", cli=INT),
    Setting("max_time_mins", 60, number(maximum=MAX_MINUTES, why="a year; the budget must be finite"),
            "wall-clock budget of the search, start-up included (CLI: 60 unless --generations is given)",
            "--max-time-mins", resumable=True, cli=FLOAT, cli_default=None),
    Setting("max_eval_time_mins", AUTO, number(allow_auto=True, maximum=MAX_MINUTES, why="a year; None: no limit"),
            "hard limit per pipeline; a pipeline past it is stopped (auto: 5, at most a fifth of max_time_mins)",
            "--max-eval-time-mins", cli={"metavar": "auto|N"}),
    Setting("max_eval_memory", AUTO, lambda name, value: eval_memory(value),
            "memory one pipeline may allocate, e.g. 4GB or 512MiB; past it, it is stopped and recorded as "
            "'memory' (auto: the worker's memory limit, less what the worker holds; None: no limit)",
            "--max-eval-memory", cli={"metavar": "auto|none|SIZE"}),
    Setting("cv", 5, integer(2, maximum=MAX_CV, why="every evaluation fits once per fold"),
            "cross-validation folds",
            "--cv", cli=INT),
    Setting("scoring", None, scoring_name,
            "scikit-learn scorer name (default: balanced_accuracy / r2)",
            "--scoring", cli={"metavar": "NAME"}),
    Setting("operators", "default", catalog_name,
            "catalog name (default, light) or a .toml file",
            "--operators", cli={"metavar": "NAME|FILE"}),
    Setting("scheduler", None, anything,
            "None (a LocalCluster), a scheduler address or file, a distributed.Client or cluster, "
            "jobqueue:KIND (slurm, pbs, sge, lsf, htcondor, local), or 'in-process'",
            "--scheduler", resumable=True, cli={"metavar": "ADDRESS|FILE|jobqueue:KIND"}),
    Setting("n_workers", None, integer(1, True, MAX_WORKERS, "worker processes to start"),
            "workers of the local or jobqueue cluster",
            "--n-workers", resumable=True, cli=INT),
    Setting("mode", GENERATIONAL, one_of(MODES),
            "generational: deterministic for a seed; async: steady-state, keeps every worker busy; "
            "random: random trees only (the baseline evolution must beat)",
            "--mode", cli={"choices": MODES}),
    Setting("early_stop", None, integer(1, True, MAX_GENERATIONS, ENDLESS),
            "generations without front improvement",
            "--early-stop", resumable=True, cli=INT),
    Setting("checkpoint_dir", None, optional_path,
            "run directory to write (CLI: default runs/<data>-<time>)",
            "--out", cli={"metavar": "RUN_DIR"}),
    Setting("checkpoint_interval", 300, number(allow_zero=True, maximum=MAX_CHECKPOINT_INTERVAL, why="a week"),
            "seconds between checkpoints",
            "--checkpoint-interval", resumable=True, cli=FLOAT),
    Setting("random_state", 0, integer(0, True, MAX_SEED, "numpy's seed range"),
            "seed of the search",
            "--seed", cli=INT),
    Setting("verbosity", 1, integer(0),
            "0: silent on screen; 1: progress",
            "--verbosity", resumable=True, cli=INT),
    Setting("allow_modules", (), module_names,  # never read back from a run directory
            "trust catalog operators from these modules besides sklearn, xgboost, lightgbm, gp_automl "
            "(CLI: --allow-module MODULE, repeated)",
            resumable=True),
    Setting("security", None, anything,  # never stored
            "a distributed.Security for a TLS scheduler (CLI: --tls-ca-file, --tls-cert, --tls-key)",
            resumable=True),
    Setting("early_rejection", True, boolean,
            "stop clear losers after their first folds (the flag evaluates every pipeline on every fold)",
            "--no-early-rejection", cli={"action": "store_false"}),
)  # fmt: skip
BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
NEVER_STORED = ("allow_modules", "security")  # never read back: a run directory must not widen trust or hold keys


@dataclass(frozen=True)
class Settings:
    """The checked settings of one search, with the task; ``values`` holds them by name."""

    task: str
    values: Mapping[str, Any]
    max_depth: int = 6
    max_complexity: int = 8

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def eval_limit_s(self) -> float | None:
        """Seconds one evaluation may run (None: no limit). ``"auto"``: 5 minutes, but at most a fifth
        of ``max_time_mins``; a number is taken as it is."""
        if self.max_eval_time_mins != AUTO:
            return None if self.max_eval_time_mins is None else 60 * self.max_eval_time_mins
        if self.max_time_mins is None:
            return 60 * AUTO_EVAL_MINS
        return 60 * min(AUTO_EVAL_MINS, AUTO_EVAL_SHARE * self.max_time_mins)

    def to_json(self) -> dict:
        """run.json's record: ``GPClassifier(**settings)`` re-creates the estimator, but for
        ``security`` (certificates are given again; "tls" says one was used). A scheduler is kept as
        its address; ``allow_modules`` is a record only, never read back (``stored_settings``)."""
        data = dict(self.values)
        data["scheduler"] = scheduler_address(self.scheduler)
        data["allow_modules"] = list(self.allow_modules)
        data["security"] = None if self.security is None else "tls"
        return data


def scheduler_address(scheduler: Any) -> str | None:
    """What run.json keeps of a scheduler: its address (a string as given, a Client's or a cluster's
    scheduler address); None for a LocalCluster gp_automl starts."""
    if scheduler is None or isinstance(scheduler, str):
        return scheduler
    for attribute in ("scheduler_address", "scheduler.address"):
        value: Any = scheduler
        for part in attribute.split("."):
            value = getattr(value, part, None)
        if isinstance(value, str):
            return value
    return str(scheduler)


def make_settings(params: Mapping[str, Any], task: str) -> Settings:
    """Check every setting, then the rules that tie settings together; ConfigError names the first wrong one."""
    unknown = set(params) - set(BY_NAME)
    if unknown:
        raise ConfigError(f"unknown setting(s) {sorted(unknown)}")
    values = {s.name: s.check(s.name, params.get(s.name, s.default)) for s in SETTINGS}
    values["scoring"] = values["scoring"] or DEFAULT_SCORING[task]
    if values["generations"] is None and values["max_time_mins"] is None:
        raise ConfigError("set generations, max_time_mins, or both: otherwise the search never ends")
    if values["scoring"] is not None:
        check_scoring(values["scoring"], task)
    _check_security(values)
    return Settings(task=task, values=values)


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


def stored_settings(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """run.json's settings as estimator parameters; records of older versions are read too
    (they held the task, internal limits, and the trusted modules and TLS as a record)."""
    settings = {name: value for name, value in recorded.items() if name in BY_NAME and name not in NEVER_STORED}
    settings.setdefault("early_rejection", False)  # runs from before it existed evaluated every fold
    return settings


def _check_security(values: dict) -> None:
    security = values["security"]
    if security is None:
        return
    from distributed import Security

    if not isinstance(security, Security):
        raise ConfigError(f"security must be a distributed.Security object, got {type(security).__name__}")
    scheduler = values["scheduler"]
    if not isinstance(scheduler, str) or scheduler == IN_PROCESS or scheduler.startswith("jobqueue:"):
        raise ConfigError(
            "security applies to a scheduler address (tls://host:port) or scheduler file; "
            "a Client or cluster object carries its own"
        )


def _shown(value: float) -> str:
    """A number as a user can count its digits: 99_999_999_999_999."""
    return f"{value:_}" if isinstance(value, int) else repr(value)
