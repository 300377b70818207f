"""Encoder config sections of date inputs."""

from __future__ import annotations

from ludwig.constants import DATE
from ludwig.schema import utils as su
from ludwig.schema.encoders.base import encoder_config_registry
from ludwig.schema.encoders.set_encoders import EncoderFCConfig


@encoder_config_registry.register("embed", [DATE])
@su.config_class
class DateEmbedEncoderConfig(EncoderFCConfig):
    """Year through a linear unit, an embedding per calendar component, a sine of the time of day; FC layers."""

    type: str = su.ProtectedString("embed")
    embedding_size: int = su.PositiveInteger(
        10, description="Size of the embedding of each date component.", max=su.MAX_WIDTH
    )
    embeddings_on_cpu: bool = su.Boolean(False, description="Keep the embedding matrices in CPU memory.")


@encoder_config_registry.register("wave", [DATE])
@su.config_class
class DateWaveEncoderConfig(EncoderFCConfig):
    """Year through a linear unit and a sine wave per periodic component (month, day, ..., second); FC layers."""

    type: str = su.ProtectedString("wave")
