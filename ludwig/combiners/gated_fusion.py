"""The `gated_fusion` combiner: every feature's token gets a gated projection of the other features' tokens.

Parameters map one to one onto Ludwig 0.17's: ``tokenizer`` holds its ``projectors`` (see
:mod:`ludwig.modules.feature_tokens`); ``gates[i]`` is its ``gates.{i}``; ``cross_weight[i]`` and
``cross_bias[i]`` are the ``weight`` and ``bias`` of its ``cross_projections.{i}`` (absent, as there, with a
single input feature); ``fc_stack`` is its FC stack.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.feature_tokens import FeatureTokenizer
from ludwig.modules.fully_connected import fc_stack_from_config


@combiner_registry.register("gated_fusion")
class GatedFusionCombiner(nn.Module):
    """``token_i + tanh(gate_i) * W_i [tokens of the other features]``; the gates start at zero, so training
    starts from the plain projected features and opens each gate as it helps. The fused tokens, concatenated in
    input feature order, go through the FC stack.

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        num_features, hidden = len(input_sizes), config.hidden_size
        self.tokenizer = FeatureTokenizer(input_sizes, hidden)
        self.gates = nn.Parameter(torch.zeros(num_features, hidden))
        if num_features > 1:
            others = hidden * (num_features - 1)
            self.cross_weight = nn.Parameter(torch.empty(num_features, hidden, others))
            self.cross_bias = nn.Parameter(torch.empty(num_features, hidden))
            # nn.Linear's default initialisation, per projection.
            bound = 1 / math.sqrt(others)
            nn.init.uniform_(self.cross_weight, -bound, bound)
            nn.init.uniform_(self.cross_bias, -bound, bound)
            # Row i lists the other features in input order.
            everyone = torch.arange(num_features)
            self.register_buffer(
                "_others", torch.stack([everyone[everyone != i] for i in range(num_features)]), persistent=False
            )
        else:
            self.cross_weight = self.cross_bias = None
        self.fc_stack = fc_stack_from_config(hidden * num_features, config)
        self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        tokens = self.tokenizer(encoder_outputs)
        if self.cross_weight is not None:
            others = tokens[:, self._others].flatten(start_dim=2)
            cross = torch.einsum("bnk,nok->bno", others, self.cross_weight) + self.cross_bias
            tokens = tokens + torch.tanh(self.gates) * cross
        return {"combiner_output": self.fc_stack(tokens.flatten(start_dim=1))}
