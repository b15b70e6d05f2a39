"""Settings validation and what they derive: the limit per evaluation."""

from __future__ import annotations

import pytest

from gp_automl.config import make_settings
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
