"""The `ft_transformer` and `transformer` combiners: self-attention over one token per input feature.

Parameters map one to one onto Ludwig 0.17's: ``tokenizer`` holds Ludwig's ``projectors`` stacked by input size
(see :mod:`ludwig.modules.feature_tokens`), ``transformer_stack`` holds its blocks with the query, key and value
projections fused into one ``qkv`` Linear (Ludwig's ``query_dense``, ``key_dense`` and ``value_dense``, in that
order along the output axis; ``projection`` is its ``combine_heads``), and ``fc_stack`` is its FC stack.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.attention_modules import TransformerStack
from ludwig.modules.feature_tokens import FeatureTokenizer
from ludwig.modules.fully_connected import FCStack
from ludwig.modules.reduction_modules import SequenceReducer


def transformer_stack_from_config(config) -> TransformerStack:
    """The transformer blocks a transformer combiner's config describes."""
    return TransformerStack(
        input_size=config.hidden_size,
        hidden_size=config.hidden_size,
        num_heads=config.num_heads,
        output_size=config.transformer_output_size,
        num_layers=config.num_layers,
        dropout=config.dropout,
    )


def combiner_fc_stack(input_size: int, config) -> FCStack:
    """The FC stack after a transformer combiner's blocks (``fc_``-prefixed activation, dropout, residual)."""
    return FCStack(
        input_size,
        layers=config.fc_layers,
        num_layers=config.num_fc_layers,
        residual=config.fc_residual,
        output_size=config.output_size,
        use_bias=config.use_bias,
        weights_initializer=config.weights_initializer,
        bias_initializer=config.bias_initializer,
        norm=config.norm,
        norm_params=config.norm_params,
        activation=config.fc_activation,
        dropout=config.fc_dropout,
    )


@combiner_registry.register("ft_transformer")
class FTTransformerCombiner(nn.Module):
    """Tokens for every input feature, a learned [CLS] token in front, a transformer stack; the [CLS] output,
    through the FC stack, is the combined vector (Gorishniy et al., "Revisiting Deep Learning Models for Tabular
    Data", 2021).

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        self.config = config
        self.cls_token = nn.Parameter(torch.randn(1, 1, config.hidden_size))
        self.tokenizer = FeatureTokenizer(input_sizes, config.hidden_size)
        self.transformer_stack = transformer_stack_from_config(config)
        self.fc_stack = combiner_fc_stack(config.hidden_size, config)
        self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        tokens = self.tokenizer(encoder_outputs)
        cls_token = self.cls_token.expand(tokens.shape[0], -1, -1).to(tokens.dtype)
        hidden = self.transformer_stack(torch.cat([cls_token, tokens], dim=1))
        return {"combiner_output": self.fc_stack(hidden[:, 0])}


@combiner_registry.register("transformer")
class TransformerCombiner(nn.Module):
    """Tokens for every input feature, a transformer stack, then ``reduce_output`` over the tokens and the FC
    stack; with ``reduce_output: null`` the output keeps one vector per input feature.

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        self.config = config
        self.tokenizer = FeatureTokenizer(input_sizes, config.hidden_size)
        self.transformer_stack = transformer_stack_from_config(config)
        self.reducer = SequenceReducer(config.reduce_output, len(input_sizes), config.hidden_size)
        if self.reducer.reduce_mode is None:
            self.fc_stack = None
            self.output_size = config.hidden_size
        else:
            self.fc_stack = combiner_fc_stack(self.reducer.output_size, config)
            self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        hidden = self.transformer_stack(self.tokenizer(encoder_outputs))
        if self.fc_stack is None:
            return {"combiner_output": hidden}
        return {"combiner_output": self.fc_stack(self.reducer(hidden))}
