"""The `project_aggregate` combiner: every input projected to one size, the projections averaged, then an FC
stack.

Parameters map one to one onto Ludwig 0.17's: ``projectors`` holds Ludwig's ``projectors`` (one
``Linear(flattened size, projection_size)`` per input) stacked by input size as :mod:`ludwig.modules.feature_tokens`
describes, and ``fc_stack`` is its FC stack.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.feature_tokens import FeatureTokenizer
from ludwig.modules.fully_connected import fc_stack_from_config


@combiner_registry.register("project_aggregate")
class ProjectAggregateCombiner(nn.Module):
    """The mean of the inputs' projections to ``projection_size``, through a (by default residual) FC stack.

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        self.config = config
        self.projectors = FeatureTokenizer(input_sizes, config.projection_size)
        self.fc_stack = fc_stack_from_config(config.projection_size, config, residual=config.residual)
        self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return {"combiner_output": self.fc_stack(self.projectors(encoder_outputs).mean(dim=1))}
