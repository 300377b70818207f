"""Encoder config sections for the tabular types, registered per feature type by name."""

from __future__ import annotations

from ludwig.constants import BAG, BINARY, CATEGORY, DATE, H3, NUMBER, SEQUENCE, SET, TEXT, TIMESERIES, VECTOR
from ludwig.schema import utils as su
from ludwig.schema.common_fields import ACTIVATIONS, INITIALIZERS, NORMS
from ludwig.utils.registry import TypedRegistry

encoder_config_registry: TypedRegistry = TypedRegistry("encoder")

DEFAULT_ENCODERS = {
    BINARY: "passthrough",
    NUMBER: "passthrough",
    CATEGORY: "dense",
    VECTOR: "dense",
    SET: "embed",
    BAG: "embed",
    SEQUENCE: "embed",
    TEXT: "parallel_cnn",
    TIMESERIES: "parallel_cnn",
    DATE: "embed",
    H3: "embed",
}


def EncoderField(feature_type: str) -> su.BaseConfig:
    """The ``encoder`` section of an input feature of ``feature_type``."""
    return su.TypeSelection(
        encoder_config_registry.for_type(feature_type),
        DEFAULT_ENCODERS[feature_type],
        description=f"Encoder turning the {feature_type} input into a vector; selected by `type`.",
    )


@encoder_config_registry.register("passthrough", [BINARY, NUMBER, VECTOR, TIMESERIES])
@su.config_class
class PassthroughEncoderConfig(su.BaseConfig):
    """Feeds the preprocessed value to the combiner unchanged."""

    type: str = su.ProtectedString("passthrough")


@encoder_config_registry.register("dense", [BINARY, NUMBER, VECTOR, TIMESERIES])
@su.config_class
class DenseEncoderConfig(su.BaseConfig):
    """A stack of fully connected layers over the input value(s)."""

    type: str = su.ProtectedString("dense")
    layers: list | None = su.List(default=None, allow_none=True, description="Per-layer overrides of the stack.")
    num_layers: int = su.PositiveInteger(1, description="Number of fully connected layers.", max=su.MAX_LAYERS)
    output_size: int = su.PositiveInteger(256, description="Output size of each layer.", max=su.MAX_WIDTH)
    use_bias: bool = su.Boolean(True, description="Whether the layers use a bias vector.")
    weights_initializer: str = su.StringOptions(INITIALIZERS, "xavier_uniform", description="Weight initializer.")
    bias_initializer: str = su.StringOptions(INITIALIZERS, "zeros", description="Bias initializer.")
    norm: str | None = su.StringOptions(NORMS, None, allow_none=True, description="Normalization per layer.")
    norm_params: dict | None = su.Dict(None, allow_none=True, description="Normalization parameters.")
    activation: str | None = su.StringOptions(ACTIVATIONS, "relu", allow_none=True, description="Activation.")
    dropout: float = su.FloatRange(0.0, description="Dropout probability.")


@encoder_config_registry.register("dense", [CATEGORY])
@su.config_class
class CategoryEmbedEncoderConfig(su.BaseConfig):
    """A trainable embedding per category value."""

    type: str = su.ProtectedString("dense")
    embedding_size: int = su.PositiveInteger(
        50, description="Embedding size (capped at the vocabulary size).", max=su.MAX_WIDTH
    )
    embeddings_trainable: bool = su.Boolean(True, description="Whether the embeddings are updated in training.")
    pretrained_embeddings: str | None = su.String(
        None, allow_none=True, description="Path of a GloVe-style text file of embeddings."
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrix in CPU memory.")
    embedding_initializer: str | None = su.StringOptions(
        INITIALIZERS, None, allow_none=True, description="Initializer of the embedding matrix."
    )
    dropout: float = su.FloatRange(0.0, description="Dropout probability on the embeddings.")


@encoder_config_registry.register("sparse", [CATEGORY])
@su.config_class
class CategorySparseEncoderConfig(su.BaseConfig):
    """A fixed one-hot embedding (the identity matrix) per category value."""

    type: str = su.ProtectedString("sparse")
    embeddings_trainable: bool = su.Boolean(False, description="Whether the one-hot embeddings are trained.")
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrix in CPU memory.")
    dropout: float = su.FloatRange(0.0, description="Dropout probability on the embeddings.")


@encoder_config_registry.register("onehot", [CATEGORY])
@su.config_class
class CategoryOneHotEncoderConfig(su.BaseConfig):
    """The one-hot vector of the category index."""

    type: str = su.ProtectedString("onehot")


@encoder_config_registry.register("passthrough", [CATEGORY])
@su.config_class
class CategoryPassthroughEncoderConfig(su.BaseConfig):
    """The category index itself, as a single float."""

    type: str = su.ProtectedString("passthrough")


@encoder_config_registry.register("target", [CATEGORY])
@su.config_class
class CategoryTargetEncoderConfig(su.BaseConfig):
    """Target encoding learned in training: a vector of ``output_size`` values per category, starting at zero."""

    type: str = su.ProtectedString("target")
    output_size: int = su.PositiveInteger(1, description="Size of each category's vector.", max=su.MAX_WIDTH)


@encoder_config_registry.register("hash", [CATEGORY])
@su.config_class
class CategoryHashEncoderConfig(su.BaseConfig):
    """A learned embedding per hash bucket: the category index modulo ``num_hash_buckets``."""

    type: str = su.ProtectedString("hash")
    num_hash_buckets: int = su.PositiveInteger(
        1024, description="Number of hash buckets the categories are mapped into.", max=su.MAX_WIDTH
    )
    embedding_size: int = su.PositiveInteger(50, description="Embedding size of each bucket.", max=su.MAX_WIDTH)
