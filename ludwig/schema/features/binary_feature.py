"""Config sections of binary input and output features."""

from __future__ import annotations

from ludwig.constants import BINARY
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


@input_feature_config_registry.register(BINARY)
@su.config_class
class BinaryInputFeatureConfig(BaseInputFeatureConfig):
    type: str = su.ProtectedString(BINARY)
    preprocessing: su.BaseConfig = PreprocessingField(BINARY)
    encoder: su.BaseConfig = EncoderField(BINARY)


@output_feature_config_registry.register(BINARY)
@su.config_class
class BinaryOutputFeatureConfig(BaseOutputFeatureConfig):
    type: str = su.ProtectedString(BINARY)
    preprocessing: su.BaseConfig = PreprocessingField(BINARY, output=True)
    decoder: su.BaseConfig = DecoderField(BINARY)
    loss: su.BaseConfig = LossField(BINARY)
    threshold: float = su.FloatRange(0.5, description="Probability above which the prediction is true.")
    calibration: bool = su.Boolean(False, description="Fit temperature scaling on the validation set.")
