"""The binary and category losses beyond cross entropy, CORN ordinal outputs and the mlp_classifier decoder.

Each loss is compared with a direct computation on small tensors, then trained end to end on a tiny dataset.
"""

from __future__ import annotations

import logging
import math
import re

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from ludwig.api import LudwigModel
from ludwig.constants import BINARY, CATEGORY
from ludwig.error import ConfigValidationError
from ludwig.modules.corn import corn_loss, corn_negative_log_likelihood, corn_predictions
from ludwig.modules.loss_modules import build_loss
from ludwig.schema.features.loss import loss_config_registry
from ludwig.schema.model_config import ModelConfig

# What Ludwig 0.17 registers for these output types.
LUDWIG_BINARY_LOSSES = {"binary_weighted_cross_entropy", "focal_loss", "entropic_open_set", "objectosphere"}
LUDWIG_CATEGORY_LOSSES = {
    "softmax_cross_entropy",
    "focal_loss",
    "entropic_open_set",
    "objectosphere",
    "poly_loss",
    "sparsemax_loss",
    "entmax15_loss",
    "corn",
}


def make_loss(feature_type: str, **params):
    config = loss_config_registry.for_type(feature_type)[params["type"]].from_dict(params)
    return build_loss(config)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


@pytest.fixture
def category_data(generator) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(12, 4, generator=generator), torch.tensor([0, 1, 2, 3] * 3)


@pytest.fixture
def binary_data(generator) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(10, generator=generator), torch.tensor([0, 1] * 5, dtype=torch.float32)


# ---------------------------------------------------------------------------------------------------------
# Configs


def test_binary_and_category_register_ludwigs_losses():
    assert set(loss_config_registry.for_type(BINARY)) == LUDWIG_BINARY_LOSSES
    assert set(loss_config_registry.for_type(CATEGORY)) == LUDWIG_CATEGORY_LOSSES


@pytest.mark.parametrize(
    "name, defaults",
    [
        ("focal_loss", {"alpha": 0.25, "gamma": 2.0}),
        ("entropic_open_set", {"background_class": None}),
        ("objectosphere", {"background_class": None, "xi": 10.0, "zeta": 0.1}),
        ("poly_loss", {"epsilon": 1.0}),
        ("sparsemax_loss", {}),
        ("entmax15_loss", {}),
        ("corn", {}),
    ],
)
def test_loss_defaults_are_ludwigs(name, defaults):
    config = loss_config_registry.for_type(CATEGORY)[name].from_dict({})
    assert config.to_dict() == {"type": name, "weight": 1.0, **defaults}


def _config(loss: dict) -> dict:
    return {
        "input_features": [{"name": "x", "type": "number"}],
        "output_features": [{"name": "y", "type": "category", "loss": loss}],
    }


@pytest.mark.parametrize(
    "loss, fragment",
    [
        ({"type": "focal"}, "Did you mean 'focal_loss'?"),
        ({"type": "cron"}, "Did you mean 'corn'?"),
        ({"type": "focal_loss", "gama": 1.0}, "gama"),
        ({"type": "focal_loss", "alpha": 1.5}, "alpha"),
        ({"type": "objectosphere", "background_class": -1}, "background_class"),
    ],
)
def test_bad_loss_sections_are_refused(loss, fragment):
    with pytest.raises(ConfigValidationError, match=re.escape(fragment)):
        ModelConfig.from_dict(_config(loss))


def test_poly_loss_is_not_a_binary_loss():
    config = {
        "input_features": [{"name": "x", "type": "number"}],
        "output_features": [{"name": "y", "type": "binary", "loss": {"type": "poly_loss"}}],
    }
    with pytest.raises(ConfigValidationError, match="poly_loss"):
        ModelConfig.from_dict(config)


# ---------------------------------------------------------------------------------------------------------
# Losses against direct computations


def test_binary_focal_loss(binary_data):
    preds, target = binary_data
    p = torch.sigmoid(preds)
    p_t = torch.where(target == 1, p, 1 - p)
    alpha_t = torch.where(target == 1, 0.3, 0.7)
    expected = (-alpha_t * (1 - p_t) ** 1.5 * torch.log(p_t)).mean()
    actual = make_loss(BINARY, type="focal_loss", alpha=0.3, gamma=1.5)(preds, target)
    torch.testing.assert_close(actual, expected)


def test_category_focal_loss_ignores_alpha_and_reduces_to_cross_entropy(category_data):
    preds, target = category_data
    p_t = torch.softmax(preds, -1)[torch.arange(len(target)), target]
    expected = (-((1 - p_t) ** 2) * torch.log(p_t)).mean()
    torch.testing.assert_close(make_loss(CATEGORY, type="focal_loss", alpha=0.9)(preds, target), expected)
    plain = make_loss(CATEGORY, type="focal_loss", gamma=0.0)(preds, target)
    torch.testing.assert_close(plain, F.cross_entropy(preds, target))


def test_poly_loss(category_data):
    preds, target = category_data
    p_t = torch.softmax(preds, -1)[torch.arange(len(target)), target]
    expected = (-torch.log(p_t) + 0.5 * (1 - p_t)).mean()
    torch.testing.assert_close(make_loss(CATEGORY, type="poly_loss", epsilon=0.5)(preds, target), expected)


def _negative_entropy(logits: torch.Tensor) -> torch.Tensor:
    p = torch.softmax(logits, -1)
    return (p * torch.log(p)).sum(-1)


def test_entropic_open_set_loss(category_data):
    preds, target = category_data
    known = target != 3
    expected = F.cross_entropy(preds[known], target[known]) + _negative_entropy(preds[~known]).mean()
    actual = make_loss(CATEGORY, type="entropic_open_set", background_class=3)(preds, target)
    torch.testing.assert_close(actual, expected)
    without = make_loss(CATEGORY, type="entropic_open_set")(preds, target)
    torch.testing.assert_close(without, F.cross_entropy(preds, target))


def test_objectosphere_loss(category_data):
    preds, target = category_data
    known = target != 0
    norms = preds.norm(dim=-1)
    expected = (
        F.cross_entropy(preds[known], target[known])
        + ((2.0 - norms[known]).clamp_min(0) ** 2).mean()
        + _negative_entropy(preds[~known]).mean()
        + 0.3 * (norms[~known] ** 2).mean()
    )
    loss = make_loss(CATEGORY, type="objectosphere", background_class=0, xi=2.0, zeta=0.3)
    torch.testing.assert_close(loss(preds, target), expected)


def test_binary_open_set_losses_treat_the_logit_as_two_classes(binary_data):
    preds, target = binary_data
    bce = F.binary_cross_entropy_with_logits(preds, target)
    torch.testing.assert_close(make_loss(BINARY, type="entropic_open_set")(preds, target), bce)
    hinge = ((3.0 - preds.abs()).clamp_min(0) ** 2).mean()
    torch.testing.assert_close(make_loss(BINARY, type="objectosphere", xi=3.0)(preds, target), bce + hinge)
    # Background rows (here the false ones) are pushed towards p = 0.5, where the negative entropy is lowest.
    loss = make_loss(BINARY, type="entropic_open_set", background_class=0)
    assert loss(torch.zeros(2), torch.tensor([0.0, 0.0])) < loss(torch.tensor([3.0, -3.0]), torch.tensor([0.0, 0.0]))


def test_sparsemax_loss_by_hand():
    logits = torch.tensor([[1.0, 0.5, -1.0]], requires_grad=True)
    # sparsemax: tau = (1 + 0.5 - 1) / 2 = 0.25 -> p = (0.75, 0.25, 0)
    # loss = (1 - sum p^2) / 2 + <p, z> - z_0 = 0.1875 + 0.875 - 1
    loss = make_loss(CATEGORY, type="sparsemax_loss")(logits, torch.tensor([0]))
    torch.testing.assert_close(loss, torch.tensor(0.0625))
    loss.backward()
    torch.testing.assert_close(logits.grad, torch.tensor([[-0.25, 0.25, 0.0]]))


def _entmax15_by_bisection(z: np.ndarray) -> np.ndarray:
    """p = max(z / 2 - tau, 0)^2 with tau found by bisection so that p sums to 1."""
    x = z / 2
    low, high = x.max() - 1, x.max()
    for _ in range(200):
        tau = (low + high) / 2
        low, high = (tau, high) if (np.clip(x - tau, 0, None) ** 2).sum() > 1 else (low, tau)
    return np.clip(x - low, 0, None) ** 2


def test_entmax15_loss_against_a_bisection_reference(category_data):
    preds, target = category_data
    preds = (preds * 3).requires_grad_(True)
    p = torch.tensor(np.stack([_entmax15_by_bisection(row) for row in preds.detach().double().numpy()])).float()
    omega = (1 - p.pow(1.5).sum(-1)) / 0.75
    expected = (omega + (p * preds.detach()).sum(-1) - preds.detach()[torch.arange(len(target)), target]).mean()
    loss = make_loss(CATEGORY, type="entmax15_loss")(preds, target)
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)
    loss.backward()
    torch.testing.assert_close(preds.grad, (p - F.one_hot(target, 4)) / len(target), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["sparsemax_loss", "entmax15_loss"])
def test_sparse_losses_vanish_for_a_confident_right_prediction(name):
    logits = torch.tensor([[10.0, 0.0, -2.0], [0.0, 9.0, 1.0]])
    assert make_loss(CATEGORY, type=name)(logits, torch.tensor([0, 1])).item() == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------------------
# CORN


def _corn_loss_by_task(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Task j is trained on the rows with class >= j, to say whether the class is above j."""
    total, count = 0.0, 0
    for j in range(logits.shape[1]):
        rows = target >= j
        if rows.any():
            labels = (target[rows] > j).float()
            total = total + F.binary_cross_entropy_with_logits(logits[rows, j], labels, reduction="sum")
            count += int(rows.sum())
    return total / count


def test_corn_loss_matches_the_task_by_task_definition(generator):
    logits = torch.randn(20, 4, generator=generator)
    target = torch.randint(0, 5, (20,), generator=generator)
    torch.testing.assert_close(corn_loss(logits, target), _corn_loss_by_task(logits, target))
    torch.testing.assert_close(make_loss(CATEGORY, type="corn")(logits, target), _corn_loss_by_task(logits, target))


def test_corn_predictions_are_the_median_of_consistent_probabilities(generator):
    logits = torch.randn(50, 4, generator=generator) * 2
    labels, probabilities = corn_predictions(logits)
    above = torch.cumprod(torch.sigmoid(logits), -1)
    assert torch.equal(labels, (above > 0.5).sum(-1))
    assert probabilities.shape == (50, 5) and (probabilities >= 0).all()
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(50))
    # P(class > j) recovered from the class probabilities
    torch.testing.assert_close(1 - probabilities.cumsum(-1)[:, :-1], above, atol=1e-6, rtol=0)
    # the label is the median: P(class <= label - 1) < 0.5 <= P(class <= label)
    cdf = probabilities.cumsum(-1)
    rows = torch.arange(50)
    assert (cdf[rows, labels] >= 0.5 - 1e-6).all()
    assert (cdf[rows[labels > 0], labels[labels > 0] - 1] < 0.5 + 1e-6).all()
    target = torch.randint(0, 5, (50,), generator=generator)
    expected = -torch.log(probabilities[rows, target]).mean()
    torch.testing.assert_close(corn_negative_log_likelihood(logits, target), expected, rtol=1e-4, atol=1e-5)


def test_corn_by_hand():
    logits = torch.tensor([[3.0, 0.0, -3.0]])  # P(>0) = 0.953, P(>1) = 0.476, P(>2) = 0.022
    labels, probabilities = corn_predictions(logits)
    assert labels.tolist() == [1]
    s = torch.sigmoid(logits[0])
    expected = torch.stack([1 - s[0], s[0] * (1 - s[1]), s[0] * s[1] * (1 - s[2]), s[0] * s[1] * s[2]])
    torch.testing.assert_close(probabilities[0], expected)


# ---------------------------------------------------------------------------------------------------------
# End to end


ROWS = 150
CLASSES = ["low", "mid", "high", "top"]


@pytest.fixture(scope="module")
def dataset() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=ROWS)
    level = np.digitize(x + 0.3 * rng.normal(size=ROWS), [-0.7, 0.0, 0.7])
    return pd.DataFrame(
        {"x": x, "noise": rng.normal(size=ROWS), "level": np.asarray(CLASSES)[level], "positive": x > 0}
    )


def _train(
    output: dict, df: pd.DataFrame, tmp_path, epochs: int = 2, learning_rate: float = 0.01
) -> tuple[LudwigModel, dict]:
    config = {
        "input_features": [{"name": "x", "type": "number"}, {"name": "noise", "type": "number"}],
        "output_features": [output],
        "trainer": {"epochs": epochs, "batch_size": 32, "learning_rate": learning_rate},
    }
    model = LudwigModel(config, logging_level=logging.ERROR)
    train_stats, _, _ = model.train(
        dataset=df,
        output_directory=str(tmp_path),
        skip_save_model=True,
        skip_save_progress=True,
        skip_save_log=True,
        skip_save_processed_input=True,
    )
    return model, train_stats


def _category_output(loss: dict, decoder: dict | None = None) -> dict:
    output = {"name": "level", "type": "category", "loss": loss, "preprocessing": {"vocab": CLASSES}}
    if decoder:
        output["decoder"] = decoder
    return output


@pytest.mark.parametrize(
    "output",
    [
        {"name": "positive", "type": "binary", "loss": {"type": "focal_loss"}},
        {"name": "positive", "type": "binary", "loss": {"type": "entropic_open_set"}},
        {"name": "positive", "type": "binary", "loss": {"type": "objectosphere", "xi": 2.0}},
        {"name": "positive", "type": "binary", "decoder": {"type": "mlp_classifier", "output_size": 16}},
        _category_output({"type": "focal_loss"}),
        _category_output({"type": "entropic_open_set", "background_class": 0}),
        _category_output({"type": "objectosphere", "background_class": 0, "xi": 2.0}),
        _category_output({"type": "poly_loss"}),
        _category_output({"type": "sparsemax_loss"}),
        _category_output({"type": "entmax15_loss"}),
        _category_output({"type": "corn"}),
        _category_output({"type": "corn"}, {"type": "mlp_classifier", "num_fc_layers": 2, "output_size": 8}),
        _category_output({"type": "softmax_cross_entropy"}, {"type": "mlp_classifier", "dropout": 0.1}),
    ],
    ids=lambda output: (
        f"{output['type']}-{output['loss']['type'] if 'loss' in output else output['decoder']['type']}"
        + ("-mlp" if "decoder" in output and "loss" in output else "")
    ),
)
def test_trains_predicts_and_evaluates(output, dataset, tmp_path):
    model, _ = _train(output, dataset, tmp_path)
    predictions, _ = model.predict(dataset)
    name = output["name"]
    assert len(predictions) == ROWS
    labels = set(CLASSES) if output["type"] == CATEGORY else {True, False}
    assert set(predictions[f"{name}_predictions"]) <= labels
    probabilities = np.stack(predictions[f"{name}_probabilities"].to_numpy())
    assert probabilities.shape == (ROWS, len(labels))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    stats, _, _ = model.evaluate(dataset)
    assert all(math.isfinite(v) for v in stats[name].values() if isinstance(v, float))


def test_mlp_classifier_builds_its_hidden_layers(dataset, tmp_path):
    output = _category_output({"type": "corn"}, {"type": "mlp_classifier", "num_fc_layers": 2, "output_size": 8})
    model, _ = _train(output, dataset, tmp_path, epochs=1)
    feature = model.model.output_features["level"]
    assert [layer.output_size for layer in feature.fc_stack.layers] == [8, 8]
    assert feature.decoder_obj.projection.out_features == len(CLASSES) - 1  # one logit per class boundary


def test_corn_learns_an_ordinal_problem_calibrates_and_exports(dataset, tmp_path):
    output = _category_output({"type": "corn"}) | {"calibration": True}
    model, train_stats = _train(output, dataset, tmp_path, epochs=12, learning_rate=0.05)
    losses = train_stats["training"]["level"]["loss"]
    assert losses[-1] < 0.7 * losses[0]
    predictions, _ = model.predict(dataset)
    assert (predictions["level_predictions"] == dataset["level"]).mean() > 0.5
    chosen = [CLASSES.index(label) for label in predictions["level_predictions"]]
    probabilities = np.stack(predictions["level_probabilities"].to_numpy())
    np.testing.assert_allclose(predictions["level_probability"], probabilities[np.arange(ROWS), chosen])
    scripted = model.to_torchscript()
    raw = {column: [str(v) for v in dataset[column]] for column in ["x", "noise"]}
    out = scripted(raw)["level"]
    assert out["predictions"] == list(predictions["level_predictions"])
    np.testing.assert_allclose(out["probabilities"].numpy(), probabilities, rtol=1e-5, atol=1e-6)


def test_mlp_classifier_calibration_key_turns_on_temperature_scaling(tmp_path):
    """Ludwig's examples/uncertainty/config_calibrated.yaml: ``decoder.calibration: temperature_scaling`` fits the
    output feature's temperature on the validation set, as ``calibration: true`` does."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    df["y"] = df.a + 0.5 * rng.normal(size=200) > 0
    decoder = {"type": "mlp_classifier", "num_fc_layers": 1, "output_size": 16, "calibration": "temperature_scaling"}
    config = {
        "input_features": [{"name": "a", "type": "number"}, {"name": "b", "type": "number"}],
        "output_features": [{"name": "y", "type": "binary", "decoder": decoder}],
        "trainer": {"epochs": 3, "batch_size": 32},
    }
    model = LudwigModel(config, logging_level=logging.ERROR)
    model.train(dataset=df, output_directory=str(tmp_path))
    assert model.config_obj.output_features[0].calibration is True
    assert float(model.model.output_feature("y").temperature) != 1.0
