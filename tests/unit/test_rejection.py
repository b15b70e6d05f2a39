"""Early rejection: the bar a new pipeline must keep up with, and evaluations stopped by it."""

import pytest

from gp_automl.archive import Archive
from gp_automl.cv import make_folds
from gp_automl.data import prepare
from gp_automl.evaluate import EvalContext, evaluate
from gp_automl.rejection import MIN_SD, Bar, Bars, Z
from gp_automl.result import OK, REJECTED, EvalResult
from gp_automl.space import load_catalog
from gp_automl.tree import PipelineTree, parse

MEMBER = Bar("member", (0.90, 0.92, 0.88, 0.90, 0.90))  # fold SD 0.014
MARGIN = Z * MEMBER.sd  # after one fold


def test_a_clear_loser_is_stopped_after_its_first_fold_and_an_equal_never():
    assert MEMBER.rejects([0.90 - 1.5 * MARGIN])
    assert not MEMBER.rejects([0.90 - 0.5 * MARGIN])  # inside the margin
    assert not MEMBER.rejects([0.90, 0.92, 0.88, 0.90])


def test_the_margin_shrinks_as_folds_accumulate():
    behind = [score - 0.7 * MARGIN for score in MEMBER.fold_scores[:4]]  # the same gap on every fold
    assert not MEMBER.rejects(behind[:1])
    assert MEMBER.rejects(behind)  # after four folds the margin is half of the first


def test_no_pipeline_is_rejected_once_every_fold_is_done():
    assert not MEMBER.rejects([0.1] * 5)
    assert not MEMBER.rejects([])


def test_a_member_with_equal_folds_still_leaves_room_for_noise():
    steady = Bar("steady", (1.0, 1.0, 1.0))
    assert steady.sd == MIN_SD
    assert not steady.rejects([1.0 - 0.5 * Z * MIN_SD]) and steady.rejects([1.0 - 2 * Z * MIN_SD])


def test_the_bar_is_the_best_member_no_more_complex():
    bars = Bars(
        [
            ("a", 2, 0.80, (0.8, 0.8)),
            ("b", 3, 0.85, (0.85, 0.85)),
            ("c", 5, 0.84, (0.84, 0.84)),  # beaten by the simpler b: never a bar
            ("d", 6, 0.90, (0.9, 0.9)),
            ("e", 4, 0.99, (0.99,)),  # a single fold says nothing about its spread
        ]
    )
    assert bars.for_complexity(1) is None
    assert [bars.for_complexity(c).key for c in (2, 3, 4, 5, 6, 9)] == ["a", "b", "b", "b", "d", "d"]
    assert not Bars() and Bars().for_complexity(9) is None


@pytest.fixture(scope="module")
def context(breast_cancer):
    X, y = breast_cancer
    dataset = prepare(X[:200], y[:200], "classification", cv=3)
    folds = make_folds("classification", 3, 0, dataset.X, dataset.y)
    return EvalContext(dataset.X, dataset.y, folds, "balanced_accuracy", load_catalog("light", "classification"), 0)


NAIVE_BAYES = parse("GaussianNB(X, var_smoothing=1e-09)")


def test_evaluation_stops_at_the_first_fold_that_falls_clearly_behind(context):
    result = evaluate(NAIVE_BAYES, context, Bar("perfect", (1.0, 1.0, 1.0)))
    assert result.status == REJECTED and not result.ok and not result.failed
    assert len(result.fold_scores) == 1 and "stopped after 1 of 3 folds" in result.error


def test_a_pipeline_that_keeps_up_gets_exactly_its_unbarred_score(context):
    whole = evaluate(NAIVE_BAYES, context)
    barred = evaluate(NAIVE_BAYES, context, Bar("weak", (0.5, 0.5, 0.5)))
    assert whole.status == barred.status == OK
    assert barred.fold_scores == whole.fold_scores and barred.score == whole.score


def test_rejected_pipelines_are_counted_apart_and_never_join_the_front():
    archive = Archive()
    tree = PipelineTree.node("A", {}, PipelineTree("X"))
    archive.add(tree, EvalResult(tree.key, REJECTED, (0.99,), complexity=1, error="stopped"), generation=1)
    assert archive.rejected == 1 and archive.failures == 0 and len(archive) == 1
    assert archive.best() is None
    archive.close()
