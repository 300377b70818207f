"""Encoders of number inputs from Gorishniy et al., NeurIPS 2022: piecewise linear, periodic and binned.

The inputs are the normalized values, ``[batch]`` or ``[batch, 1]``. ``ple`` and ``bins`` read their bin edges
from the feature's metadata (see ``ludwig.schema.encoders.number_encoders``) into a ``bin_edges`` buffer of
``num_bins + 1`` values, so they are saved with the weights too.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ludwig.constants import NUMBER
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.error import DatasetError

#: Added to the bin widths so that an empty bin (tied edges) divides by a positive number.
_WIDTH_EPSILON = 1e-8


def _flat(inputs: torch.Tensor) -> torch.Tensor:
    """``[batch]`` float values from ``[batch]`` or ``[batch, 1]`` inputs."""
    return inputs.reshape(inputs.shape[0]).float()


class _BinnedEncoder(Encoder):
    """An encoder over ``num_bins`` bins whose edges come from the feature's metadata."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        key = config.bin_edges_key
        edges = metadata.get(key)
        if edges is None or len(edges) != config.num_bins + 1:
            found = "none" if edges is None else len(edges)
            raise DatasetError(
                f"The {config.type} encoder needs {config.num_bins + 1} bin edges under {key!r} in its number "
                f"feature's training_set_metadata, found {found}: that metadata was computed for another encoder "
                "config; preprocess the dataset again with this config."
            )
        self.register_buffer("bin_edges", torch.tensor(edges, dtype=torch.float32))


@encoder_registry.register("ple", [NUMBER])
class PLEEncoder(_BinnedEncoder):
    """Piecewise linear encoding: entry ``k`` is ``clamp((x - e_k) / (e_{k+1} - e_k), 0, 1)``, then a linear layer.

    A value inside bin ``k`` encodes as ones for the bins before it, its fraction through bin ``k``, zeros after.
    Parameters: ``projection`` (``nn.Linear(num_bins, output_size)``), as Ludwig's.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.projection = nn.Linear(config.num_bins, config.output_size)
        self.output_size = config.output_size

    def piecewise_linear(self, inputs: torch.Tensor) -> torch.Tensor:
        """The ``[batch, num_bins]`` encoding before the projection."""
        left, right = self.bin_edges[:-1], self.bin_edges[1:]
        fraction = (_flat(inputs).unsqueeze(-1) - left) / (right - left + _WIDTH_EPSILON)
        return fraction.clamp(0.0, 1.0)

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.projection(self.piecewise_linear(inputs))}


@encoder_registry.register("periodic", [NUMBER])
class PeriodicEncoder(Encoder):
    """``sin(2 * pi * frequencies * x + phases)``, then a linear layer.

    Parameters as Ludwig's: ``frequencies`` (``[num_frequencies]``, drawn from N(0, sigma^2)), ``phases``
    (``[num_frequencies]``, zeros) and ``projection`` (``nn.Linear(num_frequencies, output_size)``).
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.frequencies = nn.Parameter(torch.randn(config.num_frequencies) * config.sigma)
        self.phases = nn.Parameter(torch.zeros(config.num_frequencies))
        self.projection = nn.Linear(config.num_frequencies, config.output_size)
        self.output_size = config.output_size

    def periodic(self, inputs: torch.Tensor) -> torch.Tensor:
        """The ``[batch, num_frequencies]`` sinusoids before the projection."""
        return torch.sin(2 * math.pi * _flat(inputs).unsqueeze(-1) * self.frequencies + self.phases)

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.projection(self.periodic(inputs))}


@encoder_registry.register("bins", [NUMBER])
class BinsEncoder(_BinnedEncoder):
    """The embedding of the value's bin; values beyond the outer edges fall in the first or last bin.

    Bin ``k`` holds the values in ``(e_k, e_{k+1}]`` (the first bin also everything below). Parameters:
    ``bin_embeddings`` (``nn.Embedding(num_bins, output_size)``), as Ludwig's.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.bin_embeddings = nn.Embedding(config.num_bins, config.output_size)
        self.output_size = config.output_size

    def bin_index(self, inputs: torch.Tensor) -> torch.Tensor:
        """The ``[batch]`` bin index of each value."""
        inner_edges = self.bin_edges[1:-1].contiguous()
        return torch.searchsorted(inner_edges, _flat(inputs).contiguous())

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.bin_embeddings(self.bin_index(inputs))}
