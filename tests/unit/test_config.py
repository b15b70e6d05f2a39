"""Settings validation and what they derive: the limit per evaluation; upper bounds on every size."""

from __future__ import annotations

import math

import pytest

from gp_automl.config import (
    MAX_CHECKPOINT_INTERVAL,
    MAX_CV,
    MAX_GENERATIONS,
    MAX_MINUTES,
    MAX_POPULATION,
    MAX_WORKERS,
    make_settings,
)
from gp_automl.errors import ConfigError
from gp_automl.estimator import GPClassifier


def settings(**changes):
    params = GPClassifier(**changes).get_params()
    params["scoring"] = params["scoring"] or "balanced_accuracy"
    return make_settings(params, "classification")


@pytest.mark.parametrize(
    ("max_time_mins", "max_eval_time_mins", "limit_s"),
    [
        (1, "auto", 12.0),  # a fifth of a short budget: one slow pipeline cannot hold a generation for all of it
        (3, "auto", 36.0),
        (60, "auto", 300.0),  # long budgets: 5 minutes
        (None, "auto", 300.0),
        (1, 10, 600.0),  # a number is taken as given
        (1, None, None),  # no limit
    ],
)
def test_the_limit_per_evaluation(max_time_mins, max_eval_time_mins, limit_s):
    generations = 5 if max_time_mins is None else None
    chosen = settings(max_time_mins=max_time_mins, max_eval_time_mins=max_eval_time_mins, generations=generations)
    assert chosen.eval_limit_s() == (None if limit_s is None else pytest.approx(limit_s))


@pytest.mark.parametrize("bad", ["fast", 0, -1, True])
def test_a_bad_limit_per_evaluation_is_refused(bad):
    with pytest.raises(ConfigError, match="max_eval_time_mins must be 'auto', a positive number or None"):
        settings(max_eval_time_mins=bad)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("population_size", MAX_POPULATION + 1),
        ("population_size", 99999999999999),
        ("generations", MAX_GENERATIONS + 1),
        ("n_workers", MAX_WORKERS + 1),
        ("early_stop", MAX_GENERATIONS + 1),
        ("cv", MAX_CV + 1),
        ("checkpoint_interval", MAX_CHECKPOINT_INTERVAL + 1),
        ("checkpoint_interval", math.inf),
        ("max_time_mins", MAX_MINUTES + 1),
        ("max_time_mins", math.inf),
        ("max_eval_time_mins", math.inf),
        ("random_state", 2**32),
    ],
)
def test_every_size_setting_has_an_upper_bound(name, value):
    with pytest.raises(ConfigError) as refused:
        settings(**{name: value})
    message = str(refused.value)
    assert message.startswith(f"{name} must be at most ") and "\n" not in message
    assert f"got {value:_} (" in message if isinstance(value, int) else f"got {value!r} (" in message
    assert message.endswith(")")  # the why, in brackets


@pytest.mark.parametrize("name", ["max_time_mins", "max_eval_time_mins", "checkpoint_interval"])
def test_not_a_number_is_not_a_budget(name):
    with pytest.raises(ConfigError, match=f"{name} must be .*got nan"):
        settings(**{name: math.nan})


def test_the_bounds_themselves_are_accepted():
    chosen = settings(
        population_size=MAX_POPULATION, generations=MAX_GENERATIONS, n_workers=MAX_WORKERS, early_stop=MAX_GENERATIONS,
        cv=MAX_CV, checkpoint_interval=MAX_CHECKPOINT_INTERVAL, max_time_mins=MAX_MINUTES, random_state=2**32 - 1,
    )  # fmt: skip
    assert chosen.population_size == MAX_POPULATION and chosen.max_time_mins == MAX_MINUTES


@pytest.mark.parametrize(
    ("given", "stored"),
    [("auto", "auto"), (None, None), ("4GB", 4 * 10**9), ("512MiB", 512 * 2**20), (2**30, 2**30), (1e9, 10**9)],
)
def test_max_eval_memory_takes_auto_none_a_size_or_bytes(given, stored):
    chosen = settings(max_eval_memory=given)
    assert chosen.max_eval_memory == stored
    assert chosen.to_json()["max_eval_memory"] == stored  # what run.json holds and resume passes back


@pytest.mark.parametrize("bad", ["lots", "", True, -1, 0, 1000, "1MB", math.inf, math.nan, [4], "2000PiB"])
def test_a_bad_max_eval_memory_is_refused(bad):
    with pytest.raises(ConfigError, match="max_eval_memory must be"):
        settings(max_eval_memory=bad)
