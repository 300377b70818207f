"""Config sections of vector input and output features."""

from __future__ import annotations

from ludwig.constants import VECTOR
from ludwig.schema import utils as su
from ludwig.schema.decoders.base import DecoderField
from ludwig.schema.encoders.base import EncoderField
from ludwig.schema.features.base import (
    BaseInputFeatureConfig,
    BaseOutputFeatureConfig,
    input_feature_config_registry,
    output_feature_config_registry,
)
from ludwig.schema.features.loss import LossField
from ludwig.schema.features.preprocessing import PreprocessingField


@input_feature_config_registry.register(VECTOR)
@su.config_class
class VectorInputFeatureConfig(BaseInputFeatureConfig):
    type: str = su.ProtectedString(VECTOR)
    preprocessing: su.BaseConfig = PreprocessingField(VECTOR)
    encoder: su.BaseConfig = EncoderField(VECTOR)


@output_feature_config_registry.register(VECTOR)
@su.config_class
class VectorOutputFeatureConfig(BaseOutputFeatureConfig):
    type: str = su.ProtectedString(VECTOR)
    preprocessing: su.BaseConfig = PreprocessingField(VECTOR, output=True)
    decoder: su.BaseConfig = DecoderField(VECTOR)
    loss: su.BaseConfig = LossField(VECTOR)
    vector_size: int | None = su.PositiveInteger(
        None, allow_none=True, description="Size of the vectors (inferred when null)."
    )
