"""The search's two objectives and the one dominance rule that the archive, the plots and the
report share: cross-validated score up, complexity down."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

Point = tuple[float, int]  # (score, complexity)
T = TypeVar("T")


def dominates(a: Point, b: Point) -> bool:
    """``a`` is at least as good as ``b`` in both objectives and better in one."""
    return a[0] >= b[0] and a[1] <= b[1] and a != b


def nondominated(items: Iterable[T], point: Callable[[T], Point]) -> list[T]:
    """The items no other item ``dominates``, in their order; items equal in both objectives all stay.

    One sweep up the complexity levels instead of all pairs, for tables of many thousand rows: an
    item survives when it has its level's top score and beats every simpler level's."""
    items = list(items)
    points = [point(item) for item in items]
    keep, best_simpler, level, level_top = [], float("-inf"), None, float("-inf")
    for index in sorted(range(len(items)), key=lambda i: (points[i][1], -points[i][0])):
        score, complexity = points[index]
        if complexity != level:
            best_simpler, level, level_top = max(best_simpler, level_top), complexity, score
        if score == level_top and score > best_simpler:
            keep.append(index)
    return [items[i] for i in sorted(keep)]
