"""Sparse alternatives to softmax: sparsemax, 1.5-entmax and alpha-entmax (Peters et al., 2019).

All three map scores ``z`` to a probability vector ``p = [(alpha - 1) z - tau]_+ ^ (1 / (alpha - 1))``, with the
threshold ``tau`` chosen so that ``p`` sums to 1; entries below the threshold are exactly 0. ``sparsemax`` (alpha = 2,
Martins and Astudillo, 2016) and ``entmax15`` (alpha = 1.5) find ``tau`` exactly by sorting; ``entmax_bisect`` finds
it for any alpha in (1, 2] by bisection and also differentiates with respect to alpha (Correia et al., 2019).

Gradients are closed-form: with ``s = p ^ (2 - alpha)`` on the support (0 elsewhere), the Jacobian-vector product is
``s * g - s * sum(s * g) / sum(s)``. Without autograd (inference, export) the plain forward computation runs instead.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd import Function

BISECTION_STEPS = 50
"""Bisection iterations of ``entmax_bisect``: far beyond float32 precision for the [tau_lo, tau_hi] bracket."""


def _ranks(sorted_scores: torch.Tensor) -> torch.Tensor:
    """1, 2, ..., d along the last axis, shaped to broadcast against ``sorted_scores``."""
    d = sorted_scores.shape[-1]
    return torch.arange(1, d + 1, device=sorted_scores.device, dtype=sorted_scores.dtype)


def _sparsemax_forward(z: torch.Tensor) -> torch.Tensor:
    z = z - z.amax(dim=-1, keepdim=True)
    top, _ = torch.sort(z, dim=-1, descending=True)
    shifted_cumsum = top.cumsum(dim=-1) - 1
    support = (_ranks(top) * top > shifted_cumsum).sum(dim=-1, keepdim=True).clamp(min=1)
    tau = shifted_cumsum.gather(-1, support - 1) / support.to(z.dtype)
    return torch.clamp(z - tau, min=0)


def _entmax15_forward(z: torch.Tensor) -> torch.Tensor:
    x = (z - z.amax(dim=-1, keepdim=True)) / 2
    top, _ = torch.sort(x, dim=-1, descending=True)
    ranks = _ranks(top)
    mean = top.cumsum(dim=-1) / ranks
    mean_of_squares = (top * top).cumsum(dim=-1) / ranks
    # Threshold that makes the k largest entries sum to 1, for every candidate support size k.
    spread = ranks * (mean_of_squares - mean * mean)
    candidates = mean - torch.sqrt(torch.clamp((1 - spread) / ranks, min=0))
    support = (candidates <= top).sum(dim=-1, keepdim=True).clamp(min=1)
    tau = candidates.gather(-1, support - 1)
    return torch.clamp(x - tau, min=0) ** 2


def _entmax_bisect_forward(z: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    alpha = alpha.to(z.dtype)
    power = 1 / (alpha - 1)
    x = z * (alpha - 1)
    top = x.amax(dim=-1, keepdim=True)
    # At tau_lo the largest entry alone is 1; at tau_hi every entry is at most 1 / d.
    tau_lo = top - 1
    width = (top - (1.0 / z.shape[-1]) ** (alpha - 1)) - tau_lo
    for _ in range(BISECTION_STEPS):
        width = width / 2
        tau_mid = tau_lo + width
        total = torch.clamp(x - tau_mid, min=0).pow(power).sum(dim=-1, keepdim=True)
        tau_lo = torch.where(total >= 1, tau_mid, tau_lo)
    p = torch.clamp(x - tau_lo, min=0).pow(power)
    return p / p.sum(dim=-1, keepdim=True)


def _entmax_input_grad(grad: torch.Tensor, curvature: torch.Tensor) -> torch.Tensor:
    weighted = grad * curvature
    return weighted - curvature * weighted.sum(dim=-1, keepdim=True) / curvature.sum(dim=-1, keepdim=True)


class _Sparsemax(Function):
    @staticmethod
    def forward(ctx, z: torch.Tensor) -> torch.Tensor:
        p = _sparsemax_forward(z)
        ctx.save_for_backward(p)
        return p

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (p,) = ctx.saved_tensors
        return _entmax_input_grad(grad, (p > 0).to(grad.dtype))


class _Entmax15(Function):
    @staticmethod
    def forward(ctx, z: torch.Tensor) -> torch.Tensor:
        p = _entmax15_forward(z)
        ctx.save_for_backward(p)
        return p

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (p,) = ctx.saved_tensors
        return _entmax_input_grad(grad, p.sqrt())


class _EntmaxBisect(Function):
    @staticmethod
    def forward(ctx, z: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        p = _entmax_bisect_forward(z, alpha)
        ctx.save_for_backward(p, alpha)
        return p

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        p, alpha = ctx.saved_tensors
        a = alpha.to(p.dtype)
        curvature = torch.where(p > 0, p ** (2 - a), torch.zeros_like(p))
        grad_z = _entmax_input_grad(grad, curvature)
        grad_alpha = None
        if ctx.needs_input_grad[1]:
            # dp/dalpha = (p - s) / (alpha - 1)^2 - (p log p - s * sum(p log p)) / (alpha - 1), s = normalized curvature
            p_log_p = torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))
            skewed = curvature / curvature.sum(dim=-1, keepdim=True)
            dp = (p - skewed) / (a - 1) ** 2 - (p_log_p - skewed * p_log_p.sum(dim=-1, keepdim=True)) / (a - 1)
            grad_alpha = (grad * dp).sum().reshape(alpha.shape).to(alpha.dtype)
        return grad_z, grad_alpha


def _along_last(fn, z: torch.Tensor, dim: int, *args: torch.Tensor) -> torch.Tensor:
    if dim in (-1, z.dim() - 1):
        return fn(z, *args)
    return fn(z.movedim(dim, -1), *args).movedim(-1, dim)


def sparsemax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Euclidean projection of ``z`` onto the probability simplex along ``dim`` (exact, sort-based)."""
    fn = _Sparsemax.apply if torch.is_grad_enabled() else _sparsemax_forward
    return _along_last(fn, z, dim)


def entmax15(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """1.5-entmax of ``z`` along ``dim`` (exact, sort-based)."""
    fn = _Entmax15.apply if torch.is_grad_enabled() else _entmax15_forward
    return _along_last(fn, z, dim)


def entmax_bisect(z: torch.Tensor, alpha: float | torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Alpha-entmax of ``z`` along ``dim`` for a scalar ``alpha`` in (1, 2], by bisection; differentiable in alpha."""
    if not isinstance(alpha, torch.Tensor):
        alpha = torch.tensor(float(alpha), dtype=z.dtype, device=z.device)
    fn = _EntmaxBisect.apply if torch.is_grad_enabled() else _entmax_bisect_forward
    return _along_last(fn, z, dim, alpha)


class Sparsemax(nn.Module):
    """``sparsemax`` over the last axis."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return sparsemax(z)


class Entmax15(nn.Module):
    """``entmax15`` over the last axis."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return entmax15(z)


class EntmaxBisect(nn.Module):
    """Alpha-entmax over the last axis, with a fixed alpha or a learned one (the ``alpha`` parameter).

    Args:
        alpha: alpha in [1, 2]; a fixed alpha of exactly 1 is softmax, the limit of alpha-entmax.
        learnable: learn alpha, starting from ``alpha``; it is kept in [``MIN_LEARNED_ALPHA``, 2].
    """

    MIN_LEARNED_ALPHA = 1.01
    """Lowest learned alpha: closer to 1, the power ``1 / (alpha - 1)`` under- or overflows."""

    def __init__(self, alpha: float = 1.5, learnable: bool = False):
        super().__init__()
        self.learnable = learnable
        if learnable:
            self.alpha = nn.Parameter(torch.tensor(min(max(alpha, self.MIN_LEARNED_ALPHA), 2.0)))
        else:
            self.alpha = float(alpha)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.learnable:
            return entmax_bisect(z, self.alpha.clamp(self.MIN_LEARNED_ALPHA, 2.0))
        if self.alpha == 1.0:
            return torch.softmax(z, dim=-1)
        return entmax_bisect(z, self.alpha)
