"""Incremental evaluation metrics of the output features, computed on torch tensors.

A metric accumulates exact sufficient statistics (sums and counts, or every score for AUC) batch by batch, so
``compute()`` gives the value over the whole dataset whatever the batching. Its ``input_key`` names the model
output the caller passes as ``preds`` (``predictions``, ``probabilities`` or ``logits``); ``target`` is always
the preprocessed target column. Metrics are registered per output feature type by their config name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor

from ludwig.constants import (
    BINARY,
    CATEGORY,
    LOSS_METRIC,
    NUMBER,
    PREDICTIONS,
    PROBABILITIES,
    SEQUENCE,
    SET,
    TEXT,
    TIMESERIES,
    VECTOR,
)
from ludwig.modules.loss_modules import loss_registry, relative_errors
from ludwig.utils.registry import TypedRegistry

MINIMIZE = "minimize"
MAXIMIZE = "maximize"

metric_registry: TypedRegistry[type[LudwigMetric]] = TypedRegistry("metric")

DEFAULT_VALIDATION_METRIC = {
    BINARY: "roc_auc",
    NUMBER: "mean_squared_error",
    CATEGORY: "accuracy",
    VECTOR: "mean_squared_error",
    SET: "jaccard",
    SEQUENCE: LOSS_METRIC,
    TEXT: LOSS_METRIC,
    TIMESERIES: "mean_squared_error",
}

# Metrics of feature types that have no metric class here yet; any other unregistered name (a loss, an error)
# is minimized.
_MAXIMIZED_ELSEWHERE = frozenset({"jaccard", "token_accuracy", "sequence_accuracy"})
_objectives: dict[str, str] = {}


class LudwigMetric:
    """A metric accumulated over batches.

    Subclasses set ``objective`` and ``input_key`` and implement ``reset``, ``update`` and ``compute``.
    """

    objective: ClassVar[str] = MAXIMIZE
    input_key: ClassVar[str] = PREDICTIONS

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget every batch seen so far."""
        raise NotImplementedError

    def update(self, preds: Tensor, target: Tensor) -> None:
        """Accumulate one batch of model outputs (``input_key``) and targets."""
        raise NotImplementedError

    def compute(self) -> float:
        """The metric over every batch since the last reset; 0.0 where it is undefined."""
        raise NotImplementedError


def register_metric(name: str, feature_types: str | list[str]) -> Callable[[type[LudwigMetric]], type[LudwigMetric]]:
    """Decorator registering a metric class under ``name`` for each of ``feature_types``."""

    def wrap(cls: type[LudwigMetric]) -> type[LudwigMetric]:
        _objectives[name] = cls.objective
        return metric_registry.register(name, feature_types)(cls)

    return wrap


def get_metric_classes(feature_type: str) -> dict[str, type[LudwigMetric]]:
    """The metric classes of an output feature type, by metric name (``loss`` not included)."""
    return dict(metric_registry.for_type(feature_type).items())


def get_metric_objective(name: str) -> str:
    """Whether a better ``name`` is smaller (``"minimize"``) or larger (``"maximize"``).

    ``loss``, the losses and the error metrics minimize; unregistered names are taken for errors unless they
    are scores of feature types without metric classes here (``jaccard``, ``token_accuracy``...).
    """
    if name in _objectives:
        return _objectives[name]
    if name == LOSS_METRIC or name in loss_registry:
        return MINIMIZE
    return MAXIMIZE if name in _MAXIMIZED_ELSEWHERE else MINIMIZE


def _ratio(numerator: Tensor | float, denominator: Tensor | float) -> float:
    """``numerator / denominator`` as a float, 0.0 when the denominator is 0."""
    denominator = float(denominator)
    return float(numerator) / denominator if denominator else 0.0


class MeanMetric:
    """Running mean of scalar values (e.g. the loss of each batch) weighted by their batch sizes."""

    objective: ClassVar[str] = MINIMIZE

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self._total = 0.0
        self._weight = 0

    def update(self, value: Tensor | float, batch_size: int = 1) -> None:
        """Add a batch whose mean value is ``value`` over ``batch_size`` rows."""
        self._total += float(value) * batch_size
        self._weight += batch_size

    def compute(self) -> float:
        return _ratio(self._total, self._weight)


# ---------------------------------------------------------------------------------------------------------
# Ranking: exact ROC AUC from every accumulated score.


def binary_auc(scores: Tensor, positives: Tensor) -> float:
    """Exact area under the ROC curve via the Mann-Whitney U statistic, tied scores sharing their mean rank.

    Args:
        scores: (N,) scores, higher meaning more likely positive.
        positives: (N,) booleans, True for the positive rows.

    Returns:
        The AUC, or 0.0 when the rows are all positive or all negative.
    """
    num_positives = int(positives.sum())
    num_negatives = positives.numel() - num_positives
    if num_positives == 0 or num_negatives == 0:
        return 0.0
    _, inverse, counts = torch.unique(scores.double(), return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, dim=0).double()
    mean_ranks = ends - (counts.double() - 1) / 2  # 1-based rank, averaged over each run of ties
    positive_rank_sum = mean_ranks[inverse][positives].sum()
    u_statistic = positive_rank_sum - num_positives * (num_positives + 1) / 2
    return float(u_statistic) / (num_positives * num_negatives)


class _ScoreMetric(LudwigMetric):
    """Keeps every (score, target) pair: AUC is not a sum over rows."""

    input_key = PROBABILITIES

    def reset(self) -> None:
        self._scores: list[Tensor] = []
        self._targets: list[Tensor] = []

    def update(self, preds: Tensor, target: Tensor) -> None:
        self._scores.append(preds.detach().double())
        self._targets.append(target.detach().long())

    def _gathered(self) -> tuple[Tensor, Tensor]:
        return torch.cat(self._scores), torch.cat(self._targets)


@register_metric("roc_auc", BINARY)
class BinaryROCAUC(_ScoreMetric):
    """ROC AUC of the positive-class probabilities (N,) against 0/1 targets."""

    def compute(self) -> float:
        if not self._scores:
            return 0.0
        scores, targets = self._gathered()
        return binary_auc(scores, targets == 1)


@register_metric("roc_auc", CATEGORY)
class CategoryROCAUC(_ScoreMetric):
    """Macro one-vs-rest ROC AUC of class probabilities (N, C) against class indices (N,).

    Classes that never occur as targets have no AUC and are left out of the mean; with fewer than two target
    classes the metric is 0.0.
    """

    def compute(self) -> float:
        if not self._scores:
            return 0.0
        scores, targets = self._gathered()
        classes = torch.unique(targets).tolist()
        if len(classes) < 2:
            return 0.0
        return sum(binary_auc(scores[:, c], targets == c) for c in classes) / len(classes)


# ---------------------------------------------------------------------------------------------------------
# Classification counts.


@register_metric("accuracy", [BINARY, CATEGORY])
class Accuracy(LudwigMetric):
    """Fraction of predictions (N,) equal to the targets (N,): booleans for binary, class indices for category."""

    def reset(self) -> None:
        self._correct = 0
        self._total = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        self._correct += int((preds.long() == target.long()).sum())
        self._total += target.numel()

    def compute(self) -> float:
        return _ratio(self._correct, self._total)


@register_metric("accuracy_micro", CATEGORY)
class AccuracyMicro(Accuracy):
    """Micro-averaged accuracy; with one label per row it equals :class:`Accuracy`."""


@register_metric("hits_at_k", CATEGORY)
class HitsAtK(LudwigMetric):
    """Fraction of rows whose target is among the ``k`` most probable classes of probabilities (N, C)."""

    input_key = PROBABILITIES

    def __init__(self, k: int = 3):
        self.k = k
        super().__init__()

    def reset(self) -> None:
        self._hits = 0
        self._total = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        top_k = preds.topk(min(self.k, preds.shape[-1]), dim=-1).indices
        self._hits += int((top_k == target.long().unsqueeze(-1)).any(dim=-1).sum())
        self._total += target.numel()

    def compute(self) -> float:
        return _ratio(self._hits, self._total)


class _BinaryCountsMetric(LudwigMetric):
    """Accumulates the binary confusion counts of 0/1 predictions against 0/1 targets."""

    def reset(self) -> None:
        self._tp = self._fp = self._tn = self._fn = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        predicted, actual = preds.bool(), target.bool()
        self._tp += int((predicted & actual).sum())
        self._fp += int((predicted & ~actual).sum())
        self._tn += int((~predicted & ~actual).sum())
        self._fn += int((~predicted & actual).sum())


@register_metric("precision", BINARY)
class Precision(_BinaryCountsMetric):
    def compute(self) -> float:
        return _ratio(self._tp, self._tp + self._fp)


@register_metric("recall", BINARY)
class Recall(_BinaryCountsMetric):
    def compute(self) -> float:
        return _ratio(self._tp, self._tp + self._fn)


@register_metric("specificity", BINARY)
class Specificity(_BinaryCountsMetric):
    def compute(self) -> float:
        return _ratio(self._tn, self._tn + self._fp)


# ---------------------------------------------------------------------------------------------------------
# Regression: means of elementwise errors, in float64. Vectors count every element.


class _MeanErrorMetric(LudwigMetric):
    """Mean over all elements of an elementwise error of predictions against targets."""

    objective = MINIMIZE

    def reset(self) -> None:
        self._total: Tensor | float = 0.0
        self._count = 0

    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        """Elementwise errors of a batch (float64)."""
        raise NotImplementedError

    def update(self, preds: Tensor, target: Tensor) -> None:
        errors = self.errors(preds.detach().double(), target.detach().double())
        self._total = self._total + errors.sum()
        self._count += errors.numel()

    def compute(self) -> float:
        return _ratio(self._total, self._count)


@register_metric("mean_squared_error", [NUMBER, VECTOR])
class MeanSquaredError(_MeanErrorMetric):
    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return (preds - target).square()


@register_metric("root_mean_squared_error", [NUMBER, VECTOR])
class RootMeanSquaredError(MeanSquaredError):
    def compute(self) -> float:
        return super().compute() ** 0.5


@register_metric("mean_absolute_error", [NUMBER, VECTOR])
class MeanAbsoluteError(_MeanErrorMetric):
    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return (preds - target).abs()


@register_metric("mean_absolute_percentage_error", [NUMBER, VECTOR])
class MeanAbsolutePercentageError(_MeanErrorMetric):
    """Mean of ``|target - preds| / |target|`` (a fraction), the same as the loss of that name."""

    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return relative_errors(preds, target).abs()


@register_metric("root_mean_squared_percentage_error", NUMBER)
class RootMeanSquaredPercentageError(_MeanErrorMetric):
    """Square root of the mean of ``((target - preds) / |target|) ** 2``."""

    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return relative_errors(preds, target).square()

    def compute(self) -> float:
        return super().compute() ** 0.5


@register_metric("huber", [NUMBER, VECTOR])
class Huber(_MeanErrorMetric):
    """Mean Huber loss with threshold ``delta``."""

    def __init__(self, delta: float = 1.0):
        self.delta = delta
        super().__init__()

    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return torch.nn.functional.huber_loss(preds, target, reduction="none", delta=self.delta)


@register_metric("r2", [NUMBER, VECTOR])
class R2Score(LudwigMetric):
    """Coefficient of determination over all elements, ``1 - SSE / SST``.

    The target mean and sum of squares are merged across batches exactly (Chan et al.'s parallel variance), not
    averaged per batch. As in scikit-learn, constant targets give 1.0 for perfect predictions and 0.0 otherwise.
    """

    def reset(self) -> None:
        self._count = 0
        self._mean: Tensor | float = 0.0
        self._sum_squares: Tensor | float = 0.0  # of the targets around their mean
        self._sum_squared_errors: Tensor | float = 0.0

    def update(self, preds: Tensor, target: Tensor) -> None:
        preds, target = preds.detach().double().flatten(), target.detach().double().flatten()
        count = target.numel()
        if count == 0:
            return
        batch_mean = target.mean()
        batch_sum_squares = (target - batch_mean).square().sum()
        total = self._count + count
        delta = batch_mean - self._mean
        self._sum_squares = self._sum_squares + batch_sum_squares + delta.square() * self._count * count / total
        self._mean = self._mean + delta * count / total
        self._count = total
        self._sum_squared_errors = self._sum_squared_errors + (preds - target).square().sum()

    def compute(self) -> float:
        if self._count == 0:
            return 0.0
        sum_squares, errors = float(self._sum_squares), float(self._sum_squared_errors)
        if sum_squares == 0.0:
            return 1.0 if errors == 0.0 else 0.0
        return 1.0 - errors / sum_squares
