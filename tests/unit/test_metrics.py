"""Incremental metrics, compared with scikit-learn on the whole data and checked for batching invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn import metrics as skm

from ludwig.constants import BINARY, CATEGORY, NUMBER, PREDICTIONS, PROBABILITIES, VECTOR
from ludwig.modules.metric_modules import (
    MAXIMIZE,
    MINIMIZE,
    HitsAtK,
    Huber,
    LudwigMetric,
    MeanMetric,
    binary_auc,
    get_metric_classes,
    get_metric_objective,
)
from ludwig.schema.metrics import DEFAULT_VALIDATION_METRIC, METRIC_NAMES

N, C, D = 300, 5, 4


def evaluate(metric: LudwigMetric, preds: torch.Tensor, target: torch.Tensor, batches: int = 1) -> float:
    """Reset ``metric``, feed it ``batches`` uneven slices of the data and return the result."""
    metric.reset()
    bounds = np.linspace(0, len(target), batches + 1).astype(int) ** 2 // max(len(target), 1)
    bounds[-1] = len(target)
    for start, end in zip(bounds[:-1], bounds[1:]):
        metric.update(preds[start:end], target[start:end])
    return metric.compute()


def metric(feature_type: str, name: str, **params) -> LudwigMetric:
    return get_metric_classes(feature_type)[name](**params)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


# ---------------------------------------------------------------------------------------------------------
# Binary


@pytest.fixture
def binary_data(generator) -> dict[str, torch.Tensor]:
    target = (torch.rand(N, generator=generator) < 0.4).float()
    # Rounded so that many scores tie, with a signal towards the positives.
    probabilities = torch.clamp(torch.rand(N, generator=generator) * 0.8 + 0.3 * target, 0, 1).round(decimals=1)
    return {"target": target, PROBABILITIES: probabilities, PREDICTIONS: probabilities >= 0.5}


BINARY_REFERENCES = {
    "accuracy": skm.accuracy_score,
    "precision": lambda t, p: skm.precision_score(t, p, zero_division=0),
    "recall": lambda t, p: skm.recall_score(t, p, zero_division=0),
    "specificity": lambda t, p: skm.recall_score(t, p, pos_label=0, zero_division=0),
    "roc_auc": skm.roc_auc_score,
}


@pytest.mark.parametrize("name", sorted(BINARY_REFERENCES))
def test_binary_metrics_match_sklearn(binary_data, name):
    instance = metric(BINARY, name)
    preds, target = binary_data[instance.input_key], binary_data["target"]
    expected = BINARY_REFERENCES[name](target.numpy(), preds.numpy())
    assert evaluate(instance, preds, target) == pytest.approx(expected, abs=1e-12)
    assert evaluate(instance, preds, target, batches=3) == pytest.approx(expected, abs=1e-12)


def test_binary_metric_inputs():
    classes = get_metric_classes(BINARY)
    assert classes["roc_auc"].input_key == PROBABILITIES
    assert {classes[name].input_key for name in ("accuracy", "precision", "recall", "specificity")} == {PREDICTIONS}


def test_binary_metrics_without_positives_are_zero_not_nan():
    target, preds = torch.zeros(10), torch.zeros(10, dtype=torch.bool)
    assert evaluate(metric(BINARY, "precision"), preds, target) == 0.0
    assert evaluate(metric(BINARY, "recall"), preds, target) == 0.0
    assert evaluate(metric(BINARY, "roc_auc"), torch.rand(10), target) == 0.0
    assert metric(BINARY, "accuracy").compute() == 0.0  # nothing seen yet


def test_auc_handles_ties_exactly():
    scores = torch.tensor([0.5, 0.5, 0.5, 0.5])
    assert binary_auc(scores, torch.tensor([True, False, True, False])) == 0.5
    scores = torch.tensor([0.1, 0.4, 0.4, 0.8])
    positives = torch.tensor([False, True, False, True])
    assert binary_auc(scores, positives) == pytest.approx(skm.roc_auc_score(positives.numpy(), scores.numpy()))


# ---------------------------------------------------------------------------------------------------------
# Category


@pytest.fixture
def category_data(generator) -> dict[str, torch.Tensor]:
    target = torch.randint(0, C, (N,), generator=generator)
    logits = torch.randn(N, C, generator=generator) + 1.5 * F.one_hot(target, C)
    probabilities = torch.softmax(logits, dim=-1)
    return {"target": target, PROBABILITIES: probabilities, PREDICTIONS: probabilities.argmax(dim=-1)}


def test_category_accuracy_is_macro_and_accuracy_micro_is_micro(category_data):
    """Ludwig 0.17 reports torchmetrics' MulticlassAccuracy default (macro: the mean per-class recall) as
    `accuracy`, and the fraction of correct rows as `accuracy_micro`."""
    target, predictions = category_data["target"], category_data[PREDICTIONS]
    macro = evaluate(metric(CATEGORY, "accuracy"), predictions, target, batches=3)
    assert macro == pytest.approx(skm.balanced_accuracy_score(target, predictions))
    assert macro != pytest.approx(skm.accuracy_score(target, predictions))
    micro = evaluate(metric(CATEGORY, "accuracy_micro"), predictions, target, batches=3)
    assert micro == skm.accuracy_score(target, predictions)


def test_macro_accuracy_counts_a_class_that_is_only_predicted_with_recall_zero():
    # Class 2 never is a target but is predicted once: torchmetrics counts it (recall 0); class 3 is absent.
    instance = metric(CATEGORY, "accuracy")
    instance.update(torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 1, 1]))
    assert instance.compute() == pytest.approx((1.0 + 2 / 3 + 0.0) / 3)
    assert metric(BINARY, "accuracy").__class__.__name__ == "Accuracy"


@pytest.mark.parametrize("k", [1, 2, 3])
def test_hits_at_k_matches_top_k_accuracy(category_data, k):
    probabilities, target = category_data[PROBABILITIES], category_data["target"]
    expected = skm.top_k_accuracy_score(target.numpy(), probabilities.numpy(), k=k, labels=list(range(C)))
    assert evaluate(HitsAtK(k=k), probabilities, target, batches=3) == pytest.approx(expected)
    assert HitsAtK.input_key == PROBABILITIES


def test_hits_at_k_defaults_to_3_and_caps_k_at_the_classes(category_data):
    probabilities, target = category_data[PROBABILITIES], category_data["target"]
    assert metric(CATEGORY, "hits_at_k").k == 3
    assert evaluate(HitsAtK(k=C + 10), probabilities, target) == 1.0


def test_category_roc_auc_is_macro_one_vs_rest(category_data):
    probabilities, target = category_data[PROBABILITIES], category_data["target"]
    expected = skm.roc_auc_score(target.numpy(), probabilities.numpy(), multi_class="ovr", average="macro")
    instance = metric(CATEGORY, "roc_auc")
    assert evaluate(instance, probabilities, target) == pytest.approx(expected, abs=1e-12)
    assert evaluate(instance, probabilities, target, batches=3) == pytest.approx(expected, abs=1e-12)


def test_category_roc_auc_skips_classes_absent_from_targets(category_data):
    probabilities, target = category_data[PROBABILITIES], category_data["target"].clone()
    target[target == 2] = 1
    expected = np.mean(
        [skm.roc_auc_score(target.numpy() == c, probabilities[:, c].numpy()) for c in range(C) if c != 2]
    )
    assert evaluate(metric(CATEGORY, "roc_auc"), probabilities, target, batches=3) == pytest.approx(expected)
    single_class = torch.zeros(N, dtype=torch.long)
    assert evaluate(metric(CATEGORY, "roc_auc"), probabilities, single_class) == 0.0


# ---------------------------------------------------------------------------------------------------------
# Number and vector


def _rmspe(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean(((t - p) / np.abs(t)) ** 2)))


REGRESSION_REFERENCES = {
    "mean_squared_error": skm.mean_squared_error,
    "mean_absolute_error": skm.mean_absolute_error,
    "root_mean_squared_error": skm.root_mean_squared_error,
    "mean_absolute_percentage_error": skm.mean_absolute_percentage_error,
    "root_mean_squared_percentage_error": _rmspe,
    "r2": skm.r2_score,
    "huber": lambda t, p: F.huber_loss(torch.from_numpy(p), torch.from_numpy(t), delta=1.0).item(),
}


def regression_data(generator: torch.Generator, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    # Sorted targets give every batch a different mean: an average of per-batch r2 would be far off.
    target = torch.sort(torch.randn(shape, generator=generator) * 2 + 5, dim=0).values
    preds = target + torch.randn(shape, generator=generator)
    return preds, target


@pytest.mark.parametrize(("feature_type", "shape"), [(NUMBER, (N,)), (VECTOR, (N, D))])
def test_regression_metrics_match_sklearn(generator, feature_type, shape):
    preds, target = regression_data(generator, shape)
    names = get_metric_classes(feature_type)
    assert set(names) <= set(REGRESSION_REFERENCES)
    for name in names:
        expected = REGRESSION_REFERENCES[name](target.flatten().double().numpy(), preds.flatten().double().numpy())
        for batches in (1, 3):
            value = evaluate(metric(feature_type, name), preds, target, batches=batches)
            assert value == pytest.approx(expected, rel=1e-9), (name, batches)


def test_vector_metrics_include_the_required_ones():
    assert {"mean_squared_error", "mean_absolute_error", "r2", "root_mean_squared_error"} <= set(
        get_metric_classes(VECTOR)
    )


def test_r2_is_stable_for_large_offsets(generator):
    target = torch.randn(N, generator=generator) + 1e6
    preds = target + 0.1 * torch.randn(N, generator=generator)
    expected = skm.r2_score(target.double().numpy(), preds.double().numpy())
    assert evaluate(metric(NUMBER, "r2"), preds, target, batches=3) == pytest.approx(expected, rel=1e-9)


def test_r2_of_constant_targets_follows_sklearn():
    target = torch.full((5,), 2.0)
    assert evaluate(metric(NUMBER, "r2"), target.clone(), target) == 1.0
    assert evaluate(metric(NUMBER, "r2"), target + 1, target) == 0.0


def test_huber_metric_delta(generator):
    preds, target = regression_data(generator, (N,))
    expected = F.huber_loss(preds.double(), target.double(), delta=0.3).item()
    assert evaluate(Huber(delta=0.3), preds, target, batches=3) == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------------------------------------------------
# Mean metric, objectives, defaults


def test_mean_metric_weights_by_batch_size():
    mean = MeanMetric()
    mean.update(torch.tensor(1.0), batch_size=1)
    mean.update(4.0, batch_size=3)
    assert mean.compute() == pytest.approx(13 / 4)
    mean.reset()
    assert mean.compute() == 0.0


def test_reset_forgets_previous_batches(binary_data):
    instance = metric(BINARY, "roc_auc")
    instance.update(binary_data[PROBABILITIES], 1 - binary_data["target"])
    expected = skm.roc_auc_score(binary_data["target"].numpy(), binary_data[PROBABILITIES].numpy())
    assert evaluate(instance, binary_data[PROBABILITIES], binary_data["target"]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("name", "objective"),
    [
        ("loss", MINIMIZE),
        ("mean_squared_error", MINIMIZE),
        ("root_mean_squared_percentage_error", MINIMIZE),
        ("huber", MINIMIZE),
        ("binary_weighted_cross_entropy", MINIMIZE),
        ("softmax_cross_entropy", MINIMIZE),
        ("accuracy", MAXIMIZE),
        ("accuracy_micro", MAXIMIZE),
        ("r2", MAXIMIZE),
        ("roc_auc", MAXIMIZE),
        ("precision", MAXIMIZE),
        ("recall", MAXIMIZE),
        ("specificity", MAXIMIZE),
        ("hits_at_k", MAXIMIZE),
        ("jaccard", MAXIMIZE),
    ],
)
def test_metric_objectives(name, objective):
    assert get_metric_objective(name) == objective


def test_default_validation_metrics_are_registered():
    for feature_type, name in DEFAULT_VALIDATION_METRIC.items():
        # "loss" is tracked by every output feature without a metric class.
        assert name == "loss" or name in get_metric_classes(feature_type)


def test_declared_metric_names_match_the_registered_classes():
    # Config validation reads the torch-free table; every name there must have an implementation and vice versa.
    for feature_type, names in METRIC_NAMES.items():
        assert sorted(names) == sorted(get_metric_classes(feature_type)), feature_type


def test_every_metric_computes_a_finite_float(binary_data, category_data, generator):
    data = {
        BINARY: binary_data,
        CATEGORY: category_data,
        NUMBER: dict(zip((PREDICTIONS, "target"), regression_data(generator, (N,)))),
        VECTOR: dict(zip((PREDICTIONS, "target"), regression_data(generator, (N, D)))),
    }
    for feature_type, values in data.items():
        for name, cls in get_metric_classes(feature_type).items():
            value = evaluate(cls(), values[cls.input_key], values["target"], batches=3)
            assert isinstance(value, float) and math.isfinite(value), (feature_type, name)
