"""The tabnet combiner: TabNet over the concatenated (flattened) encoder outputs."""

from __future__ import annotations

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.models.ecd import COMBINER_LOSS
from ludwig.modules.tabnet_modules import TabNet, mask_entropy


@combiner_registry.register("tabnet")
class TabNetCombiner(nn.Module):
    """Concatenates the ``encoder_output`` of every input feature, runs ``TabNet`` and dropout.

    The outputs are ``combiner_output`` ``[rows, output_size]``, ``aggregated_attention_masks`` ``[rows, columns]``
    and ``attention_masks`` (one ``[1, rows, columns, 1]`` tensor per step, Ludwig's layout), where ``columns`` is
    the total width of the encoder outputs. While training with ``sparsity != 0`` they also hold, under
    ``COMBINER_LOSS``, the sparsity penalty ``sparsity * mean mask entropy`` that ``ECD.train_loss`` adds to the loss.

    The masks can be collected with ``LudwigModel.collect_activations`` under these layer names:

    * ``combiner.tabnet.attentive_transforms.{i}``: the feature mask of step ``i`` (0 to ``num_steps - 1``);
    * ``combiner.tabnet.mask_aggregator``: the aggregated mask (feature importance over all steps).

    Args:
        config: the ``combiner`` section (a ``TabNetCombinerConfig``).
        input_sizes: output width of each input feature's encoder, in input feature order.
    """

    def __init__(self, config, input_sizes: dict[str, int]):
        super().__init__()
        self.config = config
        self.input_size = sum(input_sizes.values())
        self.tabnet = TabNet(
            self.input_size,
            config.size,
            config.output_size,
            num_steps=config.num_steps,
            num_total_blocks=config.num_total_blocks,
            num_shared_blocks=config.num_shared_blocks,
            relaxation_factor=config.relaxation_factor,
            bn_momentum=config.bn_momentum,
            bn_epsilon=config.bn_epsilon,
            bn_virtual_bs=config.bn_virtual_bs,
            entmax_mode=config.entmax_mode,
            entmax_alpha=config.entmax_alpha,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.output_size = config.output_size

    def forward(
        self, encoder_outputs: dict[str, dict[str, torch.Tensor]]
    ) -> dict[str, torch.Tensor | list[torch.Tensor]]:
        hidden = torch.cat([out["encoder_output"] for out in encoder_outputs.values()], dim=-1)
        result = self.tabnet(hidden)
        outputs = {
            "combiner_output": self.dropout(result["output"]),
            "aggregated_attention_masks": result["aggregated_mask"],
            "attention_masks": [mask[None, :, :, None] for mask in result["masks"]],
        }
        if self.training and self.config.sparsity != 0:
            outputs[COMBINER_LOSS] = self.config.sparsity * mask_entropy(result["masks"])
        return outputs
