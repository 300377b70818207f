"""Decoders for the tabular output types: regressor, classifier, projector.

The ``fc_`` stack of a decoder config is run by the output feature (so dependent outputs can read its hidden
state); the decoder is the final projection to logits.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.constants import BINARY, CATEGORY, NUMBER, VECTOR
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


@decoder_registry.register("regressor", [BINARY, NUMBER])
class Regressor(ProjectionDecoder):
    """One value per row: a regression prediction or a binary logit."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, 1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return super().forward(hidden).squeeze(-1)


@decoder_registry.register("classifier", [CATEGORY])
class Classifier(ProjectionDecoder):
    """One logit per class."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata["vocab_size"])


@decoder_registry.register("projector", [VECTOR])
class Projector(ProjectionDecoder):
    """A vector of ``vector_size`` values, with optional activation and clipping."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata["vector_size"])
        self.activation = get_activation(config.activation)
        self.clip = tuple(config.clip) if config.clip else None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self.activation(super().forward(hidden))
        if self.clip is not None:
            out = out.clamp(self.clip[0], self.clip[1])
        return out
