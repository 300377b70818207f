"""Incremental evaluation metrics of the output features, computed on torch tensors.

A metric accumulates exact sufficient statistics (sums and counts, or every score for AUC) batch by batch, so
``compute()`` gives the value over the whole dataset whatever the batching. Its ``input_key`` names the model
output the caller passes as ``preds`` (``predictions``, ``probabilities`` or ``logits``); ``target`` is always
the preprocessed target column. Metrics are registered per output feature type by their config name.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor

from ludwig.constants import (
    ANOMALY,
    ANOMALY_SCORE,
    BINARY,
    CATEGORY,
    CATEGORY_DISTRIBUTION,
    LOGITS,
    NUMBER,
    PREDICTIONS,
    PROBABILITIES,
    SEQUENCE,
    SET,
    TEXT,
    TIMESERIES,
    VECTOR,
)
from ludwig.modules.loss_modules import relative_errors, sequence_token_nll
from ludwig.schema.metrics import METRIC_NAMES
from ludwig.utils.registry import TypedRegistry

MINIMIZE = "minimize"
MAXIMIZE = "maximize"

metric_registry: TypedRegistry[type[LudwigMetric]] = TypedRegistry("metric")

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
    """Decorator registering a metric class under ``name`` for each of ``feature_types``.

    The name must be declared for each type in ``ludwig.schema.metrics.METRIC_NAMES``, which config validation
    reads without importing torch.
    """
    types = [feature_types] if isinstance(feature_types, str) else list(feature_types)
    undeclared = [t for t in types if name not in METRIC_NAMES.get(t, ())]
    if undeclared:
        raise ValueError(f"Metric {name!r} is not declared for {undeclared} in ludwig.schema.metrics.METRIC_NAMES.")

    def wrap(cls: type[LudwigMetric]) -> type[LudwigMetric]:
        _objectives[name] = cls.objective
        return metric_registry.register(name, feature_types)(cls)

    return wrap


def get_metric_classes(feature_type: str) -> dict[str, type[LudwigMetric]]:
    """The metric classes of an output feature type, by metric name (``loss`` not included)."""
    return dict(metric_registry.for_type(feature_type).items())


def get_metric_objective(name: str) -> str:
    """Whether a better ``name`` is smaller (``"minimize"``) or larger (``"maximize"``).

    Registered metrics say which; ``loss``, the losses and any other unregistered name (an error) minimize.
    """
    return _objectives.get(name, MINIMIZE)


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


@register_metric("accuracy", BINARY)
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
    """Micro-averaged category accuracy: the fraction of rows whose predicted class is the target."""


@register_metric("accuracy", CATEGORY)
class MacroAccuracy(LudwigMetric):
    """Macro-averaged category accuracy, as Ludwig 0.17 reports `accuracy` (torchmetrics' MulticlassAccuracy
    default): the mean over classes of each class's recall, tp / (tp + fn).

    Classes that are neither a target nor a prediction of any row are left out of the mean; a class that is only
    ever predicted counts with recall 0.
    """

    def reset(self) -> None:
        self._true_positives = torch.zeros(0, dtype=torch.long)
        self._supports = torch.zeros(0, dtype=torch.long)
        self._predicted = torch.zeros(0, dtype=torch.long)

    @staticmethod
    def _add(counts: Tensor, indices: Tensor, size: int) -> Tensor:
        grown = torch.nn.functional.pad(counts, (0, size - counts.numel()))
        return grown + torch.bincount(indices, minlength=size)

    def update(self, preds: Tensor, target: Tensor) -> None:
        preds, target = preds.detach().long().flatten().cpu(), target.detach().long().flatten().cpu()
        if not target.numel():
            return
        size = max(self._supports.numel(), int(preds.max()) + 1, int(target.max()) + 1)
        self._true_positives = self._add(self._true_positives, target[preds == target], size)
        self._supports = self._add(self._supports, target, size)
        self._predicted = self._add(self._predicted, preds, size)

    def compute(self) -> float:
        seen = (self._supports + self._predicted) > 0
        if not bool(seen.any()):
            return 0.0
        recalls = self._true_positives[seen].double() / self._supports[seen].clamp(min=1).double()
        return float(recalls.mean())


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


@register_metric("mean_squared_error", [NUMBER, VECTOR, TIMESERIES])
class MeanSquaredError(_MeanErrorMetric):
    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return (preds - target).square()


@register_metric("root_mean_squared_error", [NUMBER, VECTOR, TIMESERIES])
class RootMeanSquaredError(MeanSquaredError):
    def compute(self) -> float:
        return super().compute() ** 0.5


@register_metric("mean_absolute_error", [NUMBER, VECTOR, TIMESERIES])
class MeanAbsoluteError(_MeanErrorMetric):
    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return (preds - target).abs()


@register_metric("mean_absolute_percentage_error", [NUMBER, VECTOR, TIMESERIES])
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


@register_metric("huber", [NUMBER, VECTOR, TIMESERIES])
class Huber(_MeanErrorMetric):
    """Mean Huber loss with threshold ``delta``."""

    def __init__(self, delta: float = 1.0):
        self.delta = delta
        super().__init__()

    def errors(self, preds: Tensor, target: Tensor) -> Tensor:
        return torch.nn.functional.huber_loss(preds, target, reduction="none", delta=self.delta)


@register_metric("r2", [NUMBER, VECTOR, TIMESERIES])
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


# ---------------------------------------------------------------------------------------------------------
# Sets: multi-hot targets (N, C).


@register_metric("jaccard", SET)
class Jaccard(LudwigMetric):
    """Mean over rows of |predicted ∩ target| / |predicted ∪ target|, the prediction being probabilities >=
    ``threshold``. A row whose predicted and target sets are both empty scores 1 (they agree exactly)."""

    input_key = PROBABILITIES

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
        super().__init__()

    def reset(self) -> None:
        self._total: Tensor | float = 0.0
        self._count = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        predicted, actual = preds >= self.threshold, target.bool()
        intersection = (predicted & actual).sum(dim=-1).double()
        union = (predicted | actual).sum(dim=-1).double()
        scores = torch.where(union > 0, intersection / union.clamp_min(1), torch.ones_like(union))
        self._total = self._total + scores.sum()
        self._count += scores.numel()

    def compute(self) -> float:
        return _ratio(self._total, self._count)


@register_metric("sigmoid_cross_entropy", SET)
class SigmoidCrossEntropy(LudwigMetric):
    """Mean binary cross entropy of the logits against the multi-hot targets, over rows and elements."""

    objective = MINIMIZE
    input_key = LOGITS

    def reset(self) -> None:
        self._total: Tensor | float = 0.0
        self._count = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        losses = torch.nn.functional.binary_cross_entropy_with_logits(preds.double(), target.double(), reduction="none")
        self._total = self._total + losses.sum()
        self._count += losses.numel()

    def compute(self) -> float:
        return _ratio(self._total, self._count)


# ---------------------------------------------------------------------------------------------------------
# Sequences: token ids (B, T) as preprocessed (start symbol, tokens, stop symbol, padding). Padding positions
# never count; the edit-distance and n-gram metrics compare the tokens between the start and stop symbols.


class SequenceMetric(LudwigMetric):
    """A metric over token-id sequences; the output feature passes the ids of its special symbols.

    Args:
        start_idx: id of the start symbol.
        stop_idx: id of the stop symbol.
        pad_idx: id of the padding symbol.
        idx2str: the vocabulary (only the character-level metrics read it).
    """

    def __init__(self, start_idx: int = 1, stop_idx: int = 0, pad_idx: int = 2, idx2str: list[str] | None = None):
        self.start_idx, self.stop_idx, self.pad_idx = start_idx, stop_idx, pad_idx
        self.idx2str = idx2str
        super().__init__()


def content_tokens(tokens: Tensor, start_idx: int, stop_idx: int, pad_idx: int) -> tuple[Tensor, Tensor]:
    """The tokens of each row before its first stop symbol, without start and padding symbols.

    Returns:
        ``(compacted, lengths)``: ``compacted[b, :lengths[b]]`` are row ``b``'s content tokens, in order.
    """
    tokens = tokens.long()
    before_stop = (tokens == stop_idx).cumsum(dim=1) == 0
    keep = before_stop & (tokens != pad_idx) & (tokens != start_idx)
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)
    return tokens.gather(1, order), keep.sum(dim=1)


def batch_edit_distance(a: Tensor, a_lengths: Tensor, b: Tensor, b_lengths: Tensor) -> Tensor:
    """Levenshtein distance between ``a[i, :a_lengths[i]]`` and ``b[i, :b_lengths[i]]`` for every row ``i``.

    The dynamic programme runs one row of the table at a time for the whole batch. Within a table row, the
    insertion chain ``d[j] = min(d[j], d[j - 1] + 1)`` is ``min_k (t[k] + j - k)``, a cumulative minimum.
    """
    batch = a.shape[0]
    width = int(b_lengths.max()) if batch else 0
    steps = int(a_lengths.max()) if batch else 0
    a, b = a[:, :steps], b[:, :width]
    columns = torch.arange(width + 1, device=a.device)
    previous = columns.expand(batch, width + 1)
    distances = b_lengths.clone()  # rows where a is empty
    for i in range(1, steps + 1):
        substitution = previous[:, :-1] + (a[:, i - 1 : i] != b).long()
        first = torch.full((batch, 1), i, dtype=previous.dtype, device=a.device)
        best = torch.cat([first, torch.minimum(previous[:, 1:] + 1, substitution)], dim=1)
        current = torch.cummin(best - columns, dim=1).values + columns
        distances = torch.where(a_lengths == i, current.gather(1, b_lengths.unsqueeze(1)).squeeze(1), distances)
        previous = current
    return distances


@register_metric("token_accuracy", [SEQUENCE, TEXT])
class TokenAccuracy(SequenceMetric):
    """Fraction of non-padding target positions whose predicted token is the target token."""

    def reset(self) -> None:
        self._correct = 0
        self._total = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        target = target.long()
        mask = target != self.pad_idx
        self._correct += int(((preds.long() == target) & mask).sum())
        self._total += int(mask.sum())

    def compute(self) -> float:
        return _ratio(self._correct, self._total)


@register_metric("sequence_accuracy", [SEQUENCE, TEXT])
class SequenceAccuracy(SequenceMetric):
    """Fraction of rows whose predicted tokens match the target at every non-padding target position."""

    def reset(self) -> None:
        self._correct = 0
        self._total = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        target = target.long()
        matches = (preds.long() == target) | (target == self.pad_idx)
        self._correct += int(matches.all(dim=1).sum())
        self._total += target.shape[0]

    def compute(self) -> float:
        return _ratio(self._correct, self._total)


@register_metric("last_accuracy", [SEQUENCE, TEXT])
class LastAccuracy(SequenceMetric):
    """Fraction of rows whose last target token (before the stop symbol) is predicted; empty rows are skipped."""

    def reset(self) -> None:
        self._correct = 0
        self._total = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        target = target.long()
        content = (target != self.pad_idx) & (target != self.stop_idx) & (target != self.start_idx)
        positions = torch.arange(target.shape[1], device=target.device)
        last = torch.where(content, positions, -1).amax(dim=1)
        valid = last >= 0
        index = last.clamp_min(0).unsqueeze(1)
        correct = preds.long().gather(1, index).squeeze(1) == target.gather(1, index).squeeze(1)
        self._correct += int((correct & valid).sum())
        self._total += int(valid.sum())

    def compute(self) -> float:
        return _ratio(self._correct, self._total)


class _TokenLogLikelihood(SequenceMetric):
    """Sum and count of the negative log likelihoods of the non-padding target tokens under the logits."""

    objective = MINIMIZE
    input_key = LOGITS
    shift = 0  # 1: the logits at step t score the target at step t + 1

    def reset(self) -> None:
        self._nll = 0.0
        self._count = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        target = target.long()
        if self.shift:
            preds, target = preds[:, : -self.shift], target[:, self.shift :]
        mask = target != self.pad_idx
        nll = sequence_token_nll(preds, target)
        self._nll += float((nll * mask).sum().double())
        self._count += int(mask.sum())

    def mean_nll(self) -> float:
        return _ratio(self._nll, self._count)


@register_metric("perplexity", [SEQUENCE, TEXT])
class Perplexity(_TokenLogLikelihood):
    """``exp`` of the mean negative log likelihood of the non-padding target tokens."""

    def compute(self) -> float:
        return math.exp(min(self.mean_nll(), 700.0)) if self._count else 0.0


@register_metric("next_token_perplexity", [SEQUENCE, TEXT])
class NextTokenPerplexity(Perplexity):
    """Perplexity where the logits at step t score the target token at step t + 1."""

    shift = 1


@register_metric("sequence_softmax_cross_entropy", [SEQUENCE, TEXT])
class SequenceSoftmaxCrossEntropyMetric(_TokenLogLikelihood):
    """Mean cross entropy of the non-padding target tokens (unweighted, whatever the loss options)."""

    def compute(self) -> float:
        return self.mean_nll()


@register_metric("next_token_softmax_cross_entropy", [SEQUENCE, TEXT])
class NextTokenSoftmaxCrossEntropyMetric(SequenceSoftmaxCrossEntropyMetric):
    """Mean cross entropy where the logits at step t score the target token at step t + 1."""

    shift = 1


class _EditMetric(SequenceMetric):
    """Accumulates the edit distances between predicted and target content tokens."""

    objective = MINIMIZE

    def reset(self) -> None:
        self._edits = 0
        self._reference = 0
        self._rows = 0

    def sequences(self, tokens: Tensor) -> tuple[Tensor, Tensor]:
        """The (compacted, lengths) sequences compared."""
        return content_tokens(tokens, self.start_idx, self.stop_idx, self.pad_idx)

    def update(self, preds: Tensor, target: Tensor) -> None:
        predicted, predicted_lengths = self.sequences(preds)
        reference, reference_lengths = self.sequences(target)
        edits = batch_edit_distance(predicted, predicted_lengths, reference, reference_lengths)
        self._edits += int(edits.sum())
        self._reference += int(reference_lengths.sum())
        self._rows += target.shape[0]


@register_metric("edit_distance", [SEQUENCE, TEXT])
class EditDistance(_EditMetric):
    """Mean over rows of the Levenshtein distance (in tokens) between prediction and target."""

    def compute(self) -> float:
        return _ratio(self._edits, self._rows)


@register_metric("word_error_rate", TEXT)
class WordErrorRate(_EditMetric):
    """Token-level edits (substitutions, insertions, deletions) divided by the number of target tokens."""

    def compute(self) -> float:
        return _ratio(self._edits, self._reference)


@functools.lru_cache(maxsize=8)
def _character_table(vocab: tuple[str, ...]) -> tuple[Tensor, Tensor]:
    """Code points ``[vocab, widest token]`` (0-padded) and the length of every token of a vocabulary."""
    lengths = torch.tensor([len(token) for token in vocab], dtype=torch.long)
    chars = torch.zeros(len(vocab), max(int(lengths.max()) if len(vocab) else 1, 1), dtype=torch.long)
    code_points = [ord(c) for token in vocab for c in token]
    if code_points:
        rows = torch.repeat_interleave(torch.arange(len(vocab)), lengths)
        starts = torch.cumsum(lengths, dim=0) - lengths
        columns = torch.arange(len(code_points)) - torch.repeat_interleave(starts, lengths)
        chars[rows, columns] = torch.tensor(code_points)
    return chars, lengths


@register_metric("char_error_rate", TEXT)
class CharErrorRate(WordErrorRate):
    """Character-level edits divided by the number of target characters.

    A row's text is its content tokens joined by single spaces (``idx2str`` gives each token's characters).
    """

    def __init__(self, start_idx: int = 1, stop_idx: int = 0, pad_idx: int = 2, idx2str: list[str] | None = None):
        super().__init__(start_idx, stop_idx, pad_idx, idx2str)
        self._chars, self._char_lengths = _character_table(tuple(idx2str or ()))

    def sequences(self, tokens: Tensor) -> tuple[Tensor, Tensor]:
        compacted, lengths = super().sequences(tokens)
        chars, char_lengths = self._chars.to(tokens.device), self._char_lengths.to(tokens.device)
        rows, steps = compacted.shape
        widest = chars.shape[1]
        token_chars = chars[compacted]  # [B, T, W]
        in_row = torch.arange(steps, device=tokens.device) < lengths.unsqueeze(1)  # [B, T]
        char_valid = (torch.arange(widest, device=tokens.device) < char_lengths[compacted].unsqueeze(-1)) & in_row[
            ..., None
        ]
        separator_valid = torch.arange(steps, device=tokens.device) < (lengths - 1).unsqueeze(1)
        text = torch.cat([token_chars, torch.full((rows, steps, 1), ord(" "), device=tokens.device)], dim=2)
        valid = torch.cat([char_valid, separator_valid.unsqueeze(-1)], dim=2)
        text, valid = text.reshape(rows, -1), valid.reshape(rows, -1)
        order = torch.argsort((~valid).to(torch.int8), dim=1, stable=True)
        return text.gather(1, order), valid.sum(dim=1)


@register_metric("bleu", TEXT)
class BLEU(SequenceMetric):
    """Corpus BLEU-4 of the predicted content tokens against the target ones (one reference per row).

    Clipped n-gram matches and totals (n = 1..4) and the lengths are summed over the dataset; the score is the
    brevity penalty times the geometric mean of the four precisions, 0.0 when one of them is 0 (no smoothing).
    """

    max_order = 4

    def reset(self) -> None:
        self._matches = [0] * self.max_order
        self._totals = [0] * self.max_order
        self._predicted_length = 0
        self._reference_length = 0

    @staticmethod
    def _ngrams(tokens: Tensor, lengths: Tensor, n: int) -> Tensor:
        """Rows ``[row, token_1..token_n]`` of every n-gram inside the sequences."""
        rows, steps = tokens.shape
        if steps < n:
            return tokens.new_zeros(0, n + 1)
        windows = tokens.unfold(1, n, 1)  # [B, T - n + 1, n]
        starts = torch.arange(windows.shape[1], device=tokens.device)
        valid = starts + n <= lengths.unsqueeze(1)
        row_ids = torch.arange(rows, device=tokens.device).unsqueeze(1).expand_as(valid)
        return torch.cat([row_ids[valid].unsqueeze(1), windows[valid]], dim=1)

    def update(self, preds: Tensor, target: Tensor) -> None:
        predicted, predicted_lengths = content_tokens(preds, self.start_idx, self.stop_idx, self.pad_idx)
        reference, reference_lengths = content_tokens(target, self.start_idx, self.stop_idx, self.pad_idx)
        self._predicted_length += int(predicted_lengths.sum())
        self._reference_length += int(reference_lengths.sum())
        for n in range(1, self.max_order + 1):
            predicted_ngrams = self._ngrams(predicted, predicted_lengths, n)
            reference_ngrams = self._ngrams(reference, reference_lengths, n)
            if len(predicted_ngrams) == 0:
                continue
            both = torch.cat([predicted_ngrams, reference_ngrams])
            _, inverse = torch.unique(both, dim=0, return_inverse=True)
            size = int(inverse.max()) + 1
            predicted_counts = torch.bincount(inverse[: len(predicted_ngrams)], minlength=size)
            reference_counts = torch.bincount(inverse[len(predicted_ngrams) :], minlength=size)
            self._matches[n - 1] += int(torch.minimum(predicted_counts, reference_counts).sum())
            self._totals[n - 1] += len(predicted_ngrams)

    def compute(self) -> float:
        if self._predicted_length == 0 or min(self._matches) == 0:
            return 0.0
        log_precision = sum(math.log(m / t) for m, t in zip(self._matches, self._totals)) / self.max_order
        ratio = self._predicted_length / self._reference_length if self._reference_length else 1.0
        brevity = 1.0 if ratio > 1.0 else math.exp(1 - 1 / ratio)
        return brevity * math.exp(log_precision)


# ---------------------------------------------------------------------------------------------------------
# category_distribution: targets are probability vectors (N, C); the class metrics read their most probable class.


def _argmax_target(metric_cls: type[LudwigMetric]) -> type[LudwigMetric]:
    """A subclass of ``metric_cls`` comparing against the most probable class of target distributions (N, C)."""

    class ArgmaxTarget(metric_cls):
        def update(self, preds: Tensor, target: Tensor) -> None:
            super().update(preds, target.argmax(dim=-1) if target.dim() > 1 else target)

    ArgmaxTarget.__name__ = ArgmaxTarget.__qualname__ = f"Distribution{metric_cls.__name__}"
    ArgmaxTarget.__doc__ = f"{metric_cls.__name__} against the most probable class of each target distribution."
    return ArgmaxTarget


DistributionAccuracy = register_metric("accuracy", CATEGORY_DISTRIBUTION)(_argmax_target(MacroAccuracy))
DistributionAccuracyMicro = register_metric("accuracy_micro", CATEGORY_DISTRIBUTION)(_argmax_target(AccuracyMicro))
DistributionHitsAtK = register_metric("hits_at_k", CATEGORY_DISTRIBUTION)(_argmax_target(HitsAtK))
DistributionROCAUC = register_metric("roc_auc", CATEGORY_DISTRIBUTION)(_argmax_target(CategoryROCAUC))


@register_metric("softmax_cross_entropy", CATEGORY_DISTRIBUTION)
class SoftmaxCrossEntropyMetric(LudwigMetric):
    """Mean over rows of ``-sum_c p_c log softmax(logits)_c``, p the target distribution (N, C)."""

    objective = MINIMIZE
    input_key = LOGITS

    def reset(self) -> None:
        self._total = 0.0
        self._rows = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        log_probabilities = torch.log_softmax(preds.detach().double(), dim=-1)
        self._total += float(-(target.double() * log_probabilities).sum())
        self._rows += len(target)

    def compute(self) -> float:
        return _ratio(self._total, self._rows)


# ---------------------------------------------------------------------------------------------------------
# Anomaly metrics: anomaly scores (N,), higher is more anomalous, against labels 0 / 1; unlabeled rows (-1) are
# left out.


class _AnomalyScoreMetric(_ScoreMetric):
    input_key = ANOMALY_SCORE

    def _labeled(self) -> tuple[Tensor, Tensor] | None:
        """Scores and 0/1 labels of the labeled rows; None unless both labels occur."""
        if not self._scores:
            return None
        scores, labels = self._gathered()
        labeled = (labels == 0) | (labels == 1)
        scores, labels = scores[labeled], labels[labeled]
        if labels.numel() == 0 or bool((labels == labels[0]).all()):
            return None
        return scores, labels


@register_metric("anomaly_auroc", ANOMALY)
class AnomalyAUROC(_AnomalyScoreMetric):
    """ROC AUC of the anomaly scores against the labels (1 = anomaly); 0.0 unless both labels occur."""

    def compute(self) -> float:
        labeled = self._labeled()
        return 0.0 if labeled is None else binary_auc(labeled[0], labeled[1] == 1)


def best_f1(scores: Tensor, positives: Tensor) -> tuple[float, float]:
    """The largest F1 of ``scores >= t`` against ``positives`` over every threshold t among the scores, and that t.

    Args:
        scores: (N,) scores, higher meaning positive.
        positives: (N,) booleans.
    """
    order = torch.argsort(scores, descending=True)
    sorted_scores, hits = scores[order], positives[order].double()
    true_positives = torch.cumsum(hits, 0)
    predicted = torch.arange(1, len(hits) + 1, dtype=torch.float64)
    # Only the last row of a run of tied scores is a threshold every row of the run passes.
    last_of_tie = torch.ones(len(hits), dtype=torch.bool)
    last_of_tie[:-1] = sorted_scores[:-1] != sorted_scores[1:]
    f1 = 2 * true_positives / (predicted + hits.sum())
    f1 = torch.where(last_of_tie, f1, torch.zeros_like(f1))
    best = int(torch.argmax(f1))
    return float(f1[best]), float(sorted_scores[best])


@register_metric("f1_max", ANOMALY)
class F1Max(_AnomalyScoreMetric):
    """The best F1 of ``score >= t`` over every threshold t; 0.0 unless both labels occur."""

    def compute(self) -> float:
        labeled = self._labeled()
        return 0.0 if labeled is None else best_f1(labeled[0], labeled[1] == 1)[0]
