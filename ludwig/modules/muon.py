"""The ``muon`` optimizer over a whole model: ``torch.optim.Muon`` for the matrices, momentum SGD for the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

MUON_LR_RATIO = 5.0
"""Learning rate multiplier of the matrix updates. Ludwig scales an orthogonalized update by
``sqrt(max(rows, cols))``; torch's ``adjust_lr_fn="match_rms_adamw"`` scales it by ``0.2 * sqrt(max(rows, cols))``."""


class MuonWithMomentumSGD:
    """Muon on the 2-D weights and plain momentum on every other parameter, stepped as one optimizer.

    ``torch.optim.Muon`` only accepts 2-D parameters. They get its Newton-Schulz orthogonalized momentum update,
    scaled as Ludwig's ``muon`` scales it (see ``MUON_LR_RATIO``), without weight decay. Every other parameter
    (biases, norm scales, embeddings of other ranks, convolution kernels) gets the same momentum update without the
    orthogonalization, as Ludwig's ``muon`` does for non-matrix parameters: ``torch.optim.SGD`` with the same
    ``momentum`` and ``nesterov``. (Ludwig also flattens >2-D kernels into matrices to orthogonalize them;
    ``torch.optim.Muon`` cannot, so they take the momentum update.)

    ``param_groups`` lists the momentum groups first, then the Muon groups, all at the same learning rate, so a
    learning rate scheduler drives both alike.

    Args:
        params: the tensors to optimize, or torch parameter group dicts.
        lr: the learning rate.
        momentum: momentum factor.
        nesterov: use Nesterov momentum.
    """

    def __init__(
        self, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]], lr: float, momentum: float, nesterov: bool
    ):
        matrix_groups, other_groups = _split_matrices(params)
        if not matrix_groups and not other_groups:
            raise ValueError("optimizer got an empty parameter list")
        self.momentum_sgd = (
            torch.optim.SGD(other_groups, lr=lr, momentum=momentum, nesterov=nesterov and momentum > 0, foreach=True)
            if other_groups
            else None
        )
        self.muon = (
            torch.optim.Muon(
                matrix_groups,
                lr=lr,
                momentum=momentum,
                nesterov=nesterov,
                weight_decay=0.0,
                adjust_lr_fn="match_rms_adamw",
            )
            if matrix_groups
            else None
        )

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [optimizer for optimizer in (self.momentum_sgd, self.muon) if optimizer is not None]

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if self.momentum_sgd is not None:
            self.momentum_sgd.step()
        if self.muon is not None:
            self._step_muon()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return {"optimizers": [optimizer.state_dict() for optimizer in self.optimizers]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for optimizer, optimizer_state in zip(self.optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(optimizer_state)

    def _step_muon(self) -> None:
        # The ratio is applied only for the step, so param_groups keep the learning rate the scheduler set.
        groups = self.muon.param_groups
        learning_rates = [group["lr"] for group in groups]
        for group, lr in zip(groups, learning_rates):
            group["lr"] = lr * MUON_LR_RATIO
        try:
            self.muon.step()
        finally:
            for group, lr in zip(groups, learning_rates):
                group["lr"] = lr


def _split_matrices(
    params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The param groups of the 2-D parameters and those of the others, each keeping its group's options."""
    groups = list(params)
    if groups and not isinstance(groups[0], dict):
        groups = [{"params": groups}]
    matrices: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for group in groups:
        options = {key: value for key, value in group.items() if key != "params"}
        tensors = list(group["params"])
        for selected, is_matrix in ((matrices, True), (others, False)):
            chosen = [p for p in tensors if (p.ndim == 2) == is_matrix]
            if chosen:
                selected.append({**options, "params": chosen})
    return matrices, others
