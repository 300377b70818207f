"""Loss configs and loss modules, each compared with a direct computation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from marshmallow import ValidationError
from sklearn.metrics import mean_absolute_percentage_error

from ludwig.constants import BINARY, CATEGORY, NUMBER, VECTOR
from ludwig.modules.loss_modules import build_loss, loss_registry
from ludwig.schema import utils as su
from ludwig.schema.features.loss import DEFAULT_LOSS, LossField, loss_config_registry

N, C, D = 64, 5, 4


def make_loss(feature_type: str, **params):
    """Validate ``params`` as the loss section of a ``feature_type`` output and build the module."""
    name = params.get("type", DEFAULT_LOSS[feature_type])
    config = loss_config_registry.for_type(feature_type)[name].from_dict(params)
    return build_loss(config)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def regression_data(generator: torch.Generator, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    preds = torch.randn(shape, generator=generator)
    target = torch.randn(shape, generator=generator) + 3.0  # away from 0 for the percentage errors
    return preds, target


# ---------------------------------------------------------------------------------------------------------
# Configs


@dataclass
class NumberOutput(su.BaseConfig):
    loss: su.BaseConfig = LossField(NUMBER)


@dataclass
class CategoryOutput(su.BaseConfig):
    loss: su.BaseConfig = LossField(CATEGORY)


def test_every_type_has_its_default_loss_registered():
    for feature_type, name in DEFAULT_LOSS.items():
        assert name in loss_config_registry.for_type(feature_type)
        assert name in loss_registry


def test_default_loss_section_is_filled():
    config = CategoryOutput.from_dict({})
    assert config.loss.to_dict() == {
        "type": "softmax_cross_entropy",
        "weight": 1.0,
        "class_weights": None,
        "robust_lambda": 0,
        "confidence_penalty": 0.0,
        "class_similarities": None,
        "class_similarities_temperature": 0.0,
        "label_smoothing": 0.0,
    }
    assert NumberOutput.from_dict({}).loss.to_dict() == {"type": "mean_squared_error", "weight": 1.0}


def test_binary_loss_defaults():
    config = loss_config_registry.for_type(BINARY)["binary_weighted_cross_entropy"].from_dict({})
    assert config.to_dict() == {
        "type": "binary_weighted_cross_entropy",
        "weight": 1.0,
        "positive_class_weight": None,
        "robust_lambda": 0,
        "confidence_penalty": 0.0,
    }


def test_loss_selected_by_type_and_by_shorthand():
    assert NumberOutput.from_dict({"loss": {"type": "huber", "delta": 2.0}}).loss.delta == 2.0
    assert NumberOutput.from_dict({"loss": "huber"}).loss.delta == 1.0


def test_negative_weight_is_rejected_with_the_value():
    with pytest.raises(ValidationError) as error:
        NumberOutput.from_dict({"loss": {"type": "mean_absolute_error", "weight": -0.5}})
    assert "-0.5" in str(error.value.messages)


def test_unknown_loss_lists_allowed_names():
    with pytest.raises(ValidationError) as error:
        CategoryOutput.from_dict({"loss": {"type": "mean_squared_error"}})
    assert "softmax_cross_entropy" in str(error.value.messages)


def test_vector_allows_softmax_cross_entropy_but_number_does_not():
    assert "softmax_cross_entropy" in loss_config_registry.for_type(VECTOR)
    assert "softmax_cross_entropy" not in loss_config_registry.for_type(NUMBER)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"class_weights": [1.0, -2.0]}, "-2.0"),
        ({"class_weights": {"a": "heavy"}}, "heavy"),
        ({"class_weights": 3}, "3"),
        ({"label_smoothing": 1.5}, "1.5"),
        ({"robust_lambda": 0.5}, "0.5"),
        ({"class_similarities": [[1.0, 0.0], [0.0]]}, "square"),
        ({"class_similarities": [[1.0, "x"], [0.0, 1.0]]}, "'x'"),
        ({"class_similarities_temperature": -1}, "-1"),
        ({"lable_smoothing": 0.1}, "label_smoothing"),
    ],
)
def test_invalid_softmax_cross_entropy_params(params, fragment):
    with pytest.raises(ValidationError) as error:
        CategoryOutput.from_dict({"loss": params})
    assert fragment in str(error.value.messages)


def test_class_weights_accept_list_and_mapping():
    assert CategoryOutput.from_dict({"loss": {"class_weights": [1, 2]}}).loss.class_weights == [1.0, 2.0]
    mapping = CategoryOutput.from_dict({"loss": {"class_weights": {"cat": 1, "dog": 0.5}}}).loss.class_weights
    assert mapping == {"cat": 1.0, "dog": 0.5}


@pytest.mark.parametrize("weight", [0, -1.0])
def test_positive_class_weight_must_be_positive(weight):
    with pytest.raises(ValidationError) as error:
        loss_config_registry.for_type(BINARY)["binary_weighted_cross_entropy"].from_dict(
            {"positive_class_weight": weight}
        )
    assert str(weight) in str(error.value.messages)


# ---------------------------------------------------------------------------------------------------------
# Regression losses


def _rmspe(preds: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean(((target - preds) / np.abs(target)) ** 2)))


REGRESSION_REFERENCES = {
    "mean_squared_error": lambda p, t: F.mse_loss(p, t).item(),
    "mean_absolute_error": lambda p, t: F.l1_loss(p, t).item(),
    "mean_absolute_percentage_error": lambda p, t: mean_absolute_percentage_error(t.numpy(), p.numpy()),
    "root_mean_squared_error": lambda p, t: math.sqrt(F.mse_loss(p, t).item()),
    "root_mean_squared_percentage_error": lambda p, t: _rmspe(p.numpy(), t.numpy()),
    "huber": lambda p, t: F.huber_loss(p, t, delta=1.0).item(),
}


@pytest.mark.parametrize("name", sorted(REGRESSION_REFERENCES))
@pytest.mark.parametrize(("feature_type", "shape"), [(NUMBER, (N,)), (VECTOR, (N, D))])
def test_regression_losses_match_reference(generator, name, feature_type, shape):
    preds, target = regression_data(generator, shape)
    loss = make_loss(feature_type, type=name)(preds, target)
    assert loss.shape == ()
    expected = REGRESSION_REFERENCES[name](preds.flatten(), target.flatten())
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_huber_delta_changes_the_loss(generator):
    preds, target = regression_data(generator, (N,))
    loss = make_loss(NUMBER, type="huber", delta=0.25)(preds, target)
    assert loss.item() == pytest.approx(F.huber_loss(preds, target, delta=0.25).item(), rel=1e-6)
    assert loss.item() != pytest.approx(F.huber_loss(preds, target, delta=1.0).item(), rel=1e-3)


def test_percentage_errors_stay_finite_at_zero_targets():
    preds, target = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.0])
    assert math.isfinite(make_loss(NUMBER, type="mean_absolute_percentage_error")(preds, target).item())
    assert math.isfinite(make_loss(NUMBER, type="root_mean_squared_percentage_error")(preds, target).item())


def test_vector_softmax_cross_entropy_uses_target_distribution(generator):
    logits = torch.randn(N, D, generator=generator)
    target = torch.softmax(torch.randn(N, D, generator=generator), dim=-1)
    loss = make_loss(VECTOR, type="softmax_cross_entropy")(logits, target)
    expected = -(target * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


# ---------------------------------------------------------------------------------------------------------
# Binary weighted cross entropy


@pytest.fixture
def binary_data(generator) -> tuple[torch.Tensor, torch.Tensor]:
    logits = torch.randn(N, generator=generator) * 2
    target = (torch.rand(N, generator=generator) < 0.4).float()
    return logits, target


def test_bwce_matches_binary_cross_entropy(binary_data):
    logits, target = binary_data
    loss = make_loss(BINARY)(logits, target)
    expected = F.binary_cross_entropy(torch.sigmoid(logits), target)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_positive_class_weight_scales_positive_rows_only(binary_data):
    logits, target = binary_data
    probability = torch.sigmoid(logits)
    weighted = make_loss(BINARY, positive_class_weight=3.0)(logits, target)
    expected = -(3.0 * target * torch.log(probability) + (1 - target) * torch.log(1 - probability)).mean()
    assert weighted.item() == pytest.approx(expected.item(), rel=1e-5)
    negatives = torch.zeros(N)
    assert make_loss(BINARY, positive_class_weight=3.0)(logits, negatives).item() == pytest.approx(
        make_loss(BINARY)(logits, negatives).item(), rel=1e-6
    )


def test_binary_robust_lambda_mixes_in_a_uniform_prediction(binary_data):
    logits, target = binary_data
    assert make_loss(BINARY, robust_lambda=1)(logits, target).item() == pytest.approx(0.5)


def test_binary_confidence_penalty(binary_data):
    logits, target = binary_data
    base = make_loss(BINARY)(logits, target)
    penalised = make_loss(BINARY, confidence_penalty=0.5)(logits, target)
    p = torch.sigmoid(logits)
    entropy = -(p * torch.log(p) + (1 - p) * torch.log(1 - p))
    expected = base + 0.5 * ((math.log(2) - entropy) / math.log(2)).mean()
    assert penalised.item() == pytest.approx(expected.item(), rel=1e-5)
    zero_logits = torch.zeros(N)  # uniform predictions carry no penalty
    assert make_loss(BINARY, confidence_penalty=0.5)(zero_logits, target).item() == pytest.approx(math.log(2))


# ---------------------------------------------------------------------------------------------------------
# Softmax cross entropy for categories


@pytest.fixture
def category_data(generator) -> tuple[torch.Tensor, torch.Tensor]:
    logits = torch.randn(N, C, generator=generator) * 2
    target = torch.randint(0, C, (N,), generator=generator)
    return logits, target


def test_softmax_cross_entropy_matches_negative_log_likelihood(category_data):
    logits, target = category_data
    loss = make_loss(CATEGORY)(logits, target)
    expected = -torch.log_softmax(logits, dim=-1)[torch.arange(N), target].mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_class_weights_give_weighted_mean(category_data):
    logits, target = category_data
    weights = torch.tensor([0.5, 1.0, 2.0, 4.0, 0.0])
    loss = make_loss(CATEGORY, class_weights=weights.tolist())(logits, target)
    per_row = -torch.log_softmax(logits, dim=-1)[torch.arange(N), target]
    expected = (weights[target] * per_row).sum() / weights[target].sum()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert loss.item() != pytest.approx(per_row.mean().item(), rel=1e-3)


def test_label_smoothing_mixes_target_with_uniform(category_data):
    logits, target = category_data
    loss = make_loss(CATEGORY, label_smoothing=0.2)(logits, target)
    soft = 0.8 * F.one_hot(target, C).float() + 0.2 / C
    expected = -(soft * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_class_similarities_soften_the_target(category_data):
    logits, target = category_data
    similarities = torch.rand(C, C, generator=torch.Generator().manual_seed(1))
    loss = make_loss(CATEGORY, class_similarities=similarities.tolist(), class_similarities_temperature=0.5)
    soft = torch.softmax(similarities / 0.5, dim=-1)[target]
    expected = -(soft * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    assert loss(logits, target).item() == pytest.approx(expected.item(), rel=1e-5)
    unused = make_loss(CATEGORY, class_similarities=similarities.tolist())(logits, target)
    assert unused.item() == pytest.approx(make_loss(CATEGORY)(logits, target).item())


def test_category_robust_lambda_and_confidence_penalty(category_data):
    logits, target = category_data
    assert make_loss(CATEGORY, robust_lambda=1)(logits, target).item() == pytest.approx(1 / C)
    base = make_loss(CATEGORY)(logits, target)
    p = torch.softmax(logits, dim=-1)
    entropy = -(p * torch.log(p)).sum(dim=-1)
    expected = base + 0.3 * ((math.log(C) - entropy) / math.log(C)).mean()
    assert make_loss(CATEGORY, confidence_penalty=0.3)(logits, target).item() == pytest.approx(expected.item())


# ---------------------------------------------------------------------------------------------------------
# Every registered loss


def _inputs(feature_type: str, name: str, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    if feature_type == BINARY:
        return torch.randn(N, generator=generator), (torch.rand(N, generator=generator) < 0.5).float()
    if feature_type == CATEGORY:
        return torch.randn(N, C, generator=generator), torch.randint(0, C, (N,), generator=generator)
    if feature_type == VECTOR and name == "softmax_cross_entropy":
        return torch.randn(N, D, generator=generator), torch.softmax(torch.randn(N, D, generator=generator), -1)
    return regression_data(generator, (N,) if feature_type == NUMBER else (N, D))


@pytest.mark.parametrize("feature_type", [BINARY, NUMBER, CATEGORY, VECTOR])
def test_every_registered_loss_gives_a_differentiable_scalar(generator, feature_type):
    for name in loss_config_registry.for_type(feature_type):
        preds, target = _inputs(feature_type, name, generator)
        preds.requires_grad_(True)
        loss = make_loss(feature_type, type=name)(preds, target)
        assert loss.shape == () and torch.isfinite(loss), name
        loss.backward()
        assert preds.grad is not None and torch.isfinite(preds.grad).all(), name
