"""Write a table whose label is decided by free text: product reviews and a few numeric noise columns.

Run from the repository root: ``python benchmarks/data/make_reviews.py [OUT.csv]`` (default
``reviews.csv`` next to this file, not shipped). Deterministic (fixed seed), no downloads. Each
review mixes neutral words with a few words that lean positive or negative; the label ``liked``
("yes"/"no") follows the balance of those words, with 10% of labels flipped. The numeric columns
carry no signal, so a search that drops the text cannot beat chance by much.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 11
ROWS = 600
NEUTRAL = "the a it this product box arrived after days colour size order item came with was and i".split()
POSITIVE = "great love excellent perfect sturdy recommend comfortable fast beautiful works".split()
NEGATIVE = "broken poor refund cheap flimsy returned disappointed late useless wrong".split()


def reviews(rng: np.random.Generator, n: int) -> pd.DataFrame:
    liked = rng.random(n) < 0.5
    texts = []
    for positive in liked:
        lean, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
        words = list(rng.choice(NEUTRAL, rng.integers(5, 10)))
        words += list(rng.choice(lean, rng.integers(1, 3))) + list(rng.choice(other, rng.integers(0, 2)))
        texts.append(" ".join(rng.permutation(words)))
    flipped = liked ^ (rng.random(n) < 0.1)
    return pd.DataFrame(
        {
            "review": texts,
            "price": np.round(rng.gamma(3.0, 15.0, n), 2),
            "stars_shown": rng.integers(1, 6, n).astype(float),
            "weight_kg": np.round(rng.normal(2.0, 0.5, n), 3),
            "liked": np.where(flipped, "yes", "no"),
        }
    )


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "reviews.csv"
    reviews(np.random.default_rng(SEED), ROWS).to_csv(out, index=False)


if __name__ == "__main__":
    main()
