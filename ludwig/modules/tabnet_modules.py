"""TabNet (Arik and Pfister, 2019, https://arxiv.org/abs/1908.07442): attentive, sparse, step-wise feature selection.

At each decision step an attentive transformer turns the previous step's hidden state into a feature mask (a sparse
probability vector over the input columns, scaled by a prior that discounts columns already used), and a feature
transformer (GLU blocks, the first ``num_shared_blocks`` sharing their linear layers across steps) reads the masked
inputs. The ReLU of the first ``output_size`` units of each step is summed into the output.

Parameter layout versus Ludwig 0.17's ``TabNet`` (same shapes; ``ludwig_key -> key``):

* ``batch_norm.*``, ``feature_transforms.{t}.blocks.{n}.fc_layer.weight``, ``final_projection.*``: unchanged;
* ``<...>.batch_norm.bn.<name>`` (Ludwig's ghost batch norm wraps a ``BatchNorm1d``) -> ``<...>.batch_norm.<name>``;
* ``attentive_transforms.{i}.<rest>`` (Ludwig counts steps from 1) -> ``attentive_transforms.{i - 1}.<rest>``, with
  ``entmax_module.alpha`` (``adaptive`` mode) unchanged; Ludwig's ``trainable_alpha`` holds the same value;
* Ludwig's constant buffers ``out_accumulator``, ``aggregated_mask`` and ``prior_scales`` have no counterpart.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.modules.ghost_batch_norm import GhostBatchNorm
from ludwig.modules.sparse_activations import Entmax15, EntmaxBisect, Sparsemax

MASK_LOG_EPSILON = 1e-5
"""Added inside the log of the mask entropy, so that zero mask entries contribute 0."""


def make_entmax(mode: str, alpha: float) -> nn.Module:
    """The mask activation of an ``entmax_mode``: sparsemax, entmax15, constant or adaptive (learned) alpha-entmax."""
    if mode == "sparsemax":
        return Sparsemax()
    if mode == "entmax15":
        return Entmax15()
    if mode in ("constant", "adaptive"):
        return EntmaxBisect(alpha, learnable=mode == "adaptive")
    raise ValueError(f"combiner.entmax_mode: unknown mode {mode!r}.")


def mask_entropy(masks: list[torch.Tensor]) -> torch.Tensor:
    """Mean over steps and rows of each mask row's entropy: TabNet's sparsity penalty before its weight."""
    stacked = torch.stack(masks)
    return (-stacked * torch.log(stacked + MASK_LOG_EPSILON)).sum(dim=-1).mean()


class FeatureBlock(nn.Module):
    """Linear layer (no bias), ghost batch norm, then an optional GLU halving the width.

    Args:
        input_size: input width.
        size: output width.
        apply_glu: use a linear layer of width ``2 * size`` followed by a GLU.
        bn_momentum, bn_epsilon, bn_virtual_bs: the ghost batch norm's settings.
        shared_fc_layer: a linear layer shared with other blocks, used instead of a new one.
    """

    def __init__(
        self,
        input_size: int,
        size: int,
        *,
        apply_glu: bool,
        bn_momentum: float,
        bn_epsilon: float,
        bn_virtual_bs: int | None,
        shared_fc_layer: nn.Linear | None = None,
    ):
        super().__init__()
        self.apply_glu = apply_glu
        units = 2 * size if apply_glu else size
        self.fc_layer = nn.Linear(input_size, units, bias=False) if shared_fc_layer is None else shared_fc_layer
        self.batch_norm = GhostBatchNorm(
            units, momentum=bn_momentum, epsilon=bn_epsilon, virtual_batch_size=bn_virtual_bs
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = self.batch_norm(self.fc_layer(inputs))
        return nn.functional.glu(hidden, dim=-1) if self.apply_glu else hidden


class FeatureTransformer(nn.Module):
    """``num_total_blocks`` GLU feature blocks; each after the first adds a residual, scaled by sqrt(1/2).

    Args:
        input_size: input width (the number of input columns).
        size: width of every block's output.
        num_total_blocks: number of blocks.
        num_shared_blocks: how many of the first blocks' linear layers ``shared_fc_layers`` exposes.
        bn_momentum, bn_epsilon, bn_virtual_bs: the ghost batch norms' settings.
        shared_fc_layers: linear layers of the first blocks, shared with other transformers.
    """

    def __init__(
        self,
        input_size: int,
        size: int,
        *,
        num_total_blocks: int,
        num_shared_blocks: int,
        bn_momentum: float,
        bn_epsilon: float,
        bn_virtual_bs: int | None,
        shared_fc_layers: list[nn.Linear] | None = None,
    ):
        super().__init__()
        shared = shared_fc_layers or []
        self.num_shared_blocks = num_shared_blocks
        self.blocks = nn.ModuleList(
            FeatureBlock(
                input_size if n == 0 else size,
                size,
                apply_glu=True,
                bn_momentum=bn_momentum,
                bn_epsilon=bn_epsilon,
                bn_virtual_bs=bn_virtual_bs,
                shared_fc_layer=shared[n] if n < len(shared) else None,
            )
            for n in range(num_total_blocks)
        )

    @property
    def shared_fc_layers(self) -> list[nn.Linear]:
        """The linear layers of the first ``num_shared_blocks`` blocks, for the other steps' transformers."""
        return [self.blocks[n].fc_layer for n in range(self.num_shared_blocks)]

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = self.blocks[0](inputs)
        for block in self.blocks[1:]:
            hidden = (block(hidden) + hidden) * 0.5**0.5
        return hidden


class AttentiveTransformer(nn.Module):
    """Feature mask of one step: linear + ghost batch norm to one score per input column, times the prior, then a
    sparse activation (``entmax_module``). Its output is the ``[rows, num_features]`` mask.

    Args:
        hidden_size: width of the hidden state it reads (TabNet's ``size``).
        num_features: number of input columns.
        bn_momentum, bn_epsilon, bn_virtual_bs: the ghost batch norm's settings.
        entmax_mode, entmax_alpha: see ``make_entmax``.
    """

    def __init__(
        self,
        hidden_size: int,
        num_features: int,
        *,
        bn_momentum: float,
        bn_epsilon: float,
        bn_virtual_bs: int | None,
        entmax_mode: str,
        entmax_alpha: float,
    ):
        super().__init__()
        self.feature_block = FeatureBlock(
            hidden_size,
            num_features,
            apply_glu=False,
            bn_momentum=bn_momentum,
            bn_epsilon=bn_epsilon,
            bn_virtual_bs=bn_virtual_bs,
        )
        self.entmax_module = make_entmax(entmax_mode, entmax_alpha)

    def forward(self, hidden: torch.Tensor, prior_scales: torch.Tensor) -> torch.Tensor:
        return self.entmax_module(self.feature_block(hidden) * prior_scales)


class MaskAggregator(nn.Module):
    """Feature importance over all steps: each step's mask weighted by the sum of that step's decision output,
    divided by the number of steps. Its output is the ``[rows, num_features]`` aggregated mask."""

    def forward(self, masks: list[torch.Tensor], step_outputs: list[torch.Tensor]) -> torch.Tensor:
        weights = torch.stack(step_outputs).sum(dim=-1, keepdim=True) / len(masks)
        return (torch.stack(masks) * weights).sum(dim=0)


class TabNet(nn.Module):
    """The TabNet encoder over ``[rows, input_size]`` inputs.

    Args:
        input_size: number of input columns.
        size: width of the hidden state the attention reads (``N_a``).
        output_size: width of each step's decision output and of the result (``N_d``).
        num_steps: number of decision steps (at least 1).
        num_total_blocks, num_shared_blocks: GLU blocks per feature transformer, and how many share weights.
        relaxation_factor: prior update ``prior *= relaxation_factor - mask`` (``gamma``).
        bn_momentum, bn_epsilon, bn_virtual_bs: the batch norms' settings.
        entmax_mode, entmax_alpha: the mask activation, see ``make_entmax``.
    """

    def __init__(
        self,
        input_size: int,
        size: int,
        output_size: int,
        *,
        num_steps: int,
        num_total_blocks: int,
        num_shared_blocks: int,
        relaxation_factor: float,
        bn_momentum: float,
        bn_epsilon: float,
        bn_virtual_bs: int | None,
        entmax_mode: str,
        entmax_alpha: float,
    ):
        super().__init__()
        self.output_size = output_size
        self.relaxation_factor = relaxation_factor
        bn = {"bn_momentum": bn_momentum, "bn_epsilon": bn_epsilon, "bn_virtual_bs": bn_virtual_bs}
        blocks = {"num_total_blocks": num_total_blocks, "num_shared_blocks": num_shared_blocks, **bn}
        self.batch_norm = GhostBatchNorm(input_size, momentum=bn_momentum, epsilon=bn_epsilon, virtual_batch_size=None)
        first = FeatureTransformer(input_size, size + output_size, **blocks)
        self.feature_transforms = nn.ModuleList(
            [first]
            + [
                FeatureTransformer(input_size, size + output_size, shared_fc_layers=first.shared_fc_layers, **blocks)
                for _ in range(num_steps)
            ]
        )
        self.attentive_transforms = nn.ModuleList(
            AttentiveTransformer(size, input_size, entmax_mode=entmax_mode, entmax_alpha=entmax_alpha, **bn)
            for _ in range(num_steps)
        )
        self.mask_aggregator = MaskAggregator()
        self.final_projection = nn.Linear(output_size, output_size)

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor | list[torch.Tensor]]:
        """``output`` ``[rows, output_size]``, ``aggregated_mask`` ``[rows, input_size]`` and the per-step
        ``masks`` (a list of ``[rows, input_size]``)."""
        if features.dim() != 2:
            raise ValueError(f"TabNet expects [rows, columns] inputs, got shape {tuple(features.shape)}.")
        features = self.batch_norm(features)
        hidden = self.feature_transforms[0](features)
        prior_scales = torch.ones_like(features)
        masks, step_outputs = [], []
        for attentive, transform in zip(self.attentive_transforms, self.feature_transforms[1:]):
            mask = attentive(hidden[:, self.output_size :], prior_scales)
            prior_scales = prior_scales * (self.relaxation_factor - mask)
            hidden = transform(mask * features)
            masks.append(mask)
            step_outputs.append(nn.functional.relu(hidden[:, : self.output_size]))
        return {
            "output": self.final_projection(torch.stack(step_outputs).sum(dim=0)),
            "aggregated_mask": self.mask_aggregator(masks, step_outputs),
            "masks": masks,
        }
