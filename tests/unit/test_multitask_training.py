"""Multi-task training options: trainer.loss_balancing, trainer.modality_dropout and trainer.model_soup."""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from ludwig.api import LudwigModel
from ludwig.encoders.base import ENCODER_OUTPUT
from ludwig.error import ConfigValidationError
from ludwig.globals import TRAINING_CHECKPOINTS_DIR_PATH
from ludwig.modules.loss_balancing import create_loss_balancer, loss_balancer_registry
from ludwig.modules.modality_dropout import ModalityDropout
from ludwig.schema.model_config import ModelConfig
from ludwig.trainers.model_soup import greedy_soup, uniform_soup

NAMES = ["a", "b"]
LOSSES = {"a": torch.tensor(2.0), "b": torch.tensor(0.5)}
WEIGHTS = {"a": 1.0, "b": 2.0}
METHODS = ["none", "log_transform", "uncertainty", "famo", "gradnorm", "nash_mtl", "pareto_mtl"]


def trainer_config(**options: Any):
    config = ModelConfig.from_dict(
        {
            "input_features": [{"name": "x", "type": "number"}],
            "output_features": [{"name": n, "type": "number"} for n in NAMES],
            "trainer": options,
        }
    )
    return config.trainer


def balancer(method: str, **options: Any):
    return create_loss_balancer(NAMES, trainer_config(loss_balancing=method, **options))


def losses(a: float, b: float) -> dict[str, torch.Tensor]:
    return {"a": torch.tensor(a), "b": torch.tensor(b)}


# ---------------------------------------------------------------------------------------------------------
# Schema


def test_defaults_and_allowed_values_are_ludwigs():
    trainer = trainer_config()
    assert trainer.loss_balancing == "none"
    assert trainer.loss_balancing_alpha == 1.5
    assert trainer.loss_balancing_lr == 0.01
    assert trainer.loss_balancing_preference_vector is None
    assert trainer.loss_balancing_tchebycheff_weight == 0.5
    assert trainer.modality_dropout == 0.0
    assert trainer.model_soup is None
    assert trainer.model_soup_top_k == 5
    assert sorted(loss_balancer_registry) == sorted(METHODS)
    for bad in ({"loss_balancing": "mean"}, {"model_soup": "average"}, {"modality_dropout": 1.5}):
        with pytest.raises(ConfigValidationError):
            trainer_config(**bad)


def test_preference_vector_length_must_match_the_output_features():
    with pytest.raises(ConfigValidationError) as error:
        trainer_config(loss_balancing="pareto_mtl", loss_balancing_preference_vector=[1, 2, 3])
    message = str(error.value)
    assert "trainer.loss_balancing_preference_vector" in message
    assert "found 3" in message and "expected 2" in message
    with pytest.raises(ConfigValidationError, match="non-negative"):
        trainer_config(loss_balancing="pareto_mtl", loss_balancing_preference_vector=[-1, 2])


# ---------------------------------------------------------------------------------------------------------
# Loss balancing on fixed losses, computed by hand


def test_none_is_the_static_weighted_sum():
    assert balancer("none")(LOSSES, WEIGHTS).item() == pytest.approx(2.0 + 2 * 0.5)


def test_log_transform_sums_weighted_log1p():
    assert balancer("log_transform")(LOSSES, WEIGHTS).item() == pytest.approx(math.log(3.0) + 2 * math.log(1.5))


def test_uncertainty_uses_learned_log_variances():
    strategy = balancer("uncertainty")
    assert strategy(LOSSES, WEIGHTS).item() == pytest.approx(3.0)  # log-variances start at 0
    assert [name for name, _ in strategy.named_parameters()] == ["log_vars"]
    with torch.no_grad():
        strategy.log_vars.copy_(torch.tensor([1.0, -1.0]))
    expected = (math.exp(-1) * 2.0 + 0.5) + 2 * (math.exp(1) * 0.5 - 0.5)
    total = strategy(LOSSES, WEIGHTS)
    assert total.item() == pytest.approx(expected, rel=1e-6)
    total.backward()
    assert strategy.log_vars.grad is not None


def test_famo_moves_softmax_logits_by_the_loss_ratio():
    strategy = balancer("famo", loss_balancing_lr=0.1)
    assert strategy(LOSSES, WEIGHTS).item() == pytest.approx(0.5 * 2.0 + 0.5 * 1.0)
    strategy.after_step(losses(2.0, 0.5))  # first step: only remembers the losses
    assert torch.equal(strategy.logits, torch.zeros(2))
    strategy.after_step(losses(3.0, 0.25))
    logits = [0.1 * (3.0 / 2.0 - 1), 0.1 * (0.25 / 0.5 - 1)]
    assert strategy.logits.tolist() == pytest.approx(logits, rel=1e-5)
    p = np.exp(logits) / np.exp(logits).sum()
    assert strategy(LOSSES, WEIGHTS).item() == pytest.approx(p[0] * 2.0 + p[1] * 1.0, rel=1e-6)
    assert list(strategy.parameters()) == []  # its weights follow the rule, not the optimizer


def test_gradnorm_weights_follow_relative_training_rates():
    strategy = balancer("gradnorm", loss_balancing_alpha=2.0)
    assert strategy(LOSSES, WEIGHTS).item() == pytest.approx(3.0)
    strategy.after_step(losses(2.0, 0.5))  # records the initial losses
    assert strategy.task_weights.tolist() == [1.0, 1.0]
    strategy.after_step(losses(1.0, 0.5))
    ratios = np.array([0.5, 1.0])
    moved = 0.9 + 0.1 * (ratios / ratios.mean()) ** 2.0
    moved = moved * 2 / moved.sum()
    assert strategy.task_weights.tolist() == pytest.approx(moved.tolist(), rel=1e-5)
    assert strategy(LOSSES, WEIGHTS).item() == pytest.approx(moved[0] * 2.0 + moved[1] * 1.0, rel=1e-5)


def test_nash_mtl_weights_move_toward_inverse_losses():
    strategy = balancer("nash_mtl")
    assert strategy(LOSSES, WEIGHTS).item() == pytest.approx(0.5 * 2.0 + 0.5 * 1.0)
    strategy.after_step(LOSSES)
    expected = [0.9 * 0.5 + 0.1 * 0.2, 0.9 * 0.5 + 0.1 * 0.8]  # inverse losses 0.5, 2 normalise to 0.2, 0.8
    assert strategy.task_weights.tolist() == pytest.approx(expected, rel=1e-5)


def test_pareto_mtl_mixes_linear_and_tchebycheff_terms():
    # weighted losses (2, 1); uniform preference (0.5, 0.5) gives terms sum 1.5, max 1.0
    assert balancer("pareto_mtl")(LOSSES, WEIGHTS).item() == pytest.approx(0.5 * 1.5 + 0.5 * 1.0)
    strategy = balancer("pareto_mtl", loss_balancing_preference_vector=[3, 1], loss_balancing_tchebycheff_weight=0.2)
    # preference (0.75, 0.25): terms (1.5, 0.25)
    assert strategy(LOSSES, WEIGHTS).item() == pytest.approx(0.8 * 1.75 + 0.2 * 1.5)
    assert strategy.state_dict() == {}  # the preference comes from the config


def test_adaptive_state_is_in_the_state_dict_and_restores_exactly():
    strategy = balancer("gradnorm")
    for step in range(3):
        strategy.after_step(losses(2.0 - 0.3 * step, 0.5 + 0.1 * step))
    restored = balancer("gradnorm")
    restored.load_state_dict(strategy.state_dict())
    restored.after_step(losses(1.0, 1.0))
    strategy.after_step(losses(1.0, 1.0))
    for name, tensor in strategy.state_dict().items():
        assert torch.equal(tensor, restored.state_dict()[name]), name


# ---------------------------------------------------------------------------------------------------------
# Modality dropout


def encoded(rows: int = 4) -> dict[str, dict[str, torch.Tensor]]:
    return {
        "a": {ENCODER_OUTPUT: torch.randn(rows, 3) + 5},
        "b": {ENCODER_OUTPUT: torch.randn(rows, 6, 2) + 5, "mask": torch.ones(rows, 6)},
    }


def test_modality_dropout_replaces_whole_features_only_in_training():
    dropout = ModalityDropout({"a": 3, "b": 2}, probability=1.0)
    inputs = encoded()
    dropped = dropout(inputs)
    for name in ("a", "b"):
        assert dropped[name][ENCODER_OUTPUT].shape == inputs[name][ENCODER_OUTPUT].shape
        assert torch.count_nonzero(dropped[name][ENCODER_OUTPUT]) == 0  # the learned embeddings start at 0
    assert dropped["b"]["mask"] is inputs["b"]["mask"]
    dropout.eval()
    assert dropout(inputs) is inputs


def test_modality_dropout_drops_each_feature_all_or_nothing():
    torch.manual_seed(0)
    dropout = ModalityDropout({"a": 3, "b": 2}, probability=0.5)
    seen = set()
    for _ in range(20):
        inputs = encoded()
        outputs = dropout(inputs)
        for name in ("a", "b"):
            out, original = outputs[name][ENCODER_OUTPUT], inputs[name][ENCODER_OUTPUT]
            kept = torch.equal(out, original)
            assert kept or torch.count_nonzero(out) == 0
            seen.add((name, kept))
    assert len(seen) == 4  # each feature was both kept and dropped


# ---------------------------------------------------------------------------------------------------------
# Model soup


def test_uniform_soup_is_the_mean_of_the_checkpoints():
    states = [{"w": torch.full((2, 2), float(v)), "count": torch.tensor(v)} for v in (1, 2, 6)]
    soup = uniform_soup(states)
    assert torch.equal(soup["w"], torch.full((2, 2), 3.0))
    assert soup["count"].item() == 1  # integer tensors come from the best checkpoint


def test_greedy_soup_adds_only_ingredients_that_lower_the_cost():
    states = [{"w": torch.tensor([v])} for v in (1.0, 3.0, 100.0)]
    # cost: distance to 2 -> {1} costs 1, {1, 3} averages to 2 and costs 0, adding 100 would cost 32.7
    soup = greedy_soup(states, lambda state: abs(state["w"].item() - 2.0))
    assert soup["w"].item() == 2.0


# ---------------------------------------------------------------------------------------------------------
# End to end


def frame(rows: int = 150, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "color": rng.choice(["red", "green", "blue"], rows),
            "y": 3 * x1 - x2 + rng.normal(scale=0.1, size=rows),
            "flag": x1 + x2 > 0,
        }
    )


def config(epochs: int = 2, **trainer: Any) -> dict[str, Any]:
    return {
        "input_features": [
            {"name": "x1", "type": "number"},
            {"name": "x2", "type": "number"},
            {"name": "color", "type": "category"},
        ],
        "output_features": [{"name": "y", "type": "number"}, {"name": "flag", "type": "binary"}],
        "combiner": {"type": "concat", "output_size": 16},
        "trainer": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.01, **trainer},
    }


def train(tmp_path, df: pd.DataFrame, **trainer: Any) -> tuple[LudwigModel, str]:
    model = LudwigModel(config(**trainer), logging_level=logging.ERROR)
    _, _, run_dir = model.train(dataset=df, output_directory=str(tmp_path))
    return model, run_dir


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


@pytest.mark.parametrize("method", METHODS)
def test_each_balancing_method_trains_and_predicts(tmp_path, df, method):
    options = {"loss_balancing_preference_vector": [2, 1]} if method == "pareto_mtl" else {}
    model, _ = train(tmp_path, df, loss_balancing=method, **options)
    predictions, _ = model.predict(dataset=df)
    assert len(predictions) == len(df)
    assert np.isfinite(predictions["y_predictions"].to_numpy(dtype=float)).all()


def test_modality_dropout_trains_and_predicts_deterministically(tmp_path, df):
    model, _ = train(tmp_path, df, modality_dropout=0.5)
    first, _ = model.predict(dataset=df)
    second, _ = model.predict(dataset=df)
    assert len(first) == len(df)
    pd.testing.assert_frame_equal(first, second)
    assert len(list(model.model.modality_dropout.missing)) == 3


@pytest.mark.parametrize("strategy", ["uniform", "greedy"])
def test_model_soup_ends_with_the_soup_of_the_kept_checkpoints(tmp_path, df, strategy):
    model, run_dir = train(
        tmp_path, df, epochs=3, checkpoints_per_epoch=2, model_soup=strategy, model_soup_top_k=3, early_stop=-1
    )
    directory = os.path.join(run_dir, "model", TRAINING_CHECKPOINTS_DIR_PATH)
    kept = sorted(name for name in os.listdir(directory) if name.startswith("topk_"))
    assert 2 <= len(kept) <= 3
    states = [load_file(os.path.join(directory, name)) for name in kept]
    weights = {k: v.cpu() for k, v in model.model.state_dict().items()}
    if strategy == "uniform":
        for name, tensor in weights.items():
            expected = torch.stack([state[name].double() for state in states]).mean(dim=0).to(tensor.dtype)
            torch.testing.assert_close(tensor, expected, rtol=0, atol=1e-7, msg=name)
    predictions, _ = model.predict(dataset=df)
    assert len(predictions) == len(df)
    # The saved model folder holds the soup, as the in-memory model does.
    reloaded = LudwigModel.load(os.path.join(run_dir, "model"), logging_level=logging.ERROR)
    for name, tensor in reloaded.model.state_dict().items():
        assert torch.equal(tensor.cpu(), weights[name]), name


def test_resume_with_adaptive_weights_dropout_and_soup_matches_an_uninterrupted_run(tmp_path, df):
    options = {"loss_balancing": "gradnorm", "modality_dropout": 0.3, "model_soup": "uniform", "early_stop": -1}
    full, _ = train(tmp_path / "full", df, epochs=4, **options)
    _, run_dir = train(tmp_path / "cut", df, epochs=2, **options)
    resumed = LudwigModel(config(epochs=4, **options), logging_level=logging.ERROR)
    resumed.train(dataset=df, model_resume_path=run_dir)
    expected = full.model.state_dict()
    for name, tensor in resumed.model.state_dict().items():
        assert torch.equal(tensor, expected[name]), name
