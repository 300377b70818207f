"""Projection of every input feature's encoder output to one token of the same width, in one batched step.

The transformer combiners give each input feature its own linear projection to ``hidden_size`` (Ludwig:
``projectors.{i}``, an ``nn.Linear(size_i, hidden_size)`` per feature). A Linear per feature launches one small
kernel per feature; here features whose flattened encoder outputs have the same size share one stacked weight
``[n, size, hidden]`` and are projected by a single batched matrix product (an elementwise product for the usual
size-1 number and binary inputs).

Weight mapping to Ludwig: for feature ``i``, the ``j``-th member of group ``g`` (groups in order of first
appearance of each input size, members in input feature order), Ludwig's ``projectors.{i}.weight`` is
``groups.{g}.weight[j].T`` and ``projectors.{i}.bias`` is ``groups.{g}.bias[j]``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class _ProjectionGroup(nn.Module):
    """``n`` independent ``Linear(size, hidden)`` projections, stacked."""

    def __init__(self, count: int, size: int, hidden_size: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(count, size, hidden_size))
        self.bias = nn.Parameter(torch.empty(count, hidden_size))
        # nn.Linear's default initialisation, per projection.
        bound = 1 / math.sqrt(size)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """``[batch, n, size]`` -> ``[batch, n, hidden]``."""
        if inputs.shape[-1] == 1:
            return inputs * self.weight[:, 0, :] + self.bias
        return torch.einsum("bns,nsh->bnh", inputs, self.weight) + self.bias


class FeatureTokenizer(nn.Module):
    """One ``hidden_size`` token per input feature, in input feature order.

    Args:
        input_sizes: flattened encoder output size of each input feature, in input feature order.
        hidden_size: width of every token.
    """

    def __init__(self, input_sizes: dict[str, int], hidden_size: int):
        super().__init__()
        self.feature_names = list(input_sizes)
        members: dict[int, list[int]] = {}
        for position, size in enumerate(input_sizes.values()):
            members.setdefault(int(size), []).append(position)
        self.group_sizes = list(members)
        self.group_members = list(members.values())
        self.groups = nn.ModuleList(
            _ProjectionGroup(len(positions), size, hidden_size) for size, positions in members.items()
        )
        order = [position for positions in self.group_members for position in positions]
        # Tokens come out of the groups grouped by size; this permutation puts them back in feature order.
        inverse = torch.empty(len(order), dtype=torch.long)
        inverse[torch.tensor(order)] = torch.arange(len(order))
        self.register_buffer("_feature_order", inverse, persistent=False)
        self._in_order = order == list(range(len(order)))
        self.hidden_size = hidden_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> torch.Tensor:
        """``{feature: {"encoder_output": [batch, ...]}}`` -> tokens ``[batch, features, hidden]``."""
        flat = [encoder_outputs[name]["encoder_output"].flatten(start_dim=1) for name in self.feature_names]
        tokens = []
        for group, positions in zip(self.groups, self.group_members):
            stacked = torch.stack([flat[p] for p in positions], dim=1)
            tokens.append(group(stacked.to(group.weight.dtype)))
        hidden = torch.cat(tokens, dim=1) if len(tokens) > 1 else tokens[0]
        return hidden if self._in_order else hidden.index_select(1, self._feature_order)
