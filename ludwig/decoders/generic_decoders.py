"""Decoders for the tabular output types: regressor, classifier, mlp_classifier, projector.

The fully connected stack of a decoder config (``fc_``-prefixed keys; for ``mlp_classifier`` its hidden layers)
is run by the output feature, so dependent outputs can read its hidden state; the decoder is the final projection
to logits.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.constants import BINARY, CATEGORY, NUMBER, SET, TIMESERIES, VECTOR
from ludwig.decoders.registry import decoder_registry
from ludwig.modules.fully_connected import get_activation, initialize


class ProjectionDecoder(nn.Module):
    """A linear projection to ``output_size`` values."""

    def __init__(self, config, input_size: int, output_size: int):
        super().__init__()
        self.config = config
        self.projection = nn.Linear(input_size, output_size, bias=config.use_bias)
        initialize(self.projection.weight, config.weights_initializer)
        if config.use_bias:
            initialize(self.projection.bias, config.bias_initializer)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.projection(hidden)


@decoder_registry.register("mlp_classifier", [BINARY])
@decoder_registry.register("regressor", [BINARY, NUMBER])
class Regressor(ProjectionDecoder):
    """One value per row: a regression prediction or a binary logit."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, 1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return super().forward(hidden).squeeze(-1)


@decoder_registry.register("mlp_classifier", [CATEGORY])
@decoder_registry.register("classifier", [CATEGORY, SET])
class Classifier(ProjectionDecoder):
    """One logit per class (per vocabulary element for sets)."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata["vocab_size"])


@decoder_registry.register("projector", [VECTOR, TIMESERIES])
class Projector(ProjectionDecoder):
    """A vector of ``vector_size`` values (timeseries: ``max_sequence_length``, the horizon), with optional
    activation, multiplier and clipping."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata.get("vector_size") or metadata["max_sequence_length"])
        self.activation = get_activation(config.activation)
        self.multiplier = config.multiplier
        self.clip = tuple(config.clip) if config.clip else None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self.activation(super().forward(hidden))
        if self.multiplier != 1.0:
            out = out * self.multiplier
        if self.clip is not None:
            out = out.clamp(self.clip[0], self.clip[1])
        return out
