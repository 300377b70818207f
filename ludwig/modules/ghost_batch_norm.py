"""Ghost batch normalization (Hoffer et al., 2017): batch norm with statistics of small virtual batches."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class GhostBatchNorm(nn.BatchNorm1d):
    """``BatchNorm1d`` that, while training, normalizes each chunk of about ``virtual_batch_size`` rows with that
    chunk's own statistics; the running statistics are updated once per chunk, as consecutive batches would.

    The batch is cut with ``torch.chunk`` into ``ceil(rows / virtual_batch_size)`` chunks of equal size (the last
    one may be smaller). A chunk of a single row has no batch statistics: it is normalized with the running ones
    and leaves them unchanged. In eval mode, or with ``virtual_batch_size=None`` (a single chunk), this is plain
    batch norm.

    Args:
        num_features: width of the ``[rows, num_features]`` inputs.
        momentum: momentum of the running statistics.
        epsilon: added to the variance.
        virtual_batch_size: rows per chunk; None normalizes the whole batch at once.
    """

    def __init__(self, num_features: int, *, momentum: float, epsilon: float, virtual_batch_size: int | None):
        super().__init__(num_features, eps=epsilon, momentum=momentum)
        self.virtual_batch_size = virtual_batch_size

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(inputs)
        rows = inputs.shape[0]
        num_chunks = math.ceil(rows / self.virtual_batch_size) if self.virtual_batch_size else 1
        if num_chunks <= 1:
            return self._normalize_chunk(inputs)
        return torch.cat([self._normalize_chunk(chunk) for chunk in inputs.chunk(num_chunks)])

    def _normalize_chunk(self, chunk: torch.Tensor) -> torch.Tensor:
        if chunk.shape[0] > 1:
            return super().forward(chunk)
        return F.batch_norm(chunk, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
