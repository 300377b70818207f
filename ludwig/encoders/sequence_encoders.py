"""Convolutional, recurrent and transformer encoders of sequence, text and timeseries inputs.

Token inputs (``int64 [batch, time]``) are embedded and masked where they equal the padding id; float inputs
(timeseries ``[batch, time]``) are read as one channel per step and never masked. Every encoder ends with
``reduce_output`` over the real steps and, when the sequence is reduced, a fully connected stack.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import torch
from torch import nn

from ludwig.constants import SEQUENCE, TEXT, TIMESERIES
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.attention_modules import TransformerStack
from ludwig.modules.convolutional_modules import Conv1DStack, ParallelConv1D, ParallelConv1DStack
from ludwig.modules.embedding_modules import Embed
from ludwig.modules.fully_connected import FCStack, initialize
from ludwig.modules.recurrent_modules import RecurrentStack
from ludwig.modules.reduction_modules import SequenceReducer
from ludwig.schema.encoders.sequence_encoders import (
    DEFAULT_CNN_FC_LAYERS,
    DEFAULT_CNNRNN_CONV_LAYERS,
    DEFAULT_PARALLEL_CONV_LAYERS,
    DEFAULT_STACKED_CONV_LAYERS,
    DEFAULT_STACKED_PARALLEL_LAYERS,
)
from ludwig.utils.strings_utils import PAD_IDX

ENCODER_OUTPUT_STATE = "encoder_output_state"
# Real-step mask ``[batch, time]`` of an unreduced output, read by the sequence combiners.
ENCODER_OUTPUT_MASK = "encoder_output_mask"
SEQUENCE_TYPES = [SEQUENCE, TEXT, TIMESERIES]


def _layers_or_count(config, list_key: str, count_key: str, default: list) -> list:
    """The per-layer specs from ``list_key`` or ``count_key`` (one of them), or ``default`` when neither is set."""
    layers, count = getattr(config, list_key), getattr(config, count_key)
    if layers is not None and count is not None:
        raise ValueError(f"encoder: set either {list_key} or {count_key}, not both (found {count_key}={count}).")
    if layers is None and count is None:
        return copy.deepcopy(default)
    if layers is None:
        return [{} for _ in range(count)]
    for i, spec in enumerate(layers):
        if not isinstance(spec, dict | list):
            raise ValueError(f"encoder.{list_key}[{i}]: expected a dict of layer parameters, found {spec!r}.")
    return copy.deepcopy(layers)


class SequenceEncoder(Encoder):
    """Shared pieces: the embedding (or float reading) of the input and the reduction + FC head.

    Subclasses build their body, call :meth:`build_head` with the size and length of its output sequence, and
    in ``forward`` run ``embed_inputs`` -> body -> ``head``.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.max_sequence_length = metadata.get("max_sequence_length") or config.max_sequence_length
        vocab = config.vocab or metadata.get("idx2str")
        self.pad_idx = int(metadata.get("pad_idx", PAD_IDX)) if vocab is not None else None
        self.embed: Embed | None = None
        # Float steps: one value each (timeseries), or ``encoding_size`` values (a sequence combiner's input).
        self.input_channels = int(metadata.get("encoding_size") or 1)
        if config.should_embed and vocab is not None:
            sparse = config.representation == "sparse"
            self.embed = Embed(
                list(vocab),
                len(vocab) if sparse else config.embedding_size,
                representation=config.representation,
                embeddings_trainable=config.embeddings_trainable and not sparse,  # one-hot vectors stay fixed
                pretrained_embeddings=None if sparse else config.pretrained_embeddings,
                embedding_initializer=config.weights_initializer,
                dropout=config.dropout,
                embeddings_on_cpu=config.embeddings_on_cpu,
            )
            self.input_channels = self.embed.output_size
        self.reducer: SequenceReducer | None = None
        self.fc_stack: FCStack | None = None
        # Ludwig's encoders compute over the padding steps too; a model whose weights Ludwig trained turns this
        # off (see ``ludwig.models.ludwig_weights``) so that it computes Ludwig's function.
        self.masks_padding = True

    def embed_inputs(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``[batch, time, channels]`` float steps and the ``[batch, time]`` real-step mask.

        Token ids are masked where they equal the padding id; float steps only by the ``mask`` given, if any.
        """
        if not self.masks_padding:
            mask = None
        elif not inputs.is_floating_point() and self.pad_idx is not None:
            mask = inputs != self.pad_idx
        if self.embed is None:
            hidden = inputs.float()
            return (hidden.unsqueeze(-1) if hidden.dim() == 2 else hidden), mask
        return self.embed(inputs), mask

    def build_head(
        self,
        sequence_size: int,
        sequence_length: int | None,
        activation: str | None,
        dropout: float,
        fc_layers: list | None,
        num_fc_layers: int,
    ) -> None:
        """The reducer over ``[batch, sequence_length, sequence_size]`` and, when it reduces, the FC stack."""
        config = self.config
        self.output_sequence_length = sequence_length
        self.reducer = SequenceReducer(config.reduce_output, sequence_length, sequence_size)
        if self.reducer.reduce_mode is None:
            self.output_size = sequence_size
            return
        if self.reducer.output_size is None:
            raise ValueError("encoder.reduce_output: 'concat' needs the sequence length (max_sequence_length).")
        self.fc_stack = FCStack(
            self.reducer.output_size,
            layers=fc_layers,
            num_layers=num_fc_layers,
            output_size=config.output_size,
            use_bias=config.use_bias,
            weights_initializer=config.weights_initializer,
            bias_initializer=config.bias_initializer,
            norm=config.norm,
            norm_params=config.norm_params,
            activation=activation,
            dropout=dropout,
        )
        self.output_size = self.fc_stack.output_size

    def head(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """The encoder outputs: the reduced vector, or the unreduced steps together with their mask."""
        if self.reducer.reduce_mode is None:
            return {ENCODER_OUTPUT: hidden} if mask is None else {ENCODER_OUTPUT: hidden, ENCODER_OUTPUT_MASK: mask}
        hidden = self.reducer(hidden, mask)
        if self.fc_stack is not None and self.fc_stack.layers:
            hidden = self.fc_stack(hidden)
        return {ENCODER_OUTPUT: hidden}

    def _length_after(self, body) -> int | None:
        return None if self.max_sequence_length is None else body.output_length(int(self.max_sequence_length))

    def _conv_defaults(self, **overrides: Any) -> dict[str, Any]:
        config = self.config
        defaults = {
            "num_filters": config.num_filters,
            "filter_size": config.filter_size,
            "use_bias": config.use_bias,
            "weights_initializer": config.weights_initializer,
            "bias_initializer": config.bias_initializer,
            "norm": config.norm,
            "norm_params": config.norm_params,
            "activation": config.activation,
            "dropout": config.dropout,
            "pool_function": config.pool_function,
            "pool_size": config.pool_size,
        }
        defaults.update(overrides)
        return defaults

    def _cnn_fc_layers(self) -> tuple[list | None, int]:
        """Ludwig's CNN encoders default to two FC layers (512, 256) when neither fc key is given."""
        config = self.config
        if config.fc_layers is None and config.num_fc_layers is None:
            return copy.deepcopy(DEFAULT_CNN_FC_LAYERS), 0
        if config.fc_layers is not None and config.num_fc_layers is not None:
            raise ValueError("encoder: set either fc_layers or num_fc_layers, not both.")
        return config.fc_layers, config.num_fc_layers or 0


def _stacked_conv_options(config) -> dict[str, Any]:
    return {
        "strides": config.strides,
        "padding": config.padding,
        "dilation_rate": config.dilation_rate,
        "pool_strides": config.pool_strides,
        "pool_padding": config.pool_padding,
    }


class _ConvolutionalEncoder(SequenceEncoder):
    """Convolutions over the embedded steps (built by ``build_convolutions``), reduced, then FC layers."""

    default_conv_layers: ClassVar[list[dict]]

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        layers = _layers_or_count(config, "conv_layers", "num_conv_layers", self.default_conv_layers)
        self.convolutions = self.build_convolutions(layers)
        fc_layers, num_fc_layers = self._cnn_fc_layers()
        self.build_head(
            self.convolutions.output_size,
            self._length_after(self.convolutions),
            config.activation,
            config.dropout,
            fc_layers,
            num_fc_layers,
        )

    def build_convolutions(self, layers: list[dict]) -> nn.Module:
        """The convolution module over ``layers`` (one dict of options per layer)."""
        raise NotImplementedError

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        hidden, mask = self.embed_inputs(inputs, mask)
        hidden, mask = self.convolutions(hidden, mask)
        return self.head(hidden, mask)


@encoder_registry.register("parallel_cnn", SEQUENCE_TYPES)
class ParallelCNN(_ConvolutionalEncoder):
    """Parallel convolutions of several widths over the embedded steps, concatenated, reduced, then FC layers."""

    default_conv_layers = DEFAULT_PARALLEL_CONV_LAYERS

    def build_convolutions(self, layers: list[dict]) -> nn.Module:
        return ParallelConv1D(
            self.input_channels, layers=layers, where="encoder.conv_layers", **self._conv_defaults(pool_padding="same")
        )


@encoder_registry.register("stacked_cnn", SEQUENCE_TYPES)
class StackedCNN(_ConvolutionalEncoder):
    """Convolutions one after the other (with optional pooling), reduced, then FC layers."""

    default_conv_layers = DEFAULT_STACKED_CONV_LAYERS

    def build_convolutions(self, layers: list[dict]) -> nn.Module:
        return Conv1DStack(
            self.input_channels,
            layers=layers,
            where="encoder.conv_layers",
            **self._conv_defaults(**_stacked_conv_options(self.config)),
        )


@encoder_registry.register("stacked_parallel_cnn", SEQUENCE_TYPES)
class StackedParallelCNN(SequenceEncoder):
    """Banks of parallel convolutions stacked one after the other, reduced, then FC layers."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        if config.stacked_layers is not None and config.num_stacked_layers is not None:
            raise ValueError("encoder: set either stacked_layers or num_stacked_layers, not both.")
        if config.stacked_layers is not None:
            stacked = copy.deepcopy(config.stacked_layers)
        elif config.num_stacked_layers is not None:
            stacked = copy.deepcopy([DEFAULT_PARALLEL_CONV_LAYERS] * config.num_stacked_layers)
        else:
            stacked = copy.deepcopy(DEFAULT_STACKED_PARALLEL_LAYERS)
        self.convolutions = ParallelConv1DStack(
            self.input_channels,
            stacked,
            where="encoder.stacked_layers",
            **self._conv_defaults(pool_padding="same"),
        )
        fc_layers, num_fc_layers = self._cnn_fc_layers()
        self.build_head(
            self.convolutions.output_size,
            self._length_after(self.convolutions),
            config.activation,
            config.dropout,
            fc_layers,
            num_fc_layers,
        )

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        hidden, mask = self.embed_inputs(inputs, mask)
        hidden, mask = self.convolutions(hidden, mask)
        return self.head(hidden, mask)


def _recurrent_stack(config, input_size: int, num_layers: int) -> RecurrentStack:
    return RecurrentStack(
        input_size,
        config.state_size,
        cell_type=config.cell_type,
        num_layers=num_layers,
        bidirectional=config.bidirectional,
        activation=config.activation,
        recurrent_activation=config.recurrent_activation,
        use_bias=config.use_bias,
        unit_forget_bias=config.unit_forget_bias,
        weights_initializer=config.weights_initializer,
        recurrent_initializer=config.recurrent_initializer,
        bias_initializer=config.bias_initializer,
        dropout=config.recurrent_dropout,
    )


@encoder_registry.register("rnn", SEQUENCE_TYPES)
class StackedRNN(SequenceEncoder):
    """Stacked recurrent layers; also returns the final state as ``encoder_output_state``."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.recurrent = _recurrent_stack(config, self.input_channels, config.num_layers)
        self.build_head(
            self.recurrent.output_size,
            self.max_sequence_length,
            config.fc_activation,
            config.fc_dropout,
            config.fc_layers,
            config.num_fc_layers,
        )

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, Any]:
        hidden, mask = self.embed_inputs(inputs, mask)
        hidden, state = self.recurrent(hidden, mask)
        return {**self.head(hidden, mask), ENCODER_OUTPUT_STATE: state}


@encoder_registry.register("cnnrnn", SEQUENCE_TYPES)
class StackedCNNRNN(SequenceEncoder):
    """Stacked convolutions, then stacked recurrent layers; also returns the final recurrent state."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        layers = _layers_or_count(config, "conv_layers", "num_conv_layers", DEFAULT_CNNRNN_CONV_LAYERS)
        self.convolutions = Conv1DStack(
            self.input_channels,
            layers=layers,
            where="encoder.conv_layers",
            **self._conv_defaults(
                activation=config.conv_activation, dropout=config.conv_dropout, **_stacked_conv_options(config)
            ),
        )
        self.recurrent = _recurrent_stack(config, self.convolutions.output_size, config.num_rec_layers)
        self.build_head(
            self.recurrent.output_size,
            self._length_after(self.convolutions),
            config.fc_activation,
            config.fc_dropout,
            config.fc_layers,
            config.num_fc_layers,
        )

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, Any]:
        hidden, mask = self.embed_inputs(inputs, mask)
        hidden, mask = self.convolutions(hidden, mask)
        hidden, state = self.recurrent(hidden, mask)
        return {**self.head(hidden, mask), ENCODER_OUTPUT_STATE: state}


@encoder_registry.register("transformer", SEQUENCE_TYPES)
class StackedTransformer(SequenceEncoder):
    """Token + learned position embeddings, transformer blocks (padding masked out of attention), reduction."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        if config.hidden_size % config.num_heads:
            raise ValueError(
                f"encoder.hidden_size ({config.hidden_size}) must be divisible by encoder.num_heads "
                f"({config.num_heads})."
            )
        if self.max_sequence_length is None:
            raise ValueError("encoder.max_sequence_length: the transformer encoder needs the sequence length.")
        self.input_projection = None
        if self.embed is None:  # Float steps: project each to hidden_size, then add the positions there.
            self.input_projection = nn.Linear(self.input_channels, config.hidden_size)
            position_size = config.hidden_size
        else:
            position_size = self.input_channels
        self.positions = nn.Parameter(torch.empty(int(self.max_sequence_length), position_size))
        initialize(self.positions, config.weights_initializer)
        # Token embeddings already apply dropout; float steps get it here.
        self.position_dropout = nn.Dropout(config.dropout) if config.dropout > 0 and self.embed is None else None
        self.transformer = TransformerStack(
            position_size,
            config.hidden_size,
            config.num_heads,
            config.transformer_output_size,
            num_layers=config.num_layers,
            dropout=config.dropout,
        )
        self.build_head(
            self.transformer.output_size,
            self.max_sequence_length,
            config.fc_activation,
            config.fc_dropout,
            config.fc_layers,
            config.num_fc_layers,
        )

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        hidden, mask = self.embed_inputs(inputs, mask)
        if self.input_projection is not None:
            hidden = self.input_projection(hidden)
        time = hidden.shape[1]
        if time > self.positions.shape[0]:
            raise ValueError(
                f"transformer encoder: input has {time} steps, more than max_sequence_length {self.positions.shape[0]}."
            )
        hidden = hidden + self.positions[:time]
        if self.position_dropout is not None:
            hidden = self.position_dropout(hidden)
        hidden = self.transformer(hidden, mask)
        return self.head(hidden, mask)
