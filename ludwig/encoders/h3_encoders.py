"""Encoders for h3 inputs: the ``[batch, 19]`` component rows of ``ludwig.utils.h3_utils``."""

from __future__ import annotations

import torch
from torch import nn

from ludwig.constants import H3
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.embedding_modules import Embed
from ludwig.modules.fully_connected import fc_stack_from_config, initialize
from ludwig.modules.reduction_modules import SequenceReducer
from ludwig.utils.h3_utils import H3_VECTOR_LENGTH, MAX_H3_RESOLUTION, NUM_BASE_CELLS, NUM_MODES

_HEADER = 4  # mode, edge, resolution, base cell


def _table(size: int, config) -> Embed:
    return Embed(
        [str(i) for i in range(size)],
        config.embedding_size,
        embedding_initializer=config.weights_initializer,
        force_embedding_size=True,  # every component keeps the configured width
        embeddings_on_cpu=config.embeddings_on_cpu,
    )


class H3Embeddings(nn.Module):
    """``[batch, 19]`` components -> ``[batch, 19, embedding_size]`` embeddings and the ``[batch, 19]`` mask of
    the components that exist (the cell digits past the resolution are masked and their embeddings zeroed)."""

    def __init__(self, config):
        super().__init__()
        self.mode = _table(NUM_MODES, config)
        self.edge = _table(7, config)
        self.resolution = _table(MAX_H3_RESOLUTION + 1, config)
        self.base_cell = _table(NUM_BASE_CELLS, config)
        self.cells = _table(8, config)  # shared by the 15 digits
        self.dropout = nn.Dropout(config.dropout) if config.dropout > 0 else None
        self.register_buffer("levels", torch.arange(1, MAX_H3_RESOLUTION + 1), persistent=False)
        self.output_size = config.embedding_size

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        components = inputs.long()
        header = torch.stack(
            [
                self.mode(components[:, 0]),
                self.edge(components[:, 1]),
                self.resolution(components[:, 2]),
                self.base_cell(components[:, 3]),
            ],
            dim=1,
        )
        cell_mask = self.levels.unsqueeze(0) <= components[:, 2:3]
        cells = self.cells(components[:, _HEADER:]) * cell_mask.unsqueeze(-1)
        embedded = torch.cat([header, cells], dim=1)
        if self.dropout is not None:
            embedded = self.dropout(embedded)
        mask = torch.cat([torch.ones_like(cell_mask[:, :_HEADER]), cell_mask], dim=1)
        return embedded, mask


@encoder_registry.register("embed", [H3])
class H3EmbedEncoder(Encoder):
    """The component embeddings reduced with ``reduce_output`` (over the existing components), then FC layers."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.embed = H3Embeddings(config)
        size = config.embedding_size
        self.reducer = SequenceReducer(config.reduce_output, max_sequence_length=H3_VECTOR_LENGTH, encoding_size=size)
        self.fc_stack = fc_stack_from_config(self.reducer.output_size, config)
        self.output_size = self.fc_stack.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        embedded, mask = self.embed(inputs)
        return {ENCODER_OUTPUT: self.fc_stack(self.reducer(embedded, mask))}


@encoder_registry.register("weighted_sum", [H3])
class H3WeightedSumEncoder(Encoder):
    """The component embeddings summed with one learned weight per component (softmax-normalised if asked)."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.embed = H3Embeddings(config)
        self.should_softmax = config.should_softmax
        self.aggregation_weights = nn.Parameter(torch.empty(H3_VECTOR_LENGTH, 1))
        initialize(self.aggregation_weights, config.weights_initializer)
        self.fc_stack = fc_stack_from_config(config.embedding_size, config)
        self.output_size = self.fc_stack.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        embedded, _ = self.embed(inputs)  # masked cells are zero already
        weights = torch.softmax(self.aggregation_weights, dim=0) if self.should_softmax else self.aggregation_weights
        return {ENCODER_OUTPUT: self.fc_stack((embedded * weights).sum(dim=1))}


_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@encoder_registry.register("rnn", [H3])
class H3RNNEncoder(Encoder):
    """A recurrent network over the 19 component embeddings; ``reduce_output`` ``last`` keeps the state after
    the finest existing cell digit."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.embed = H3Embeddings(config)
        kwargs = {"nonlinearity": config.activation} if config.cell_type == "rnn" else {}
        self.rnn = _CELLS[config.cell_type](
            config.embedding_size,
            config.hidden_size,
            num_layers=config.num_layers,
            bias=config.use_bias,
            batch_first=True,
            dropout=config.recurrent_dropout if config.num_layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            **kwargs,
        )
        self._initialize(config)
        size = config.hidden_size * (2 if config.bidirectional else 1)
        self.reducer = SequenceReducer(config.reduce_output, max_sequence_length=H3_VECTOR_LENGTH, encoding_size=size)
        self.output_size = self.reducer.output_size

    def _initialize(self, config) -> None:
        for name, parameter in self.rnn.named_parameters():
            if name.startswith("weight_ih"):
                initialize(parameter, config.weights_initializer)
            elif name.startswith("weight_hh"):
                initialize(parameter, config.recurrent_initializer)
            else:
                initialize(parameter, config.bias_initializer)
                if config.cell_type == "lstm" and config.unit_forget_bias and name.startswith("bias_ih"):
                    with torch.no_grad():  # gates are ordered input, forget, cell, output
                        parameter[config.hidden_size : 2 * config.hidden_size] = 1.0

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        embedded, mask = self.embed(inputs)
        outputs, state = self.rnn(embedded)
        final = state[0] if isinstance(state, tuple) else state  # [layers * directions, batch, hidden]
        return {ENCODER_OUTPUT: self.reducer(outputs, mask), "encoder_output_state": final[-1]}
