"""Timeseries-only encoders: ``patchtst`` (patches + transformer) and ``nbeats`` (doubly residual MLP blocks).

Both read the preprocessed series ``float [batch, time]`` (or ``[batch, time, channels]``, each channel encoded
on its own and the results averaged) and return ``[batch, output_size]``.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.constants import TIMESERIES
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry


def _channels_first(inputs: torch.Tensor) -> tuple[torch.Tensor, int, int]:
    """``[batch * channels, time]`` rows of the series, with the batch size and channel count."""
    if inputs.dim() == 2:
        return inputs.float(), inputs.shape[0], 1
    batch, time, channels = inputs.shape
    return inputs.float().permute(0, 2, 1).reshape(batch * channels, time), batch, channels


@encoder_registry.register("patchtst", [TIMESERIES])
class PatchTSTEncoder(Encoder):
    """PatchTST: patches of ``patch_size`` steps every ``patch_stride`` steps, each projected to ``d_model``,
    plus a learned position, through a pre-norm transformer encoder; the patches are pooled and projected.

    A series shorter than one patch is padded by repeating its last value.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        if config.d_model % config.num_heads:
            raise ValueError(
                f"encoder.d_model ({config.d_model}) must be divisible by encoder.num_heads ({config.num_heads})."
            )
        self.patch_size, self.patch_stride = config.patch_size, config.patch_stride
        length = int(metadata.get("max_sequence_length") or input_size)
        self.max_patches = self.num_patches(length)
        self.patch_projection = nn.Linear(config.patch_size, config.d_model)
        self.positions = nn.Parameter(torch.zeros(1, self.max_patches, config.d_model))
        nn.init.trunc_normal_(self.positions, std=0.02)
        layer = nn.TransformerEncoderLayer(
            config.d_model,
            config.num_heads,
            dim_feedforward=config.ffn_dim,
            dropout=config.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.transformer = nn.TransformerEncoder(layer, config.num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.output_size)
        self.output_size = config.output_size

    def num_patches(self, length: int) -> int:
        return (max(length, self.patch_size) - self.patch_size) // self.patch_stride + 1

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        rows, batch, channels = _channels_first(inputs)
        if rows.shape[1] < self.patch_size:
            rows = torch.cat([rows, rows[:, -1:].expand(-1, self.patch_size - rows.shape[1])], dim=1)
        patches = rows.unfold(1, self.patch_size, self.patch_stride)  # [rows, patches, patch_size]
        if patches.shape[1] > self.max_patches:
            raise ValueError(
                f"patchtst encoder: input has {inputs.shape[1]} steps, more than the {self.max_patches} patches "
                "built for max_sequence_length."
            )
        hidden = self.patch_projection(patches) + self.positions[:, : patches.shape[1]]
        hidden = self.norm(self.transformer(hidden))
        if self.config.reduce_output == "last":
            pooled = hidden[:, -1]
        elif self.config.reduce_output == "first":
            pooled = hidden[:, 0]
        else:
            pooled = hidden.mean(dim=1)
        pooled = pooled.reshape(batch, channels, -1).mean(dim=1)
        return {ENCODER_OUTPUT: self.head(pooled)}


class NBEATSBlock(nn.Module):
    """Fully connected layers (ReLU) with two linear heads: the backcast of the input and a forecast vector.

    Args:
        input_size: length of the series the block reads and reconstructs.
        forecast_size: size of the forecast vector.
        layer_size: width of the hidden layers.
        num_layers: number of hidden layers.
        dropout: dropout after each hidden layer.
    """

    def __init__(self, input_size: int, forecast_size: int, layer_size: int, num_layers: int, dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        width = input_size
        for _ in range(num_layers):
            layers += [nn.Linear(width, layer_size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = layer_size
        self.hidden = nn.Sequential(*layers)
        self.backcast = nn.Linear(width, input_size)
        self.forecast = nn.Linear(width, forecast_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.hidden(x)
        return self.backcast(hidden), self.forecast(hidden)


@encoder_registry.register("nbeats", [TIMESERIES])
class NBEATSEncoder(Encoder):
    """N-BEATS: ``num_stacks`` x ``num_blocks`` blocks; each subtracts its backcast from the residual series
    and adds its forecast to the running sum, which is projected to ``output_size``."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.input_length = int(metadata.get("max_sequence_length") or input_size)
        self.blocks = nn.ModuleList(
            NBEATSBlock(self.input_length, config.output_size, config.layer_size, config.num_layers, config.dropout)
            for _ in range(config.num_stacks * config.num_blocks)
        )
        self.head = nn.Linear(config.output_size, config.output_size)
        self.output_size = config.output_size

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        residual, batch, channels = _channels_first(inputs)
        if residual.shape[1] != self.input_length:
            raise ValueError(
                f"nbeats encoder: expected series of {self.input_length} steps, found {residual.shape[1]}."
            )
        forecast = residual.new_zeros(residual.shape[0], self.output_size)
        for block in self.blocks:
            backcast, contribution = block(residual)
            residual = residual - backcast
            forecast = forecast + contribution
        forecast = forecast.reshape(batch, channels, -1).mean(dim=1)
        return {ENCODER_OUTPUT: self.head(forecast)}
