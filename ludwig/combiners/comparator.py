"""The `comparator` combiner: two groups of input features ("entities") encoded separately, then compared.

Parameters have Ludwig 0.17's names and shapes: ``e1_fc_stack`` and ``e2_fc_stack`` (one FC stack per entity)
and the ``bilinear_weights`` buffer (``[size, size]``, standard normal, not trained, saved with the model).
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.fully_connected import fc_stack_from_config


def _entity_vector(encoder_outputs: dict[str, dict[str, torch.Tensor]], names: list[str]) -> torch.Tensor:
    """The flattened encoder outputs of ``names``, concatenated."""
    hidden = [encoder_outputs[name]["encoder_output"].flatten(start_dim=1) for name in names]
    return torch.cat(hidden, dim=-1) if len(hidden) > 1 else hidden[0]


@combiner_registry.register("comparator")
class ComparatorCombiner(nn.Module):
    """Each entity's concatenated inputs go through its own FC stack, giving vectors ``a`` and ``b`` of the
    last layer's size ``n``; the output is ``[a . b, a * b, |a - b|, a W b]`` of size ``2 n + 2``.

    Args:
        config: the ``combiner`` section (``entity_1`` and ``entity_2`` partition the input features).
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        self.config = config
        self.entity_1 = list(config.entity_1)
        self.entity_2 = list(config.entity_2)
        self.e1_fc_stack = fc_stack_from_config(sum(input_sizes[n] for n in self.entity_1), config)
        self.e2_fc_stack = fc_stack_from_config(sum(input_sizes[n] for n in self.entity_2), config)
        size = self.e1_fc_stack.output_size
        self.register_buffer("bilinear_weights", torch.randn(size, size))
        self.output_size = 2 * size + 2

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        first = self.e1_fc_stack(_entity_vector(encoder_outputs, self.entity_1))
        second = self.e2_fc_stack(_entity_vector(encoder_outputs, self.entity_2))
        product = first * second
        dot = product.sum(dim=1, keepdim=True)
        bilinear = ((first @ self.bilinear_weights.to(first.dtype)) * second).sum(dim=1, keepdim=True)
        return {"combiner_output": torch.cat([dot, product, (first - second).abs(), bilinear], dim=1)}
