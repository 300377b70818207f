"""Losses of the output features, registered by the ``type`` of their config section.

Each loss is built from its config object (``ludwig.schema.features.loss``) and maps ``(preds, target)`` to a
scalar: the mean over the batch. Classification losses take logits, never probabilities.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ludwig.modules.corn import corn_loss
from ludwig.modules.sparse_activations import entmax15, sparsemax
from ludwig.utils.registry import Registry

loss_registry: Registry[type[nn.Module]] = Registry("loss")

# Keeps relative errors finite when a target is 0 (the same floor as torchmetrics' percentage errors).
PERCENTAGE_EPSILON = 1.17e-06


def build_loss(config) -> nn.Module:
    """Build the loss module registered under ``config.type``.

    For ``softmax_cross_entropy`` the caller must first turn a ``class_weights`` mapping {label: weight} into a
    list ordered by class index.
    """
    return loss_registry[config.type](config)


def relative_errors(preds: Tensor, target: Tensor) -> Tensor:
    """Elementwise ``(target - preds) / |target|``, with ``|target|`` floored at :data:`PERCENTAGE_EPSILON`."""
    return (target - preds) / target.abs().clamp_min(PERCENTAGE_EPSILON)


def entropy(probabilities: Tensor) -> Tensor:
    """Entropy (N,) of each row of class probabilities (N, C), with ``0 * log 0`` taken as 0."""
    return -(probabilities * torch.log(probabilities.clamp_min(1e-10))).sum(dim=-1)


def mean_confidence_penalty(probabilities: Tensor) -> Tensor:
    """Mean over rows of ``(log C - H(p)) / log C``: 0 for uniform predictions, 1 for one-hot ones.

    Args:
        probabilities: (N, C) rows of class probabilities.
    """
    max_entropy = math.log(probabilities.shape[-1])
    return ((max_entropy - entropy(probabilities)) / max_entropy).mean()


class _LossModule(nn.Module):
    """A loss built from its config section."""

    def __init__(self, config):
        super().__init__()
        self.config = config


class _ClassificationLoss(_LossModule):
    """A loss over class probabilities that supports ``robust_lambda`` and ``confidence_penalty``.

    With C classes the robust loss is ``(1 - λ) * loss + λ / C``, the loss of a uniform prediction mixed in.
    The penalty adds ``confidence_penalty * mean_confidence_penalty(p)``, i.e. subtracts
    ``confidence_penalty / log C`` times the mean entropy of the predictions (plus a constant), which rewards
    less confident predictions.
    """

    def num_classes(self, preds: Tensor) -> int:
        """The number of classes C predicted by the logits ``preds``."""
        raise NotImplementedError

    def probabilities(self, preds: Tensor) -> Tensor:
        """The (N, C) class probabilities given by the logits ``preds``."""
        raise NotImplementedError

    def regularise(self, loss: Tensor, preds: Tensor) -> Tensor:
        robust_lambda = self.config.robust_lambda
        if robust_lambda > 0:
            loss = (1 - robust_lambda) * loss + robust_lambda / self.num_classes(preds)
        if self.config.confidence_penalty > 0:
            loss = loss + self.config.confidence_penalty * mean_confidence_penalty(self.probabilities(preds))
        return loss


@loss_registry.register("mean_squared_error")
class MSELoss(_LossModule):
    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(preds, target.to(preds.dtype))


@loss_registry.register("mean_absolute_error")
class MAELoss(_LossModule):
    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(preds, target.to(preds.dtype))


@loss_registry.register("mean_absolute_percentage_error")
class MAPELoss(_LossModule):
    """Mean of ``|target - preds| / |target|`` (a fraction, not multiplied by 100)."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        return relative_errors(preds, target.to(preds.dtype)).abs().mean()


@loss_registry.register("root_mean_squared_error")
class RMSELoss(_LossModule):
    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(preds, target.to(preds.dtype)).sqrt()


@loss_registry.register("root_mean_squared_percentage_error")
class RMSPELoss(_LossModule):
    """Square root of the mean of ``((target - preds) / |target|) ** 2``."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        return relative_errors(preds, target.to(preds.dtype)).square().mean().sqrt()


@loss_registry.register("huber")
class HuberLoss(_LossModule):
    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(preds, target.to(preds.dtype), delta=self.config.delta)


@loss_registry.register("binary_weighted_cross_entropy")
class BWCEWithLogitsLoss(_ClassificationLoss):
    """Binary cross entropy on logits (N,) against 0/1 targets (N,).

    ``positive_class_weight`` multiplies the loss of positive targets (``pos_weight`` of
    ``binary_cross_entropy_with_logits``). ``robust_lambda`` and ``confidence_penalty`` act on the two-class
    distribution (1 - p, p).
    """

    def __init__(self, config):
        super().__init__(config)
        weight = config.positive_class_weight
        self.register_buffer("pos_weight", None if weight is None else torch.tensor(weight), persistent=False)

    def num_classes(self, preds: Tensor) -> int:
        return 2

    def probabilities(self, preds: Tensor) -> Tensor:
        probability = torch.sigmoid(preds)
        return torch.stack([1 - probability, probability], dim=-1)

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        pos_weight = None if self.pos_weight is None else self.pos_weight.to(preds.dtype)
        loss = F.binary_cross_entropy_with_logits(preds, target.to(preds.dtype), pos_weight=pos_weight)
        return self.regularise(loss, preds)


@loss_registry.register("softmax_cross_entropy")
class SoftmaxCrossEntropyLoss(_ClassificationLoss):
    """Cross entropy of logits (N, C) against class indices (N,) or target distributions (N, C).

    ``class_weights`` (a list by class index) and ``label_smoothing`` follow ``torch.nn.functional.cross_entropy``:
    with class indices the weighted mean divides by the summed weights of the targets. With
    ``class_similarities`` and ``class_similarities_temperature > 0`` a class index ``y`` becomes the soft target
    ``softmax(class_similarities[y] / temperature)``; with temperature 0 the similarities are unused.
    """

    def __init__(self, config):
        super().__init__(config)
        weights = config.class_weights
        self.register_buffer(
            "class_weights", None if weights is None else torch.tensor(weights, dtype=torch.float32), persistent=False
        )
        similarities = config.class_similarities
        temperature = config.class_similarities_temperature
        soft_targets = None
        if similarities is not None and temperature > 0:
            soft_targets = torch.softmax(torch.tensor(similarities, dtype=torch.float32) / temperature, dim=-1)
        self.register_buffer("soft_targets", soft_targets, persistent=False)

    def num_classes(self, preds: Tensor) -> int:
        return preds.shape[-1]

    def probabilities(self, preds: Tensor) -> Tensor:
        return torch.softmax(preds, dim=-1)

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        if target.is_floating_point():
            target = target.to(preds.dtype)
        elif self.soft_targets is not None:
            target = self.soft_targets[target.long()].to(preds.dtype)
        else:
            target = target.long()
        weights = None if self.class_weights is None else self.class_weights.to(preds.dtype)
        loss = F.cross_entropy(preds, target, weight=weights, label_smoothing=self.config.label_smoothing)
        return self.regularise(loss, preds)


# ---------------------------------------------------------------------------------------------------------
# Sequence losses: logits (B, T, V) against token ids (B, T); padding positions are ignored.


def first_occurrences(target: Tensor) -> Tensor:
    """(B, T) booleans: True where a row's token has not occurred earlier in that row."""
    steps = target.shape[1]
    same = target.unsqueeze(2) == target.unsqueeze(1)  # [B, T, T]: position t equals position s
    earlier = torch.ones(steps, steps, dtype=torch.bool, device=target.device).tril(diagonal=-1)
    return ~(same & earlier).any(dim=2)


def sequence_token_nll(preds: Tensor, target: Tensor, soft_targets: Tensor | None = None) -> Tensor:
    """Per-position negative log likelihood (B, T) of targets (B, T) under logits (B, T, V), in float32."""
    log_probs = torch.log_softmax(preds.float(), dim=-1)
    if soft_targets is not None:
        return -(soft_targets[target] * log_probs).sum(dim=-1)
    return -log_probs.gather(-1, target.unsqueeze(-1)).squeeze(-1)


def sequence_cross_entropy(preds: Tensor, target: Tensor, pad_idx: int) -> Tensor:
    """Mean cross entropy over the non-padding positions (unweighted; used by the loss metrics)."""
    target = target.long()
    mask = target != pad_idx
    nll = sequence_token_nll(preds, target)
    return (nll * mask).sum() / mask.sum().clamp_min(1)


@loss_registry.register("sequence_softmax_cross_entropy")
class SequenceSoftmaxCrossEntropyLoss(SoftmaxCrossEntropyLoss):
    """Cross entropy of logits (B, T, V) against token ids (B, T), averaged over the non-padding positions.

    The options act as in ``softmax_cross_entropy``, position by position: ``class_weights`` (a list by token
    id) weight each position by its target token and the mean divides by the summed weights; ``unique`` counts
    each distinct token of a row once (its first position). ``robust_lambda`` and ``confidence_penalty`` use
    the predictions at the non-padding positions. The config must carry ``pad_idx``, set by the output feature.
    """

    def __init__(self, config):
        super().__init__(config)
        self.pad_idx = int(config.pad_idx)

    def align(self, preds: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """The logits and targets compared position by position."""
        return preds, target

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        preds, target = self.align(preds, target.long())
        mask = target != self.pad_idx
        if self.config.unique:
            mask = mask & first_occurrences(target)
        nll = sequence_token_nll(preds, target, self.soft_targets)
        smoothing = self.config.label_smoothing
        if smoothing > 0:
            uniform = -torch.log_softmax(preds.float(), dim=-1).mean(dim=-1)
            nll = (1 - smoothing) * nll + smoothing * uniform
        weights = mask.float()
        if self.class_weights is not None:
            weights = weights * self.class_weights[target]
        loss = (nll * weights).sum() / weights.sum().clamp_min(1e-12)
        if self.config.robust_lambda > 0:
            loss = (1 - self.config.robust_lambda) * loss + self.config.robust_lambda / preds.shape[-1]
        if self.config.confidence_penalty > 0:
            probabilities = torch.softmax(preds.float()[mask], dim=-1)
            if len(probabilities):
                loss = loss + self.config.confidence_penalty * mean_confidence_penalty(probabilities)
        return loss


@loss_registry.register("next_token_softmax_cross_entropy")
class NextTokenSoftmaxCrossEntropyLoss(SequenceSoftmaxCrossEntropyLoss):
    """Sequence cross entropy where the logits at step t score the token at step t + 1.

    For decoders (language models) whose output at a position predicts the following token.
    """

    def align(self, preds: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        return preds[:, :-1], target[:, 1:]


@loss_registry.register("sigmoid_cross_entropy")
class SigmoidCrossEntropyLoss(_LossModule):
    """Mean binary cross entropy of logits (N, C) against multi-hot targets (N, C), over rows and elements.

    ``class_weights`` (a list by element index) multiply the loss of each element where it is present
    (``pos_weight`` of ``binary_cross_entropy_with_logits``), as Ludwig does.
    """

    def __init__(self, config):
        super().__init__(config)
        weights = config.class_weights
        self.register_buffer(
            "pos_weight", None if weights is None else torch.tensor(weights, dtype=torch.float32), persistent=False
        )

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        pos_weight = None if self.pos_weight is None else self.pos_weight.to(preds.dtype)
        return F.binary_cross_entropy_with_logits(preds, target.to(preds.dtype), pos_weight=pos_weight)


# ---------------------------------------------------------------------------------------------------------
# Further classification losses over logits: (N,) for binary outputs, (N, C) for category outputs.


def class_logits(preds: Tensor) -> Tensor:
    """(N, C) class logits: category logits unchanged, a binary logit z (N,) as (0, z), whose softmax is
    (1 - sigmoid(z), sigmoid(z))."""
    if preds.dim() == 1:
        return torch.stack([torch.zeros_like(preds), preds], dim=-1)
    return preds


def row_cross_entropy(preds: Tensor, target: Tensor) -> Tensor:
    """Cross entropy (N,) of each row: ``-log p_t``, p_t the predicted probability of the target class."""
    return F.cross_entropy(class_logits(preds), target.long(), reduction="none")


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` (N,) over the rows where ``mask`` is true; 0 when there are none."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp_min(1)


@loss_registry.register("focal_loss")
class FocalLoss(_LossModule):
    """Mean over rows of ``alpha_t * (1 - p_t) ** gamma * (-log p_t)``.

    For binary outputs ``alpha_t`` is ``alpha`` on positive rows and ``1 - alpha`` on negative ones; category
    outputs use ``alpha_t = 1``.
    """

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        nll = row_cross_entropy(preds, target)
        loss = (1 - torch.exp(-nll)) ** self.config.gamma * nll
        if preds.dim() == 1:
            positive = target.to(preds.dtype)
            loss = loss * (self.config.alpha * positive + (1 - self.config.alpha) * (1 - positive))
        return loss.mean()


@loss_registry.register("poly_loss")
class PolyLoss(_LossModule):
    """Mean over rows of ``-log p_t + epsilon * (1 - p_t)``."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        nll = row_cross_entropy(preds, target)
        return (nll + self.config.epsilon * (1 - torch.exp(-nll))).mean()


@loss_registry.register("entropic_open_set")
class EntropicOpenSetLoss(_LossModule):
    """Mean cross entropy of the known rows plus the mean negative entropy of the background rows (the rows of
    class ``background_class``), which is lowest for a uniform prediction. Each mean is 0 without rows."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        logits, target = class_logits(preds), target.long()
        background = self.config.background_class
        unknown = target == background if background is not None else torch.zeros_like(target, dtype=torch.bool)
        return self.known_loss(logits, target, ~unknown) + self.unknown_loss(logits, unknown)

    def known_loss(self, logits: Tensor, target: Tensor, known: Tensor) -> Tensor:
        return masked_mean(F.cross_entropy(logits, target, reduction="none"), known)

    def unknown_loss(self, logits: Tensor, unknown: Tensor) -> Tensor:
        return masked_mean(-entropy(torch.softmax(logits, dim=-1)), unknown)


@loss_registry.register("objectosphere")
class ObjectosphereLoss(EntropicOpenSetLoss):
    """The entropic open-set loss plus, over known rows, the mean of ``max(xi - |z|, 0) ** 2`` and, over
    background rows, ``zeta`` times the mean of ``|z| ** 2`` (|z| the L2 norm of a row's class logits)."""

    def known_loss(self, logits: Tensor, target: Tensor, known: Tensor) -> Tensor:
        shortfall = (self.config.xi - logits.norm(dim=-1)).clamp_min(0).square()
        return super().known_loss(logits, target, known) + masked_mean(shortfall, known)

    def unknown_loss(self, logits: Tensor, unknown: Tensor) -> Tensor:
        magnitude = logits.square().sum(dim=-1)
        return super().unknown_loss(logits, unknown) + self.config.zeta * masked_mean(magnitude, unknown)


class _SparseProjectionLoss(_LossModule, ABC):
    """Mean over rows of the Fenchel-Young loss ``omega(p) + <p, z> - z_t`` of a sparse projection
    ``p = project(z)``, whose gradient is ``p - onehot(t)``; ``omega`` is 0 for one-hot p."""

    @abstractmethod
    def project(self, logits: Tensor) -> Tensor:
        """The sparse probabilities of ``logits``."""

    @abstractmethod
    def omega(self, probabilities: Tensor) -> Tensor:
        """The regulariser of the projection at ``probabilities``, per row."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        target = target.long().unsqueeze(-1)
        # p maximises <p, z> + omega(p), so holding it fixed leaves the gradient p - onehot(t).
        probabilities = self.project(preds).detach()
        loss = self.omega(probabilities) + (probabilities * preds).sum(dim=-1) - preds.gather(-1, target).squeeze(-1)
        return loss.mean()


@loss_registry.register("sparsemax_loss")
class SparsemaxLoss(_SparseProjectionLoss):
    """Fenchel-Young loss of sparsemax: ``omega(p) = (1 - sum p^2) / 2``."""

    def project(self, logits: Tensor) -> Tensor:
        return sparsemax(logits)

    def omega(self, probabilities: Tensor) -> Tensor:
        return (1 - probabilities.square().sum(dim=-1)) / 2


@loss_registry.register("entmax15_loss")
class Entmax15Loss(_SparseProjectionLoss):
    """Fenchel-Young loss of 1.5-entmax: ``omega(p) = (1 - sum p^1.5) / 0.75``."""

    def project(self, logits: Tensor) -> Tensor:
        return entmax15(logits)

    def omega(self, probabilities: Tensor) -> Tensor:
        return (1 - probabilities.pow(1.5).sum(dim=-1)) / 0.75


@loss_registry.register("corn")
class CORNLoss(_LossModule):
    """:func:`ludwig.modules.corn.corn_loss` of the K - 1 boundary logits (N, K - 1) against classes (N,)."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        return corn_loss(preds, target)


# ---------------------------------------------------------------------------------------------------------
# Anomaly losses over the anomaly scores d = ||z - c||^2 (N,) and the labels (N,): 0 normal, 1 anomaly, -1 unlabeled.

DEEP_SAD_EPSILON = 1e-6


@loss_registry.register("deep_svdd")
class DeepSVDDLoss(_LossModule):
    """Hard boundary (``nu = 0``): ``mean(d)``. Soft boundary: ``R + mean(max(d - R, 0)) / nu``, R the
    ``1 - nu`` quantile of the batch's scores, held fixed (no gradient)."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        nu = self.config.nu
        if nu <= 0:
            return preds.mean()
        radius = torch.quantile(preds.detach().float(), 1.0 - nu).clamp_min(0).to(preds.dtype)
        return radius + (preds - radius).clamp_min(0).mean() / nu


@loss_registry.register("deep_sad")
class DeepSADLoss(_LossModule):
    """Mean over rows of ``d`` (normal or unlabeled rows) or ``eta / (d + 1e-6)`` (rows labeled 1)."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        anomalous = target.to(preds.dtype) == 1
        repulsion = self.config.eta / (preds + DEEP_SAD_EPSILON)
        return torch.where(anomalous, repulsion, preds).mean()


@loss_registry.register("drocc")
class DROCCLoss(_LossModule):
    """``mean(d) + s * mean(max(d - d', 0))`` with ``d' = d + s * std(d) * noise`` (standard normal noise, no
    gradient), ``s`` the ``perturbation_strength``: Ludwig 0.17's score-space form of DROCC."""

    def forward(self, preds: Tensor, target: Tensor) -> Tensor:
        strength = self.config.perturbation_strength
        with torch.no_grad():
            spread = preds.std() if preds.numel() > 1 else preds.new_zeros(())
            scale = strength * torch.nan_to_num(spread).clamp_min(1e-6)
            perturbed = preds + scale * torch.randn_like(preds)
        return preds.mean() + strength * (preds - perturbed).clamp_min(0).mean()
