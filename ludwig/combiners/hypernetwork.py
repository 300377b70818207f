"""The `hypernetwork` combiner: the first input feature generates the weights applied to the others.

Parameters map one to one onto Ludwig 0.17's: ``tokenizer`` holds its ``projectors`` (see
:mod:`ludwig.modules.feature_tokens`), ``hyper_net`` is its ``hyper_net`` and ``fc_stack`` its FC stack.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.feature_tokens import FeatureTokenizer
from ludwig.modules.fully_connected import FCStack

logger = logging.getLogger(__name__)


@combiner_registry.register("hypernetwork")
class HyperNetworkCombiner(nn.Module):
    """A two-layer generator maps the first feature's token to a ``hidden_size x hidden_size`` matrix per row;
    every other feature's token is multiplied by it. The first token and the transformed ones, concatenated in
    input feature order, go through the FC stack (HyperFusion, arXiv 2403.13319).

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        if len(input_sizes) < 2:
            logger.warning("The hypernetwork combiner has a single input feature: it has no feature to transform.")
        hidden = config.hidden_size
        self.tokenizer = FeatureTokenizer(input_sizes, hidden)
        self.hyper_net = nn.Sequential(
            nn.Linear(hidden, config.hyper_hidden_size), nn.ReLU(), nn.Linear(config.hyper_hidden_size, hidden * hidden)
        )
        self.fc_stack = FCStack(
            hidden * len(input_sizes),
            num_layers=config.num_fc_layers,
            output_size=config.output_size,
            activation=config.activation,
            dropout=config.dropout,
        )
        self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        tokens = self.tokenizer(encoder_outputs)
        batch, _, hidden = tokens.shape
        conditioning, others = tokens[:, 0], tokens[:, 1:]
        # Row-major [out, in] per row, as a view of the generator's output.
        weights = self.hyper_net(conditioning).view(batch, hidden, hidden)
        transformed = torch.einsum("boi,bni->bno", weights, others)
        fused = torch.cat([conditioning, transformed.flatten(start_dim=1)], dim=1)
        return {"combiner_output": self.fc_stack(fused)}
