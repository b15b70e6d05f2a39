"""The rungs of multi-fidelity evaluation, their promotion rule and their subsampled folds."""

import numpy as np

from gp_automl.cv import make_folds
from gp_automl.fidelity import MIN_RUNG_ROWS, SWITCH_ROWS, Rungs, fraction_text, plan_rungs, subsampled_folds


def test_auto_screens_from_the_switch_point_on_and_full_never():
    assert not plan_rungs("auto", SWITCH_ROWS - 1, 5)
    assert plan_rungs("auto", SWITCH_ROWS, 5).fractions == (1 / 9, 1 / 3)
    assert not plan_rungs("full", 10 * SWITCH_ROWS, 5)
    assert [fraction_text(f) for f in plan_rungs("halving", 900, 5).fractions] == ["1/9", "1/3"]


def test_a_rung_too_small_to_learn_from_is_left_out():
    # 300 rows, 5 folds: 240 training rows; 1/9 of them (27) is below the minimum, 1/3 (80) is not
    assert plan_rungs("halving", 300, 5).fractions == (1 / 3,)
    assert not plan_rungs("halving", int(MIN_RUNG_ROWS * 3 * 5 / 4) - 5, 5)


def test_promotion_keeps_the_best_third_rounded_up_ties_broken_by_key():
    rungs = Rungs((1 / 9, 1 / 3))
    scores = [("e", 0.5), ("b", 0.9), ("a", 0.9), ("d", 0.7), ("c", 0.8), ("f", 0.1), ("g", 0.2)]
    assert rungs.promote(scores) == ["a", "b", "c"]  # ceil(7 / 3) = 3
    assert rungs.promote(reversed(scores)) == ["a", "b", "c"]  # arrival order does not matter
    assert rungs.promote([("x", 0.3)]) == ["x"] and rungs.promote([]) == []


def test_subsampled_folds_are_stratified_nested_seeded_and_test_whole():
    rng = np.random.default_rng(0)
    y = np.array([0] * 600 + [1] * 240 + [2] * 60)
    rng.shuffle(y)
    X = np.zeros((len(y), 1))
    folds = make_folds("classification", 5, 0, X, y)
    low, mid = subsampled_folds(folds, y, (1 / 9, 1 / 3), seed=7, stratify=True)
    again = subsampled_folds(folds, y, (1 / 9, 1 / 3), seed=7, stratify=True)
    other = subsampled_folds(folds, y, (1 / 9, 1 / 3), seed=8, stratify=True)
    for (train, test), (small, small_test), (medium, medium_test) in zip(folds, low, mid, strict=True):
        assert small_test is test and medium_test is test
        assert set(small) <= set(medium) <= set(train)  # nested
        assert abs(len(small) - len(train) / 9) <= 3 and abs(len(medium) - len(train) / 3) <= 3
        for label in (0, 1, 2):  # each class keeps its share, at least one row
            share = np.mean(y[small] == label)
            assert abs(share - np.mean(y[train] == label)) < 0.02 and (y[small] == label).any()
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(low, again[0], strict=True))
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(low, other[0], strict=True))


def test_regression_folds_are_subsampled_without_strata():
    y = np.linspace(0, 1, 450)
    folds = make_folds("regression", 3, 0, np.zeros((450, 1)), y)
    (low,) = subsampled_folds(folds, y, (1 / 3,), seed=0, stratify=False)
    assert [len(train) for train, _ in low] == [100, 100, 100]
