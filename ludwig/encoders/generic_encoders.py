"""Encoders for scalar and vector inputs: passthrough and dense."""

from __future__ import annotations

import torch

from ludwig.constants import BINARY, NUMBER, TIMESERIES, VECTOR
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.fully_connected import FCStack


@encoder_registry.register("passthrough", [BINARY, NUMBER, VECTOR, TIMESERIES])
class PassthroughEncoder(Encoder):
    """Returns the input as is."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.output_size = input_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: inputs}


@encoder_registry.register("dense", [BINARY, NUMBER, VECTOR, TIMESERIES])
class DenseEncoder(Encoder):
    """A stack of fully connected layers."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.fc_stack = FCStack(
            input_size,
            layers=config.layers,
            num_layers=config.num_layers,
            output_size=config.output_size,
            use_bias=config.use_bias,
            weights_initializer=config.weights_initializer,
            bias_initializer=config.bias_initializer,
            norm=config.norm,
            norm_params=config.norm_params,
            activation=config.activation,
            dropout=config.dropout,
        )
        self.output_size = self.fc_stack.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.fc_stack(inputs)}
