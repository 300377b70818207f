"""Config sections of h3 input features and the h3 preprocessing section."""

from __future__ import annotations

from typing import Any

from ludwig.constants import FILL_WITH_CONST, H3
from ludwig.schema import utils as su
from ludwig.schema.encoders.base import EncoderField
from ludwig.schema.features.base import BaseInputFeatureConfig, input_feature_config_registry
from ludwig.schema.features.preprocessing import (
    MISSING_VALUE_STRATEGIES,
    PreprocessingField,
    _missing_value_strategy,
    preprocessing_config_registry,
)


@preprocessing_config_registry.register(H3)
@su.config_class
class H3PreprocessingConfig(su.BaseConfig):
    """How missing H3 indices are filled."""

    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, FILL_WITH_CONST)
    fill_value: Any = su.Integer(
        576495936675512319,
        min=0,
        description="H3 index used by fill_with_const (default: the resolution 0 cell of base cell 0).",
    )


@input_feature_config_registry.register(H3)
@su.config_class
class H3InputFeatureConfig(BaseInputFeatureConfig):
    """An h3 input: 64-bit H3 cell indices, decoded into resolution, base cell and cell digits."""

    type: str = su.ProtectedString(H3)
    preprocessing: su.BaseConfig = PreprocessingField(H3)
    encoder: su.BaseConfig = EncoderField(H3)
