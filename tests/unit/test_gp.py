"""Property tests of the DEAP layer: random variation only ever yields valid, buildable pipelines."""

import random
import warnings

import numpy as np
import pandas as pd
import pytest

from gp_automl.build import build_pipeline
from gp_automl.columns import infer_columns
from gp_automl.front import data_leaves, front_variants
from gp_automl.gp import Evolution, Scored
from gp_automl.gp.convert import to_individual, to_tree
from gp_automl.gp.rng import drawing_from
from gp_automl.space import load_catalog
from gp_automl.tree import COMBINE, parse

STEPS = 600


def assert_valid(tree, catalog, evolution):
    assert catalog[tree.op].is_model, f"root must be a model: {tree.key}"
    assert tree.complexity <= evolution.max_complexity
    assert to_individual(tree, evolution.primitives).height <= evolution.max_depth
    for node in tree.walk():
        if node.is_data:
            assert not node.children
            continue
        if node.op == COMBINE:
            assert len(node.children) == 2 and not node.params
            continue
        spec = catalog[node.op]
        assert len(node.children) == 1
        assert dict(node.params).keys() == dict(spec.params).keys(), node.op
        for name, value in node.params:
            assert spec.domain(name).contains(value), (node.op, name, value)
        if node is not tree and spec.is_model:
            assert spec.stack, f"{node.op} is not allowed as a stacking step"
    assert parse(tree.key) == tree
    assert to_tree(to_individual(tree, evolution.primitives)) == tree


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_random_variation_yields_valid_trees_that_fit(task, tiny_classification):
    X, y = tiny_classification
    if task == "regression":
        y = X[:, 0] * 2.0 + y
    catalog = load_catalog("light", task)
    rng = random.Random(42)
    evolution = Evolution(catalog, rng=rng)
    pool = evolution.random_trees(20, set())
    fitted: dict[str, object] = {}
    for step in range(STEPS):
        with drawing_from(rng):
            if rng.random() < 0.3:
                first, second = rng.sample(pool, 2)
                child = evolution.variation.crossover(
                    to_individual(first, evolution.primitives), to_individual(second, evolution.primitives)
                )
            else:
                child = evolution.variation.mutate(to_individual(rng.choice(pool), evolution.primitives))
        tree = to_tree(child)
        assert_valid(tree, catalog, evolution)
        pool[step % len(pool)] = tree
        if tree.key not in fitted:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted[tree.key] = build_pipeline(tree, catalog, random_state=0).fit(X, y).predict(X[:5])
    assert len(fitted) > 200, "variation should explore, not repeat itself"


def test_default_catalog_trees_are_valid_and_fit(tiny_classification):
    X, y = tiny_classification
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalog = load_catalog("default", "classification")
    rng = random.Random(7)
    evolution = Evolution(catalog, rng=rng)
    population = [Scored(t, rng.random()) for t in evolution.random_trees(20, set())]
    trees = [s.tree for s in population] + evolution.offspring(population, 40, set())
    for tree in trees:
        assert_valid(tree, catalog, evolution)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_pipeline(tree, catalog, random_state=0).fit(X, y)


def test_keys_are_equal_exactly_when_trees_are_equal():
    catalog = load_catalog("light", "classification")
    rng = random.Random(3)
    evolution = Evolution(catalog, rng=rng)
    trees = [evolution.random_tree() for _ in range(300)]
    with drawing_from(rng):
        trees += [to_tree(evolution.variation.mutate(to_individual(t, evolution.primitives))) for t in trees]
    by_key = {}
    for tree in trees:
        by_key.setdefault(tree.key, tree)
        assert by_key[tree.key] == tree
    assert len(set(trees)) == len(by_key)


def test_offspring_are_unseen_and_survivors_are_nsga2_ranked():
    catalog = load_catalog("light", "classification")
    evolution = Evolution(catalog, rng=random.Random(5))
    seen: set[str] = set()
    parents = evolution.random_trees(12, seen)
    assert len(seen) == 12
    children = evolution.offspring([Scored(t, 0.5) for t in parents], 12, seen)
    assert len(children) == 12 and not {c.key for c in children} & {p.key for p in parents}
    # a dominating candidate (best score, smallest size) must survive any truncation
    scored = [Scored(t, 0.5) for t in parents + children]
    simplest = min(parents + children, key=lambda t: t.complexity)
    scored.append(Scored(simplest, 0.99))
    scored = [s for s in scored if not (s.tree == simplest and s.score == 0.5)]
    survivors = evolution.survivors(scored, 5)
    assert len(survivors) == 5 and Scored(simplest, 0.99) in survivors


def test_same_seed_same_search_moves():
    catalog = load_catalog("light", "classification")

    def run():
        evolution = Evolution(catalog, rng=random.Random(11))
        parents = [Scored(t, i / 10) for i, t in enumerate(evolution.random_trees(8, set()))]
        random.seed()  # the global generator must not matter
        return [t.key for t in evolution.offspring(parents, 8, set())]

    assert run() == run()


def test_front_variants_are_genes_that_variation_moves_between(rng):
    """With several data leaves, random trees, mutation and crossover use them all, deterministically,
    and every tree builds (with the messy table's fronts) into a pipeline that fits the raw table."""
    frame = pd.DataFrame({"num": rng.normal(size=40), "cat": rng.choice(["a", "b", "c"], 40), "label": [0, 1] * 20})
    frame.loc[::5, "num"] = np.nan
    X, y = frame.drop(columns=["label"]), frame["label"]
    typing = infer_columns(X)
    leaves = data_leaves(typing)
    assert leaves == ("X", "X_mean", "X_ordinal", "X_ordinal_mean")
    catalog = load_catalog("light", "classification")

    def run():
        evolution = Evolution(catalog, rng=random.Random(4), data_leaves=leaves)
        parents = [Scored(t, i / 20) for i, t in enumerate(evolution.random_trees(20, set()))]
        return evolution, parents + [Scored(t, 0.5) for t in evolution.offspring(parents, 60, set())]

    evolution, scored = run()
    assert [s.tree.key for s in scored] == [s.tree.key for s in run()[1]]
    used = set().union(*(s.tree.data_leaves() for s in scored))
    assert used == set(leaves)
    for tree in [s.tree for s in scored][:15]:
        assert_valid(tree, catalog, evolution)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_pipeline(tree, catalog, 0, front_variants(typing)).fit(X, y).predict(X.head(3))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_initial_population_begins_with_the_catalogs_start_pipelines(task):
    catalog = load_catalog("default", task)
    evolution = Evolution(catalog, rng=random.Random(0))
    seen = {catalog.start[1].key}  # e.g. evaluated before a resume: not drawn again
    trees = evolution.initial_trees(10, seen)
    expected = [catalog.start[0], *catalog.start[2:]]
    assert trees[: len(expected)] == expected and len({t.key for t in trees}) == 10
    for tree in trees:
        assert_valid(tree, catalog, evolution)
    assert not {t.key for t in evolution.initial_trees(2, seen)} & {t.key for t in catalog.start}  # all seen now


def test_trees_drawn_one_at_a_time_are_the_trees_drawn_at_once():
    catalog = load_catalog("default", "classification")
    at_once = Evolution(catalog, rng=random.Random(7)).initial_trees(300, set())
    lazy = Evolution(catalog, rng=random.Random(7))
    seen = set()
    one_by_one = lazy.start_trees(300, seen) + list(lazy.iter_random_trees(300 - len(catalog.start), seen))
    assert [t.key for t in one_by_one] == [t.key for t in at_once]


def test_drawing_stops_when_asked_without_drawing_the_rest():
    evolution = Evolution(load_catalog("light", "classification"), rng=random.Random(1))
    drawn = []
    trees = evolution.iter_random_trees(10_000, set(), stop=lambda: len(drawn) >= 5)
    for tree in trees:
        drawn.append(tree)
    assert len(drawn) == 5
    # nothing else was drawn: the generator is where the uninterrupted draw would be after 5 trees
    again = Evolution(load_catalog("light", "classification"), rng=random.Random(1)).random_trees(6, set())
    assert [t.key for t in drawn] == [t.key for t in again[:5]]
