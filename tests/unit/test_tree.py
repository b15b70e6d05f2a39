import pytest

from gp_automl.tree import PipelineTree, format_value, parse

X = PipelineTree("X")


def test_key_is_canonical_and_parses_back():
    tree = PipelineTree.node(
        "LogisticRegression",
        {"C": 0.5, "class_weight": None},
        PipelineTree.node("Combine", {}, PipelineTree.node("PCA", {"n_components": 0.9}, X), X),
    )
    assert tree.key == "LogisticRegression(Combine(PCA(X, n_components=0.9), X), C=0.5, class_weight=None)"
    assert parse(tree.key) == tree
    assert tree.complexity == 2
    assert tree.depth == 4


def test_parameter_order_does_not_change_the_key():
    a = PipelineTree.node("SVC", {"C": 1.0, "kernel": "rbf"}, X)
    b = PipelineTree.node("SVC", {"kernel": "rbf", "C": 1.0}, X)
    assert a == b and a.key == b.key


def test_values_of_different_types_give_different_keys():
    assert PipelineTree.node("M", {"p": 1}, X).key != PipelineTree.node("M", {"p": 1.0}, X).key
    assert PipelineTree.node("M", {"p": True}, X).key != PipelineTree.node("M", {"p": 1}, X).key


def test_strings_with_quotes_stay_strings():
    tree = PipelineTree.node("M", {"p": "a'); import os; ('"}, X)
    assert parse(tree.key) == tree


@pytest.mark.parametrize("bad", ["__import__('os')(X)", "M(X, p=f(1))", "M(X, **kw)", "1 + 2", "M(X"])
def test_parse_refuses_anything_but_names_calls_and_literals(bad):
    with pytest.raises(ValueError):
        parse(bad)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), [1, 2]])
def test_format_value_refuses_non_literals(value):
    with pytest.raises((TypeError, ValueError)):
        format_value(value)


def test_to_dict_round_trip():
    tree = PipelineTree.node("M", {"a": 1, "b": "x"}, PipelineTree.node("S", {}, X))
    assert PipelineTree.from_dict(tree.to_dict()) == tree
