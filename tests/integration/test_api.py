"""Whole runs through the Python API (``LudwigModel``, ``kfold_cross_validate``) on small synthetic data.

Every test trains a real model for a few epochs on a few hundred rows; nothing of ours is mocked.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from ludwig.api import LudwigModel, kfold_cross_validate
from ludwig.callbacks import Callback

from .conftest import CATEGORIES, OUTPUT_VECTOR_SIZE, make_synthetic_frame

INPUT_FEATURES = {
    "number": {"name": "num_in", "type": "number"},
    "category": {"name": "cat_in", "type": "category"},
    "binary": {"name": "bin_in", "type": "binary"},
    "vector": {"name": "vec_in", "type": "vector"},
}
OUTPUT_FEATURES = {
    "number": {"name": "num_out", "type": "number", "preprocessing": {"normalization": "zscore"}},
    "binary": {"name": "bin_out", "type": "binary"},
    "category": {"name": "cat_out", "type": "category"},
    "vector": {"name": "vec_out", "type": "vector"},
}
ALL_TYPES = ["binary", "number", "category", "vector"]


def make_config(
    inputs: tuple[str, ...] = tuple(ALL_TYPES),
    outputs: tuple[str, ...] = ("binary",),
    **trainer: Any,
) -> dict[str, Any]:
    """A config over the synthetic columns; ``trainer`` keys override the small, fast defaults below.

    The combiner is ``concat`` (these tests are about the API, and its learning rate of 0.01 suits it);
    ``test_default_model_is_ft_transformer`` covers the default combiner.
    """
    return {
        "input_features": [copy.deepcopy(INPUT_FEATURES[t]) for t in inputs],
        "output_features": [copy.deepcopy(OUTPUT_FEATURES[t]) for t in outputs],
        "combiner": {"type": "concat"},
        "trainer": {"epochs": 3, "batch_size": 32, "learning_rate": 0.01, **trainer},
    }


def fixed_sets(df: pd.DataFrame, train_rows: int = 256) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and validation frames with an exact number of training rows (so steps per epoch are known)."""
    return df.iloc[:train_rows].reset_index(drop=True), df.iloc[train_rows:].reset_index(drop=True)


def read_json(path: str | Path) -> Any:
    with open(path) as f:
        return json.load(f)


def progress(run_dir: str) -> dict[str, Any]:
    return read_json(os.path.join(run_dir, "model", "training_progress.json"))


def state(model: LudwigModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.model.state_dict().items()}


def num_evaluations(train_stats) -> int:
    return len(train_stats.validation["combined"]["loss"])


class HookRecorder(Callback):
    """Records the name of every hook called, and the learning rate and the weights when asked."""

    def __init__(self):
        self.calls: list[str] = []
        self.learning_rates: list[float] = []
        self.initial_state: dict[str, torch.Tensor] | None = None

    def on_train_start(self, model, config, config_fp):
        self.calls.append("on_train_start")
        self.initial_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def on_train_end(self, output_directory):
        self.calls.append("on_train_end")

    def on_epoch_start(self, trainer, progress_tracker, save_path):
        self.calls.append("on_epoch_start")

    def on_epoch_end(self, trainer, progress_tracker, save_path):
        self.calls.append("on_epoch_end")

    def on_eval_start(self, trainer, progress_tracker, save_path):
        self.calls.append("on_eval_start")

    def on_eval_end(self, trainer, progress_tracker, save_path):
        self.calls.append("on_eval_end")

    def on_batch_start(self, trainer, progress_tracker, save_path):
        self.learning_rates.append(trainer.optimizer.param_groups[0]["lr"])

    def on_preprocess_start(self, config):
        self.calls.append("on_preprocess_start")

    def on_preprocess_end(self, training_set, validation_set, test_set, training_set_metadata):
        self.calls.append("on_preprocess_end")


class LogCapture(logging.Handler):
    """Collects the records of the ``ludwig`` logger (which does not propagate to the root logger).

    The level is the one given to ``LudwigModel(logging_level=...)``; it is reset to ERROR on exit.
    """

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def __enter__(self):
        logging.getLogger("ludwig").addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger("ludwig").removeHandler(self)
        LudwigModel.set_logging_level(logging.ERROR)

    def messages(self, level: int = logging.DEBUG) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


# -------------------------------------------------------------------------------------------------------------
# Feature types


# Half the share of the target's variance each input explains alone (see make_synthetic_frame).
INPUT_R2 = {"binary": 0.05, "number": 0.1, "category": 0.12, "vector": 0.2}


@pytest.mark.parametrize("input_type", ALL_TYPES)
def test_each_input_type_trains_predicts_and_evaluates(tmp_path, synthetic_df, input_type):
    config = make_config(inputs=(input_type,), outputs=("number",), epochs=8, learning_rate=0.03, early_stop=-1)
    model = LudwigModel(config)
    train_stats, preprocessed, run_dir = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    losses = train_stats.training["num_out"]["loss"]
    assert len(losses) == 8
    assert losses[-1] < losses[0], f"{input_type} input: training loss did not decrease: {losses}"

    predictions, _ = model.predict(dataset=synthetic_df)
    assert len(predictions) == len(synthetic_df)
    assert np.isfinite(predictions["num_out_predictions"].to_numpy(dtype=float)).all()

    eval_stats, eval_predictions, _ = model.evaluate(dataset=synthetic_df, collect_predictions=True)
    assert eval_stats["num_out"]["r2"] > INPUT_R2[input_type], eval_stats["num_out"]
    assert len(eval_predictions) == len(synthetic_df)
    np.testing.assert_allclose(
        eval_predictions["num_out_predictions"].to_numpy(dtype=float),
        predictions["num_out_predictions"].to_numpy(dtype=float),
        rtol=1e-5,
        atol=1e-5,
    )


OUTPUT_CHECKS = {
    # output type: (prediction columns, a metric of evaluate and its lower bound after training)
    "binary": (
        ["bin_out_predictions", "bin_out_probability", "bin_out_probabilities_False", "bin_out_probabilities_True"],
        ("accuracy", 0.8),
    ),
    "number": (["num_out_predictions"], ("r2", 0.6)),
    "category": (
        ["cat_out_predictions", "cat_out_probability", "cat_out_probabilities"]
        + [f"cat_out_probabilities_{label}" for label in ("lo", "mid", "hi")],
        ("accuracy", 0.5),
    ),
    "vector": (["vec_out_predictions"], ("r2", 0.3)),
}


def test_default_model_is_ft_transformer(tmp_path, synthetic_df):
    """No combiner section and four inputs: Ludwig 0.17's ft_transformer, recorded in the saved config, learns the
    synthetic target, and the saved model predicts the same after loading."""
    config = make_config(outputs=("binary",), epochs=8, learning_rate=0.001)
    del config["combiner"]
    model = LudwigModel(config)
    eval_stats, _, _, run_dir = model.experiment(dataset=synthetic_df, output_directory=str(tmp_path))
    assert eval_stats["bin_out"]["roc_auc"] > 0.85, eval_stats["bin_out"]
    saved = read_json(os.path.join(run_dir, "model", "model_hyperparameters.json"))
    assert saved["combiner"]["type"] == "ft_transformer"
    predictions, _ = model.predict(dataset=synthetic_df)
    reloaded, _ = LudwigModel.load(os.path.join(run_dir, "model")).predict(dataset=synthetic_df)
    np.testing.assert_allclose(
        predictions["bin_out_probability"].to_numpy(), reloaded["bin_out_probability"].to_numpy(), atol=1e-6
    )


@pytest.mark.parametrize("output_type", ALL_TYPES)
def test_each_output_type_experiment(tmp_path, synthetic_df, output_type):
    name = OUTPUT_FEATURES[output_type]["name"]
    config = make_config(outputs=(output_type,), epochs=10)
    model = LudwigModel(config)
    eval_stats, train_stats, _, run_dir = model.experiment(dataset=synthetic_df, output_directory=str(tmp_path))
    columns, (metric, lower_bound) = OUTPUT_CHECKS[output_type]

    assert eval_stats[name][metric] > lower_bound, eval_stats[name]
    assert "combined" in eval_stats
    for split in ("training", "validation", "test"):
        assert "loss" in train_stats[split][name]

    predictions, _ = model.predict(dataset=synthetic_df)
    assert set(columns) <= set(predictions.columns), predictions.columns
    assert len(predictions) == len(synthetic_df)
    if output_type == "category":
        assert set(predictions["cat_out_predictions"]) <= {"lo", "mid", "hi"}
        np.testing.assert_allclose(np.stack(predictions["cat_out_probabilities"]).sum(axis=1), 1.0, rtol=1e-5)
    if output_type == "binary":
        assert predictions["bin_out_predictions"].map(type).isin([bool, np.bool_]).all()
        probability_true = predictions["bin_out_probabilities_True"].to_numpy()
        assert ((probability_true >= 0) & (probability_true <= 1)).all()
        np.testing.assert_array_equal(predictions["bin_out_predictions"].to_numpy(dtype=bool), probability_true >= 0.5)
    if output_type == "vector":
        assert all(len(v) == OUTPUT_VECTOR_SIZE for v in predictions["vec_out_predictions"])

    test_statistics = read_json(os.path.join(run_dir, "test_statistics.json"))
    if output_type in ("binary", "category"):
        for key in ("confusion_matrix", "overall_stats", "per_class_stats"):
            assert key in test_statistics[name], f"{key} missing from test_statistics.json[{name!r}]"
        matrix = np.asarray(test_statistics[name]["confusion_matrix"])
        num_classes = 2 if output_type == "binary" else 3
        assert matrix.shape == (num_classes, num_classes)
        num_test_rows = round(0.2 * len(synthetic_df))
        assert matrix.sum() == num_test_rows
    assert test_statistics[name][metric] == pytest.approx(eval_stats[name][metric])


def test_multiple_outputs_with_dependencies_and_loss_weights(tmp_path, synthetic_df):
    config = make_config(outputs=("binary", "number"), epochs=4)
    config["output_features"][0]["dependencies"] = ["num_out"]
    config["output_features"][0]["loss"] = {"weight": 3.0}
    config["output_features"][1]["loss"] = {"weight": 0.5}
    model = LudwigModel(config)
    eval_stats, _, _, _ = model.experiment(dataset=synthetic_df, output_directory=str(tmp_path))

    combined = eval_stats["combined"]["loss"]
    weighted = 3.0 * eval_stats["bin_out"]["loss"] + 0.5 * eval_stats["num_out"]["loss"]
    assert combined == pytest.approx(weighted, rel=1e-4)

    # The dependent output's decoder reads the combiner output and the hidden state of num_out.
    without = make_config(outputs=("binary", "number"), epochs=1)
    independent = LudwigModel(without)
    independent.train(dataset=synthetic_df, skip_save_processed_input=True, output_directory=str(tmp_path / "b"))

    def decoder_parameters(m: LudwigModel) -> int:
        return sum(p.numel() for p in m.model.output_feature("bin_out").parameters())

    assert decoder_parameters(model) > decoder_parameters(independent)
    predictions, _ = model.predict(dataset=synthetic_df)
    assert {"bin_out_predictions", "num_out_predictions"} <= set(predictions.columns)


# -------------------------------------------------------------------------------------------------------------
# The results folder


def test_results_folder_layout_and_run_suffix(tmp_path, synthetic_csv):
    config = make_config(outputs=("binary", "category"), epochs=2)
    output_directory = str(tmp_path / "results")
    _, _, _, run_dir = LudwigModel(config).experiment(dataset=str(synthetic_csv), output_directory=output_directory)
    assert Path(run_dir) == Path(output_directory) / "experiment_run"
    run = Path(run_dir)
    for relative in (
        "description.json",
        "training_statistics.json",
        "model/model_hyperparameters.json",
        "model/training_set_metadata.json",
        "model/model_weights.safetensors",
        "model/training_progress.json",
        "test_statistics.json",
        "predictions.parquet",
        "bin_out_predictions.csv",
        "bin_out_probability.csv",
        "cat_out_predictions.csv",
        "cat_out_probability.csv",
    ):
        assert (run / relative).is_file(), f"{relative} missing from {sorted(p.name for p in run.rglob('*'))}"
    assert (run / "model" / "training_checkpoints").is_dir()
    assert any((run / "model" / "training_checkpoints").iterdir())
    assert (run / "model" / "logs").is_dir()

    description = read_json(run / "description.json")
    assert description["config"]["output_features"][0]["name"] == "bin_out"
    hyperparameters = read_json(run / "model" / "model_hyperparameters.json")
    assert hyperparameters["trainer"]["epochs"] == 2
    metadata = read_json(run / "model" / "training_set_metadata.json")
    assert set(metadata["cat_in"]["idx2str"]) == {"<UNK>", *CATEGORIES}
    training_statistics = read_json(run / "training_statistics.json")
    assert len(training_statistics["validation"]["bin_out"]["loss"]) == 2
    test_statistics = read_json(run / "test_statistics.json")
    for name in ("bin_out", "cat_out"):
        for key in ("confusion_matrix", "overall_stats", "per_class_stats"):
            assert key in test_statistics[name]

    num_test_rows = round(0.2 * 300)
    parquet = pd.read_parquet(run / "predictions.parquet")
    assert len(parquet) == num_test_rows
    assert "bin_out_predictions" in parquet.columns and "cat_out_predictions" in parquet.columns
    csv = pd.read_csv(run / "cat_out_predictions.csv", header=None)
    assert len(csv) == num_test_rows
    assert set(csv[0]) <= {"lo", "mid", "hi"}
    np.testing.assert_array_equal(csv[0].to_numpy(), parquet["cat_out_predictions"].to_numpy())

    _, _, _, second = LudwigModel(config).experiment(dataset=str(synthetic_csv), output_directory=output_directory)
    assert Path(second) == Path(output_directory) / "experiment_run_0"
    _, _, _, third = LudwigModel(config).experiment(dataset=str(synthetic_csv), output_directory=output_directory)
    assert Path(third) == Path(output_directory) / "experiment_run_1"


SKIP_FLAGS = {
    # flag: paths (relative to the run directory) that must be absent
    "skip_save_training_description": ["description.json"],
    "skip_save_training_statistics": ["training_statistics.json"],
    "skip_save_model": ["model/model_weights.safetensors"],
    "skip_save_progress": ["model/training_checkpoints", "model/training_progress.json"],
    "skip_save_log": ["model/logs"],
    "skip_save_predictions": ["predictions.parquet", "bin_out_predictions.csv", "bin_out_probability.csv"],
    "skip_save_eval_stats": ["test_statistics.json"],
}


@pytest.mark.parametrize("flag", sorted(SKIP_FLAGS))
def test_skip_save_flags_are_honoured(tmp_path, synthetic_df, flag):
    config = make_config(epochs=1)
    model = LudwigModel(config)
    _, _, _, run_dir = model.experiment(
        dataset=synthetic_df, output_directory=str(tmp_path / "results"), **{flag: True}
    )
    run = Path(run_dir)
    for relative in SKIP_FLAGS[flag]:
        assert not (run / relative).exists(), f"{flag}=True but {relative} was written"
    # Everything the other flags control is still there.
    for other, paths in SKIP_FLAGS.items():
        if other != flag:
            for relative in paths:
                assert (run / relative).exists(), f"{relative} missing although only {flag} was set"


def test_skip_save_processed_input_writes_no_cache(tmp_path, synthetic_csv):
    LudwigModel(make_config(epochs=1)).train(
        dataset=str(synthetic_csv), skip_save_processed_input=True, output_directory=str(tmp_path / "results")
    )
    assert sorted(p.name for p in synthetic_csv.parent.iterdir()) == ["synthetic.csv"]


# -------------------------------------------------------------------------------------------------------------
# Prediction


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[LudwigModel, str]:
    """A model trained on all four input types with binary and category outputs, and its run directory."""
    output_directory = tmp_path_factory.mktemp("trained")
    model = LudwigModel(make_config(outputs=("binary", "category"), epochs=3))
    _, _, run_dir = model.train(dataset=make_synthetic_frame(), output_directory=str(output_directory))
    return model, run_dir


def prediction_values(predictions: pd.DataFrame) -> np.ndarray:
    return np.stack(
        [
            predictions["bin_out_probabilities_True"].to_numpy(dtype=float),
            np.stack(predictions["cat_out_probabilities"]).max(axis=1),
        ],
        axis=1,
    )


def test_predict_keeps_row_order_and_index(trained, synthetic_df):
    model, _ = trained
    reference, _ = model.predict(dataset=synthetic_df)
    assert list(reference.index) == list(range(len(synthetic_df)))

    shuffled = synthetic_df.sample(frac=1.0, random_state=3)
    shuffled.index = shuffled.index + 1000  # a non-default index
    predictions, _ = model.predict(dataset=shuffled)
    assert len(predictions) == len(shuffled)
    original_rows = shuffled.index.to_numpy() - 1000
    np.testing.assert_allclose(prediction_values(predictions), prediction_values(reference)[original_rows], rtol=1e-6)
    np.testing.assert_array_equal(
        predictions["cat_out_predictions"].to_numpy(), reference["cat_out_predictions"].to_numpy()[original_rows]
    )
    # The caller's frame is not modified.
    assert list(shuffled.columns) == list(synthetic_df.columns)


def test_predictions_keep_the_index_of_the_input_frame(trained, synthetic_df):
    """Like Ludwig (ludwig-ai/ludwig#2422), predictions carry the input's index so they can be joined back."""
    model, _ = trained
    shuffled = synthetic_df.sample(frac=1.0, random_state=3)
    predictions, _ = model.predict(dataset=shuffled)
    assert list(predictions.index) == list(shuffled.index)
    joined = shuffled.join(predictions)
    assert len(joined) == len(shuffled)


def test_predict_rows_with_missing_values_and_unseen_categories(trained, synthetic_df):
    model, _ = trained
    base = synthetic_df.iloc[:4].reset_index(drop=True)
    rows = pd.concat([base] * 4, ignore_index=True).astype({"num_in": float, "bin_in": object, "cat_in": object})
    # Rows 0-3: unchanged; 4-7: unseen category; 8-11: missing values; 12-15: the values missing ones are filled with.
    rows.loc[4:7, "cat_in"] = "never_seen"
    rows.loc[8:11, ["num_in", "cat_in", "bin_in"]] = [np.nan, None, None]
    rows.loc[12:15, ["num_in", "cat_in", "bin_in"]] = [0.0, "<UNK>", False]

    predictions, _ = model.predict(dataset=rows)
    assert len(predictions) == len(rows)
    values = prediction_values(predictions)
    assert np.isfinite(values).all()
    reference, _ = model.predict(dataset=base)
    np.testing.assert_allclose(values[:4], prediction_values(reference), rtol=1e-6)

    unknown = rows.iloc[4:8].copy()
    unknown["cat_in"] = "<UNK>"
    unknown_predictions, _ = model.predict(dataset=unknown)
    np.testing.assert_allclose(values[4:8], prediction_values(unknown_predictions), rtol=1e-6)
    np.testing.assert_allclose(values[8:12], values[12:16], rtol=1e-6)


def test_predict_return_type_dict(trained, synthetic_df):
    model, _ = trained
    predictions, _ = model.predict(dataset=synthetic_df, return_type=dict)
    assert isinstance(predictions, dict)
    assert {"bin_out_predictions", "cat_out_predictions"} <= set(predictions)
    assert all(len(values) == len(synthetic_df) for values in predictions.values())
    frame, _ = model.predict(dataset=synthetic_df)
    assert list(predictions["cat_out_predictions"]) == list(frame["cat_out_predictions"])


def test_save_load_predict_gives_identical_predictions(trained, synthetic_df, tmp_path):
    model, _ = trained
    before, _ = model.predict(dataset=synthetic_df)
    model.save(str(tmp_path / "saved"))
    assert (tmp_path / "saved" / "model_weights.safetensors").is_file()
    loaded = LudwigModel.load(str(tmp_path / "saved"))
    after, _ = loaded.predict(dataset=synthetic_df)
    pd.testing.assert_frame_equal(before, after)


def test_load_trained_run_and_from_checkpoint(trained, synthetic_df):
    model, run_dir = trained
    model_dir = os.path.join(run_dir, "model")
    loaded = LudwigModel.load(model_dir)
    reference, _ = model.predict(dataset=synthetic_df)
    predictions, _ = loaded.predict(dataset=synthetic_df)
    np.testing.assert_allclose(prediction_values(predictions), prediction_values(reference), rtol=1e-6)

    from_checkpoint = LudwigModel.load(model_dir, from_checkpoint=True)
    latest = load_file(os.path.join(model_dir, "training_checkpoints", "latest.safetensors"))
    loaded_state = from_checkpoint.model.state_dict()
    assert set(latest) == set(loaded_state)
    for name, tensor in latest.items():
        assert torch.equal(loaded_state[name], tensor), name
    predictions, _ = from_checkpoint.predict(dataset=synthetic_df)
    assert len(predictions) == len(synthetic_df)


def test_predict_saves_files_when_asked(trained, synthetic_df, tmp_path):
    model, _ = trained
    out = tmp_path / "predictions"
    model.predict(dataset=synthetic_df, skip_save_predictions=False, output_directory=str(out))
    parquet = pd.read_parquet(out / "predictions.parquet")
    assert len(parquet) == len(synthetic_df)
    assert (out / "cat_out_predictions.csv").is_file()


# -------------------------------------------------------------------------------------------------------------
# Determinism and resuming


def test_same_seed_gives_identical_models_and_another_seed_differs(tmp_path, synthetic_df):
    config = make_config(outputs=("category",), epochs=2)

    def run(seed: int, name: str) -> tuple[dict[str, torch.Tensor], pd.DataFrame]:
        model = LudwigModel(config)
        model.train(dataset=synthetic_df, random_seed=seed, output_directory=str(tmp_path / name))
        predictions, _ = model.predict(dataset=synthetic_df)
        return state(model), predictions

    first_state, first_predictions = run(42, "a")
    second_state, second_predictions = run(42, "b")
    other_state, other_predictions = run(7, "c")
    for name, tensor in first_state.items():
        assert torch.equal(tensor, second_state[name]), f"{name} differs between two runs with the same seed"
    pd.testing.assert_frame_equal(first_predictions, second_predictions)
    assert any(not torch.equal(t, other_state[n]) for n, t in first_state.items())
    assert not np.allclose(prediction_probabilities(first_predictions), prediction_probabilities(other_predictions))


def prediction_probabilities(predictions: pd.DataFrame) -> np.ndarray:
    return np.stack(predictions["cat_out_probabilities"])


def _resume_config(epochs: int) -> dict[str, Any]:
    # Dropout makes the check cover the restored RNG state; early_stop -1 keeps every epoch.
    config = make_config(outputs=("category",), epochs=epochs, early_stop=-1)
    config["combiner"] = {"type": "concat", "num_fc_layers": 1, "output_size": 16, "dropout": 0.2}
    return config


def test_resume_interrupted_run_matches_uninterrupted_run(tmp_path, synthetic_df):
    full = LudwigModel(_resume_config(4))
    full.train(dataset=synthetic_df, output_directory=str(tmp_path / "full"))
    expected, _ = full.predict(dataset=synthetic_df)

    interrupted = LudwigModel(_resume_config(2))
    _, _, run_dir = interrupted.train(dataset=synthetic_df, output_directory=str(tmp_path / "interrupted"))
    assert progress(run_dir)["epoch"] == 2

    resumed = LudwigModel(_resume_config(4))
    train_stats, _, resumed_dir = resumed.train(dataset=synthetic_df, model_resume_path=run_dir)
    assert Path(resumed_dir) == Path(run_dir)
    assert progress(run_dir)["epoch"] == 4, "the resumed run did not continue to the 4 epochs of its config"
    assert len(train_stats.validation["cat_out"]["loss"]) == 4
    actual, _ = resumed.predict(dataset=synthetic_df)
    np.testing.assert_allclose(prediction_probabilities(actual), prediction_probabilities(expected), atol=1e-5)


def test_resume_after_raising_epochs_in_saved_config_matches_uninterrupted_run(tmp_path, synthetic_df):
    """Resuming exactness, with the saved config edited to the full length (works around the config override)."""
    full = LudwigModel(_resume_config(4))
    full.train(dataset=synthetic_df, output_directory=str(tmp_path / "full"))
    expected, _ = full.predict(dataset=synthetic_df)
    full_progress = progress(os.path.join(tmp_path, "full", "api_experiment_run"))

    _, _, run_dir = LudwigModel(_resume_config(2)).train(
        dataset=synthetic_df, output_directory=str(tmp_path / "interrupted")
    )
    hyperparameters_path = os.path.join(run_dir, "model", "model_hyperparameters.json")
    hyperparameters = read_json(hyperparameters_path)
    hyperparameters["trainer"]["epochs"] = 4
    with open(hyperparameters_path, "w") as f:
        json.dump(hyperparameters, f)

    resumed = LudwigModel(_resume_config(4))
    train_stats, _, _ = resumed.train(dataset=synthetic_df, model_resume_path=run_dir)
    resumed_progress = progress(run_dir)
    assert resumed_progress["steps"] == full_progress["steps"]
    assert resumed_progress["epoch"] == 4
    actual, _ = resumed.predict(dataset=synthetic_df)
    np.testing.assert_allclose(prediction_probabilities(actual), prediction_probabilities(expected), atol=1e-5)

    # The metric history of the resumed run reads like the uninterrupted one: one float per evaluation.
    full_statistics = read_json(os.path.join(tmp_path, "full", "api_experiment_run", "training_statistics.json"))
    resumed_statistics = read_json(os.path.join(run_dir, "training_statistics.json"))
    for split in ("training", "validation", "test"):
        expected_losses = full_statistics[split]["combined"]["loss"]
        resumed_losses = resumed_statistics[split]["combined"]["loss"]
        assert all(isinstance(v, float) for v in resumed_losses), f"{split}: {resumed_losses}"
        np.testing.assert_allclose(resumed_losses, expected_losses, rtol=1e-5)


# -------------------------------------------------------------------------------------------------------------
# Preprocessing: cache, sets, splits, sampling


def cache_files(csv: Path) -> list[Path]:
    return sorted(p for p in csv.parent.iterdir() if p.name != csv.name)


def test_preprocessed_cache_is_written_reused_and_invalidated(tmp_path, synthetic_csv):
    config = make_config(epochs=1)
    results = str(tmp_path / "results")
    LudwigModel(config).train(dataset=str(synthetic_csv), output_directory=results)
    names = [p.name for p in cache_files(synthetic_csv)]
    assert "synthetic.training.hdf5" in names and "synthetic.meta.json" in names, names
    assert "synthetic.validation.hdf5" in names and "synthetic.test.hdf5" in names, names
    training_cache = synthetic_csv.parent / "synthetic.training.hdf5"
    meta = synthetic_csv.parent / "synthetic.meta.json"
    mtimes = {p: p.stat().st_mtime_ns for p in cache_files(synthetic_csv)}

    with LogCapture() as log:
        _, preprocessed, _ = LudwigModel(config, logging_level=logging.INFO).train(
            dataset=str(synthetic_csv), output_directory=results
        )
    assert {p: p.stat().st_mtime_ns for p in cache_files(synthetic_csv)} == mtimes, "the cache was rewritten"
    assert any("cache" in m.lower() and "using" in m.lower() for m in log.messages()), log.messages()
    assert len(preprocessed.training_set) + len(preprocessed.validation_set) + len(preprocessed.test_set) == 300

    changed = make_config(epochs=1)
    changed["input_features"][1]["preprocessing"] = {"normalization": "minmax"}
    LudwigModel(changed).train(dataset=str(synthetic_csv), output_directory=results)
    assert training_cache.stat().st_mtime_ns != mtimes[training_cache]
    assert read_json(meta)["num_in"]["preprocessing"]["normalization"] == "minmax"


def test_training_validation_and_test_set_arguments(tmp_path, synthetic_frame):
    training, validation, test = synthetic_frame(200, 1), synthetic_frame(60, 2), synthetic_frame(40, 3)
    model = LudwigModel(make_config(epochs=2))
    eval_stats, train_stats, preprocessed, _ = model.experiment(
        training_set=training, validation_set=validation, test_set=test, output_directory=str(tmp_path)
    )
    assert len(preprocessed.training_set) == 200
    assert len(preprocessed.validation_set) == 60
    assert len(preprocessed.test_set) == 40
    assert len(train_stats.validation["bin_out"]["loss"]) == 2
    assert len(train_stats.test["bin_out"]["loss"]) == 2
    stats, _, _ = model.evaluate(dataset=test)
    assert stats["bin_out"]["accuracy"] == pytest.approx(eval_stats["bin_out"]["accuracy"])


def split_sizes(preprocessed) -> list[int]:
    return [0 if s is None else len(s) for s in preprocessed[:3]]


def output_column(model: LudwigModel, split) -> np.ndarray:
    feature = model.config_obj.output_features[0]
    return np.asarray(split.columns[feature.proc_column])


def test_split_fixed(tmp_path, synthetic_df):
    df = synthetic_df.copy()
    df["split"] = np.repeat([0, 1, 2, 0], [150, 50, 70, 30])
    config = make_config(epochs=1)
    config["preprocessing"] = {"split": {"type": "fixed", "column": "split"}}
    model = LudwigModel(config)
    _, preprocessed, _ = model.train(dataset=df, output_directory=str(tmp_path))
    assert split_sizes(preprocessed) == [180, 50, 70]
    test_labels = output_column(model, preprocessed.test_set)
    np.testing.assert_array_equal(test_labels, df["bin_out"].to_numpy()[200:270])


def test_split_stratify_keeps_class_proportions(tmp_path, synthetic_df):
    config = make_config(outputs=("category",), epochs=1)
    config["preprocessing"] = {"split": {"type": "stratify", "column": "cat_out", "probabilities": [0.5, 0.25, 0.25]}}
    model = LudwigModel(config)
    _, preprocessed, _ = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    assert sum(split_sizes(preprocessed)) == 300
    counts = synthetic_df["cat_out"].value_counts()
    for split, share in zip(preprocessed[:3], (0.5, 0.25, 0.25)):
        labels = output_column(model, split)
        for label, total in counts.items():
            index = preprocessed.training_set_metadata["cat_out"]["str2idx"][label]
            assert abs((labels == index).sum() - share * total) <= 1


def test_split_random_probabilities(tmp_path, synthetic_df):
    config = make_config(epochs=1)
    config["preprocessing"] = {"split": {"type": "random", "probabilities": [0.6, 0.3, 0.1]}}
    _, preprocessed, _ = LudwigModel(config).train(dataset=synthetic_df, output_directory=str(tmp_path))
    assert split_sizes(preprocessed) == [180, 90, 30]


def test_sample_ratio(tmp_path, synthetic_df):
    config = make_config(epochs=1)
    config["preprocessing"] = {"sample_ratio": 0.5}
    _, preprocessed, _ = LudwigModel(config).train(dataset=synthetic_df, output_directory=str(tmp_path))
    assert sum(split_sizes(preprocessed)) == 150
    assert split_sizes(preprocessed) == [105, 15, 30]


def test_sample_size(tmp_path, synthetic_df):
    config = make_config(epochs=1)
    config["preprocessing"] = {"sample_size": 100}
    _, preprocessed, _ = LudwigModel(config).train(dataset=synthetic_df, output_directory=str(tmp_path))
    assert sum(split_sizes(preprocessed)) == 100


def test_oversample_minority(tmp_path, synthetic_df):
    df = synthetic_df.copy()
    df["bin_out"] = df["num_out"] > df["num_out"].quantile(0.8)  # 20% positives
    config = make_config(epochs=1)
    config["preprocessing"] = {"oversample_minority": 1.0}
    model = LudwigModel(config)
    _, preprocessed, _ = model.train(dataset=df, output_directory=str(tmp_path))
    labels = output_column(model, preprocessed.training_set).astype(bool)
    assert abs(labels.sum() - (~labels).sum()) <= 1, (labels.sum(), (~labels).sum())
    # Only the training rows are balanced.
    validation = output_column(model, preprocessed.validation_set).astype(bool)
    assert validation.mean() < 0.4


def write_format(df: pd.DataFrame, folder: Path, fmt: str) -> Any:
    """``df`` written in ``fmt`` (a path), or the in-memory object for dict/dataframe."""
    if fmt == "dataframe":
        return df
    if fmt == "dict":
        return df.to_dict(orient="list")
    extensions = {"excel": "xlsx", "pickle": "pkl", "stata": "dta"}
    path = folder / f"data.{extensions.get(fmt, fmt)}"
    writers = {
        "csv": lambda: df.to_csv(path, index=False),
        "tsv": lambda: df.to_csv(path, sep="\t", index=False),
        "json": lambda: df.to_json(path, orient="records"),
        "jsonl": lambda: df.to_json(path, orient="records", lines=True),
        "parquet": lambda: df.to_parquet(path),
        "feather": lambda: df.to_feather(path),
        "orc": lambda: df.to_orc(path),
        "pickle": lambda: df.to_pickle(path),
        "excel": lambda: df.to_excel(path, index=False),
        "html": lambda: df.to_html(path, index=False),
        "fwf": lambda: path.write_text(df.to_string(index=False)),
        "stata": lambda: df.to_stata(path, write_index=False),
    }
    writers[fmt]()
    return str(path)


FORMATS = [
    "csv",
    "tsv",
    "json",
    "jsonl",
    "parquet",
    "feather",
    "orc",
    "pickle",
    "excel",
    "html",
    "fwf",
    "stata",
    "dict",
    "dataframe",
]
FORMAT_MODULES = {"excel": "openpyxl", "html": "lxml", "orc": "pyarrow.orc"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_training_data_formats(tmp_path, synthetic_df, fmt):
    if fmt in FORMAT_MODULES:
        pytest.importorskip(FORMAT_MODULES[fmt])
    # fwf and stata cannot hold space-separated vectors or booleans: use number/category/0-1 columns only.
    df = synthetic_df[["num_in", "cat_in", "bin_in", "bin_out"]].astype({"bin_in": int, "bin_out": int})
    dataset = write_format(df, tmp_path, fmt)
    config = make_config(inputs=("number", "category", "binary"), epochs=1)
    model = LudwigModel(config)
    data_format = None if fmt in ("dict", "dataframe") else fmt
    _, preprocessed, _ = model.train(dataset=dataset, data_format=data_format, output_directory=str(tmp_path / "r"))
    assert sum(split_sizes(preprocessed)) == len(df)
    assert set(preprocessed.training_set_metadata["cat_in"]["idx2str"]) == {"<UNK>", *CATEGORIES}
    predictions, _ = model.predict(dataset=dataset, data_format=data_format)
    assert len(predictions) == len(df)
    positives = output_column(model, preprocessed.training_set).astype(bool).sum()
    assert 0 < positives < len(preprocessed.training_set)


def test_training_from_the_hdf5_cache_files(tmp_path, synthetic_csv):
    config = make_config(epochs=1)
    _, first, _ = LudwigModel(config).train(dataset=str(synthetic_csv), output_directory=str(tmp_path / "a"))
    folder = synthetic_csv.parent

    model = LudwigModel(config)
    _, preprocessed, _ = model.train(
        training_set=str(folder / "synthetic.training.hdf5"),
        validation_set=str(folder / "synthetic.validation.hdf5"),
        test_set=str(folder / "synthetic.test.hdf5"),
        output_directory=str(tmp_path / "b"),
    )
    assert split_sizes(preprocessed) == split_sizes(first)
    for name, values in first.training_set.columns.items():
        np.testing.assert_array_equal(preprocessed.training_set.columns[name], values)
    predictions, _ = model.predict(dataset=str(synthetic_csv))
    assert len(predictions) == 300

    _, preprocessed, _ = LudwigModel(config).train(
        dataset=str(folder / "synthetic.training.hdf5"),
        data_format="hdf5",
        training_set_metadata=str(folder / "synthetic.meta.json"),
        output_directory=str(tmp_path / "c"),
    )
    assert len(preprocessed.training_set) == len(first.training_set)


# -------------------------------------------------------------------------------------------------------------
# Introspection, cross validation, callbacks


def test_collect_weights_and_activations(trained, synthetic_df):
    model, _ = trained
    weights = model.collect_weights()
    names = [name for name, _ in weights]
    assert names == [name for name, _ in model.model.named_parameters()]
    assert all(isinstance(t, torch.Tensor) for _, t in weights)
    chosen = model.collect_weights([names[0], names[-1]])
    assert [n for n, _ in chosen] == [names[0], names[-1]]
    assert torch.equal(chosen[0][1], dict(model.model.named_parameters())[names[0]])
    with pytest.raises(ValueError, match="not_a_tensor"):
        model.collect_weights(["not_a_tensor"])

    layer_names = [name for name, _ in model.model.named_modules() if name.startswith("combiner")][:1]
    layer_names.append(next(n for n, _ in model.model.named_modules() if n.startswith("input_features.")))
    activations = model.collect_activations(layer_names, synthetic_df, batch_size=64)
    assert [n for n, _ in activations] == layer_names
    for _, values in activations:
        assert values.shape[0] == len(synthetic_df)
        assert np.isfinite(values).all()


def test_kfold_cross_validate(tmp_path, synthetic_df):
    config = make_config(epochs=2)
    stats, indices = kfold_cross_validate(
        2, config, dataset=synthetic_df, output_directory=str(tmp_path), logging_level=logging.ERROR
    )
    assert set(stats) == {"fold_1", "fold_2", "overall"}
    for fold in ("fold_1", "fold_2"):
        assert 0.0 <= stats[fold]["bin_out"]["accuracy"] <= 1.0
    accuracies = [stats[f"fold_{i}"]["bin_out"]["accuracy"] for i in (1, 2)]
    assert stats["overall"]["bin_out"]["accuracy_mean"] == pytest.approx(np.mean(accuracies))
    assert stats["overall"]["bin_out"]["accuracy_std"] == pytest.approx(np.std(accuracies))
    test_rows = sorted(indices["fold_1"]["test_set"] + indices["fold_2"]["test_set"])
    assert test_rows == list(range(len(synthetic_df)))
    assert not set(indices["fold_1"]["training_set"]) & set(indices["fold_1"]["test_set"])


@pytest.mark.parametrize("skip_collect_predictions", [False, True])
def test_kfold_cross_validate_honours_its_collect_and_save_flags(tmp_path, synthetic_df, skip_collect_predictions):
    kfold_cross_validate(
        2,
        make_config(epochs=1),
        dataset=synthetic_df,
        output_directory=str(tmp_path),
        skip_save_model=True,
        skip_save_predictions=False,
        skip_collect_predictions=skip_collect_predictions,
        logging_level=logging.ERROR,
    )
    saved = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*_predictions.csv"))
    if skip_collect_predictions:
        assert saved == []
    else:
        assert saved == ["kfold_fold_1/bin_out_predictions.csv", "kfold_fold_2/bin_out_predictions.csv"], saved


@pytest.mark.parametrize(
    "call",
    [
        lambda model, df: model.predict(dataset=df, batchsize=8),
        lambda model, df: model.evaluate(dataset=df, batchsize=8),
        lambda model, df: model.experiment(dataset=df, eval_splt="test"),
        lambda model, df: model.preprocess(dataset=df, skip_save_procesed_input=True),
        lambda model, df: kfold_cross_validate(2, make_config(), dataset=df, batchsize=8),
        lambda model, df: model.train(dataset=df, epochs=3),
    ],
)
def test_unknown_keyword_arguments_are_refused_by_name(synthetic_df, call):
    model = LudwigModel(make_config(epochs=1))
    with pytest.raises(TypeError, match=r"batchsize|eval_splt|skip_save_procesed_input|epochs"):
        call(model, synthetic_df)


def test_callbacks_see_hooks_in_order(tmp_path, synthetic_df):
    recorder = HookRecorder()
    model = LudwigModel(make_config(epochs=3), callbacks=[recorder])
    model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    calls = [c for c in recorder.calls if c in ("on_train_start", "on_epoch_end", "on_eval_end", "on_train_end")]
    assert calls[0] == "on_train_start"
    assert calls[-1] == "on_train_end"
    assert calls.count("on_train_start") == calls.count("on_train_end") == 1
    assert calls[1:-1] == ["on_eval_end", "on_epoch_end"] * 3, calls
    assert recorder.calls.index("on_preprocess_end") < recorder.calls.index("on_train_start")
    assert recorder.calls.count("on_epoch_start") == 3


# -------------------------------------------------------------------------------------------------------------
# Trainer options


def test_train_steps(tmp_path, synthetic_df):
    training, validation = fixed_sets(synthetic_df)
    model = LudwigModel(make_config(epochs=100, train_steps=5))
    _, _, run_dir = model.train(training_set=training, validation_set=validation, output_directory=str(tmp_path))
    assert progress(run_dir)["steps"] == 5


def test_early_stop_when_the_metric_cannot_improve(tmp_path, synthetic_df):
    # hits_at_k with k = number of classes is always 1.0: it can never improve after the first evaluation.
    config = make_config(outputs=("category",), epochs=20, early_stop=2, validation_metric="hits_at_k")
    model = LudwigModel(config)
    train_stats, _, run_dir = model.train(dataset=synthetic_df, output_directory=str(tmp_path / "a"))
    assert num_evaluations(train_stats) == 3
    assert progress(run_dir)["epoch"] == 3

    config["trainer"].update(early_stop=-1, epochs=5)
    train_stats, _, _ = LudwigModel(config).train(dataset=synthetic_df, output_directory=str(tmp_path / "b"))
    assert num_evaluations(train_stats) == 5


@pytest.mark.parametrize(
    "option",
    [{"steps_per_checkpoint": 4}, {"checkpoints_per_epoch": 2}],
    ids=["steps_per_checkpoint", "checkpoints_per_epoch"],
)
def test_evaluation_frequency(tmp_path, synthetic_df, option):
    training, validation = fixed_sets(synthetic_df)  # 256 rows: 8 steps of 32 per epoch
    recorder = HookRecorder()
    model = LudwigModel(make_config(epochs=2, **option), callbacks=[recorder])
    train_stats, _, run_dir = model.train(
        training_set=training, validation_set=validation, output_directory=str(tmp_path)
    )
    assert num_evaluations(train_stats) == 4
    assert recorder.calls.count("on_eval_end") == 4
    assert progress(run_dir)["steps"] == 16
    assert progress(run_dir)["checkpoint_number"] == 4


def test_gradient_accumulation_matches_a_larger_batch(tmp_path, synthetic_df):
    training, validation = fixed_sets(synthetic_df)
    common = {"epochs": 2, "should_shuffle": False, "optimizer": {"type": "sgd"}, "learning_rate": 0.05}

    def trained_state(name: str, **trainer) -> dict[str, torch.Tensor]:
        model = LudwigModel(make_config(outputs=("number",), **{**common, **trainer}))
        model.train(training_set=training, validation_set=validation, output_directory=str(tmp_path / name))
        return state(model)

    accumulated = trained_state("accumulated", batch_size=16, gradient_accumulation_steps=2)
    large_batch = trained_state("large", batch_size=32, gradient_accumulation_steps=1)
    small_batch = trained_state("small", batch_size=16, gradient_accumulation_steps=1)
    for name, tensor in accumulated.items():
        torch.testing.assert_close(tensor, large_batch[name], rtol=1e-4, atol=1e-5)
    assert any(not torch.allclose(t, small_batch[n], atol=1e-5) for n, t in accumulated.items())


def record_learning_rates(tmp_path, df, scheduler: dict[str, Any], epochs: int = 2, **trainer) -> list[float]:
    training, validation = fixed_sets(df)
    recorder = HookRecorder()
    config = make_config(epochs=epochs, learning_rate=0.01, learning_rate_scheduler=scheduler, **trainer)
    LudwigModel(config, callbacks=[recorder]).train(
        training_set=training, validation_set=validation, output_directory=str(tmp_path)
    )
    return recorder.learning_rates


def test_learning_rate_warmup_then_linear_decay(tmp_path, synthetic_df):
    rates = record_learning_rates(tmp_path, synthetic_df, {"warmup_fraction": 0.25, "decay": "linear"})
    assert len(rates) == 16
    warmup, decay = rates[:4], rates[4:]
    assert all(a < b for a, b in zip(warmup, warmup[1:])), rates
    assert max(rates) == pytest.approx(0.01, rel=1e-6)
    assert all(a > b for a, b in zip(decay, decay[1:])), rates
    assert decay[-1] < 0.002


def test_learning_rate_exponential_decay(tmp_path, synthetic_df):
    scheduler = {"decay": "exponential", "decay_rate": 0.5, "decay_steps": 4}
    rates = record_learning_rates(tmp_path, synthetic_df, scheduler)
    assert rates[0] == pytest.approx(0.01)
    np.testing.assert_allclose(rates[4], 0.005, rtol=1e-6)
    np.testing.assert_allclose(rates[15], 0.01 * 0.5 ** (15 / 4), rtol=1e-6)


def test_learning_rate_reduce_on_plateau(tmp_path, synthetic_df):
    # The watched metric (hits_at_k, always 1.0) plateaus from the second evaluation on.
    scheduler = {
        "reduce_on_plateau": 2,
        "reduce_on_plateau_patience": 1,
        "reduce_on_plateau_rate": 0.5,
        "reduce_eval_metric": "hits_at_k",
        "reduce_eval_split": "validation",
    }
    training, validation = fixed_sets(synthetic_df)
    recorder = HookRecorder()
    config = make_config(
        outputs=("category",),
        epochs=5,
        early_stop=-1,
        validation_metric="hits_at_k",
        learning_rate_scheduler=scheduler,
    )
    LudwigModel(config, callbacks=[recorder]).train(
        training_set=training, validation_set=validation, output_directory=str(tmp_path)
    )
    per_epoch = [recorder.learning_rates[i * 8] for i in range(5)]
    np.testing.assert_allclose(per_epoch, [0.01, 0.01, 0.005, 0.0025, 0.0025], rtol=1e-6)


def test_reduce_on_plateau_watches_reduce_eval_split_and_metric(tmp_path, synthetic_df):
    """``reduce_eval_metric``/``reduce_eval_split`` choose what is watched, not the validation metric.

    Here the validation metric (hits_at_k, always 1.0) plateaus, while the watched training loss keeps
    improving: the learning rate must not be reduced.
    """
    scheduler = {
        "reduce_on_plateau": 2,
        "reduce_on_plateau_patience": 1,
        "reduce_on_plateau_rate": 0.5,
        "reduce_eval_metric": "loss",
        "reduce_eval_split": "training",
    }
    training, validation = fixed_sets(synthetic_df)
    recorder = HookRecorder()
    config = make_config(
        outputs=("category",),
        epochs=4,
        early_stop=-1,
        learning_rate=0.003,
        validation_metric="hits_at_k",
        learning_rate_scheduler=scheduler,
    )
    train_stats, _, _ = LudwigModel(config, callbacks=[recorder]).train(
        training_set=training, validation_set=validation, output_directory=str(tmp_path)
    )
    training_losses = train_stats.training["cat_out"]["loss"]
    assert all(a > b for a, b in zip(training_losses, training_losses[1:])), training_losses
    assert set(recorder.learning_rates) == {0.003}, sorted(set(recorder.learning_rates))


OPTIMIZERS = ["sgd", "adam", "adamw", "adadelta", "adagrad", "adamax", "nadam", "rmsprop", "radam"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_optimizers(tmp_path, synthetic_df, optimizer):
    recorder = HookRecorder()
    config = make_config(epochs=2, optimizer={"type": optimizer})
    model = LudwigModel(config, callbacks=[recorder])
    train_stats, _, _ = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    final = state(model)
    changed = [n for n, t in recorder.initial_state.items() if not torch.equal(t, final[n])]
    assert changed, f"{optimizer} changed no weight"
    assert np.isfinite(train_stats.training["combined"]["loss"]).all()


@pytest.mark.parametrize("regularization_type", ["l1", "l2", "l1_l2"])
def test_regularization_shrinks_weights(tmp_path, synthetic_df, regularization_type):
    def weight_norm(regularization_lambda: float) -> float:
        config = make_config(
            epochs=4, regularization_type=regularization_type, regularization_lambda=regularization_lambda
        )
        model = LudwigModel(config)
        model.train(dataset=synthetic_df, output_directory=str(tmp_path / str(regularization_lambda)))
        order = 1 if regularization_type == "l1" else 2
        return float(sum(p.detach().norm(p=order) ** order for p in model.model.parameters()))

    assert weight_norm(0.05) < 0.8 * weight_norm(0.0)


def test_evaluate_training_set(tmp_path, synthetic_df):
    evaluated = LudwigModel(make_config(epochs=2, evaluate_training_set=True))
    train_stats, _, _ = evaluated.train(dataset=synthetic_df, output_directory=str(tmp_path / "a"))
    assert len(train_stats.training["bin_out"]["accuracy"]) == 2
    assert len(train_stats.training["bin_out"]["loss"]) == 2

    default = LudwigModel(make_config(epochs=2, evaluate_training_set=False))
    train_stats, _, _ = default.train(dataset=synthetic_df, output_directory=str(tmp_path / "b"))
    assert len(train_stats.training["bin_out"]["loss"]) == 2
    assert "accuracy" not in train_stats.training["bin_out"]


def test_skip_all_evaluation(tmp_path, synthetic_df):
    recorder = HookRecorder()
    model = LudwigModel(make_config(epochs=2, skip_all_evaluation=True), callbacks=[recorder])
    train_stats, _, run_dir = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    assert "on_eval_end" not in recorder.calls
    assert not train_stats.validation and not train_stats.test
    assert progress(run_dir)["epoch"] == 2
    latest = load_file(os.path.join(run_dir, "model", "training_checkpoints", "latest.safetensors"))
    final = state(model)
    assert all(torch.equal(final[n], t) for n, t in latest.items()), "the last weights should be kept"
    predictions, _ = model.predict(dataset=synthetic_df)
    assert len(predictions) == len(synthetic_df)


@pytest.mark.parametrize("num_rows,expected", [(10_000, 128), (4000, 64), (1000, 16), (80, 8)])
def test_batch_size_auto_on_cpu(tmp_path, synthetic_frame, num_rows, expected):
    """On CPU: a power of two, at most 128, at most 20% of the training rows, and 32 steps an epoch above 16."""
    model = LudwigModel(make_config(epochs=1, batch_size="auto"))
    _, preprocessed, run_dir = model.train(dataset=synthetic_frame(num_rows), output_directory=str(tmp_path))
    training_rows = len(preprocessed.training_set)
    assert training_rows == round(0.7 * num_rows)
    batch_size = progress(run_dir)["batch_size"]
    assert batch_size == expected
    assert batch_size <= 0.2 * training_rows


def test_learning_rate_auto(tmp_path, synthetic_df):
    model = LudwigModel(make_config(epochs=2, learning_rate="auto"))
    train_stats, _, run_dir = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    chosen = progress(run_dir)["learning_rate"]
    assert 0 < chosen < 1
    assert chosen != pytest.approx(0.001)
    assert np.isfinite(train_stats.validation["combined"]["loss"]).all()
    predictions, _ = model.predict(dataset=synthetic_df)
    assert len(predictions) == len(synthetic_df)


def test_auto_batch_size_and_learning_rate_are_resolved_in_the_saved_config(tmp_path, synthetic_df):
    """Like Ludwig, the tuned values replace "auto" in the config saved with the model (and so when loaded)."""
    model = LudwigModel(make_config(epochs=1, batch_size="auto", learning_rate="auto"))
    _, _, run_dir = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    run_progress = progress(run_dir)
    saved = read_json(os.path.join(run_dir, "model", "model_hyperparameters.json"))["trainer"]
    assert saved["batch_size"] == run_progress["batch_size"]
    assert saved["learning_rate"] == pytest.approx(run_progress["learning_rate"])
    loaded = LudwigModel.load(os.path.join(run_dir, "model"))
    assert loaded.config["trainer"]["batch_size"] == run_progress["batch_size"]


def test_mixed_precision_on_cpu_warns_and_trains(tmp_path, synthetic_df):
    with LogCapture() as log:
        model = LudwigModel(make_config(epochs=2, use_mixed_precision=True), logging_level=logging.WARNING)
        train_stats, _, _ = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    warnings = [m for m in log.messages(logging.WARNING) if "mixed_precision" in m]
    assert warnings, log.messages(logging.WARNING)
    assert len(train_stats.validation["bin_out"]["loss"]) == 2
    assert all(p.dtype == torch.float32 for p in model.model.parameters())


def test_layers_to_freeze_regex(tmp_path, synthetic_df):
    recorder = HookRecorder()
    config = make_config(epochs=2, layers_to_freeze_regex=r"^input_features\.")
    model = LudwigModel(config, callbacks=[recorder])
    model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    final = state(model)
    frozen = [n for n in final if n.startswith("input_features.")]
    trained_names = [n for n, _ in model.model.named_parameters() if not n.startswith("input_features.")]
    assert frozen and trained_names
    for name in frozen:
        assert torch.equal(final[name], recorder.initial_state[name]), f"{name} changed although frozen"
    assert any(not torch.equal(final[n], recorder.initial_state[n]) for n in trained_names)

    with pytest.raises(ValueError, match="matches no parameter"):
        LudwigModel(make_config(epochs=1, layers_to_freeze_regex="^nothing_like_this$")).train(
            dataset=synthetic_df, output_directory=str(tmp_path / "bad")
        )
