"""Config sections of set input and output features, and the set preprocessing sections."""

from __future__ import annotations

from ludwig.constants import DROP_ROW, FILL_WITH_CONST, SET, UNKNOWN_SYMBOL
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
from ludwig.schema.features.preprocessing import (
    MISSING_VALUE_STRATEGIES,
    PreprocessingField,
    _missing_value_strategy,
    output_preprocessing_config_registry,
    preprocessing_config_registry,
)


@preprocessing_config_registry.register(SET)
@su.config_class
class SetPreprocessingConfig(su.BaseConfig):
    """How set values are split into elements and which elements form the vocabulary."""

    tokenizer: str = su.String("space", description="Tokenizer (registry name) splitting a value into its elements.")
    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, FILL_WITH_CONST)
    fill_value: str = su.String(UNKNOWN_SYMBOL, description="Value used by fill_with_const.")
    lowercase: bool = su.Boolean(False, description="Lowercase values before tokenizing.")
    most_common: int = su.PositiveInteger(
        10000, description="Keep at most this many most frequent elements in the vocabulary.", max=su.MAX_WIDTH
    )


@output_preprocessing_config_registry.register(SET)
@su.config_class
class SetOutputPreprocessingConfig(SetPreprocessingConfig):
    """Set preprocessing of an output feature: rows with a missing target are dropped."""

    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, DROP_ROW)


@input_feature_config_registry.register(SET)
@su.config_class
class SetInputFeatureConfig(BaseInputFeatureConfig):
    """A set input: each value is a set of elements (e.g. space-separated tags)."""

    type: str = su.ProtectedString(SET)
    preprocessing: su.BaseConfig = PreprocessingField(SET)
    encoder: su.BaseConfig = EncoderField(SET)


@output_feature_config_registry.register(SET)
@su.config_class
class SetOutputFeatureConfig(BaseOutputFeatureConfig):
    """A set output (multi-label classification): one sigmoid per vocabulary element."""

    type: str = su.ProtectedString(SET)
    preprocessing: su.BaseConfig = PreprocessingField(SET, output=True)
    decoder: su.BaseConfig = DecoderField(SET)
    loss: su.BaseConfig = LossField(SET)
    threshold: float = su.FloatRange(0.5, description="Probability at or above which an element is predicted.")
