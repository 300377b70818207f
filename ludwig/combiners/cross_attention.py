"""The `cross_attention` combiner: every input feature's token queries the tokens of all the other features.

Parameters map one to one onto Ludwig 0.17's: ``tokenizer`` holds its ``projectors`` (see
:mod:`ludwig.modules.feature_tokens`); in layer ``l`` (Ludwig builds a single layer, whatever ``num_layers`` says;
its layer is our layer 0), ``attention[l]`` row ``i`` holds the parameters of Ludwig's ``cross_attn_layers.{i}``
and ``norms[l]`` row ``i`` those of its ``layer_norms.{i}`` (see :mod:`ludwig.modules.cross_attention_modules`);
``fc_stack`` is its FC stack. With a single input feature there is nothing to attend to and no attention
parameters: each layer only normalises the token.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.cross_attention_modules import GroupedCrossAttention, GroupedLayerNorm
from ludwig.modules.feature_tokens import FeatureTokenizer
from ludwig.modules.fully_connected import fc_stack_from_config

logger = logging.getLogger(__name__)


@combiner_registry.register("cross_attention")
class CrossAttentionCombiner(nn.Module):
    """Per layer: ``token_i <- LayerNorm_i(token_i + Attention_i(token_i, other tokens))``, then the tokens,
    concatenated in input feature order, go through the FC stack.

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        num_features = len(input_sizes)
        if num_features < 2:
            logger.warning("The cross_attention combiner has a single input feature: there is nothing to attend to.")
        hidden, layers = config.hidden_size, config.num_layers
        self.tokenizer = FeatureTokenizer(input_sizes, hidden)
        self.attention = None
        if num_features > 1:
            self.attention = nn.ModuleList(
                GroupedCrossAttention(num_features, hidden, config.num_heads, config.dropout) for _ in range(layers)
            )
            # Feature i attends to every feature but itself.
            attend = ~torch.eye(num_features, dtype=torch.bool)[:, None, :]
            self.register_buffer("_attend", attend, persistent=False)
        self.norms = nn.ModuleList(GroupedLayerNorm(num_features, hidden) for _ in range(layers))
        self.fc_stack = fc_stack_from_config(hidden * num_features, config)
        self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        tokens = self.tokenizer(encoder_outputs)
        for layer, norm in enumerate(self.norms):
            if self.attention is not None:
                attended = self.attention[layer](tokens.unsqueeze(2), tokens, self._attend).squeeze(2)
                tokens = tokens + attended
            tokens = norm(tokens)
        return {"combiner_output": self.fc_stack(tokens.flatten(start_dim=1))}
