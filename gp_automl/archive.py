"""Every evaluated pipeline by key (the memo cache), and the Pareto front over them."""

from __future__ import annotations

from dataclasses import dataclass, field

from gp_automl.result import EvalResult
from gp_automl.tree import PipelineTree


@dataclass(frozen=True)
class Entry:
    tree: PipelineTree
    result: EvalResult
    generation: int


@dataclass
class Archive:
    entries: dict[str, Entry] = field(default_factory=dict)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, tree: PipelineTree, result: EvalResult, generation: int) -> None:
        self.entries[tree.key] = Entry(tree, result, generation)

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)

    @property
    def failures(self) -> int:
        return sum(1 for e in self.entries.values() if not e.result.ok)

    def front(self) -> list[Entry]:
        """Non-dominated successful entries (score up, complexity down), best score first.

        Going up in complexity, a complexity level joins the front with its top-scoring entries
        only when they beat everything simpler; entries equal in both objectives all stay.
        """
        by_complexity: dict[int, list[Entry]] = {}
        for entry in self.entries.values():
            if entry.result.ok:
                by_complexity.setdefault(entry.result.complexity, []).append(entry)
        front: list[Entry] = []
        best_simpler = float("-inf")
        for complexity in sorted(by_complexity):
            level = by_complexity[complexity]
            top = max(e.result.score for e in level)
            if top > best_simpler:
                front += [e for e in level if e.result.score == top]
                best_simpler = top
        return sorted(front, key=lambda e: (-e.result.score, e.result.complexity, e.tree.key))

    def best(self) -> Entry | None:
        front = self.front()
        return front[0] if front else None
