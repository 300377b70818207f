"""Multi-task loss balancing: how the output features' losses become one training loss (``trainer.loss_balancing``).

Each strategy is a small ``nn.Module`` registered under its config name. ``forward(losses, weights)`` takes every
output feature's loss and its static ``loss.weight`` and returns the training loss; ``after_step(losses)`` runs
after every optimizer step, for strategies whose weights follow the losses.

Where the state lives: the balancer is a submodule of the model (``ECD.loss_balancer``), so all of its state is in
the model's state dict and is written with the weights to every training checkpoint and to the saved model, and a
resumed run continues from exactly the saved values:

* ``uncertainty``'s log-variances are ``nn.Parameter``s, trained by the optimizer with the rest of the model;
* ``famo``, ``gradnorm`` and ``nash_mtl`` move their task weights by their own rule in ``after_step``; those
  weights (and the losses the rule compares against) are buffers, which the optimizer never touches;
* ``pareto_mtl``'s preference comes from the config, so its buffer is not saved.

State updates stay on the device as tensor operations (no ``.item()``), so they add no host synchronisation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

from ludwig.utils.registry import Registry

EPSILON = 1e-8
"""Keeps the loss ratios finite when a loss reaches 0."""
LOG_VAR_BOUND = 20.0
"""``uncertainty`` clamps its log-variances to [-bound, bound] so ``exp`` neither overflows nor underflows."""
WEIGHT_MOMENTUM = 0.9
"""Share of the previous weights kept by each ``gradnorm``/``nash_mtl`` update."""

loss_balancer_registry: Registry[type[LossBalancer]] = Registry("loss balancing strategy")


class LossBalancer(nn.Module, ABC):
    """Combines the output features' losses into the training loss.

    Args:
        names: the output feature names, in ``output_features`` order (the order of any per-task state).
        config: the ``trainer`` section, for the strategy's options.
    """

    def __init__(self, names: list[str], config):
        super().__init__()
        self.names = list(names)

    def stacked(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        """The static-weighted losses as one vector, in ``names`` order."""
        return torch.stack([weights[name] * losses[name] for name in self.names])

    @abstractmethod
    def forward(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        """The training loss from each feature's loss and static weight."""

    def after_step(self, losses: dict[str, torch.Tensor]) -> None:
        """Update the strategy's state from the losses of the step the optimizer just took (default: none)."""

    def _current(self, losses: dict[str, torch.Tensor], like: torch.Tensor) -> torch.Tensor:
        """The detached losses as a vector with the dtype and device of the state ``like``."""
        return torch.stack([losses[name].detach() for name in self.names]).to(like)


@loss_balancer_registry.register("none")
class StaticLossBalancer(LossBalancer):
    """The static weighted sum, in the order of ``losses``; a weight of 1 adds the loss unchanged."""

    def forward(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        total = None
        for name, loss in losses.items():
            weighted = loss if weights[name] == 1 else weights[name] * loss
            total = weighted if total is None else total + weighted
        return total


@loss_balancer_registry.register("log_transform")
class LogTransformLossBalancer(LossBalancer):
    """Sum of ``weight * log(1 + loss)``: compresses the loss scales so no task dominates (DB-MTL)."""

    def forward(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        return torch.stack([weights[name] * torch.log1p(losses[name]) for name in self.names]).sum()


@loss_balancer_registry.register("uncertainty")
class UncertaintyLossBalancer(LossBalancer):
    """Homoscedastic uncertainty (Kendall et al. 2018): ``weight * (exp(-s) * loss + s / 2)`` with a learned
    log-variance ``s`` per task, starting at 0."""

    def __init__(self, names: list[str], config):
        super().__init__(names, config)
        self.log_vars = nn.Parameter(torch.zeros(len(self.names)))

    def forward(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        log_vars = self.log_vars.clamp(-LOG_VAR_BOUND, LOG_VAR_BOUND)
        total = None
        for i, name in enumerate(self.names):
            term = weights[name] * (torch.exp(-log_vars[i]) * losses[name] + 0.5 * log_vars[i])
            total = term if total is None else total + term
        return total


@loss_balancer_registry.register("famo")
class FAMOLossBalancer(LossBalancer):
    """FAMO (Liu et al. 2023): task weights ``softmax(logits)``; after each step a task's logit grows by
    ``loss_balancing_lr * (loss / previous loss - 1)``, so a task whose loss rose gets more weight."""

    def __init__(self, names: list[str], config):
        super().__init__(names, config)
        self.lr = float(config.loss_balancing_lr)
        self.register_buffer("logits", torch.zeros(len(self.names)))
        self.register_buffer("previous_losses", torch.zeros(len(self.names)))
        self.register_buffer("started", torch.tensor(False))

    def forward(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        return (torch.softmax(self.logits, dim=0) * self.stacked(losses, weights)).sum()

    @torch.no_grad()
    def after_step(self, losses: dict[str, torch.Tensor]) -> None:
        current = self._current(losses, self.logits)
        change = self.lr * (current / (self.previous_losses + EPSILON) - 1.0)
        self.logits += torch.where(self.started & (self.previous_losses > 0), change, torch.zeros_like(change))
        self.previous_losses.copy_(current)
        self.started.fill_(True)


class _AdaptiveWeights(LossBalancer):
    """Sum of ``|task weight| * weight * loss`` with task weights (buffers) moved in ``after_step``."""

    def __init__(self, names: list[str], config, initial_weight: float):
        super().__init__(names, config)
        self.register_buffer("task_weights", torch.full((len(self.names),), initial_weight))

    def forward(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        return (self.task_weights.abs() * self.stacked(losses, weights)).sum()


@loss_balancer_registry.register("gradnorm")
class GradNormLossBalancer(_AdaptiveWeights):
    """GradNorm's training-rate balancing (Chen et al. 2018), from the losses alone: the first step records the
    initial losses; each later step moves the weights 10% toward ``(r / mean(r)) ** loss_balancing_alpha``, with
    ``r`` each loss over its initial value, then rescales them to sum to the number of tasks."""

    def __init__(self, names: list[str], config):
        super().__init__(names, config, initial_weight=1.0)
        self.alpha = float(config.loss_balancing_alpha)
        self.register_buffer("initial_losses", torch.zeros(len(self.names)))
        self.register_buffer("started", torch.tensor(False))

    @torch.no_grad()
    def after_step(self, losses: dict[str, torch.Tensor]) -> None:
        current = self._current(losses, self.task_weights)
        ratios = current / (self.initial_losses + EPSILON)
        target = (ratios / (ratios.mean() + EPSILON)) ** self.alpha
        moved = WEIGHT_MOMENTUM * self.task_weights + (1 - WEIGHT_MOMENTUM) * target
        moved = moved * (len(self.names) / (moved.abs().sum() + EPSILON))
        self.task_weights.copy_(torch.where(self.started, moved, self.task_weights))
        self.initial_losses.copy_(torch.where(self.started, self.initial_losses, current))
        self.started.fill_(True)


@loss_balancer_registry.register("nash_mtl")
class NashMTLLossBalancer(_AdaptiveWeights):
    """Nash-MTL-style bargaining weights (after Navon et al. 2022), from the losses alone: weights start at
    ``1 / tasks`` and each step moves them 10% toward the normalised inverse losses."""

    def __init__(self, names: list[str], config):
        super().__init__(names, config, initial_weight=1.0 / len(names))

    @torch.no_grad()
    def after_step(self, losses: dict[str, torch.Tensor]) -> None:
        inverse = 1.0 / (self._current(losses, self.task_weights) + EPSILON)
        target = inverse / inverse.sum()
        self.task_weights.copy_(WEIGHT_MOMENTUM * self.task_weights + (1 - WEIGHT_MOMENTUM) * target)


@loss_balancer_registry.register("pareto_mtl")
class ParetoMTLLossBalancer(LossBalancer):
    """Preference-steered scalarisation (Mahapatra & Rajan 2020): with ``l = weight * loss`` and the preference
    ``p`` normalised to sum to 1, ``(1 - t) * sum(p * l) + t * max(p * l)``, ``t`` the Tchebycheff weight."""

    def __init__(self, names: list[str], config):
        super().__init__(names, config)
        vector = config.loss_balancing_preference_vector or [1.0] * len(self.names)
        preference = torch.tensor([float(v) for v in vector])
        self.register_buffer("preference", preference / preference.sum(), persistent=False)
        self.tchebycheff_weight = float(config.loss_balancing_tchebycheff_weight)

    def forward(self, losses: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        scaled = self.preference * self.stacked(losses, weights)
        return (1.0 - self.tchebycheff_weight) * scaled.sum() + self.tchebycheff_weight * scaled.max()


def create_loss_balancer(names: list[str], config) -> LossBalancer:
    """The balancer ``config.loss_balancing`` names (``config`` is the ``trainer`` section)."""
    return loss_balancer_registry[config.loss_balancing](names, config)
