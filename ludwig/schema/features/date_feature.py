"""Config sections of date input features and the date preprocessing section."""

from __future__ import annotations

from ludwig.constants import DATE, FILL_WITH_CONST
from ludwig.schema import utils as su
from ludwig.schema.encoders.base import EncoderField
from ludwig.schema.features.base import BaseInputFeatureConfig, input_feature_config_registry
from ludwig.schema.features.preprocessing import (
    MISSING_VALUE_STRATEGIES,
    PreprocessingField,
    _missing_value_strategy,
    preprocessing_config_registry,
)


@preprocessing_config_registry.register(DATE)
@su.config_class
class DatePreprocessingConfig(su.BaseConfig):
    """How date values are parsed into year, month, day, weekday, yearday, hour, minute, second."""

    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, FILL_WITH_CONST)
    fill_value: str = su.String(
        "",
        description="Value used by fill_with_const; it also replaces values that cannot be parsed when it is a "
        "date itself. Empty values become 1970-01-01 00:00:00.",
    )
    datetime_format: str | None = su.String(
        None,
        allow_none=True,
        description="strptime format of the values (e.g. %Y-%m-%d); inferred from the data when null.",
    )


@input_feature_config_registry.register(DATE)
@su.config_class
class DateInputFeatureConfig(BaseInputFeatureConfig):
    """A date input: date/time strings (or datetime values) parsed into calendar components."""

    type: str = su.ProtectedString(DATE)
    preprocessing: su.BaseConfig = PreprocessingField(DATE)
    encoder: su.BaseConfig = EncoderField(DATE)
