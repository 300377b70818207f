"""Encoder config sections of h3 inputs."""

from __future__ import annotations

from ludwig.constants import H3
from ludwig.schema import utils as su
from ludwig.schema.common_fields import INITIALIZERS, REDUCE_OPTIONS
from ludwig.schema.encoders.base import encoder_config_registry
from ludwig.schema.encoders.set_encoders import EncoderFCConfig

RNN_CELL_TYPES = ["rnn", "lstm", "gru"]


@encoder_config_registry.register("embed", [H3])
@su.config_class
class H3EmbedEncoderConfig(EncoderFCConfig):
    """An embedding per component (mode, edge, resolution, base cell, each cell digit), reduced; FC layers."""

    type: str = su.ProtectedString("embed")
    embedding_size: int = su.PositiveInteger(
        10, description="Size of the embedding of each component.", max=su.MAX_WIDTH
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrices in CPU memory.")
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS, "sum", allow_none=True, description="How the 19 component embeddings are combined."
    )


@encoder_config_registry.register("weighted_sum", [H3])
@su.config_class
class H3WeightedSumEncoderConfig(EncoderFCConfig):
    """The component embeddings summed with one learned weight per component; FC layers."""

    type: str = su.ProtectedString("weighted_sum")
    embedding_size: int = su.PositiveInteger(
        10, description="Size of the embedding of each component.", max=su.MAX_WIDTH
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrices in CPU memory.")
    should_softmax: bool = su.Boolean(False, description="Normalise the component weights with a softmax.")


@encoder_config_registry.register("rnn", [H3])
@su.config_class
class H3RNNEncoderConfig(su.BaseConfig):
    """A recurrent network over the 19 component embeddings, from the mode to the finest cell digit."""

    type: str = su.ProtectedString("rnn")
    embedding_size: int = su.PositiveInteger(
        10, description="Size of the embedding of each component.", max=su.MAX_WIDTH
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrices in CPU memory.")
    num_layers: int = su.PositiveInteger(1, description="Number of stacked recurrent layers.", max=su.MAX_LAYERS)
    hidden_size: int = su.PositiveInteger(10, description="Size of the recurrent state.", max=su.MAX_WIDTH)
    cell_type: str = su.StringOptions(RNN_CELL_TYPES, "rnn", description="Recurrent cell: rnn, lstm or gru.")
    bidirectional: bool = su.Boolean(
        False, description="Also run the sequence backwards and concatenate both directions."
    )
    activation: str = su.StringOptions(
        ["tanh", "relu"], "tanh", description="Activation of the rnn cell (lstm and gru cells use tanh)."
    )
    recurrent_activation: str = su.StringOptions(
        ["sigmoid"], "sigmoid", description="Gate activation of lstm and gru cells (sigmoid in torch's cells)."
    )
    use_bias: bool = su.Boolean(True, description="Whether the cells use bias vectors.")
    unit_forget_bias: bool = su.Boolean(True, description="Initialise the lstm forget-gate bias to 1.")
    weights_initializer: str = su.StringOptions(
        INITIALIZERS, "xavier_uniform", description="Initializer of the input weights and the embeddings."
    )
    recurrent_initializer: str = su.StringOptions(
        INITIALIZERS, "orthogonal", description="Initializer of the recurrent weights."
    )
    bias_initializer: str = su.StringOptions(INITIALIZERS, "zeros", description="Initializer of the biases.")
    dropout: float = su.FloatRange(0.0, description="Dropout probability on the embeddings.")
    recurrent_dropout: float = su.FloatRange(0.0, description="Dropout between stacked recurrent layers.")
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS, "last", allow_none=True, description="How the recurrent outputs over the 19 steps are reduced."
    )
