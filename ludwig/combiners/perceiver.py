"""The `perceiver` combiner: learned latents cross-attend to one token per input feature, then self-attend.

Parameters map one to one onto Ludwig 0.17's: ``latents`` is its ``latents``; ``tokenizer`` holds its
``projectors`` (see :mod:`ludwig.modules.feature_tokens`); row 0 of ``cross_attention`` holds its
``cross_attn`` (see :mod:`ludwig.modules.cross_attention_modules`); ``cross_attention_norm`` is its
``cross_attn_norm``; ``self_attention`` holds its ``self_attn_stack`` as the transformer combiners map it
(see :mod:`ludwig.combiners.transformer_combiners`); ``fc_stack`` is its FC stack.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.attention_modules import TransformerStack
from ludwig.modules.cross_attention_modules import GroupedCrossAttention
from ludwig.modules.feature_tokens import FeatureTokenizer
from ludwig.modules.fully_connected import fc_stack_from_config
from ludwig.modules.reduction_modules import SequenceReducer


@combiner_registry.register("perceiver")
class PerceiverCombiner(nn.Module):
    """``num_latents`` learned vectors attend to the feature tokens (residual and layer norm), pass through
    ``num_self_attention_layers`` transformer blocks, are reduced by ``reduce_output`` and go through the FC
    stack; with ``reduce_output: null`` the output is ``[batch, num_latents, latent_dim]``.

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        width = config.latent_dim
        self.latents = nn.Parameter(torch.randn(config.num_latents, width) * 0.02)
        self.tokenizer = FeatureTokenizer(input_sizes, width)
        self.cross_attention = GroupedCrossAttention(1, width, config.num_heads, config.dropout)
        self.cross_attention_norm = nn.LayerNorm(width)
        self.self_attention = TransformerStack(
            input_size=width,
            hidden_size=width,
            num_heads=config.num_heads,
            output_size=width,
            num_layers=config.num_self_attention_layers,
            dropout=config.dropout,
        )
        self.reducer = SequenceReducer(config.reduce_output, config.num_latents, width)
        if self.reducer.reduce_mode is None:
            self.fc_stack = None
            self.output_size = width
        else:
            self.fc_stack = fc_stack_from_config(self.reducer.output_size, config)
            self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        tokens = self.tokenizer(encoder_outputs)
        latents = self.latents.to(tokens.dtype).expand(tokens.shape[0], 1, -1, -1)
        attended = self.cross_attention(latents, tokens).squeeze(1)
        hidden = self.self_attention(self.cross_attention_norm(latents.squeeze(1) + attended))
        if self.fc_stack is None:
            return {"combiner_output": hidden}
        return {"combiner_output": self.fc_stack(self.reducer(hidden))}
