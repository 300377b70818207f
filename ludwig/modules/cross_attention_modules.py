"""Cross-attention of query tokens over a context, for ``G`` independent attention layers at once.

``GroupedCrossAttention`` is ``G`` copies of ``torch.nn.MultiheadAttention`` (same parameters, same math) run as
one batched computation with torch's fused ``scaled_dot_product_attention``: group ``g`` projects its own queries
and the shared context with its own weights. The fusion combiners use it with one group per input feature (each
feature queries the others) or with a single group (Perceiver latents querying every feature token).

Weight mapping to ``torch.nn.MultiheadAttention`` number ``g``: ``in_proj_weight`` is ``in_proj_weight[g]``,
``in_proj_bias`` is ``in_proj_bias[g]``, ``out_proj.weight`` is ``out_proj_weight[g]`` and ``out_proj.bias``
is ``out_proj_bias[g]``. ``GroupedLayerNorm`` row ``g`` is the ``weight`` and ``bias`` of ``LayerNorm`` ``g``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class GroupedCrossAttention(nn.Module):
    """``groups`` multi-head attention layers of width ``hidden_size``.

    Args:
        groups: number of independent attention layers.
        hidden_size: width of queries, context and output; divisible by ``num_heads``.
        num_heads: attention heads of each layer.
        dropout: dropout on the attention weights while training.
    """

    def __init__(self, groups: int, hidden_size: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        if hidden_size % num_heads:
            raise ValueError(f"hidden_size {hidden_size} must be divisible by num_heads {num_heads}.")
        self.num_heads = num_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(groups, 3 * hidden_size, hidden_size))
        self.in_proj_bias = nn.Parameter(torch.zeros(groups, 3 * hidden_size))
        self.out_proj_weight = nn.Parameter(torch.empty(groups, hidden_size, hidden_size))
        self.out_proj_bias = nn.Parameter(torch.zeros(groups, hidden_size))
        # torch.nn.MultiheadAttention's initialisation, per layer: Xavier on the joint input projection,
        # nn.Linear's default on the output projection, zero biases.
        for g in range(groups):
            nn.init.xavier_uniform_(self.in_proj_weight[g])
            nn.init.kaiming_uniform_(self.out_proj_weight[g], a=math.sqrt(5))

    def forward(self, queries: torch.Tensor, context: torch.Tensor, attend: torch.Tensor | None = None) -> torch.Tensor:
        """Attend from each group's queries to the context.

        Args:
            queries: ``[batch, groups, queries, hidden]``.
            context: ``[batch, keys, hidden]``, shared by all groups.
            attend: optional boolean ``[groups, queries, keys]``, true where a query may attend to a key; every
                query must be allowed at least one key.

        Returns:
            ``[batch, groups, queries, hidden]``.
        """
        batch, groups, num_queries, hidden = queries.shape
        w_q, w_k, w_v = self.in_proj_weight.chunk(3, dim=1)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3, dim=1)
        q = torch.einsum("bgqi,goi->bgqo", queries, w_q) + b_q[:, None]
        k = torch.einsum("bki,goi->bgko", context, w_k) + b_k[:, None]
        v = torch.einsum("bki,goi->bgko", context, w_v) + b_v[:, None]
        q, k, v = (self._split_heads(t) for t in (q, k, v))
        mask = None
        if attend is not None:
            mask = attend[None, :, None].expand(batch, -1, -1, -1, -1).flatten(0, 1)
        attended = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        attended = attended.transpose(1, 2).reshape(batch, groups, num_queries, hidden)
        return torch.einsum("bgqi,goi->bgqo", attended, self.out_proj_weight) + self.out_proj_bias[:, None]

    def _split_heads(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[batch, groups, length, hidden]`` -> ``[batch * groups, heads, length, hidden / heads]``."""
        batch, groups, length, hidden = tokens.shape
        return tokens.reshape(batch * groups, length, self.num_heads, hidden // self.num_heads).transpose(1, 2)


class GroupedLayerNorm(nn.Module):
    """A separate ``LayerNorm(hidden_size)`` for each of ``groups`` tokens of ``[batch, groups, hidden]``."""

    def __init__(self, groups: int, hidden_size: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(groups, hidden_size))
        self.bias = nn.Parameter(torch.zeros(groups, hidden_size))
        self.eps = eps

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        normalized = F.layer_norm(tokens, tokens.shape[-1:], eps=self.eps)
        return normalized * self.weight + self.bias
