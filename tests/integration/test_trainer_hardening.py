"""Trainer options that used to do nothing or fail: bucketing, L-BFGS, ``learning_rate: auto``, resuming the best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from ludwig.api import LudwigModel

QUIET = {"skip_save_processed_input": True, "skip_save_log": True}


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
    """The config of Ludwig's examples/lbfgs: one full-batch L-BFGS step of up to 100 iterations."""
    df = _access_frame()
    model = LudwigModel(yaml.safe_load(LBFGS_EXAMPLE_CONFIG))
    stats, _, _ = model.train(dataset=df, output_directory=str(tmp_path), **QUIET)
    # The best constant prediction (the base rate) has the entropy as its loss; a fresh model does no better.
    baseline = _entropy(df.ACTION.mean())
    training_loss = stats.training["ACTION"]["loss"][-1]
    validation_loss = stats.validation["ACTION"]["loss"][-1]
    assert training_loss < 0.6 * baseline
    assert validation_loss < 0.6 * baseline
    assert stats.validation["ACTION"]["accuracy"][-1] > 0.8
