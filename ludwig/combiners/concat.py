"""The concat combiner: concatenate encoder outputs, then an optional fully connected stack."""

from __future__ import annotations

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.modules.fully_connected import fc_stack_from_config


@combiner_registry.register("concat")
class ConcatCombiner(nn.Module):
    """Concatenates the ``encoder_output`` of every input feature along the last axis.

    Args:
        config: the ``combiner`` section.
        input_sizes: output size of each input feature's encoder, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        self.config = config
        concat_size = sum(input_sizes.values())
        self.fc_stack = fc_stack_from_config(concat_size, config, residual=config.residual)
        self.output_size = self.fc_stack.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        hidden = [out["encoder_output"] for out in encoder_outputs.values()]
        if self.config.flatten_inputs:
            hidden = [h.flatten(start_dim=1) for h in hidden]
        combined = torch.cat(hidden, dim=-1) if len(hidden) > 1 else hidden[0]
        return {"combiner_output": self.fc_stack(combined) if self.fc_stack.layers else combined}
