"""``experiment`` with the shipped configs of the real datasets in ``../shared/datasets``.

Every dataset whose config uses feature types implemented today (all but image and audio) runs, and its model
is checked through the TorchScript pipeline too. Big ones are
subsampled (a seeded sample of the CSV, copied under ``tmp_path`` so the preprocessing cache is written there and
never next to the shared files), more so when they hold text, and the number of epochs is capped to keep the
suite fast.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from ludwig.api import LudwigModel

from .conftest import SHARED_DATASETS
from .torchscript_utils import assert_scripted_inputs_match, assert_scripted_outputs_match, raw_strings

SUPPORTED_TYPES = {
    "binary",
    "number",
    "category",
    "vector",
    "text",
    "sequence",
    "set",
    "bag",
    "timeseries",
    "date",
    "h3",
}
EXPECTED_SUPPORTED = {
    "titanic",
    "adult_census",
    "breast_cancer",
    "wine",
    "hpc_jobs",
    "diamonds",
    "diabetes",
    "auto_mpg",
    "bird_strikes",
    "co2",
    "italy_power_demand",
    "kershaw_at_bats",
    "movies",
    "rotten_tomatoes",
    "seattle_weather",
    "spam_assassin",
    "sunspots",
}
MAX_ROWS = 3000
MAX_TEXT_ROWS = 1500  # the default text encoder (parallel_cnn, 4 x 256 filters) is the slowest part on 2 cores
MAX_EPOCHS = 30


def load_config(folder: Path) -> dict[str, Any]:
    with open(folder / "config.yaml") as f:
        return yaml.safe_load(f)


def feature_types(config: dict[str, Any]) -> set[str]:
    return {f["type"] for f in config.get("input_features", []) + config.get("output_features", [])}


def supported_datasets() -> list[str]:
    if not SHARED_DATASETS.is_dir():
        return []
    names = []
    for folder in sorted(SHARED_DATASETS.iterdir()):
        config_path = folder / "config.yaml"
        if config_path.is_file() and feature_types(load_config(folder)) <= SUPPORTED_TYPES:
            names.append(folder.name)
    return names


def dataset_csv(folder: Path) -> Path:
    """The data file of a dataset folder: ``<folder name>.csv``, or the CSV holding every column of the config."""
    named = folder / f"{folder.name}.csv"
    if named.is_file():
        return named
    config = load_config(folder)
    wanted = {f.get("column", f["name"]) for f in config["input_features"] + config["output_features"]}
    csvs = [path for path in sorted(folder.glob("*.csv")) if wanted <= set(pd.read_csv(path, nrows=0).columns)]
    assert len(csvs) == 1, f"cannot tell which CSV of {folder} is the dataset: {csvs}"
    return csvs[0]


def copy_dataset(folder: Path, destination: Path, max_rows: int | None = MAX_ROWS) -> Path:
    """Copy the dataset CSV under ``destination``, keeping a seeded sample of ``max_rows`` rows when larger."""
    source = dataset_csv(folder)
    target = destination / source.name
    df = pd.read_csv(source)
    if max_rows is not None and len(df) > max_rows:
        df.sample(n=max_rows, random_state=0).sort_index().to_csv(target, index=False)
    else:
        shutil.copyfile(source, target)
    return target


def run_experiment(config: dict[str, Any], dataset: Path, output_directory: Path) -> tuple[dict, str]:
    eval_stats, _, _, run_dir = LudwigModel(config).experiment(
        dataset=str(dataset), output_directory=str(output_directory)
    )
    return eval_stats, run_dir


def test_the_supported_datasets_are_found(shared_datasets):
    found = set(supported_datasets())
    assert EXPECTED_SUPPORTED <= found, f"missing {sorted(EXPECTED_SUPPORTED - found)}"
    for name in found:
        assert feature_types(load_config(shared_datasets / name)) <= SUPPORTED_TYPES


@pytest.mark.parametrize("name", supported_datasets() or ["(none)"])
def test_experiment_with_shipped_config(tmp_path, shared_datasets, name):
    if name == "(none)":
        pytest.skip("no shared dataset uses only supported feature types")
    folder = shared_datasets / name
    config = load_config(folder)
    config.setdefault("trainer", {})
    config["trainer"]["epochs"] = min(config["trainer"].get("epochs", MAX_EPOCHS), MAX_EPOCHS)
    dataset = copy_dataset(folder, tmp_path, MAX_TEXT_ROWS if "text" in feature_types(config) else MAX_ROWS)
    num_rows = len(pd.read_csv(dataset))

    model = LudwigModel(config)
    eval_stats, train_stats, _, run_dir = model.experiment(
        dataset=str(dataset), output_directory=str(tmp_path / "results")
    )

    target = config["output_features"][0]
    stats = eval_stats[target["name"]]
    assert math.isfinite(stats["loss"])
    losses = train_stats.training[target["name"]]["loss"]
    assert losses[-1] < losses[0], f"training loss did not decrease: {losses}"
    if target["type"] in ("binary", "category"):
        assert 0.0 <= stats["accuracy"] <= 1.0
        with open(os.path.join(run_dir, "test_statistics.json")) as f:
            test_statistics = json.load(f)
        assert "confusion_matrix" in test_statistics[target["name"]]
    if target["type"] == "number":
        assert math.isfinite(stats["r2"])
    predictions = pd.read_parquet(os.path.join(run_dir, "predictions.parquet"))
    expected_test_rows = round(0.2 * num_rows)
    assert abs(len(predictions) - expected_test_rows) <= 1
    # The preprocessing cache went next to the copy, never into the shared folder.
    assert (tmp_path / f"{dataset.stem}.meta.json").is_file()
    # The scripted pipeline preprocesses raw CSV values and predicts as model.predict does.
    rows = pd.read_csv(dataset).head(40)
    module = model.to_torchscript()
    assert_scripted_inputs_match(module, model, rows)
    raw = raw_strings(rows, [f.column for f in model.config_obj.input_features])
    assert_scripted_outputs_match(module(raw), model.predict(rows)[0], model)
    print(f"\n{name}: {num_rows} rows, test {target['name']}: " + ", ".join(_scalar_metrics(stats)))


def _scalar_metrics(stats: dict[str, Any]) -> list[str]:
    return [f"{k}={v:.4f}" for k, v in stats.items() if isinstance(v, int | float) and not isinstance(v, bool)]


def test_titanic_shipped_config_accuracy(tmp_path, shared_datasets, record_property):
    folder = shared_datasets / "titanic"
    config = load_config(folder)
    assert config["trainer"]["epochs"] == 10
    dataset = copy_dataset(folder, tmp_path, max_rows=None)
    eval_stats, _ = run_experiment(config, dataset, tmp_path / "results")
    accuracy = eval_stats["Survived"]["accuracy"]
    roc_auc = eval_stats["Survived"]["roc_auc"]
    print(f"\ntitanic (shipped config, 10 epochs): test accuracy={accuracy:.4f} roc_auc={roc_auc:.4f}")
    record_property("titanic_test_accuracy", accuracy)
    record_property("titanic_test_roc_auc", roc_auc)
    assert accuracy >= 0.76


def test_diabetes_regression_beats_the_mean(tmp_path, shared_datasets, record_property):
    folder = shared_datasets / "diabetes"
    config = load_config(folder)
    dataset = copy_dataset(folder, tmp_path, max_rows=None)
    eval_stats, run_dir = run_experiment(config, dataset, tmp_path / "results")
    r2 = eval_stats["progression"]["r2"]
    print(f"\ndiabetes (shipped config, {config['trainer']['epochs']} epochs): test r2={r2:.4f}")
    record_property("diabetes_test_r2", r2)
    assert r2 > 0.2
    # Predictions are de-normalised: in the range of the target, not z-scores.
    predictions = pd.read_parquet(os.path.join(run_dir, "predictions.parquet"))["progression_predictions"]
    target = pd.read_csv(dataset)["progression"]
    assert abs(predictions.mean() - target.mean()) < 0.5 * target.std()


def test_breast_cancer_accuracy(tmp_path, shared_datasets, record_property):
    folder = shared_datasets / "breast_cancer"
    config = load_config(folder)
    dataset = copy_dataset(folder, tmp_path, max_rows=None)
    eval_stats, _ = run_experiment(config, dataset, tmp_path / "results")
    accuracy = eval_stats["malignant"]["accuracy"]
    print(f"\nbreast_cancer (shipped config): test accuracy={accuracy:.4f}")
    record_property("breast_cancer_test_accuracy", accuracy)
    assert accuracy > 0.9
    assert np.isfinite(eval_stats["malignant"]["roc_auc"])


def test_rotten_tomatoes_text_classification_beats_the_majority_class(tmp_path, shared_datasets, record_property):
    """The shipped text config on all 12,808 snippets: the default parallel_cnn encoder, 3 epochs."""
    folder = shared_datasets / "rotten_tomatoes"
    config = load_config(folder)
    dataset = copy_dataset(folder, tmp_path, max_rows=None)
    eval_stats, run_dir = run_experiment(config, dataset, tmp_path / "results")
    accuracy = eval_stats["sentiment"]["accuracy"]
    with open(os.path.join(run_dir, "test_statistics.json")) as f:
        confusion = np.asarray(json.load(f)["sentiment"]["confusion_matrix"])
    # The majority-class baseline on the same test rows: the largest row of the confusion matrix (true labels).
    majority = float(confusion.sum(axis=1).max() / confusion.sum())
    print(f"\nrotten_tomatoes (shipped config): test accuracy={accuracy:.4f}, majority-class baseline={majority:.4f}")
    record_property("rotten_tomatoes_test_accuracy", accuracy)
    record_property("rotten_tomatoes_majority_baseline", majority)
    assert accuracy > majority + 0.1
