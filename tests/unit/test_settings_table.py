"""The settings table is the one place a setting is declared: the estimators' signatures, the CLI's
flags, the README's parameter table and run.json's record all agree with it."""

from __future__ import annotations

import inspect
import json
import re

import pytest

from gp_automl.cli import build_parser
from gp_automl.config import AS_PYTHON, SETTINGS, make_settings, stored_settings
from gp_automl.estimator import GPClassifier, GPRegressor
from tests.conftest import REPO


def readme_row(setting) -> str:
    default = f"`{setting.default!r}`"
    if setting.cli_default is not AS_PYTHON:
        default += f" (CLI: `{setting.cli_default!r}`)"
    flag = f"`{setting.flag}`" if setting.flag else ""
    return f"| `{setting.name}` | {default} | {flag} | {'yes' if setting.resumable else ''} | {setting.help} |"


@pytest.mark.parametrize("estimator", [GPClassifier, GPRegressor])
def test_the_estimators_take_exactly_the_table_with_its_defaults(estimator):
    parameters = inspect.signature(estimator.__init__).parameters
    declared = {name: p.default for name, p in parameters.items() if name != "self"}
    assert declared == {setting.name: setting.default for setting in SETTINGS}


def test_every_flag_of_the_table_is_on_fit_and_the_resumable_ones_on_resume():
    commands = build_parser()._subparsers._group_actions[0].choices
    flags = {name: {o for action in commands[name]._actions for o in action.option_strings} for name in commands}
    assert {s.flag for s in SETTINGS if s.flag} <= flags["fit"]
    on_resume = {s.flag for s in SETTINGS if s.flag and s.resumable}
    assert on_resume <= flags["resume"]
    assert not ({s.flag for s in SETTINGS if s.flag} - on_resume) & flags["resume"]


def test_the_readme_parameter_table_is_the_settings_table():
    readme = (REPO / "README.md").read_text()
    rows = [line for line in readme.splitlines() if re.match(r"^\| `\w+` \|", line)]
    expected = [readme_row(setting) for setting in SETTINGS]
    assert [row for row in rows if row.split("`")[1] in {s.name for s in SETTINGS}] == expected, "\n".join(expected)


def test_the_readme_synopsis_shows_every_flag():
    readme = (REPO / "README.md").read_text()
    synopsis = readme[readme.index("## Command line") :].split("```")[1]
    fit, rest = synopsis.split("gp-automl resume")
    resume = rest.split("gp-automl export")[0]
    assert all(s.flag in fit for s in SETTINGS if s.flag)
    assert all(s.flag in resume for s in SETTINGS if s.flag and s.resumable)


def test_run_json_settings_re_create_the_estimator(tmp_path):
    params = GPClassifier(generations=3, population_size=7, cv=4, scoring="f1_macro", mode="async",
                          allow_modules=["tests"], checkpoint_dir=tmp_path).get_params()  # fmt: skip
    recorded = json.loads(json.dumps(make_settings(params, "classification").to_json()))
    again = GPClassifier(**recorded).get_params()
    assert {k: again[k] for k in recorded} == {**params, "checkpoint_dir": str(tmp_path), "allow_modules": ["tests"]}
    assert stored_settings(recorded)["population_size"] == 7 and "allow_modules" not in stored_settings(recorded)


def test_a_client_or_cluster_is_recorded_as_its_scheduler_address(dask_client):
    params = GPClassifier(generations=1).get_params()
    for scheduler in (dask_client, dask_client.cluster):
        recorded = make_settings({**params, "scheduler": scheduler}, "classification").to_json()
        assert recorded["scheduler"] == dask_client.scheduler.address
