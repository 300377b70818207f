"""CORN, conditional ordinal regression (Shi, Cao & Raschka, 2021), for K ordered classes 0 < 1 < ... < K - 1.

The model gives K - 1 logits per row. Logit j scores the binary task "is the class above j?", asked only of the
rows whose class is at least j, so ``sigmoid(logit_j)`` is ``P(class > j | class > j - 1)``. The product of the
first j + 1 of them is ``P(class > j)``, which decreases with j: the predictions are rank consistent.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def corn_task_losses(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Binary cross entropy (N, K - 1) of each row's boundary tasks, 0 where the row takes no part, and the
    (N, K - 1) booleans saying where it does (task j is asked of rows with class >= j)."""
    boundaries = torch.arange(logits.shape[-1], device=logits.device)
    classes = target.long().unsqueeze(-1)
    asked = classes >= boundaries
    above = (classes > boundaries).to(logits.dtype)
    losses = F.binary_cross_entropy_with_logits(logits, above, reduction="none")
    return losses * asked, asked


def corn_loss(logits: Tensor, target: Tensor) -> Tensor:
    """The CORN loss: the mean binary cross entropy over every (row, task) pair that is asked."""
    losses, asked = corn_task_losses(logits, target)
    return losses.sum() / asked.sum().clamp_min(1)


def corn_negative_log_likelihood(logits: Tensor, target: Tensor) -> Tensor:
    """Mean over rows of ``-log P(target)`` under the probabilities of :func:`corn_predictions`: the sum of a
    row's asked task losses."""
    losses, _ = corn_task_losses(logits, target)
    return losses.sum(dim=-1).mean()


def corn_predictions(logits: Tensor) -> tuple[Tensor, Tensor]:
    """The predicted classes (N,) and class probabilities (N, K) from the K - 1 CORN logits.

    The class is the number of boundaries j with ``P(class > j) > 0.5`` (the median of the row's distribution);
    the probabilities are ``P(k) = P(class > k - 1) - P(class > k)``, which sum to 1.
    """
    above = torch.cumprod(torch.sigmoid(logits), dim=-1)
    first, last = torch.ones_like(above[..., :1]), torch.zeros_like(above[..., :1])
    probabilities = torch.cat([first, above], dim=-1) - torch.cat([above, last], dim=-1)
    return (above > 0.5).sum(dim=-1), probabilities
