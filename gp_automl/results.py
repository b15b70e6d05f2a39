"""What a search leaves behind: tables of evaluations and of the front, and the exported script."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gp_automl.archive import Archive
from gp_automl.build import Call, Fronts, plan_pipeline
from gp_automl.codegen import ScriptInfo, render_expression, render_script
from gp_automl.space import Catalog
from gp_automl.tree import PipelineTree
from gp_automl.version import __version__

EVALUATION_COLUMNS = [
    "key",
    "status",
    "score",
    "score_std",
    "fold_scores",
    "complexity",
    "seconds",
    "generation",
    "error",
    "source",
    "parents",
    "variation",
]
FRONT_COLUMNS = ["key", "score", "score_std", "complexity", "source"]


@dataclass(frozen=True)
class PipelineContext:
    """What turns a tree into a concrete pipeline: the catalog, the seed, the data leaves' fronts."""

    catalog: Catalog
    random_state: int | None
    fronts: Fronts = field(default_factory=dict)

    def plan(self, tree: PipelineTree) -> Call:
        return plan_pipeline(tree, self.catalog, self.random_state, self.fronts)

    def source(self, tree: PipelineTree) -> str:
        try:
            return render_expression(self.plan(tree))
        except Exception as exc:  # noqa: BLE001 - e.g. an operator whose class fails to import
            return f"<cannot render: {exc}>"


def evaluations_frame(archive: Archive, pipelines: PipelineContext) -> pd.DataFrame:
    rows = []
    for entry in archive.entries():
        result = entry.result
        rows.append(
            {
                "key": result.key,
                "status": result.status,
                "score": result.score,
                "score_std": float(np.std(result.fold_scores)) if result.fold_scores else float("nan"),
                "fold_scores": json.dumps(list(result.fold_scores)),
                "complexity": result.complexity,
                "seconds": round(result.seconds, 4),
                "generation": entry.generation,
                "error": result.error,
                "source": pipelines.source(entry.tree),
                "parents": json.dumps(list(entry.lineage.parents)),
                "variation": entry.lineage.variation,
            }
        )
    return pd.DataFrame(rows, columns=EVALUATION_COLUMNS)


def front_frame(archive: Archive, pipelines: PipelineContext) -> pd.DataFrame:
    rows = [
        {
            "key": e.result.key,
            "score": e.result.score,
            "score_std": float(np.std(e.result.fold_scores)),
            "complexity": e.result.complexity,
            "source": pipelines.source(e.tree),
        }
        for e in archive.front()
    ]
    return pd.DataFrame(rows, columns=FRONT_COLUMNS)


def export_script(tree: PipelineTree, pipelines: PipelineContext, info: ScriptInfo) -> str:
    return render_script(pipelines.plan(tree), info)


def script_info(run_info: dict, key: str, score: float, data_path: str | None, target: str | None) -> ScriptInfo:
    """What an exported script says about its run, taken from run.json's contents."""
    settings = run_info["settings"]
    return ScriptInfo(
        key=key,
        task=run_info["task"],
        scoring=settings["scoring"],
        cv_splits=settings["cv"],
        random_state=run_info["seed"],
        score=score,
        data_path=None if data_path is None else str(Path(data_path).resolve()),
        target=target,
        version=__version__,
        read=dict(run_info["data"].get("read") or {"format": "csv", "sep": ","}),
    )
