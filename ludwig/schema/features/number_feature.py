"""Config sections of number input and output features."""

from __future__ import annotations

from ludwig.constants import NUMBER
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


@input_feature_config_registry.register(NUMBER)
@su.config_class
class NumberInputFeatureConfig(BaseInputFeatureConfig):
    type: str = su.ProtectedString(NUMBER)
    preprocessing: su.BaseConfig = PreprocessingField(NUMBER)
    encoder: su.BaseConfig = EncoderField(NUMBER)


@output_feature_config_registry.register(NUMBER)
@su.config_class
class NumberOutputFeatureConfig(BaseOutputFeatureConfig):
    type: str = su.ProtectedString(NUMBER)
    preprocessing: su.BaseConfig = PreprocessingField(NUMBER, output=True)
    decoder: su.BaseConfig = DecoderField(NUMBER)
    loss: su.BaseConfig = LossField(NUMBER)
    clip: list | None = su.List(
        default=None, allow_none=True, description="[min, max] bounds the predictions are clipped to."
    )
