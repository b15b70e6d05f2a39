"""Write the small CSV datasets that ship with the repository, from scikit-learn's bundled sets.

Run from the repository root: ``python benchmarks/data/make_data.py``. Deterministic; no downloads.
"""

from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_diabetes

HERE = Path(__file__).parent


def main() -> None:
    cancer = load_breast_cancer(as_frame=True).frame
    cancer.columns = [c.replace(" ", "_") for c in cancer.columns]
    cancer.to_csv(HERE / "breast_cancer.csv", index=False)
    diabetes = load_diabetes(as_frame=True, scaled=False).frame
    diabetes.to_csv(HERE / "diabetes.csv", index=False)


if __name__ == "__main__":
    main()
