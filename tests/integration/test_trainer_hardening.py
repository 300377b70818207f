"""Trainer options that used to do nothing or fail: bucketing, L-BFGS, ``learning_rate: auto``, resuming the best."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import load_file

from ludwig.api import LudwigModel
from ludwig.callbacks import Callback
from ludwig.trainers.lr_finder import MAX_LR, MIN_LR

QUIET = {"skip_save_processed_input": True, "skip_save_log": True}


def _read_progress(run_dir: str) -> dict[str, Any]:
    with open(os.path.join(run_dir, "model", "training_progress.json")) as f:
        return yaml.safe_load(f)


# -------------------------------------------------------------------------------------------------------------
# trainer.bucketing_field


class TrainingInputs(Callback):
    """Records what the input feature ``name`` receives in every training step (not in evaluation)."""

    def __init__(self, name: str):
        self.name = name
        self.batches: list[torch.Tensor] = []

    def on_trainer_train_setup(self, trainer, save_path, is_coordinator):
        def record(module, args):
            if module.training:
                self.batches.append(args[0].detach().clone())

        trainer.model.input_feature(self.name).register_forward_pre_hook(record)


def _sequence_frame(feature_type: str, rows: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 41, rows)
    if feature_type == "text":
        words = [f"w{i}" for i in range(12)]
        values = [" ".join(rng.choice(words, size=n)) for n in lengths]
        target = [value.split().count("w0") for value in values]
    else:
        series = [rng.uniform(0.5, 2.0, size=n) for n in lengths]
        values = [" ".join(f"{v:.3f}" for v in s) for s in series]
        target = [float(s.sum()) for s in series]
    return pd.DataFrame({"seq": values, "y": np.asarray(target, dtype=float)})


def _bucketing_config(feature_type: str, bucketing_field: str | None) -> dict[str, Any]:
    return {
        "input_features": [{"name": "seq", "type": feature_type, "encoder": {"type": "rnn", "state_size": 8}}],
        "output_features": [{"name": "y", "type": "number"}],
        "trainer": {"epochs": 2, "batch_size": 16, "bucketing_field": bucketing_field},
    }


def _train_recording_inputs(tmp_path: Path, df: pd.DataFrame, config: dict[str, Any]):
    recorder = TrainingInputs("seq")
    model = LudwigModel(config, callbacks=[recorder])
    model.train(dataset=df, output_directory=str(tmp_path), **QUIET)
    return model, recorder.batches


@pytest.mark.parametrize("feature_type", ["text", "timeseries"])
def test_bucketing_field_batches_rows_of_similar_length(tmp_path, feature_type):
    df = _sequence_frame(feature_type)
    bucketed, bucketed_batches = _train_recording_inputs(
        tmp_path / "bucketed", df, _bucketing_config(feature_type, "seq")
    )
    _, plain_batches = _train_recording_inputs(tmp_path / "plain", df, _bucketing_config(feature_type, None))
    metadata = bucketed.training_set_metadata["seq"]
    padding = metadata["pad_idx"] if feature_type == "text" else 0.0

    def spread(batches: list[torch.Tensor]) -> float:
        lengths = [(batch != padding).sum(dim=1) for batch in batches]
        return float(np.mean([int(n.max() - n.min()) for n in lengths]))

    assert len(bucketed_batches) == len(plain_batches)  # same number of steps
    assert sum(len(b) for b in bucketed_batches) == sum(len(b) for b in plain_batches)
    assert spread(bucketed_batches) < spread(plain_batches) / 3
    steps_per_epoch = len(bucketed_batches) // 2
    first_epoch = [b.tolist() for b in bucketed_batches[:steps_per_epoch]]
    assert first_epoch != [b.tolist() for b in bucketed_batches[steps_per_epoch:]]

    # Prediction keeps the input order: reversing the rows reverses the predictions.
    predictions, _ = bucketed.predict(dataset=df)
    reversed_predictions, _ = bucketed.predict(dataset=df.iloc[::-1].reset_index(drop=True))
    np.testing.assert_allclose(
        predictions["y_predictions"].to_numpy()[::-1], reversed_predictions["y_predictions"].to_numpy(), rtol=1e-5
    )


# -------------------------------------------------------------------------------------------------------------
# optimizer.type: lbfgs


LBFGS_EXAMPLE_CONFIG = """
input_features:
  - name: RESOURCE
    type: category
  - name: MGR_ID
    type: category
  - name: ROLE_ROLLUP_1
    type: category
  - name: ROLE_ROLLUP_2
    type: category
  - name: ROLE_DEPTNAME
    type: category
  - name: ROLE_TITLE
    type: category
  - name: ROLE_FAMILY_DESC
    type: category
  - name: ROLE_FAMILY
    type: category
  - name: ROLE_CODE
    type: category
output_features:
  - name: ACTION
    type: binary
preprocessing:
  split:
    type: fixed
defaults:
  category:
    encoder:
      type: sparse
trainer:
  batch_size: 32769 # entire training set
  train_steps: 1
  steps_per_checkpoint: 1
  learning_rate: 1
  regularization_lambda: 0.0000057
  optimizer:
    type: lbfgs
    max_iter: 100
    tolerance_grad: 0.0001
    history_size: 10
"""


def _access_frame(rows: int = 2000) -> pd.DataFrame:
    """Nine categorical columns like the Amazon employee access data; ACTION depends on two of them."""
    rng = np.random.default_rng(0)
    config = yaml.safe_load(LBFGS_EXAMPLE_CONFIG)
    df = pd.DataFrame({f["name"]: rng.integers(0, 6, rows).astype(str) for f in config["input_features"]})
    score = (df.RESOURCE.astype(int) % 3 == 0) + (df.ROLE_CODE.astype(int) < 2) - 0.8 + rng.normal(0, 0.3, rows)
    df["ACTION"] = score > 0
    df["split"] = rng.choice([0, 1, 2], size=rows, p=[0.7, 0.15, 0.15])
    return df


def _entropy(p: float) -> float:
    return float(-(p * np.log(p) + (1 - p) * np.log(1 - p)))


def test_lbfgs_example_config_trains_and_the_loss_falls(tmp_path):
    """The config of Ludwig's examples/lbfgs: one full-batch L-BFGS step of up to 100 iterations.

    The example is a logistic regression over sparse one-hot encodings, written before Ludwig 0.17 made
    ft_transformer the default for 3+ inputs; under 0.17's rule (here as in Ludwig) it would get a transformer that
    L-BFGS at learning rate 1 blows up, so the test names the combiner the example means.
    """
    df = _access_frame()
    config = yaml.safe_load(LBFGS_EXAMPLE_CONFIG)
    config["combiner"] = {"type": "concat"}
    model = LudwigModel(config)
    stats, _, _ = model.train(dataset=df, output_directory=str(tmp_path), **QUIET)
    # The best constant prediction (the base rate) has the entropy as its loss; a fresh model does no better.
    baseline = _entropy(df.ACTION.mean())
    training_loss = stats.training["ACTION"]["loss"][-1]
    validation_loss = stats.validation["ACTION"]["loss"][-1]
    assert training_loss < 0.6 * baseline
    assert validation_loss < 0.6 * baseline
    assert stats.validation["ACTION"]["accuracy"][-1] > 0.8


# -------------------------------------------------------------------------------------------------------------
# learning_rate: auto


def _regression_frame(rows: int, scale: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = scale * rng.normal(size=(rows, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) / scale + 1.0 + rng.normal(scale=0.1, size=rows)
    return pd.DataFrame({**{f"x{i}": x[:, i] for i in range(4)}, "y": y})


def _auto_learning_rate(tmp_path: Path, df: pd.DataFrame, input_options: dict | None = None, **trainer: Any) -> float:
    config = {
        "input_features": [{"name": f"x{i}", "type": "number", **(input_options or {})} for i in range(4)],
        "output_features": [{"name": "y", "type": "number"}],
        # A linear model (concat without FC layers), whose divergence threshold the tests below compute.
        "combiner": {"type": "concat"},
        "trainer": {"learning_rate": "auto", "epochs": 1, **trainer},
    }
    model = LudwigModel(config, logging_level=logging.WARNING)
    model.train(dataset=df, output_directory=str(tmp_path), skip_save_progress=True, skip_save_model=True, **QUIET)
    return model.config["trainer"]["learning_rate"]


@pytest.mark.parametrize("rows", [64, 600])
def test_learning_rate_auto_with_sgd_lands_below_the_divergence_threshold(tmp_path, rows):
    """Linear regression on raw inputs of scale 10 with plain SGD: the mean squared error's Hessian is
    2 E[x x^T], so SGD diverges above 2 / its largest eigenvalue (about 0.007-0.009 here) and barely moves
    below a hundredth of that."""
    df = _regression_frame(rows, scale=10.0)
    features = np.hstack([df[[f"x{i}" for i in range(4)]].to_numpy(), np.ones((rows, 1))])
    divergence = 2.0 / np.linalg.eigvalsh(2.0 * features.T @ features / rows).max()
    rate = _auto_learning_rate(
        tmp_path,
        df,
        input_options={"preprocessing": {"normalization": None}},
        optimizer={"type": "sgd"},
        gradient_clipping={"clipglobalnorm": None},
    )
    assert MIN_LR < rate < MAX_LR
    assert divergence / 100 < rate < divergence


@pytest.mark.parametrize("rows", [64, 600])
def test_learning_rate_auto_with_the_default_adam(tmp_path, rows):
    """Standardized inputs and Adam: rates up to 1e-3 barely move the weights within the few epochs of a small
    run, while rates near 1 make the loss jump; the suggestion lies between."""
    rate = _auto_learning_rate(tmp_path, _regression_frame(rows, scale=1.0))
    assert 1e-3 < rate < 0.5


# -------------------------------------------------------------------------------------------------------------
# Resuming keeps the best weights and metrics


def _overfitting_frame(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 8))
    return pd.DataFrame({**{f"x{i}": x[:, i] for i in range(8)}, "y": x[:, 0] + rng.normal(size=rows)})


def _overfitting_config(epochs: int) -> dict[str, Any]:
    """Seven noise inputs and a wide network: the validation loss bottoms out after a few epochs."""
    return {
        "input_features": [{"name": f"x{i}", "type": "number"} for i in range(8)],
        "output_features": [{"name": "y", "type": "number"}],
        "combiner": {"type": "concat", "num_fc_layers": 2, "output_size": 64},
        "trainer": {"epochs": epochs, "batch_size": 16, "learning_rate": 0.01, "early_stop": 3},
    }


BEST_KEYS = (
    "best_eval_metric_value",
    "best_eval_metric_epoch",
    "best_eval_metric_steps",
    "best_eval_metric_checkpoint_number",
    "best_eval_train_metrics",
    "best_eval_validation_metrics",
    "best_eval_test_metrics",
    "evaluations_since_improvement",
    "last_improvement_steps",
)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested metric dicts as one flat dict (``pytest.approx`` compares flat ones)."""
    if not isinstance(value, dict):
        return {prefix: value}
    return {key: leaf for name, inner in value.items() for key, leaf in _flat(inner, f"{prefix}{name}.").items()}


def test_resume_after_the_best_epoch_ends_with_the_best_weights_and_metrics(tmp_path):
    df = _overfitting_frame()
    uninterrupted = LudwigModel(_overfitting_config(epochs=20))
    _, _, full_dir = uninterrupted.train(dataset=df, output_directory=str(tmp_path / "full"), **QUIET)
    full_progress = _read_progress(full_dir)
    best_epoch = full_progress["best_eval_metric_epoch"]
    assert full_progress["epoch"] == best_epoch + 3, "the scenario needs a run that early-stops after its best epoch"

    # Stop two epochs after the best one (both worse), then resume with the full number of epochs.
    _, _, run_dir = LudwigModel(_overfitting_config(epochs=best_epoch + 2)).train(
        dataset=df, output_directory=str(tmp_path / "interrupted"), **QUIET
    )
    interrupted_progress = _read_progress(run_dir)
    assert interrupted_progress["best_eval_metric_epoch"] == best_epoch
    assert interrupted_progress["evaluations_since_improvement"] == 2
    resumed = LudwigModel(_overfitting_config(epochs=20))
    resumed.train(dataset=df, model_resume_path=run_dir, **QUIET)

    resumed_progress = _read_progress(run_dir)
    # One more worse epoch reaches early_stop 3: the count of evaluations without improvement was restored.
    assert resumed_progress["epoch"] == best_epoch + 3
    for key in BEST_KEYS:
        assert _flat(resumed_progress[key]) == pytest.approx(_flat(full_progress[key]), rel=1e-6), key
    best_weights = load_file(os.path.join(run_dir, "model", "training_checkpoints", "best.safetensors"))
    final_weights = resumed.model.state_dict()
    assert best_weights.keys() == final_weights.keys()
    for name, tensor in best_weights.items():
        torch.testing.assert_close(final_weights[name], tensor, rtol=0, atol=0, msg=name)
        torch.testing.assert_close(final_weights[name], uninterrupted.model.state_dict()[name], msg=name)
    reloaded = LudwigModel.load(os.path.join(run_dir, "model"))
    for name, tensor in reloaded.model.state_dict().items():
        torch.testing.assert_close(tensor, best_weights[name], rtol=0, atol=0, msg=name)
