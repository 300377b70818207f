"""Fixtures of the integration tests: small synthetic datasets with learnable targets, and the shared datasets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"

CATEGORIES = ["a", "b", "c", "d"]
VECTOR_SIZE = 3
OUTPUT_VECTOR_SIZE = 2


def _vector_strings(values: np.ndarray) -> list[str]:
    return [" ".join(f"{v:.5f}" for v in row) for row in values]


def make_synthetic_frame(num_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """A frame with one input column of each type and one learnable target of each type.

    Inputs: ``num_in`` (number), ``cat_in`` (category), ``bin_in`` (binary), ``vec_in`` (vector of 3).
    Every target depends on every input, so a model using any single input type can learn something:

    * ``num_out`` (number), ``bin_out`` (binary), ``cat_out`` (category: lo/mid/hi), ``vec_out`` (vector of 2).
    """
    rng = np.random.default_rng(seed)
    num_in = rng.normal(size=num_rows)
    cat_in = rng.choice(CATEGORIES, size=num_rows)
    bin_in = rng.random(num_rows) < 0.5
    vec_in = rng.normal(size=(num_rows, VECTOR_SIZE))
    cat_effect = pd.Series(cat_in).map({"a": -1.5, "b": -0.5, "c": 0.5, "d": 1.5}).to_numpy()
    signal = num_in + cat_effect + 1.5 * (bin_in - 0.5) + vec_in[:, 0] - vec_in[:, 1]
    noise = rng.normal(scale=0.1, size=num_rows)
    score = signal + noise
    low, high = np.quantile(score, [1 / 3, 2 / 3])
    return pd.DataFrame(
        {
            "num_in": num_in,
            "cat_in": cat_in,
            "bin_in": bin_in,
            "vec_in": _vector_strings(vec_in),
            "num_out": 3.0 * score + 10.0,
            "bin_out": score > np.median(score),
            "cat_out": np.where(score < low, "lo", np.where(score < high, "mid", "hi")),
            "vec_out": _vector_strings(np.stack([signal, num_in - vec_in[:, 2]], axis=1)),
        }
    )


@pytest.fixture
def synthetic_frame() -> Callable[..., pd.DataFrame]:
    """Factory: ``synthetic_frame(num_rows=300, seed=0)`` -> a fresh DataFrame (see ``make_synthetic_frame``)."""
    return make_synthetic_frame


@pytest.fixture
def synthetic_df() -> pd.DataFrame:
    """300 rows of the synthetic data."""
    return make_synthetic_frame()


@pytest.fixture
def synthetic_csv(tmp_path: Path, synthetic_df: pd.DataFrame) -> Path:
    """The 300-row synthetic data written as ``data/synthetic.csv`` under ``tmp_path`` (the cache goes there)."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "synthetic.csv"
    synthetic_df.to_csv(path, index=False)
    return path


@pytest.fixture
def shared_datasets() -> Path:
    """``../shared/datasets`` next to the repository; the test is skipped when it is absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATASETS}")
    return SHARED_DATASETS
