"""Settings that cannot suit the task or the target are refused before any work (ConfigError)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import get_scorer_names

from gp_automl.cv import check_folds, check_scoring, check_scoring_for_target, scoring_task
from gp_automl.data import prepare
from gp_automl.errors import ConfigError

THREE = np.array(["a", "b", "c"] * 4)


@pytest.mark.parametrize(
    "name, task",
    [
        ("r2", "regression"),
        ("neg_mean_absolute_error", "regression"),
        ("neg_mean_gamma_deviance", "regression"),
        ("accuracy", "classification"),
        ("roc_auc", "classification"),
        ("neg_log_loss", "classification"),
        ("neg_brier_score", "classification"),
        ("f1_weighted", "classification"),
        ("adjusted_rand_score", "classification"),
        ("positive_likelihood_ratio", "classification"),
    ],
)
def test_the_task_of_a_scorer_is_read_from_scikit_learn(name, task):
    assert scoring_task(name) == task


def test_every_scorer_name_has_a_task():
    tasks = {name: scoring_task(name) for name in get_scorer_names()}
    assert {"classification", "regression"} == set(tasks.values())


@pytest.mark.parametrize(
    "scoring, task, fragments",
    [
        ("r2", "classification", ["'r2' is a regression metric and the task is classification", "balanced_accuracy"]),
        ("neg_mean_squared_error", "classification", ["is a regression metric", "--task regression"]),
        ("accuracy", "regression", ["'accuracy' is a classification metric and the task is regression", "r2"]),
        ("roc_auc", "regression", ["is a classification metric", "neg_mean_absolute_error"]),
    ],
)
def test_a_scorer_for_the_other_task_is_refused(scoring, task, fragments):
    with pytest.raises(ConfigError) as error:
        check_scoring(scoring, task)
    assert all(fragment in str(error.value) for fragment in fragments), str(error.value)


@pytest.mark.parametrize(
    "scoring, use",
    [
        ("f1", "use f1_macro, f1_micro or f1_weighted"),
        ("precision", "use precision_macro, precision_micro or precision_weighted"),
        ("recall", "use recall_macro, recall_micro or recall_weighted"),
        ("jaccard", "use jaccard_macro, jaccard_micro or jaccard_weighted"),
        ("roc_auc", "use roc_auc_ovo, roc_auc_ovo_weighted, roc_auc_ovr or roc_auc_ovr_weighted"),
        ("positive_likelihood_ratio", "choose another scorer"),
    ],
)
def test_a_two_class_scorer_on_three_classes_names_the_variants(scoring, use):
    with pytest.raises(ConfigError) as error:
        check_scoring_for_target(scoring, "classification", THREE)
    message = str(error.value)
    assert f"scoring {scoring!r} is for two classes and the target has 3 (a, b, c); {use}" in message


@pytest.mark.parametrize(
    "scoring", ["f1_macro", "roc_auc_ovr", "balanced_accuracy", "neg_log_loss", "average_precision", "neg_brier_score"]
)
def test_scorers_that_take_three_classes_pass(scoring):
    check_scoring_for_target(scoring, "classification", THREE)


def test_a_positive_label_the_target_lacks_is_refused_with_the_fix():
    with pytest.raises(ConfigError) as error:
        check_scoring_for_target("f1", "classification", np.array(["no", "yes"] * 5))
    message = str(error.value)
    assert "scoring 'f1' cannot score this target of classes no, yes (scikit-learn: pos_label=1" in message
    assert message.endswith("use f1_macro, f1_micro or f1_weighted (they need no positive label), or label the "
                            "positive class 1 and the other 0")  # fmt: skip
    check_scoring_for_target("f1", "classification", np.array([0, 1] * 5))
    check_scoring_for_target("roc_auc", "classification", np.array(["no", "yes"] * 5))


def test_a_regression_scorer_the_target_values_do_not_allow_is_refused():
    with pytest.raises(ConfigError, match="'neg_mean_gamma_deviance' cannot score this target .*strictly positive"):
        check_scoring_for_target("neg_mean_gamma_deviance", "regression", np.linspace(-1, 1, 20))
    check_scoring_for_target("neg_mean_gamma_deviance", "regression", np.linspace(1, 2, 20))


def test_folds_need_rows_and_rows_of_every_class():
    with pytest.raises(ConfigError, match="4 rows are too few for cv=5; add rows or lower cv"):
        check_folds(np.arange(4.0), "regression", 5)
    with pytest.raises(
        ConfigError, match=r"class\(es\) c have fewer than cv=5 rows \(the smallest has 3\); .*lower cv to 3"
    ):
        check_folds(np.array(["a"] * 9 + ["b"] * 9 + ["c"] * 3), "classification", 5)
    check_folds(np.array(["a"] * 9 + ["b"] * 9 + ["c"] * 3), "classification", 3)
    with pytest.raises(ConfigError, match=r"\(the smallest has 1\); add rows or merge classes$"):
        check_folds(np.array(["a"] * 9 + ["b"] * 9 + ["c"]), "classification", 2)


def test_prepare_checks_the_folds_in_the_same_place():
    X = pd.DataFrame({"a": np.arange(21.0)})
    with pytest.raises(ConfigError, match="fewer than cv=5 rows"):
        prepare(X, ["a"] * 9 + ["b"] * 9 + ["c"] * 3, "classification", cv=5)


def test_a_continuous_target_forced_to_classification_gets_a_hint():
    X = pd.DataFrame({"a": np.arange(100.0) % 7 + 0.5})
    y = pd.Series(np.linspace(0, 1, 100) ** 2, name="price")
    with pytest.raises(ConfigError) as error:
        prepare(X, y, "classification", cv=5)
    assert "the target column 'price' holds 100 distinct numbers" in str(error.value)
    assert "--task regression" in str(error.value)
    assert len(prepare(X, (np.arange(100) % 4) / 2, "classification", cv=5).y) == 100  # 0, 0.5, 1, 1.5: classes
