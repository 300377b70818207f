"""Config sections of the convolutional, recurrent and transformer encoders of sequence, text and timeseries.

Also holds the layer lists these encoders use when the user gives neither the list nor the count
(``conv_layers``/``num_conv_layers``, ``stacked_layers``/``num_stacked_layers``, ``fc_layers``/``num_fc_layers``).
"""

from __future__ import annotations

from ludwig.constants import SEQUENCE, TEXT, TIMESERIES
from ludwig.schema import utils as su
from ludwig.schema.common_fields import ACTIVATIONS, INITIALIZERS, NORMS, REDUCE_OPTIONS, FCLayers, LayerOverridesConfig
from ludwig.schema.encoders.base import encoder_config_registry
from ludwig.utils.registry import Registry

SEQUENCE_TYPES = [SEQUENCE, TEXT, TIMESERIES]
POOL_FUNCTIONS = ["max", "average", "avg", "mean"]
PADDINGS = ["same", "valid"]
CELL_TYPES = ["rnn", "lstm", "lstm_block", "ln", "lstm_cudnn", "gru", "gru_block", "gru_cudnn"]


@su.config_class
class ConvLayerConfig(LayerOverridesConfig):
    """One entry of ``conv_layers``: what that convolution sets differently from the encoder (unset: inherited)."""

    num_filters: int | None = su.PositiveInteger(None, allow_none=True, max=su.MAX_WIDTH, description="Filters.")
    filter_size: int | None = su.PositiveInteger(None, allow_none=True, max=su.MAX_WIDTH, description="Width.")
    strides: int | None = su.PositiveInteger(None, allow_none=True, max=su.MAX_WIDTH, description="Stride.")
    padding: str | None = su.StringOptions(PADDINGS, None, allow_none=True, description="Padding.")
    dilation_rate: int | None = su.PositiveInteger(None, allow_none=True, max=su.MAX_WIDTH, description="Dilation.")
    pool_function: str | None = su.StringOptions(POOL_FUNCTIONS, None, allow_none=True, description="Pooling.")
    pool_size: int | None = su.PositiveInteger(None, allow_none=True, max=su.MAX_WIDTH, description="Pool width.")
    pool_strides: int | None = su.PositiveInteger(None, allow_none=True, max=su.MAX_WIDTH, description="Pool stride.")
    pool_padding: str | None = su.StringOptions(PADDINGS, None, allow_none=True, description="Pool padding.")


# Layers used when neither the list nor the count is given (Ludwig's choices).
DEFAULT_PARALLEL_CONV_LAYERS = [{"filter_size": 2}, {"filter_size": 3}, {"filter_size": 4}, {"filter_size": 5}]
DEFAULT_STACKED_CONV_LAYERS = [
    {"filter_size": 7, "pool_size": 3},
    {"filter_size": 7, "pool_size": 3},
    {"filter_size": 3, "pool_size": None},
    {"filter_size": 3, "pool_size": None},
    {"filter_size": 3, "pool_size": None},
    {"filter_size": 3, "pool_size": 3},
]
DEFAULT_STACKED_PARALLEL_LAYERS = [DEFAULT_PARALLEL_CONV_LAYERS] * 3
DEFAULT_CNNRNN_CONV_LAYERS = [{"pool_size": 3}, {"pool_size": None}]
DEFAULT_CNN_FC_LAYERS = [{"output_size": 512}, {"output_size": 256}]

# The encoders of this module, usable inside the ``sequence`` combiner too.
sequence_encoder_config_registry: Registry = Registry("sequence encoder")


def _register(name: str):
    def wrap(cls):
        encoder_config_registry.register(name, SEQUENCE_TYPES)(cls)
        sequence_encoder_config_registry.register(name)(cls)
        return cls

    return wrap


@su.config_class
class SequenceEncoderBaseConfig(su.BaseConfig):
    """Fields shared by the sequence encoders: the embedding of token ids, the reduction and the FC stack."""

    should_embed: bool = su.Boolean(
        True, description="Embed the input token ids; timeseries (float) inputs are never embedded."
    )
    vocab: list | None = su.List(
        default=None,
        allow_none=True,
        description="Vocabulary (index -> token); taken from the training set metadata when not given.",
    )
    max_sequence_length: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Length of the input sequences, used when the training set metadata does not give it.",
        max=su.MAX_WIDTH,
    )
    representation: str = su.StringOptions(
        ["dense", "sparse"],
        "dense",
        description="`dense`: learned embeddings; `sparse`: fixed one-hot vectors of the vocabulary size.",
    )
    embedding_size: int = su.PositiveInteger(
        256, description="Embedding size (dense representation; capped at the vocabulary size).", max=su.MAX_WIDTH
    )
    embeddings_trainable: bool = su.Boolean(True, description="Whether the embeddings are updated in training.")
    pretrained_embeddings: str | None = su.String(
        None, allow_none=True, description="Path of a GloVe-style text file initialising the embeddings."
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrix in CPU memory.")
    dropout: float = su.FloatRange(0.0, description="Dropout probability of the embeddings and of each layer.")
    use_bias: bool = su.Boolean(True, description="Whether the layers use a bias vector.")
    weights_initializer: str = su.StringOptions(
        INITIALIZERS, "xavier_uniform", description="Initializer of the weight matrices (and the embeddings)."
    )
    bias_initializer: str = su.StringOptions(INITIALIZERS, "zeros", description="Initializer of the bias vectors.")
    norm: str | None = su.StringOptions(NORMS, None, allow_none=True, description="Normalization after each layer.")
    norm_params: dict | None = su.Dict(None, allow_none=True, description="Parameters of the normalization.")
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        "sum",
        allow_none=True,
        description="How the sequence is reduced to one vector; None keeps the sequence [batch, time, hidden].",
    )
    output_size: int = su.PositiveInteger(
        256, description="Output size of each fully connected layer.", max=su.MAX_WIDTH
    )
    fc_layers: list | None = FCLayers("Per-layer dicts of the fully connected stack after reduction.")


@su.config_class
class _CNNFields(SequenceEncoderBaseConfig):
    activation: str | None = su.StringOptions(
        ACTIVATIONS, "relu", allow_none=True, description="Activation of the convolutional and FC layers."
    )
    num_filters: int = su.PositiveInteger(
        256, description="Number of filters (output channels) of each convolution.", max=su.MAX_WIDTH
    )
    filter_size: int = su.PositiveInteger(3, description="Width of each 1-d convolution window.", max=su.MAX_WIDTH)
    pool_function: str = su.StringOptions(POOL_FUNCTIONS, "max", description="Pooling after each convolution.")
    pool_size: int | None = su.PositiveInteger(
        None, allow_none=True, description="Width of the pooling window; None for no pooling.", max=su.MAX_WIDTH
    )
    num_fc_layers: int | None = su.NonNegativeInteger(
        None,
        allow_none=True,
        description="Number of FC layers after reduction; with neither this nor fc_layers: 512 then 256 units.",
        max=su.MAX_LAYERS,
    )


@_register("parallel_cnn")
@su.config_class
class ParallelCNNConfig(_CNNFields):
    """Parallel 1-d convolutions of different widths over the embedded sequence, concatenated, then reduced."""

    type: str = su.ProtectedString("parallel_cnn")
    num_conv_layers: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Number of parallel convolutions (when conv_layers is not given).",
        max=su.MAX_LAYERS,
    )
    conv_layers: list | None = su.LayerList(
        ConvLayerConfig, description="Per-layer dicts of the parallel convolutions; default widths 2, 3, 4 and 5."
    )


@su.config_class
class _StackedConvFields(_CNNFields):
    strides: int = su.PositiveInteger(1, description="Stride of each convolution.", max=su.MAX_WIDTH)
    padding: str = su.StringOptions(PADDINGS, "same", description="Padding of each convolution.")
    dilation_rate: int = su.PositiveInteger(1, description="Dilation rate of each convolution.", max=su.MAX_WIDTH)
    pool_strides: int | None = su.PositiveInteger(
        None, allow_none=True, description="Stride of the pooling (defaults to pool_size).", max=su.MAX_WIDTH
    )
    pool_padding: str = su.StringOptions(PADDINGS, "same", description="Padding of the pooling.")
    num_conv_layers: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Number of stacked convolutions (when conv_layers is not given).",
        max=su.MAX_LAYERS,
    )


@_register("stacked_cnn")
@su.config_class
class StackedCNNConfig(_StackedConvFields):
    """1-d convolutions applied one after the other over the embedded sequence, then reduced."""

    type: str = su.ProtectedString("stacked_cnn")
    conv_layers: list | None = su.LayerList(
        ConvLayerConfig,
        description="Per-layer dicts of the stacked convolutions; default six layers (widths 7, 7, 3, 3, 3, 3).",
    )


@_register("stacked_parallel_cnn")
@su.config_class
class StackedParallelCNNConfig(_CNNFields):
    """A stack of banks of parallel 1-d convolutions, then reduced."""

    type: str = su.ProtectedString("stacked_parallel_cnn")
    num_stacked_layers: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Number of banks (each with widths 2, 3, 4, 5) when stacked_layers is not given.",
        max=su.MAX_LAYERS,
    )
    stacked_layers: list | None = su.List(
        default=None,
        allow_none=True,
        description="List of banks, each a list of per-layer dicts; default three banks of widths 2, 3, 4, 5.",
    )


@su.config_class
class _RecurrentFields(SequenceEncoderBaseConfig):
    activation: str | None = su.StringOptions(
        ACTIVATIONS, "tanh", allow_none=True, description="Activation of the plain rnn cell (tanh or relu)."
    )
    recurrent_activation: str | None = su.StringOptions(
        ACTIVATIONS, "sigmoid", allow_none=True, description="Gate activation (torch's cells use sigmoid)."
    )
    recurrent_dropout: float = su.FloatRange(0.0, description="Dropout between stacked recurrent layers.")
    cell_type: str = su.StringOptions(
        CELL_TYPES, "rnn", description="Recurrent cell; block/cudnn/ln variants map to torch's lstm and gru."
    )
    state_size: int = su.PositiveInteger(256, description="State size of each direction.", max=su.MAX_WIDTH)
    bidirectional: bool = su.Boolean(False, description="Also run the sequence backwards and concatenate.")
    unit_forget_bias: bool = su.Boolean(True, description="Start the lstm forget-gate bias at 1.")
    recurrent_initializer: str = su.StringOptions(
        INITIALIZERS, "orthogonal", description="Initializer of the recurrent weight matrices."
    )
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        "last",
        allow_none=True,
        description="How the sequence is reduced to one vector; None keeps the sequence [batch, time, hidden].",
    )
    num_fc_layers: int = su.NonNegativeInteger(0, description="Number of FC layers after reduction.", max=su.MAX_LAYERS)
    fc_activation: str | None = su.StringOptions(
        ACTIVATIONS, "relu", allow_none=True, description="Activation of the FC layers."
    )
    fc_dropout: float = su.FloatRange(0.0, description="Dropout of the FC layers.")


@_register("rnn")
@su.config_class
class StackedRNNConfig(_RecurrentFields):
    """Stacked recurrent layers (rnn, lstm or gru, optionally bidirectional) over the embedded sequence."""

    type: str = su.ProtectedString("rnn")
    num_layers: int = su.PositiveInteger(1, description="Number of stacked recurrent layers.", max=su.MAX_LAYERS)


@_register("cnnrnn")
@su.config_class
class StackedCNNRNNConfig(_RecurrentFields):
    """Stacked 1-d convolutions followed by stacked recurrent layers."""

    type: str = su.ProtectedString("cnnrnn")
    conv_activation: str | None = su.StringOptions(
        ACTIVATIONS, "relu", allow_none=True, description="Activation of the convolutional layers."
    )
    conv_dropout: float = su.FloatRange(0.0, description="Dropout of the convolutional layers.")
    num_filters: int = su.PositiveInteger(256, description="Number of filters of each convolution.", max=su.MAX_WIDTH)
    filter_size: int = su.PositiveInteger(5, description="Width of each convolution window.", max=su.MAX_WIDTH)
    strides: int = su.PositiveInteger(1, description="Stride of each convolution.", max=su.MAX_WIDTH)
    padding: str = su.StringOptions(PADDINGS, "same", description="Padding of each convolution.")
    dilation_rate: int = su.PositiveInteger(1, description="Dilation rate of each convolution.", max=su.MAX_WIDTH)
    pool_function: str = su.StringOptions(POOL_FUNCTIONS, "max", description="Pooling after each convolution.")
    pool_size: int | None = su.PositiveInteger(
        2, allow_none=True, description="Width of the pooling window; None for no pooling.", max=su.MAX_WIDTH
    )
    pool_strides: int | None = su.PositiveInteger(
        None, allow_none=True, description="Stride of the pooling (defaults to pool_size).", max=su.MAX_WIDTH
    )
    pool_padding: str = su.StringOptions(PADDINGS, "same", description="Padding of the pooling.")
    num_conv_layers: int | None = su.PositiveInteger(
        None, allow_none=True, description="Number of convolutions (when conv_layers is not given).", max=su.MAX_LAYERS
    )
    conv_layers: list | None = su.LayerList(
        ConvLayerConfig, description="Per-layer dicts of the convolutions; default two layers, the first pooled by 3."
    )
    num_rec_layers: int = su.PositiveInteger(1, description="Number of stacked recurrent layers.", max=su.MAX_LAYERS)


@_register("transformer")
@su.config_class
class StackedTransformerConfig(SequenceEncoderBaseConfig):
    """Token and position embeddings followed by transformer blocks."""

    type: str = su.ProtectedString("transformer")
    dropout: float = su.FloatRange(0.1, description="Dropout of the embeddings and inside the transformer blocks.")
    num_layers: int = su.PositiveInteger(1, description="Number of transformer blocks.", max=su.MAX_LAYERS)
    hidden_size: int = su.PositiveInteger(
        256,
        description="Size inside the blocks; the embeddings are projected to it when sizes differ.",
        max=su.MAX_WIDTH,
    )
    num_heads: int = su.PositiveInteger(
        8, description="Attention heads per block (must divide hidden_size).", max=su.MAX_LAYERS
    )
    transformer_output_size: int = su.PositiveInteger(
        256, description="Inner size of the feed-forward network of each block.", max=su.MAX_WIDTH
    )
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        "last",
        allow_none=True,
        description="How the sequence is reduced to one vector; None keeps the sequence [batch, time, hidden].",
    )
    num_fc_layers: int = su.NonNegativeInteger(0, description="Number of FC layers after reduction.", max=su.MAX_LAYERS)
    fc_activation: str | None = su.StringOptions(
        ACTIVATIONS, "relu", allow_none=True, description="Activation of the FC layers."
    )
    fc_dropout: float = su.FloatRange(0.0, description="Dropout of the FC layers.")
