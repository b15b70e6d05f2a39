"""Hyperparameter domains: what values a parameter may take and how to draw one.

Domains are tiny immutable values; drawing takes the random generator explicitly so the caller
decides where randomness comes from (DEAP needs the global ``random`` module).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

Value = int | float | str | bool | None

# Sampled floats are rounded to this many significant digits: exported code stays readable,
# and the memo cache can recognise a pipeline met twice.
SIGNIFICANT_DIGITS = 4


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class Choice:
    """One of a fixed list of values (``None`` allowed)."""

    values: tuple[Value, ...]

    def sample(self, rng: random.Random) -> Value:
        return rng.choice(self.values)

    def contains(self, value: Value) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)


@dataclass(frozen=True)
class IntRange:
    """An integer in [low, high], uniform or log-uniform."""

    low: int
    high: int
    log: bool = False

    def sample(self, rng: random.Random) -> int:
        if not self.log:
            return rng.randint(self.low, self.high)
        drawn = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
        return min(self.high, max(self.low, int(drawn)))

    def contains(self, value: Value) -> bool:
        return type(value) is int and self.low <= value <= self.high


@dataclass(frozen=True)
class FloatRange:
    """A float in [low, high], uniform or log-uniform, rounded to a few significant digits."""

    low: float
    high: float
    log: bool = False

    def sample(self, rng: random.Random) -> float:
        if self.log:
            drawn = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            drawn = rng.uniform(self.low, self.high)
        return min(self.high, max(self.low, round_significant(drawn)))

    def contains(self, value: Value) -> bool:
        return type(value) is float and self.low <= value <= self.high


Domain = Choice | IntRange | FloatRange
