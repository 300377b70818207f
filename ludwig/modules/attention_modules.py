"""Multi-head self-attention and transformer blocks over ``[batch, time, hidden]``, with a key padding mask."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ludwig.modules.fully_connected import get_activation


def _key_mask(mask: torch.Tensor | None) -> torch.Tensor | None:
    """``[batch, time]`` real-step mask -> boolean attention mask ``[batch, 1, 1, time]`` (true = attend)."""
    if mask is None:
        return None
    # A row without any real step would attend to nothing (NaN); let it attend to every step instead.
    mask = mask | ~mask.any(dim=1, keepdim=True)
    return mask[:, None, None, :]


class MultiHeadSelfAttention(nn.Module):
    """Scaled dot-product self-attention with ``num_heads`` heads (torch's fused kernel).

    Args:
        input_size: size of the last axis of the input.
        hidden_size: size of the queries/keys/values and of the output; divisible by ``num_heads``.
        num_heads: number of heads.
    """

    def __init__(self, input_size: int, hidden_size: int, num_heads: int):
        super().__init__()
        if hidden_size % num_heads:
            raise ValueError(f"hidden_size {hidden_size} must be divisible by num_heads {num_heads}.")
        self.num_heads = num_heads
        self.qkv = nn.Linear(input_size, 3 * hidden_size)
        self.projection = nn.Linear(hidden_size, hidden_size)
        self.output_size = hidden_size

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        batch, time, _ = inputs.shape
        qkv = self.qkv(inputs).view(batch, time, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=_key_mask(mask))
        return self.projection(attended.transpose(1, 2).reshape(batch, time, -1))


class TransformerBlock(nn.Module):
    """Self-attention and a two-layer feed-forward network, each with dropout, a residual and layer norm.

    Args:
        hidden_size: size of the input and output vectors.
        num_heads: attention heads.
        output_size: inner size of the feed-forward network (``transformer_output_size``).
        dropout: dropout after the attention and after the feed-forward network.
    """

    def __init__(self, hidden_size: int, num_heads: int, output_size: int, dropout: float = 0.1):
        super().__init__()
        self.self_attention = MultiHeadSelfAttention(hidden_size, hidden_size, num_heads)
        self.dropout1 = nn.Dropout(dropout)
        self.layernorm1 = nn.LayerNorm(hidden_size, eps=1e-6)
        self.feed_forward = nn.Sequential(
            nn.Linear(hidden_size, output_size), get_activation("relu"), nn.Linear(output_size, hidden_size)
        )
        self.dropout2 = nn.Dropout(dropout)
        self.layernorm2 = nn.LayerNorm(hidden_size, eps=1e-6)
        self.output_size = hidden_size

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        attended = self.dropout1(self.self_attention(inputs, mask))
        hidden = self.layernorm1(inputs + attended)
        return self.layernorm2(hidden + self.dropout2(self.feed_forward(hidden)))


class TransformerStack(nn.Module):
    """``num_layers`` transformer blocks; inputs of another size are first projected to ``hidden_size``.

    Args:
        input_size: size of the last axis of the input.
        hidden_size: size inside and out of every block.
        num_heads: attention heads per block.
        output_size: inner feed-forward size of every block.
        num_layers: number of blocks.
        dropout: dropout inside every block.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_heads: int,
        output_size: int,
        num_layers: int = 1,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.projection = nn.Linear(input_size, hidden_size) if input_size != hidden_size else None
        self.blocks = nn.ModuleList(
            TransformerBlock(hidden_size, num_heads, output_size, dropout) for _ in range(num_layers)
        )
        self.output_size = hidden_size

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        hidden = inputs if self.projection is None else self.projection(inputs)
        for block in self.blocks:
            hidden = block(hidden, mask)
        return hidden
