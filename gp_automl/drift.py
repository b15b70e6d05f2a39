"""Does new data still look like the training data? Column by column, against ``fingerprint.json``.

For each training column: the population stability index (PSI) over the training quantile bins
(numeric, dates) or categories (with one bin for values training never saw), a two-sample
Kolmogorov-Smirnov test against the training sample (numeric, dates) or a chi-square test of the
category counts, and the change in the missing rate. A column drifts when its test rejects at
``ALPHA`` (Bonferroni-corrected over the columns tested) and its PSI is at least ``PSI_DRIFT``
(both: a large table makes any tiny shift significant, a small one makes PSI noisy), when its
missing rate moves by ``MISSING_DRIFT`` or more, or when a column the model uses is absent.
New columns are listed; they change nothing for the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gp_automl.columns import CATEGORICAL, DATETIME, NUMERIC
from gp_automl.columns import _as_text as category_text
from gp_automl.fingerprint import as_numbers, bin_shares

DRIFT_EXIT = 9  # the exit code of `gp-automl drift` when some column drifted
ALPHA = 0.01
PSI_DRIFT = 0.1
MISSING_DRIFT = 0.1
_FLOOR = 1e-4  # a share of 0 in PSI's logarithm counts as this


def compare(frame: pd.DataFrame, fingerprint: dict[str, Any], used: list[str]) -> dict[str, Any]:
    """The drift report of ``frame`` (new raw rows) against ``fingerprint``; ``used``: the model's columns."""
    trained = fingerprint["columns"]
    tested = [n for n in trained if n in frame.columns and trained[n]["kind"] in (NUMERIC, DATETIME, CATEGORICAL)]
    alpha = ALPHA / max(len(tested), 1)
    columns = []
    for name, entry in trained.items():
        if name not in frame.columns:
            if name in used:
                columns.append({"column": name, "kind": entry["kind"], "drift": True, "reasons": ["missing"]})
            continue
        columns.append(_column(name, frame[name], entry, alpha))
    drifted = [c["column"] for c in columns if c["drift"]]
    return {
        "rows": int(len(frame)),
        "rows_trained_on": fingerprint["rows"],
        "drift": bool(drifted),
        "drifted": drifted,
        "missing_columns": [n for n in trained if n not in frame.columns],
        "new_columns": [str(n) for n in frame.columns if n not in trained],
        "thresholds": {"alpha": ALPHA, "alpha_per_column": alpha, "psi": PSI_DRIFT, "missing_rate": MISSING_DRIFT},
        "columns": columns,
    }


def _column(name: str, column: pd.Series, entry: dict[str, Any], alpha: float) -> dict[str, Any]:
    kind = entry["kind"]
    missing = float(column.isna().mean()) if len(column) else 0.0
    result: dict[str, Any] = {
        "column": name,
        "kind": kind,
        "missing_train": entry["missing_rate"],
        "missing_new": round(missing, 6),
    }
    reasons = []
    if abs(missing - entry["missing_rate"]) >= MISSING_DRIFT:
        reasons.append("missing rate")
    if kind in (NUMERIC, DATETIME) and entry.get("count"):
        result.update(_numeric(column, entry, kind))
    elif kind == CATEGORICAL and entry.get("count"):
        result.update(_categorical(column, entry))
    p_value, psi = result.get("p_value"), result.get("psi")
    if p_value is not None and p_value < alpha and psi >= PSI_DRIFT:
        reasons.append("distribution")
    result.update(drift=bool(reasons), reasons=reasons)
    return result


def _numeric(column: pd.Series, entry: dict[str, Any], kind: str) -> dict[str, Any]:
    numbers = as_numbers(column, kind, entry.get("decimal", "."))
    not_numbers = int((np.isnan(numbers) & column.notna().to_numpy()).sum())
    values = numbers[np.isfinite(numbers)]
    result: dict[str, Any] = {"test": "ks", "not_numbers": not_numbers} if not_numbers else {"test": "ks"}
    if len(values) == 0:
        return result
    expected = np.asarray(entry["bin_shares"])
    observed = bin_shares(values, entry["bins"])
    test = stats.ks_2samp(np.asarray(entry["sample"]), values)
    result.update(
        psi=round(_psi(expected, observed), 6),
        statistic=round(float(test.statistic), 6),
        p_value=float(test.pvalue),
        median_train=entry["quantiles"]["0.5"],
        median_new=float(np.median(values)),
    )
    return result


def _categorical(column: pd.Series, entry: dict[str, Any]) -> dict[str, Any]:
    texts = column.dropna().map(category_text)
    result: dict[str, Any] = {"test": "chi2"}
    if texts.empty:
        return result
    frequencies = entry["frequencies"]
    counts = texts.value_counts()
    unseen = [str(v) for v in counts.index if v not in frequencies]
    expected = np.array([*frequencies.values(), entry["other_share"]])
    # the last bin: values beyond the listed ones (unseen, or training's rarest beyond MAX_CATEGORIES)
    outside = int(counts[[v for v in counts.index if v not in frequencies]].sum())
    observed = np.array([counts.get(v, 0) for v in frequencies] + [outside]) / len(texts)
    table = np.vstack([expected * entry["count"], observed * len(texts)])
    table = table[:, table.sum(axis=0) > 0]
    p_value = float(stats.chi2_contingency(table).pvalue) if table.shape[1] > 1 else 1.0
    result.update(psi=round(_psi(expected, observed), 6), p_value=p_value)
    if unseen and not entry["other_share"]:
        result["unseen"] = unseen[:20]
        result["unseen_share"] = round(outside / len(texts), 6)
    return result


def _psi(expected: np.ndarray, observed: np.ndarray) -> float:
    e, o = np.maximum(expected, _FLOOR), np.maximum(observed, _FLOOR)
    return float(np.sum((o - e) * np.log(o / e)))


def table(report: dict[str, Any]) -> list[str]:
    """The report as lines for the terminal: one per column, drifted columns first."""
    rows = sorted(report["columns"], key=lambda c: (not c["drift"], -(c.get("psi") or 0)))
    width = max([len("column"), *(len(c["column"]) for c in rows)])
    lines = [
        f"{'column':<{width}}  {'kind':<11}  {'PSI':>7}  test  {'p-value':>8}  {'missing train -> new':>20}  drift"
    ]
    for c in rows:
        psi = f"{c['psi']:.3f}" if c.get("psi") is not None else "-"
        p_value = f"{c['p_value']:.1e}" if c.get("p_value") is not None else "-"
        if "missing_train" in c:
            missing = f"{c['missing_train']:.1%} -> {c['missing_new']:.1%}"
        else:
            missing = "column absent"
        verdict = f"DRIFT ({', '.join(c['reasons'])})" if c["drift"] else "-"
        if c.get("unseen"):
            verdict += f"  unseen: {', '.join(c['unseen'][:5])} ({c['unseen_share']:.1%} of rows)"
        lines.append(
            f"{c['column']:<{width}}  {c['kind']:<11}  {psi:>7}  {c.get('test', '-'):<4}  {p_value:>8}  "
            f"{missing:>20}  {verdict}"
        )
    if report["new_columns"]:
        lines.append(f"new column(s), not in training: {', '.join(report['new_columns'][:20])}")
    absent = [n for n in report["missing_columns"] if n not in report["drifted"]]
    if absent:
        lines.append(f"absent column(s) the model does not use: {', '.join(absent[:20])}")
    if report["drift"]:
        lines.append(f"drift in {len(report['drifted'])} of {len(report['columns'])} column(s): "
                     f"{', '.join(report['drifted'][:20])}")  # fmt: skip
    else:
        lines.append(f"no drift in {len(report['columns'])} column(s) ({report['rows']} new rows against "
                     f"{report['rows_trained_on']} in training)")  # fmt: skip
    return lines
