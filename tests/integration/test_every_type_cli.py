"""Every non-media feature type at once through the CLI: ``ludwig experiment`` then ``ludwig predict``.

Inputs: text, sequence, set, bag, timeseries, date, h3 (and a number). Outputs: category, set, sequence, text and
timeseries. The run must finish, write Ludwig's results folder, and predict one row per input row with each
output's prediction columns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORDS = ["good", "bad", "fine", "poor", "great", "awful"]
TAGS = ["red", "green", "blue"]
ROWS = 120


def h3_index(resolution: int, base_cell: int, digits: list[int]) -> int:
    """A valid H3 cell index (mode 1) from its fields; digits past the resolution are 7."""
    index = (1 << 59) | (resolution << 52) | (base_cell << 45)
    for position in range(15):
        index |= (digits[position] if position < resolution else 7) << (3 * (14 - position))
    return index


def every_type_frame(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = [list(rng.choice(WORDS, size=rng.integers(2, 6))) for _ in range(rows)]
    series = rng.normal(size=(rows, 6)).round(3)
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, rows), unit="D")
    return pd.DataFrame(
        {
            "review": [" ".join(w) for w in words],
            "steps": [" ".join(rng.choice(["a", "b", "c"], size=rng.integers(1, 5))) for _ in range(rows)],
            "tags": [" ".join(t for t in TAGS if rng.random() < 0.5) for _ in range(rows)],
            "basket": [" ".join(rng.choice(TAGS, size=rng.integers(1, 4))) for _ in range(rows)],
            "history": [" ".join(map(str, row)) for row in series],
            "day": dates.strftime("%Y-%m-%d"),
            "cell": [h3_index(int(rng.integers(1, 6)), int(rng.integers(0, 122)), [1] * 15) for _ in range(rows)],
            "amount": rng.normal(size=rows),
            "mood": ["up" if w.count("good") + w.count("great") > w.count("bad") else "down" for w in words],
            "tags_out": [" ".join(t for t in TAGS if rng.random() < 0.5) for _ in range(rows)],
            "steps_out": [" ".join(reversed(w)) for w in words],
            "text_out": [" ".join(w[:2]) for w in words],
            "next_values": [" ".join(map(str, row[:3])) for row in series],
        }
    )


CONFIG = {
    "input_features": [
        {"name": "review", "type": "text", "encoder": {"type": "parallel_cnn", "embedding_size": 8, "num_filters": 8}},
        {"name": "steps", "type": "sequence", "encoder": {"type": "rnn", "embedding_size": 8, "state_size": 8}},
        {"name": "tags", "type": "set"},
        {"name": "basket", "type": "bag"},
        {"name": "history", "type": "timeseries", "encoder": {"type": "stacked_cnn", "num_filters": 8}},
        {"name": "day", "type": "date"},
        {"name": "cell", "type": "h3"},
        {"name": "amount", "type": "number"},
    ],
    "output_features": [
        {"name": "mood", "type": "category"},
        {"name": "tags_out", "type": "set"},
        {"name": "steps_out", "type": "sequence", "decoder": {"type": "generator"}},
        {"name": "text_out", "type": "text", "decoder": {"type": "generator"}},
        {"name": "next_values", "type": "timeseries"},
    ],
    "combiner": {"type": "concat", "num_fc_layers": 1, "output_size": 32},
    "trainer": {"epochs": 2, "batch_size": 16},
}

PREDICTION_COLUMNS = [
    "mood_predictions",
    "mood_probability",
    "tags_out_predictions",
    "tags_out_probabilities",
    "steps_out_predictions",
    "text_out_predictions",
    "next_values_predictions",
]


def ludwig_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run(
        [sys.executable, "-m", "ludwig", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> tuple[Path, Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("every_type")
    df = every_type_frame()
    df.to_csv(folder / "data.csv", index=False)
    with open(folder / "config.yaml", "w") as f:
        yaml.safe_dump(CONFIG, f)
    result = ludwig_cli(
        "experiment",
        "--config",
        "config.yaml",
        "--dataset",
        "data.csv",
        "--output_directory",
        "results",
        cwd=folder,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return folder, folder / "results" / "experiment_run", df


def test_experiment_writes_the_results_folder(experiment):
    _, run_dir, _ = experiment
    for name in (
        "description.json",
        "training_statistics.json",
        "test_statistics.json",
        "predictions.parquet",
        "model/model_hyperparameters.json",
        "model/training_set_metadata.json",
        "model/model_weights.safetensors",
    ):
        assert (run_dir / name).is_file(), name
    with open(run_dir / "test_statistics.json") as f:
        test_statistics = json.load(f)
    assert {"mood", "tags_out", "steps_out", "text_out", "next_values", "combined"} <= set(test_statistics)
    assert "jaccard" in test_statistics["tags_out"]
    assert "token_accuracy" in test_statistics["steps_out"]


def test_predict_gives_every_output_for_every_row(experiment):
    folder, run_dir, df = experiment
    result = ludwig_cli(
        "predict",
        "--model_path",
        str(run_dir / "model"),
        "--dataset",
        "data.csv",
        "--output_directory",
        "predictions",
        cwd=folder,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    predictions = pd.read_parquet(folder / "predictions" / "predictions.parquet")
    assert len(predictions) == len(df)
    assert set(PREDICTION_COLUMNS) <= set(predictions.columns), list(predictions.columns)
    assert set(predictions["mood_predictions"]) <= {"up", "down"}
    assert all(set(tags) <= set(TAGS) for tags in predictions["tags_out_predictions"])
    assert all(isinstance(text, str) for text in predictions["text_out_predictions"])
    assert all(len(values) == 3 for values in predictions["next_values_predictions"])
