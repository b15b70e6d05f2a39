"""GPClassifier and GPRegressor as scikit-learn estimators: scikit-learn's own estimator checks on
tiny in-process searches, and the parts of the contract users lean on (score, pickle, clone,
fitted attributes, clear errors for input a search cannot take)."""

from __future__ import annotations

import pickle
import re

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.utils.estimator_checks import estimator_checks_generator, parametrize_with_checks

from gp_automl import GPClassifier, GPRegressor
from gp_automl.errors import ConfigError, DataError

# One generation of four pipelines from the light catalog, evaluated in this process: a fit the
# checks can repeat dozens of times.
TINY = dict(
    scheduler="in-process", generations=1, population_size=4, operators="light", verbosity=0, cv=2, max_time_mins=None
)
ESTIMATORS = [GPClassifier(**TINY), GPRegressor(**TINY)]


def expected_failed_checks(estimator) -> dict[str, str]:
    """Checks that do not apply to a search, and why. Everything else must pass."""
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "a search splits rows into cross-validation folds: a row repeated twice may fall in two folds, "
            "a row of weight 2 in one, so the folds, the scores and the winner differ (as for any estimator "
            "that cross-validates inside fit)"
        ),
    }


# Checks that fail (or pass) before any search runs, kept in the fast tier; the full set is slow.
FAST_CHECKS = {
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_estimators_unfitted",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_complex_data",
    "check_estimators_empty_data_messages",
    "check_estimator_sparse_tag",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_fit2d_1sample",
    "check_requires_y_none",
    "check_classifiers_regression_target",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_all_zero_sample_weights_error",
}


def _name(check) -> str:
    return getattr(check, "func", check).__name__


@pytest.mark.parametrize(
    "estimator, check",
    [
        pytest.param(estimator, check, id=f"{type(estimator).__name__}-{_name(check)}")
        for original in ESTIMATORS
        for estimator, check in estimator_checks_generator(
            original, legacy=True, expected_failed_checks=expected_failed_checks(original), mark="xfail"
        )
        if _name(check) in FAST_CHECKS
    ],
)
def test_scikit_learn_checks_without_a_search(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(ESTIMATORS, legacy=True, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _imbalanced():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = (X[:, 0] + rng.normal(scale=1.5, size=240) > 1.6).astype(int)  # about one row in seven is 1
    return X, y


def test_score_is_the_searchs_scorer_not_accuracy():
    X, y = _imbalanced()
    est = GPClassifier(**TINY, random_state=1).fit(X[:160], y[:160])
    predicted = est.predict(X[160:])
    balanced, accuracy = balanced_accuracy_score(y[160:], predicted), accuracy_score(y[160:], predicted)
    assert abs(balanced - accuracy) > 0.02, "the data must tell the two scores apart"
    assert est.score(X[160:], y[160:]) == pytest.approx(balanced)
    f1 = GPClassifier(**{**TINY, "scoring": "f1"}, random_state=1).fit(X[:160], y[:160])
    from sklearn.metrics import f1_score

    assert f1.score(X[160:], y[160:]) == pytest.approx(f1_score(y[160:], f1.predict(X[160:])))


def test_a_fitted_estimator_pickles_dumps_and_clones(tmp_path, breast_cancer):
    X, y = breast_cancer
    est = GPClassifier(**TINY, random_state=0).fit(X[:200], y[:200])
    expected = est.predict_proba(X[200:])
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X[200:]), expected)
    joblib.dump(est, tmp_path / "est.joblib")
    loaded = joblib.load(tmp_path / "est.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X[200:]), expected)
    assert loaded.score(X[200:], y[200:]) == est.score(X[200:], y[200:])
    copy = clone(est)
    assert copy.get_params() == est.get_params() and not hasattr(copy, "fitted_pipeline_")
    np.testing.assert_array_equal(copy.fit(X[:200], y[:200]).predict(X[200:]), est.predict(X[200:]))


def test_fitted_attributes_follow_scikit_learn(breast_cancer):
    X, y = breast_cancer
    frame = pd.DataFrame(X[:, :5], columns=[f"f{i}" for i in range(5)])
    est = GPClassifier(**TINY).fit(frame[:200], y[:200])
    assert est.n_features_in_ == 5 and list(est.feature_names_in_) == list(frame.columns)
    assert est.feature_names_in_.dtype == object
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert not hasattr(GPClassifier(**TINY).fit(X[:200, :5], y[:200]), "feature_names_in_")  # no names, none made up
    with pytest.raises(DataError, match="X has 3 features, but GPClassifier is expecting 5 features as input"):
        est.predict(X[:5, :3])
    with pytest.raises(DataError, match="Reshape your data"):
        est.predict(X[0, :5])
    reg = GPRegressor(**TINY).fit(frame[:200], X[:200, 7])
    assert reg.n_features_in_ == 5 and not hasattr(reg, "classes_")


def test_probabilities_and_decision_values_only_when_the_winner_has_them(tmp_path, breast_cancer):
    catalog = tmp_path / "ridge.toml"
    catalog.write_text('[operators.Ridge]\nimport = "sklearn.linear_model.RidgeClassifier"\nrole = "model"\n')
    X, y = breast_cancer
    unfitted = GPClassifier(**{**TINY, "operators": str(catalog)})
    assert hasattr(unfitted, "predict_proba")  # offered before fit, where it raises NotFittedError
    est = unfitted.fit(X[:150], y[:150])
    assert not hasattr(est, "predict_proba") and hasattr(est, "decision_function")
    assert est.decision_function(X[150:160]).shape == (10,)
    logistic = GPClassifier(**TINY).fit(X[:150], y[:150])
    assert hasattr(logistic, "predict_proba") == hasattr(logistic.fitted_pipeline_, "predict_proba")


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function", "score"])
def test_not_fitted_error_before_fit(method):
    X = np.zeros((3, 2))
    call = getattr(GPClassifier(**TINY), method)
    with pytest.raises(NotFittedError):
        call(X, np.zeros(3)) if method == "score" else call(X)


def _rows(n=40, columns=3):
    return np.random.default_rng(0).normal(size=(n, columns))


@pytest.mark.parametrize(
    "estimator, X, y, error, message",
    [
        (GPClassifier, sparse.csr_matrix(_rows()), np.arange(40) % 2, DataError, "sparse input is not supported"),
        (GPRegressor, _rows() + 1j, _rows()[:, 0], DataError, "Complex data not supported"),
        (GPRegressor, _rows(), _rows()[:, 0] + 1j, DataError, "Complex data not supported"),
        (GPRegressor, np.where(_rows() > 1.5, np.inf, _rows()), _rows()[:, 0], DataError, "infinite values"),
        (GPRegressor, _rows(), _rows()[:, :2], DataError, "y must be one column"),
        (GPRegressor, _rows(1), [1.0], ConfigError, "1 sample"),
        (GPClassifier, _rows(), _rows()[:, 0], ConfigError, "continuous"),
        (GPClassifier, _rows(), None, DataError, "requires y to be passed"),
        (GPClassifier, _rows()[:, :0], np.arange(40) % 2, DataError, re.escape("0 feature(s)")),
    ],
    ids=["sparse", "complex X", "complex y", "inf", "2-D y", "1 sample", "continuous target", "no y", "no columns"],
)
def test_input_a_search_cannot_take_is_refused_clearly(estimator, X, y, error, message):
    with pytest.raises(error, match=message):
        estimator(**TINY).fit(X, y)


def test_a_column_vector_target_is_used_with_scikit_learns_warning():
    X = _rows()
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
        est = GPRegressor(**TINY).fit(X, X[:, :1] * 2)
    assert est.predict(X).shape == (40,)


def test_gaps_are_imputed_not_refused():
    X = _rows()
    X[::7, 1] = np.nan
    assert GPRegressor(**TINY).fit(X, np.nan_to_num(X[:, 1]) + X[:, 0]).predict(X).shape == (40,)
