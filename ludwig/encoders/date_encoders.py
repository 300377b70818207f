"""Encoders for date inputs: the ``[batch, 9]`` component rows of ``ludwig.utils.date_utils``."""

from __future__ import annotations

import math

import torch
from torch import nn

from ludwig.constants import DATE
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.embedding_modules import Embed
from ludwig.modules.fully_connected import fc_stack_from_config, initialize

# (column in the component row, number of values, smallest value) of the calendar components.
_EMBEDDED = {
    "month": (1, 12, 1),
    "day": (2, 31, 1),
    "weekday": (3, 7, 0),
    "yearday": (4, 366, 1),
    "hour": (5, 24, 0),
    "minute": (6, 60, 0),
    "second": (7, 60, 0),
}
# (column, period) of the components the wave encoder turns into sine/cosine pairs.
_PERIODIC = ((1, 12), (2, 31), (3, 7), (4, 366), (5, 24), (6, 60), (7, 60), (8, 86400))
_SECOND_OF_DAY = 8


class _YearUnit(nn.Module):
    """A linear unit over the year, standardised with the training years' mean and spread."""

    def __init__(self, config, metadata: dict):
        super().__init__()
        self.linear = nn.Linear(1, 1, bias=config.use_bias)
        initialize(self.linear.weight, config.weights_initializer)
        if config.use_bias:
            initialize(self.linear.bias, config.bias_initializer)
        self.mean = float(metadata.get("year_mean", 0.0))
        self.scale = float(metadata.get("year_std", 1.0)) or 1.0

    def forward(self, year: torch.Tensor) -> torch.Tensor:
        return self.linear(((year.float() - self.mean) / self.scale).unsqueeze(-1))


@encoder_registry.register("embed", [DATE])
class DateEmbedEncoder(Encoder):
    """Year through a linear unit, an embedding per calendar component, and the sine of the time of day."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.year = _YearUnit(config, metadata)
        self.embeddings = nn.ModuleDict(
            {
                name: Embed(
                    [str(i) for i in range(count)],
                    config.embedding_size,
                    embedding_initializer=config.weights_initializer,
                    force_embedding_size=True,  # every component keeps the configured width
                    embeddings_on_cpu=config.embeddings_on_cpu,
                )
                for name, (_, count, _) in _EMBEDDED.items()
            }
        )
        self.dropout = nn.Dropout(config.dropout) if config.dropout > 0 else None
        size = 1 + len(_EMBEDDED) * config.embedding_size + 1
        self.fc_stack = fc_stack_from_config(size, config)
        self.output_size = self.fc_stack.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        components = inputs.long()
        parts = [self.year(components[:, 0])]
        for name, (column, count, first) in _EMBEDDED.items():
            parts.append(self.embeddings[name]((components[:, column] - first).clamp(0, count - 1)))
        parts.append(torch.sin(components[:, _SECOND_OF_DAY : _SECOND_OF_DAY + 1].float() * (2 * math.pi / 86400)))
        hidden = torch.cat(parts, dim=-1)
        if self.dropout is not None:
            hidden = self.dropout(hidden)
        return {ENCODER_OUTPUT: self.fc_stack(hidden)}


@encoder_registry.register("wave", [DATE])
class DateWaveEncoder(Encoder):
    """Year through a linear unit and a sine/cosine pair per periodic component (month ... second of day)."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.year = _YearUnit(config, metadata)
        columns = [column for column, _ in _PERIODIC]
        frequencies = [2 * math.pi / period for _, period in _PERIODIC]
        self.register_buffer("columns", torch.tensor(columns), persistent=False)
        self.register_buffer("frequencies", torch.tensor(frequencies), persistent=False)
        self.dropout = nn.Dropout(config.dropout) if config.dropout > 0 else None
        self.fc_stack = fc_stack_from_config(1 + 2 * len(_PERIODIC), config)
        self.output_size = self.fc_stack.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        angles = inputs[:, self.columns].float() * self.frequencies
        hidden = torch.cat([self.year(inputs[:, 0]), torch.sin(angles), torch.cos(angles)], dim=-1)
        if self.dropout is not None:
            hidden = self.dropout(hidden)
        return {ENCODER_OUTPUT: self.fc_stack(hidden)}
