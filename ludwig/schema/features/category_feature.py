"""Config sections of category input and output features."""

from __future__ import annotations

from ludwig.constants import CATEGORY
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


@input_feature_config_registry.register(CATEGORY)
@su.config_class
class CategoryInputFeatureConfig(BaseInputFeatureConfig):
    type: str = su.ProtectedString(CATEGORY)
    preprocessing: su.BaseConfig = PreprocessingField(CATEGORY)
    encoder: su.BaseConfig = EncoderField(CATEGORY)


@output_feature_config_registry.register(CATEGORY)
@su.config_class
class CategoryOutputFeatureConfig(BaseOutputFeatureConfig):
    type: str = su.ProtectedString(CATEGORY)
    preprocessing: su.BaseConfig = PreprocessingField(CATEGORY, output=True)
    decoder: su.BaseConfig = DecoderField(CATEGORY)
    loss: su.BaseConfig = LossField(CATEGORY)
    top_k: int = su.PositiveInteger(3, description="k of the hits_at_k metric.", max=su.MAX_WIDTH)
    calibration: bool = su.Boolean(False, description="Fit temperature scaling on the validation set.")
