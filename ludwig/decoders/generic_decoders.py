"""Decoders for the tabular output types: regressor, classifier, mlp_classifier, projector.

The fully connected stack of a decoder config (``fc_``-prefixed keys; for ``mlp_classifier`` its hidden layers)
is run by the output feature, so dependent outputs can read its hidden state; the decoder is the final projection
to logits.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.constants import ANOMALY, BINARY, CATEGORY, CATEGORY_DISTRIBUTION, NUMBER, SET, TIMESERIES, VECTOR
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
@decoder_registry.register("classifier", [CATEGORY, CATEGORY_DISTRIBUTION, SET])
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


@decoder_registry.register("anomaly", [ANOMALY])
class AnomalyDecoder(nn.Module):
    """The anomaly score ``||z - c||^2`` (N,) of latent vectors z (N, D); the centre c (D,) is a buffer, zero
    until :meth:`initialize_center` sets it (e.g. to the mean latent vector of the training set)."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__()
        self.config = config
        self.register_buffer("center", torch.zeros(input_size))

    def initialize_center(self, center: torch.Tensor) -> None:
        """Set the hypersphere centre.

        Raises:
            ValueError: if ``center`` is not a vector of the latent size.
        """
        if tuple(center.shape) != tuple(self.center.shape):
            raise ValueError(
                f"anomaly decoder: the centre must have shape {tuple(self.center.shape)} (the latent size), "
                f"found {tuple(center.shape)}."
            )
        self.center.copy_(center.detach().to(self.center))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return (hidden - self.center).square().sum(dim=-1)
