"""The core commands as a user runs them: ``ludwig <command>`` in a subprocess on a CSV and a YAML config.

train -> predict -> evaluate on the same model; experiment (also k-fold); preprocess; the collect_* commands;
and the shipped Titanic config through ``ludwig experiment``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import make_synthetic_frame

CONFIG = {
    "input_features": [
        {"name": "num_in", "type": "number"},
        {"name": "cat_in", "type": "category"},
        {"name": "bin_in", "type": "binary"},
        {"name": "vec_in", "type": "vector"},
    ],
    "output_features": [{"name": "bin_out", "type": "binary"}, {"name": "num_out", "type": "number"}],
    "combiner": {"type": "concat", "num_fc_layers": 1, "output_size": 16},
    "trainer": {"epochs": 3, "batch_size": 32},
}


def ludwig(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``ludwig`` in a fresh interpreter; it must succeed."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-m", "ludwig", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"ludwig {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    make_synthetic_frame(240).to_csv(folder / "data.csv", index=False)
    with open(folder / "config.yaml", "w") as f:
        yaml.safe_dump(CONFIG, f)
    return folder


@pytest.fixture(scope="module")
def trained(workspace) -> Path:
    """``ludwig train``; returns the run folder."""
    ludwig("train", "-c", "config.yaml", "--dataset", "data.csv", "-od", "results", "-rs", "7", cwd=workspace)
    return workspace / "results" / "experiment_run"


def test_train_writes_the_results_folder(trained):
    for name in ("description.json", "training_statistics.json", "model/model_hyperparameters.json"):
        assert (trained / name).is_file(), name
    assert (trained / "model" / "model_weights.safetensors").is_file()
    description = json.loads((trained / "description.json").read_text())
    assert description["random_seed"] == 7


def test_predict_gives_one_row_per_input_row(workspace, trained):
    ludwig("predict", "--dataset", "data.csv", "-m", str(trained / "model"), "-od", "predicted", cwd=workspace)
    predictions = pd.read_parquet(workspace / "predicted" / "predictions.parquet")
    assert len(predictions) == 240
    assert {"bin_out_predictions", "bin_out_probability", "num_out_predictions"} <= set(predictions.columns)
    assert (workspace / "predicted" / "bin_out_predictions.csv").is_file()


def test_evaluate_writes_test_statistics(workspace, trained):
    ludwig("evaluate", "--dataset", "data.csv", "-m", str(trained / "model"), "-od", "evaluated", cwd=workspace)
    stats = json.loads((workspace / "evaluated" / "test_statistics.json").read_text())
    assert {"bin_out", "num_out", "combined"} <= set(stats)
    assert 0.0 <= stats["bin_out"]["accuracy"] <= 1.0
    assert "confusion_matrix" in stats["bin_out"]


def test_collect_commands(workspace, trained):
    model = str(trained / "model")
    summary = ludwig("collect_summary", "-m", model, cwd=workspace).stdout
    weight_name = next(
        line.split()[0] for line in summary.splitlines() if line.strip().endswith("weight") or ".weight" in line
    )
    ludwig("collect_weights", "-m", model, "-t", weight_name, "-od", "weights", cwd=workspace)
    assert list((workspace / "weights").rglob("*.npy")), "collect_weights wrote no .npy file"


def test_experiment_and_k_fold(workspace):
    ludwig("experiment", "-c", "config.yaml", "--dataset", "data.csv", "-od", "exp", cwd=workspace)
    run = workspace / "exp" / "experiment_run"
    assert (run / "test_statistics.json").is_file() and (run / "predictions.parquet").is_file()
    ludwig("experiment", "-c", "config.yaml", "--dataset", "data.csv", "-kf", "3", "-od", "folds", cwd=workspace)
    kfold = json.loads(next((workspace / "folds").rglob("kfold_training_statistics.json")).read_text())
    assert len([key for key in kfold if key.startswith("fold_")]) == 3


def test_preprocess_writes_the_cache(workspace, tmp_path):
    shutil.copy(workspace / "data.csv", tmp_path / "data.csv")
    with open(tmp_path / "preprocessing.yaml", "w") as f:
        yaml.safe_dump(CONFIG, f)
    ludwig("preprocess", "-pc", "preprocessing.yaml", "--dataset", "data.csv", cwd=tmp_path)
    assert (tmp_path / "data.meta.json").is_file()
    assert (tmp_path / "data.training.hdf5").is_file()


def test_titanic_shipped_config_through_the_cli(shared_datasets, tmp_path):
    folder = shared_datasets / "titanic"
    shutil.copy(folder / "titanic.csv", tmp_path / "titanic.csv")
    result = ludwig("experiment", "--config", str(folder / "config.yaml"), "--dataset", "titanic.csv", cwd=tmp_path)
    assert "TRAINING REPORT" in result.stdout + result.stderr
    stats = json.loads((tmp_path / "results" / "experiment_run" / "test_statistics.json").read_text())
    print(f"\ntitanic through the CLI: test accuracy={stats['Survived']['accuracy']:.4f}")
    assert stats["Survived"]["accuracy"] >= 0.76
