"""Encoder config sections of set and bag inputs."""

from __future__ import annotations

from ludwig.constants import BAG, SET
from ludwig.schema import utils as su
from ludwig.schema.common_fields import _fc_stack_fields
from ludwig.schema.encoders.base import encoder_config_registry

# Fully connected stack over the encoding: no layers by default, 10 units when layers are added.
EncoderFCConfig = su.make_config_class("EncoderFCConfig", _fc_stack_fields("", 10))
EncoderFCConfig.__doc__ = "Fully connected stack options of the small-input encoders (set, bag, date, h3)."
EncoderFCConfig.__module__ = __name__


@encoder_config_registry.register("embed", [SET, BAG])
@su.config_class
class SetEmbedEncoderConfig(EncoderFCConfig):
    """The sum of the embeddings of the elements present (weighted by their counts for bags), then FC layers."""

    type: str = su.ProtectedString("embed")
    representation: str = su.StringOptions(
        ["dense", "sparse"], "dense", description="dense: learned embeddings; sparse: one-hot (identity) vectors."
    )
    embedding_size: int = su.PositiveInteger(
        50, description="Embedding size (capped at the vocabulary size unless force_embedding_size).", max=su.MAX_WIDTH
    )
    force_embedding_size: bool = su.Boolean(
        False, description="Use embedding_size even when it is larger than the vocabulary."
    )
    embeddings_trainable: bool = su.Boolean(True, description="Whether the embeddings are updated in training.")
    pretrained_embeddings: str | None = su.String(
        None, allow_none=True, description="Path of a GloVe-style text file of embeddings."
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrix in CPU memory.")
