"""Every evaluated pipeline (the memo cache) and the Pareto front over them, in flat memory.

The evaluations themselves live in the evaluation log on disk (a temporary one when the run has no
directory); in memory stay only counters and the front, which has at most a few entries per
complexity level. So an overnight run's driver does not grow with the number of evaluations.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from gp_automl.journal import EVALUATION_LOG, Entry, EvaluationLog
from gp_automl.lineage import NO_LINEAGE, Lineage
from gp_automl.pareto import Point, dominates
from gp_automl.result import MEMORY, REJECTED, TIMEOUT, EvalResult
from gp_automl.tree import PipelineTree

__all__ = ["Archive", "Entry", "KeysBefore"]


class Archive:
    def __init__(self, log: EvaluationLog | None = None):
        self._scratch = None if log is not None else tempfile.TemporaryDirectory(prefix="gp_automl-")
        self.log = log if log is not None else EvaluationLog(Path(self._scratch.name) / EVALUATION_LOG)
        self._count = self.failures = self.timeouts = self.out_of_memory = self.rejected = 0
        self.variations: Counter[str] = Counter()  # evaluations per variation that made them (lineage)
        self._front: dict[str, Entry] = {}
        self._generation = -1  # the latest generation an entry was added for
        self._front_before = frozenset()  # the front's signature before that generation's first entry

    def __contains__(self, key: str) -> bool:
        return self.log.generation_of(key) is not None

    def __len__(self) -> int:
        return self._count

    def add(self, tree: PipelineTree, result: EvalResult, generation: int, lineage: Lineage = NO_LINEAGE) -> Entry:
        """Log a new evaluation and count it."""
        entry = Entry(tree, result, generation, lineage)
        self.log.append(entry)
        self.count(entry)
        return entry

    def restore(self) -> None:
        """Count everything already in the log (resuming a run)."""
        for entry in self.log.entries():
            self.count(entry)

    def count(self, entry: Entry) -> None:
        """Update counters and front for an entry that is in the log. Entries come in generation order."""
        if entry.generation > self._generation:
            self._front_before, self._generation = self.front_signature(), entry.generation
        self._count += 1
        self.variations[entry.lineage.variation] += 1
        if not entry.result.ok:
            self.failures += entry.result.failed
            self.timeouts += entry.result.status == TIMEOUT
            self.out_of_memory += entry.result.status == MEMORY
            self.rejected += entry.result.status == REJECTED
            return
        point = _objectives(entry)
        if any(dominates(_objectives(other), point) for other in self._front.values()):
            return  # dominated: it can never join the front again
        self._front = {key: other for key, other in self._front.items() if not dominates(point, _objectives(other))}
        self._front[entry.tree.key] = entry

    def result(self, key: str) -> EvalResult | None:
        return self.log.result(key)

    def entries(self, first: int = 0) -> Iterator[Entry]:
        return self.log.entries(first)

    def keys_before(self, generation: int) -> KeysBefore:
        return KeysBefore(self.log, generation)

    def front(self) -> list[Entry]:
        """Non-dominated successful entries (score up, complexity down), best score first;
        entries equal in both objectives all stay."""
        return sorted(self._front.values(), key=lambda e: (-e.result.score, e.result.complexity, e.tree.key))

    def best(self) -> Entry | None:
        front = self.front()
        return front[0] if front else None

    def front_signature(self) -> frozenset:
        """The front's distinct points: another pipeline equal to one on the front improves nothing."""
        return frozenset((e.result.score, e.result.complexity) for e in self._front.values())

    def improved_in(self, generation: int) -> bool:
        """Did entries of ``generation`` change the front?"""
        return self._generation == generation and self.front_signature() != self._front_before

    def close(self) -> None:
        self.log.close()
        if self._scratch is not None:
            self._scratch.cleanup()


def _objectives(entry: Entry) -> Point:
    return entry.result.score, entry.result.complexity


class KeysBefore:
    """Keys logged before ``generation`` plus keys drawn since: what breeding must not repeat.

    Rows logged after a checkpoint (generation ``generation`` itself, from a killed session) are
    left out, so a resumed run breeds exactly the children the uninterrupted run bred.
    """

    def __init__(self, log: EvaluationLog, generation: int):
        self._log = log
        self._generation = generation
        self._drawn: set[str] = set()

    def __contains__(self, key: str) -> bool:
        if key in self._drawn:
            return True
        logged = self._log.generation_of(key)
        return logged is not None and logged < self._generation

    def add(self, key: str) -> None:
        self._drawn.add(key)

    @property
    def drawn(self) -> int:
        return len(self._drawn)
