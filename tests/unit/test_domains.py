import random

from gp_automl.space.domains import Choice, FloatRange, IntRange


def test_samples_stay_inside_their_domains():
    rng = random.Random(0)
    domains = [
        Choice(("a", 1, None, True)),
        IntRange(1, 10),
        IntRange(10, 1000, log=True),
        FloatRange(1e-4, 1e4, log=True),
        FloatRange(0.1, 0.9),
    ]
    for domain in domains:
        for _ in range(500):
            assert domain.contains(domain.sample(rng)), domain


def test_log_range_covers_its_decades():
    rng = random.Random(1)
    values = [FloatRange(1e-4, 1e4, log=True).sample(rng) for _ in range(2000)]
    assert min(values) < 1e-3 and max(values) > 1e3
    assert sum(v < 1 for v in values) > 600  # about half below 1, as on a log scale


def test_contains_is_type_strict():
    assert not IntRange(1, 10).contains(2.0)
    assert not Choice((1, 2)).contains(True)
    assert not FloatRange(0.0, 1.0).contains(1)
