"""End-to-end searches on a real Dask LocalCluster: quality, the front, export, determinism."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from gp_automl import GPClassifier, GPRegressor
from gp_automl.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory, breast_cancer):
    X, y = breast_cancer
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    frame = pd.DataFrame(X_train, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["label"] = y_train
    path = tmp_path_factory.mktemp("data") / "train.csv"
    frame.to_csv(path, index=False)
    return path, X_test, y_test


@pytest.fixture(scope="module")
def fitted(cancer_csv, dask_client):
    path, _, _ = cancer_csv
    frame = pd.read_csv(path)
    est = GPClassifier(
        generations=3, population_size=20, operators="light", scheduler=dask_client, random_state=0, verbosity=0
    )
    return est.fit(frame.drop(columns=["label"]), frame["label"], data_path=str(path))


def test_breast_cancer_held_out_balanced_accuracy(fitted, cancer_csv):
    _, X_test, y_test = cancer_csv
    assert fitted.score(X_test, y_test) >= 0.92  # balanced accuracy, the search's scorer (it was accuracy)
    assert set(fitted.classes_) == {0, 1}
    assert fitted.predict_proba(X_test).shape == (len(X_test), 2)
    assert len(fitted.evaluations_) == 20 * 4  # the initial population and 3 generations, none twice
    assert fitted.evaluations_["key"].is_unique


def test_pareto_front_is_non_dominated_and_sorted_with_the_winner_first(fitted):
    front = fitted.pareto_front_
    assert len(front) >= 1
    assert list(front["score"]) == sorted(front["score"], reverse=True)
    assert list(front["complexity"]) == sorted(front["complexity"], reverse=True)
    ok = fitted.evaluations_[fitted.evaluations_["status"] == "ok"]
    for _, row in front.iterrows():
        dominating = ok[
            (ok["score"] >= row["score"])
            & (ok["complexity"] <= row["complexity"])
            & ((ok["score"] > row["score"]) | (ok["complexity"] < row["complexity"]))
        ]
        assert dominating.empty, f"{row['key']} is dominated by {dominating['key'].tolist()}"
    assert front.iloc[0]["key"] == fitted.best_tree_.key
    assert front.iloc[0]["score"] == ok["score"].max() == fitted.best_score_


def _comparable(params: dict) -> dict:
    """get_params with estimator objects replaced by their class name (objects compare by identity)."""
    out = {}
    for name, value in params.items():
        if hasattr(value, "get_params"):
            value = type(value).__name__
        elif callable(value):
            value = value.__name__
        elif isinstance(value, list):
            value = [(n, type(s).__name__ if hasattr(s, "get_params") else s) for n, s in value]
        out[name] = value
    return out


def test_exported_script_reproduces_the_score_and_the_pipeline(fitted, tmp_path):
    script = tmp_path / "best_pipeline.py"
    fitted.export(script)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    printed = float(re.search(r"CV balanced_accuracy: ([0-9.e-]+)", run.stdout).group(1))
    assert abs(printed - fitted.best_score_) <= 1e-9
    source = script.read_text()
    assert "gp_automl" not in re.sub(r'""".*?"""', "", source, flags=re.S)  # standalone: no import of ours
    spec = importlib.util.spec_from_file_location("exported", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.make_pipeline().fit(*module.load_data(module.DATA_PATH))  # fitting rewrites some params
    assert _comparable(rebuilt.get_params(deep=True)) == _comparable(fitted.fitted_pipeline_.get_params(deep=True))


def test_estimators_are_clonable_scikit_learn_estimators():
    est = GPClassifier(generations=2, population_size=4, operators="light", random_state=3)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert GPRegressor().get_params()["scoring"] is None


def test_diabetes_regression_held_out_r2(dask_client):
    X, y = load_diabetes(return_X_y=True)
    # The conventional split (seed 42), where ordinary least squares scores 0.485; on seed 0's
    # split no model we tried reaches 0.40 (least squares 0.359), so that split could not tell.
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    est = GPRegressor(
        generations=5, population_size=20, operators="light", scheduler=dask_client, random_state=0, verbosity=0
    )
    est.fit(X_train, y_train)
    assert est.score(X_test, y_test) >= 0.40


def test_same_seed_same_search_on_one_or_two_workers(breast_cancer):
    X, y = breast_cancer
    X, y = X[:300], y[:300]
    runs = []
    for workers in (1, 2):
        est = GPClassifier(
            generations=2, population_size=8, operators="light", n_workers=workers, random_state=7, verbosity=0
        )
        est.fit(X, y)
        runs.append(est.evaluations_.set_index("key")[["status", "score"]].sort_index())
    pd.testing.assert_frame_equal(runs[0], runs[1])


def test_async_mode_keeps_evolving_without_generation_barriers(breast_cancer, dask_client):
    X, y = breast_cancer
    est = GPClassifier(
        generations=3,
        population_size=8,
        operators="light",
        scheduler=dask_client,
        mode="async",
        random_state=0,
        verbosity=0,
    )
    est.fit(X[:300], y[:300])
    evaluations = est.evaluations_
    assert len(evaluations) == 8 * 4 and evaluations["key"].is_unique
    assert est.run_info_["stop_reason"] == "generations" and est.run_info_["settings"]["mode"] == "async"
    assert sorted(evaluations["generation"].unique()) == [0, 1, 2, 3]
    assert est.score(X[300:], y[300:]) > 0.85


def test_random_mode_draws_new_random_trees_instead_of_breeding(breast_cancer):
    X, y = breast_cancer
    by_mode = {}
    for mode in ("generational", "random"):
        est = GPClassifier(
            generations=2,
            population_size=6,
            operators="light",
            scheduler="in-process",
            mode=mode,
            cv=2,
            random_state=0,
            verbosity=0,
        )
        est.fit(X[:150], y[:150])
        by_mode[mode] = est.evaluations_
    evolved, drawn = by_mode["generational"], by_mode["random"]
    assert len(drawn) == 6 * 3 and drawn["key"].is_unique
    # same seed, same initial population; after that breeding (or not) makes the difference
    assert set(drawn.loc[drawn["generation"] == 0, "key"]) == set(evolved.loc[evolved["generation"] == 0, "key"])
    assert not set(drawn.loc[drawn["generation"] > 0, "key"]) & set(evolved.loc[evolved["generation"] > 0, "key"])


def test_clear_losers_are_stopped_early_and_never_reach_the_front(fitted):
    evaluations = fitted.evaluations_
    rejected = evaluations[evaluations["status"] == "rejected"]
    assert len(rejected) >= 5, "bred children far behind their parents are stopped after a fold or two"
    assert (rejected["generation"] > 0).all(), "the light catalog has no start pipelines to set bars in generation 0"
    assert all(1 <= len(json.loads(folds)) < 5 for folds in rejected["fold_scores"])
    assert rejected["error"].str.startswith("stopped after").all() and rejected["score"].isna().all()
    assert not set(rejected["key"]) & set(fitted.pareto_front_["key"])
    assert fitted.run_info_["rejected_early"] == len(rejected) and fitted.run_info_["failures"] == 0


def test_without_early_rejection_every_pipeline_gets_every_fold(breast_cancer):
    X, y = breast_cancer
    est = GPClassifier(
        generations=2,
        population_size=6,
        operators="light",
        scheduler="in-process",
        cv=3,
        early_rejection=False,
        random_state=0,
        verbosity=0,
    )
    est.fit(X[:150], y[:150])
    assert set(est.evaluations_["status"]) == {"ok"}
    assert all(len(json.loads(folds)) == 3 for folds in est.evaluations_["fold_scores"])


def test_the_default_catalogs_search_begins_with_its_start_pipelines(breast_cancer):
    from gp_automl.space import load_catalog

    X, y = breast_cancer
    est = GPClassifier(generations=0, population_size=8, cv=3, scheduler="in-process", random_state=0, verbosity=0)
    est.fit(X[:150], y[:150])
    starts = [tree.key for tree in load_catalog("default", "classification").start]
    evaluations = est.evaluations_
    assert list(evaluations["key"][: len(starts)]) == starts and len(evaluations) == 8
    assert (evaluations["status"][: len(starts)] == "ok").all()
    # the start pipelines set the bar for the random rest of generation 0: clear losers stop early
    assert set(evaluations["status"][len(starts) :]) <= {"ok", "rejected", "error"}


def test_missing_values_are_imputed_inside_the_pipeline(breast_cancer, dask_client):
    X, y = breast_cancer
    X = X[:200].copy()
    y = y[:200]
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    est = GPClassifier(
        generations=1, population_size=6, operators="light", scheduler=dask_client, random_state=0, verbosity=0
    )
    est.fit(X, y)
    assert est.evaluations_["source"].str.contains("SimpleImputer(add_indicator=True", regex=False).all()
    assert {"X", "X_mean"} == set(est.run_info_["data"]["data_leaves"])  # the search picks the imputation
    assert est.evaluations_["status"].isin(["ok", "rejected"]).all()  # no failures
    assert est.predict(X).shape == (200,)


@pytest.mark.parametrize(
    "X, y, error, fragment",
    [
        (np.ones((20, 3)), np.zeros(20), DataError, "single class"),
        (np.ones((20, 3)), np.array([0, 1] * 9 + [2, 2]), ConfigError, "fewer than cv=5 rows"),
        (np.full((20, 3), np.inf), np.array([0, 1] * 10), DataError, "infinite"),
        (pd.DataFrame({"a": ["x"] * 20}), np.array([0, 1] * 10), DataError, "no usable feature column"),
        (np.ones((20, 3)), np.full(20, np.nan), DataError, "has no values"),
        (np.ones((20, 3)), np.array([0, 1] * 9), DataError, "rows but y has"),
    ],
)
def test_bad_data_gives_one_clear_error(X, y, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)):
        GPClassifier(generations=1, population_size=4, operators="light", verbosity=0).fit(X, y)


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"generations": None, "max_time_mins": None}, "never ends"),
        ({"population_size": 1}, "population_size"),
        ({"scoring": "accuracy_typo"}, "unknown scoring"),
        ({"mode": "steady"}, "mode must be one of"),
        ({"cv": 1}, "cv must be"),
    ],
)
def test_bad_settings_give_one_clear_error(params, fragment, breast_cancer):
    X, y = breast_cancer
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        GPClassifier(**{"generations": 1, "operators": "light", "verbosity": 0, **params}).fit(X, y)


def test_operator_of_a_missing_library_is_skipped_with_a_notice(tmp_path, breast_cancer, capsys):
    catalog = tmp_path / "mine.toml"
    catalog.write_text(
        '[operators.Tree]\nimport = "sklearn.tree.DecisionTreeClassifier"\nrole = "model"\n'
        '[operators.Boost]\nimport = "surely_not_installed_lib.Booster"\nrole = "model"\n'
    )
    X, y = breast_cancer
    est = GPClassifier(
        max_time_mins=30, population_size=2, operators=str(catalog), scheduler="in-process",
        allow_modules=["surely_not_installed_lib"],
    )  # fmt: skip
    est.fit(X[:100], y[:100])  # one possible pipeline: the search must end at once, not idle for 30 minutes
    assert est.run_info_["stop_reason"] == "search_space_exhausted"
    assert "notice: skipped operators whose library is not installed: Boost" in capsys.readouterr().out
    assert est.run_info_["skipped_operators"] == ["Boost"]
    assert set(est.evaluations_["key"].str.split("(").str[0]) == {"Tree"}


def test_early_stop_ends_a_search_whose_front_stopped_improving(breast_cancer):
    X, y = breast_cancer
    est = GPClassifier(
        generations=40,
        early_stop=2,
        population_size=6,
        operators="light",
        scheduler="in-process",
        random_state=0,
        verbosity=0,
    )
    est.fit(X[:200], y[:200])
    last_generation = est.evaluations_["generation"].max()
    assert est.run_info_["stop_reason"] == "early_stop" and last_generation < 40


def test_verbosity_zero_is_silent(breast_cancer, capsys):
    X, y = breast_cancer
    GPClassifier(generations=1, population_size=4, operators="light", scheduler="in-process", verbosity=0).fit(
        X[:100], y[:100]
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_dasks_per_task_leftovers_are_tidied_on_clusters_the_search_starts(breast_cancer, dask_client, monkeypatch):
    # Dask memoizes key_split for 100,000 keys and appends each submission's metadata to its span,
    # and each evaluation is a new task: the scheduler (the driver's, for a LocalCluster) would keep
    # one entry of each per evaluation. It also starts a default span each time the cluster has gone
    # idle (each generation) and keeps them all. The executor tidies the three on clusters it starts
    # (tests/integration/test_dask_cluster.py); this cluster is the test's, so the search leaves it
    # as it is, and the tidying is run on it here by hand to show what it trims.
    from dask.utils import key_split

    import gp_automl.executor.dask as dask_executor

    def span_metadata(dask_scheduler) -> int:
        spans = dask_scheduler.extensions["spans"].spans.values()
        return max(len((span.metadata or {}).get("collections", ())) for span in spans)

    def default_spans(dask_scheduler) -> int:
        return len(dask_scheduler.extensions["spans"].spans_search_by_name[("default",)])

    monkeypatch.setattr(dask_executor, "TIDY_EVERY", 10)
    X, y = breast_cancer
    est = GPClassifier(generations=6, population_size=12, operators="light", scheduler=dask_client,
                       random_state=0, verbosity=0).fit(X[:200], y[:200])  # fmt: skip
    assert len(est.evaluations_) >= 72
    assert set(est.evaluations_.status) <= {"ok", "rejected"}
    # one metadata entry per submission: the search did not tidy a scheduler it was given
    assert dask_client.run_on_scheduler(span_metadata) > 10 + 2 * 12
    dask_client.run_on_scheduler(dask_executor._tidy_scheduler, keep_spans=2)
    assert dask_client.run_on_scheduler(span_metadata) <= 10 + 2 * 12
    assert dask_client.run_on_scheduler(default_spans) <= 2 + 1
    key_split.cache_clear()
