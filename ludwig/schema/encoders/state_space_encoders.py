"""Config sections of the state space encoders (``mamba``, ``mamba2``, ``jamba``) of sequence, text and timeseries.

Keys and defaults follow Ludwig 0.17. The modules (``ludwig.encoders.state_space_encoders``) are pure PyTorch:
no ``mamba_ssm`` kernel is needed.
"""

from __future__ import annotations

from ludwig.constants import SEQUENCE, TEXT, TIMESERIES
from ludwig.schema import utils as su
from ludwig.schema.common_fields import INITIALIZERS, NORMS, REDUCE_OPTIONS
from ludwig.schema.encoders.base import encoder_config_registry

STATE_SPACE_TYPES = [SEQUENCE, TEXT, TIMESERIES]


@su.config_class
class _EmbeddingFields(su.BaseConfig):
    """The input side shared by the three encoders: token embedding (or float steps) and reduction."""

    dropout: float = su.FloatRange(0.1, description="Dropout of the embeddings and inside each block.")
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
    vocab: list | None = su.List(
        default=None,
        allow_none=True,
        description="Vocabulary (index -> token); taken from the training set metadata when not given.",
    )
    should_embed: bool = su.Boolean(
        True, description="Embed the input token ids; timeseries (float) inputs are never embedded."
    )
    embedding_size: int = su.PositiveInteger(
        256,
        description="Embedding size (capped at the vocabulary size); projected to d_model when it differs.",
        max=su.MAX_WIDTH,
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrix in CPU memory.")
    embeddings_trainable: bool = su.Boolean(True, description="Whether the embeddings are updated in training.")
    pretrained_embeddings: str | None = su.String(
        None, allow_none=True, description="Path of a GloVe-style text file initialising the embeddings."
    )
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        "mean",
        allow_none=True,
        description="How the steps are reduced to one vector; None keeps the sequence [batch, time, hidden].",
    )
    d_model: int = su.PositiveInteger(256, description="Hidden width of every block.", max=su.MAX_WIDTH)
    d_conv: int = su.PositiveInteger(
        4, description="Width of the causal depthwise convolution inside each SSM block.", max=su.MAX_WIDTH
    )
    expand_factor: int = su.PositiveInteger(
        2, description="Inner width of each SSM block, as a multiple of d_model.", max=su.MAX_LAYERS
    )


@encoder_config_registry.register("mamba", STATE_SPACE_TYPES)
@su.config_class
class MambaEncoderConfig(_EmbeddingFields):
    """Mamba (Gu & Dao, 2023): stacked selective state space blocks with an input-dependent scan.

    The output is the (reduced) ``d_model``-wide sequence: like Ludwig, the encoder has no FC layers, so
    ``output_size`` is accepted but does not change the output width.
    """

    type: str = su.ProtectedString("mamba")
    n_layers: int = su.PositiveInteger(4, description="Number of stacked SSM blocks.", max=su.MAX_LAYERS)
    d_state: int = su.PositiveInteger(
        16, description="Size of the state of each channel in the selective scan.", max=su.MAX_WIDTH
    )
    use_bias: bool = su.Boolean(True, description="Whether the input projection to d_model uses a bias vector.")
    weights_initializer: str = su.StringOptions(
        INITIALIZERS, "xavier_uniform", description="Initializer of the embedding matrix."
    )
    output_size: int = su.PositiveInteger(
        256, description="Output size of each FC layer (Ludwig's mamba has none).", max=su.MAX_WIDTH
    )
    norm: str | None = su.StringOptions(NORMS, None, allow_none=True, description="Normalization of the FC layers.")
    norm_params: dict | None = su.Dict(None, allow_none=True, description="Parameters of the normalization.")


@encoder_config_registry.register("mamba2", STATE_SPACE_TYPES)
@su.config_class
class Mamba2EncoderConfig(_EmbeddingFields):
    """Mamba-2 (Dao & Gu, 2024): multi-head state space blocks with one input-dependent scalar decay per head."""

    type: str = su.ProtectedString("mamba2")
    n_layers: int = su.PositiveInteger(4, description="Number of stacked Mamba-2 blocks.", max=su.MAX_LAYERS)
    num_heads: int = su.PositiveInteger(
        8, description="Number of SSD heads; d_model * expand_factor must be divisible by it.", max=su.MAX_WIDTH
    )
    output_size: int = su.PositiveInteger(
        256, description="Width of the output (a projection of d_model).", max=su.MAX_WIDTH
    )


@encoder_config_registry.register("jamba", STATE_SPACE_TYPES)
@su.config_class
class JambaEncoderConfig(_EmbeddingFields):
    """Jamba (Lieber et al., 2024): Mamba-2 blocks with a transformer block every ``attention_every_k`` layers."""

    type: str = su.ProtectedString("jamba")
    n_layers: int = su.PositiveInteger(8, description="Total number of blocks (SSM and attention).", max=su.MAX_LAYERS)
    attention_every_k: int = su.PositiveInteger(
        4, description="Every k-th block is attention, the others SSM (4: one in four is attention).", max=su.MAX_LAYERS
    )
    num_heads: int = su.PositiveInteger(
        8, description="Number of attention heads and of SSD heads (must divide d_model).", max=su.MAX_WIDTH
    )
    ffn_size: int = su.PositiveInteger(
        1024, description="Feed-forward width inside each attention block.", max=su.MAX_WIDTH
    )
    output_size: int = su.PositiveInteger(
        256, description="Width of the output (a projection of d_model).", max=su.MAX_WIDTH
    )
