"""Config section of the ``tf_idf`` text encoder, and the rendering that makes preprocessing compute the idf."""

from __future__ import annotations

from ludwig.constants import TEXT
from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_renderer
from ludwig.schema.encoders.base import encoder_config_registry


@encoder_config_registry.register("tf_idf", [TEXT])
@su.config_class
class TfIdfEncoderConfig(su.BaseConfig):
    """TF-IDF vector over the feature vocabulary: each token's frequency in the row times its training-set idf.

    The idf comes from the training set metadata (``str2idf``); a text input using this encoder always has
    ``preprocessing.compute_idf`` set. ``vocab``, ``vocab_size`` and ``str2idf`` are filled from the metadata.
    """

    type: str = su.ProtectedString("tf_idf")
    max_sequence_length: int | None = su.Integer(
        None, allow_none=True, description="Length of the input sequences (filled from the metadata)."
    )
    ngram_range: list = su.List(
        default=[1, 1],
        description="Range (min_n, max_n) of n-gram sizes; accepted for compatibility, the vocabulary holds tokens.",
    )
    max_df: float = su.FloatRange(
        1.0,
        description="Maximum document frequency (fraction of rows); accepted for compatibility, not applied.",
    )
    min_df: int = su.Integer(
        1, description="Minimum document frequency (rows); accepted for compatibility, not applied."
    )


@register_config_renderer
def render_tf_idf_preprocessing(config) -> None:
    """A text input encoded by ``tf_idf`` needs the idf of each token, computed while building the vocabulary."""
    for feature in config.input_features:
        encoder = getattr(feature, "encoder", None)
        if encoder is not None and encoder.type == "tf_idf" and hasattr(feature.preprocessing, "compute_idf"):
            feature.preprocessing.compute_idf = True
