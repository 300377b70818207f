"""Config sections of timeseries input and output features, and their preprocessing sections.

A timeseries column holds either one whole series per row (row-major: space-separated numbers or lists), or one
observation per row (column-major). Column-major data is turned into row-major windows by ``window_size``
(inputs: the current observation and the ``window_size - 1`` before it) or ``horizon`` (outputs: the ``horizon``
observations after the current one).
"""

from __future__ import annotations

from marshmallow import ValidationError

from ludwig.constants import DROP_ROW, FILL_WITH_CONST, TIMESERIES
from ludwig.schema import utils as su
from ludwig.schema.common_fields import REDUCE_OPTIONS
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
    output_preprocessing_config_registry,
    preprocessing_config_registry,
)
from ludwig.utils.tokenizers import tokenizer_registry


def _missing_value_strategy(default: str) -> su.BaseConfig:
    return su.StringOptions(
        MISSING_VALUE_STRATEGIES,
        default,
        description="What to do with a row whose whole value is missing; missing values inside a series are "
        "replaced by padding_value.",
    )


@su.config_class
class _TimeseriesPreprocessingBase(su.BaseConfig):
    """Parsing and padding shared by timeseries inputs and outputs."""

    tokenizer: str = su.StringOptions(
        sorted(tokenizer_registry), "space", description="How a string value is split into the numbers of a series."
    )
    timeseries_length_limit: int = su.PositiveInteger(
        256, description="Maximum length of a series; longer ones keep their first values."
    )
    padding_value: float = su.Float(
        0.0, description="Value padding short series and replacing missing values inside a series."
    )
    padding: str = su.StringOptions(["right", "left"], "right", description="Which side short series are padded on.")
    fill_value: str = su.String("", description="Value used by fill_with_const (an empty series is all padding).")


@preprocessing_config_registry.register(TIMESERIES)
@su.config_class
class TimeseriesPreprocessingConfig(_TimeseriesPreprocessingBase):
    """How a timeseries input column is parsed into a float series per row."""

    missing_value_strategy: str = _missing_value_strategy(FILL_WITH_CONST)
    window_size: int = su.NonNegativeInteger(
        0,
        description="For column-major data (one number per row): each row's series is that row's value and the "
        "window_size - 1 values before it (padded at the start of the data). 0: the column already holds a series "
        "per row.",
    )


@output_preprocessing_config_registry.register(TIMESERIES)
@su.config_class
class TimeseriesOutputPreprocessingConfig(_TimeseriesPreprocessingBase):
    """How a timeseries target column is parsed into a float series per row."""

    missing_value_strategy: str = _missing_value_strategy(DROP_ROW)
    horizon: int = su.NonNegativeInteger(
        0,
        description="For column-major data (one number per row): each row's target is the horizon values after "
        "it (padded at the end of the data). 0: the column already holds a series per row.",
    )


@input_feature_config_registry.register(TIMESERIES)
@su.config_class
class TimeseriesInputFeatureConfig(BaseInputFeatureConfig):
    """A timeseries input feature: a float series per row, encoded by a sequence, dense or passthrough encoder."""

    type: str = su.ProtectedString(TIMESERIES)
    preprocessing: su.BaseConfig = PreprocessingField(TIMESERIES)
    encoder: su.BaseConfig = EncoderField(TIMESERIES)


@output_feature_config_registry.register(TIMESERIES)
@su.config_class
class TimeseriesOutputFeatureConfig(BaseOutputFeatureConfig):
    """A timeseries output feature: predicts a float series per row (the next `horizon` values when set)."""

    type: str = su.ProtectedString(TIMESERIES)
    preprocessing: su.BaseConfig = PreprocessingField(TIMESERIES, output=True)
    decoder: su.BaseConfig = DecoderField(TIMESERIES)
    loss: su.BaseConfig = LossField(TIMESERIES)
    reduce_input: str | None = su.StringOptions(
        REDUCE_OPTIONS, None, allow_none=True, description="How a sequence-shaped combiner output is reduced."
    )
    reduce_dependencies: str | None = su.StringOptions(
        REDUCE_OPTIONS, None, allow_none=True, description="How dependency hidden states are reduced."
    )
    horizon: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Number of future values predicted; mirrors preprocessing.horizon (either may be set).",
    )

    def __post_init__(self) -> None:
        if self.horizon is None:
            self.horizon = self.preprocessing.horizon or None
        elif self.preprocessing.horizon == 0:
            self.preprocessing.horizon = self.horizon
        elif self.preprocessing.horizon != self.horizon:
            raise ValidationError(
                {
                    "horizon": [
                        f"horizon {self.horizon} disagrees with preprocessing.horizon {self.preprocessing.horizon}; "
                        "set one of them."
                    ]
                }
            )
