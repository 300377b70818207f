"""The `tabpfn_v2` combiner: a learned projection of the concatenated encoder outputs to ``output_size``.

Ludwig 0.17's TabPFN v2 combiner computes exactly this (a ``LazyLinear`` that becomes
``Linear(sum of input sizes, output_size)`` on the first batch; here ``projection`` is that Linear, built at once
because the input sizes are known). TabPFN's own model does not run inside the network; see
:mod:`ludwig.schema.combiners.tabpfn_v2` for the `tabpfn` package that training requires.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry


@combiner_registry.register("tabpfn_v2")
class TabPFNV2Combiner(nn.Module):
    """``Linear(concatenated flattened encoder outputs) -> output_size``.

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        self.projection = nn.Linear(sum(input_sizes.values()), config.output_size)
        self.output_size = config.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        flat = [out["encoder_output"].flatten(start_dim=1) for out in encoder_outputs.values()]
        return {"combiner_output": self.projection(torch.cat(flat, dim=1))}
