"""Encoder config sections of the `embed` and `passthrough` encoders of sequence and text inputs."""

from __future__ import annotations

from ludwig.constants import SEQUENCE, TEXT
from ludwig.schema import utils as su
from ludwig.schema.common_fields import INITIALIZERS, REDUCE_OPTIONS
from ludwig.schema.encoders.base import encoder_config_registry


@encoder_config_registry.register("embed", [SEQUENCE, TEXT])
@su.config_class
class SequenceEmbedEncoderConfig(su.BaseConfig):
    """An embedding per token, reduced over the sequence (padding excluded)."""

    type: str = su.ProtectedString("embed")
    dropout: float = su.FloatRange(0.0, description="Dropout probability on the embeddings.")
    max_sequence_length: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Length of the sequences (taken from the preprocessing when null).",
        max=su.MAX_WIDTH,
    )
    representation: str = su.StringOptions(
        ["dense", "sparse"],
        "dense",
        description="dense: learned embeddings of embedding_size; sparse: one-hot vectors of the vocabulary size.",
    )
    vocab: list | None = su.List(
        default=None, allow_none=True, description="Vocabulary (taken from the preprocessing when null)."
    )
    weights_initializer: str = su.StringOptions(INITIALIZERS, "uniform", description="Initializer of the embeddings.")
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS, "sum", allow_none=True, description="How the token embeddings are reduced to one vector."
    )
    embedding_size: int = su.PositiveInteger(256, description="Size of each token embedding.", max=su.MAX_WIDTH)
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrix in CPU memory.")
    embeddings_trainable: bool = su.Boolean(True, description="Whether the embeddings are updated in training.")
    pretrained_embeddings: str | None = su.String(
        None, allow_none=True, description="Path of a GloVe-style text file of embeddings (`token v1 v2 ...`)."
    )


@encoder_config_registry.register("passthrough", [SEQUENCE, TEXT])
@su.config_class
class SequencePassthroughEncoderConfig(su.BaseConfig):
    """The token ids themselves, as floats, one per step."""

    type: str = su.ProtectedString("passthrough")
    max_sequence_length: int = su.PositiveInteger(256, description="Length of the sequences.", max=su.MAX_WIDTH)
    encoding_size: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Size of each step's vector, or null when steps are scalars.",
        max=su.MAX_WIDTH,
    )
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS, None, allow_none=True, description="How the steps are reduced to one vector (null keeps them)."
    )
