"""Write the messy example tables: a raw customer-churn CSV as users really hand them over.

Run from the repository root: ``python benchmarks/data/make_messy.py``. Deterministic (fixed seed),
no downloads. Writes:

- ``messy.csv`` (400 rows): an ID column, numbers with gaps, categories (strings with gaps, a rare
  tail, booleans, small integer codes), a date column, free-text notes, a constant column, and a
  string target ``churned`` ("yes"/"no") missing on a few rows.
- ``messy_new.csv`` (25 rows, no target): new customers for ``gp-automl predict``, with categories
  never seen in training ("enterprise" plan, "Atlantis" region) and an extra column.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 5
PLANS = ["basic", "standard", "premium"]
REGIONS = ["north", "south", "east", "west", "centre", "islands", "coast", "mountains", "lakes", "valley"]
WORDS = "asked about invoice price upgrade app crash slow support friendly refund contract moving happy".split()


def customers(rng: np.random.Generator, n: int, first_id: int, unseen: bool = False) -> pd.DataFrame:
    plans = list(PLANS) + (["enterprise"] if unseen else [])
    regions = list(REGIONS) + (["Atlantis"] if unseen else [])
    region_weights = np.array([30, 25, 20, 15, 10, 4, 3, 2, 1, 1] + ([3] if unseen else []), dtype=float)
    signup = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{first_id + i:05d}" for i in range(n)],
            "signup_date": signup.strftime("%Y-%m-%d"),
            "age": rng.integers(18, 80, n).astype(float),
            "monthly_fee": np.round(rng.gamma(4.0, 8.0, n), 2),
            "plan": rng.choice(plans, n),
            "region": rng.choice(regions, n, p=region_weights / region_weights.sum()),
            "paperless": rng.random(n) < 0.6,
            "support_calls": rng.poisson(2.0, n).clip(0, 7),
            "notes": [" ".join(rng.choice(WORDS, rng.integers(3, 8))) for _ in range(n)],
            "country": "NL",
        }
    )
    tenure_years = (pd.Timestamp("2024-01-01") - signup).days.to_numpy() / 365.0
    logit = (
        0.55 * frame["support_calls"]
        - 0.6 * tenure_years
        + 0.02 * (frame["monthly_fee"] - 32)
        - 1.2 * (frame["plan"] == "premium")
        + 0.8 * frame["region"].isin(["islands", "coast"])
        - 0.5 * frame["paperless"]
        + rng.normal(0, 0.7, n)
    )
    frame["churned"] = np.where(logit > np.median(logit), "yes", "no")
    for column, share in [("age", 0.08), ("monthly_fee", 0.05), ("plan", 0.04), ("signup_date", 0.03)]:
        frame.loc[rng.random(n) < share, column] = np.nan
    frame["paperless"] = frame["paperless"].astype(object)
    frame.loc[rng.random(n) < 0.05, "paperless"] = np.nan
    return frame


def main() -> None:
    rng = np.random.default_rng(SEED)
    train = customers(rng, 400, first_id=1)
    train.loc[rng.random(len(train)) < 0.02, "churned"] = np.nan
    train.to_csv(HERE / "messy.csv", index=False)
    new = customers(rng, 25, first_id=9001, unseen=True).drop(columns=["churned"])
    new["campaign"] = "spring"  # not in the training data: predict ignores it, with a notice
    new.to_csv(HERE / "messy_new.csv", index=False)


if __name__ == "__main__":
    main()
