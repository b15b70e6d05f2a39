"""The one dominance rule: the fast sweep agrees with the definition on random points."""

import random

from gp_automl.pareto import dominates, nondominated


def test_dominates_is_better_in_one_objective_and_no_worse_in_the_other():
    assert dominates((0.9, 2), (0.8, 2)) and dominates((0.8, 1), (0.8, 2)) and dominates((0.9, 1), (0.8, 3))
    assert not dominates((0.8, 2), (0.8, 2))  # equal points stay side by side
    assert not dominates((0.9, 3), (0.8, 2)) and not dominates((0.8, 2), (0.9, 3))


def test_the_sweep_keeps_exactly_the_points_nothing_dominates():
    rng = random.Random(0)
    for _ in range(300):
        points = [(rng.choice([0.5, 0.6, 0.7, 0.8]), rng.randint(1, 5)) for _ in range(rng.randint(0, 25))]
        expected = [p for p in points if not any(dominates(q, p) for q in points)]
        assert nondominated(points, lambda p: p) == expected
