"""Config sections of bag input features (weighted sets of tokens) and the bag preprocessing section."""

from __future__ import annotations

from ludwig.constants import BAG
from ludwig.schema import utils as su
from ludwig.schema.encoders.base import EncoderField
from ludwig.schema.features.base import BaseInputFeatureConfig, input_feature_config_registry
from ludwig.schema.features.preprocessing import PreprocessingField, preprocessing_config_registry
from ludwig.schema.features.set_feature import SetPreprocessingConfig


@preprocessing_config_registry.register(BAG)
@su.config_class
class BagPreprocessingConfig(SetPreprocessingConfig):
    """The same keys and defaults as sets: elements are counted instead of flagged."""


@input_feature_config_registry.register(BAG)
@su.config_class
class BagInputFeatureConfig(BaseInputFeatureConfig):
    """A bag input: each value is a multiset of elements, weighted by their counts."""

    type: str = su.ProtectedString(BAG)
    preprocessing: su.BaseConfig = PreprocessingField(BAG)
    encoder: su.BaseConfig = EncoderField(BAG)
