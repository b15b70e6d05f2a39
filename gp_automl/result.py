"""EvalResult: what one fitness evaluation produced, success or not."""

from __future__ import annotations

from dataclasses import asdict, dataclass

OK, ERROR, TIMEOUT, REJECTED = "ok", "error", "timeout", "rejected"
MEMORY = "memory"  # past its memory allowance (max_eval_memory), or killed by the out-of-memory killer
FAILED = (ERROR, TIMEOUT, MEMORY)


@dataclass(frozen=True)
class EvalResult:
    key: str
    status: str  # ok | error | timeout | memory | rejected (stopped early as hopeless: see rejection.py)
    fold_scores: tuple[float, ...] = ()
    score: float = float("nan")  # mean over folds
    complexity: int = 0
    seconds: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    def to_dict(self) -> dict:
        row = asdict(self)
        row["fold_scores"] = list(self.fold_scores)
        return row
