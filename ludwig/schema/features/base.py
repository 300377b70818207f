"""Fields every input or output feature has, and the registries of feature sections by type."""

from __future__ import annotations

from ludwig.schema import utils as su
from ludwig.schema.common_fields import REDUCE_OPTIONS
from ludwig.utils.registry import Registry

input_feature_config_registry: Registry = Registry("input feature type")
output_feature_config_registry: Registry = Registry("output feature type")


@su.config_class
class BaseFeatureConfig(su.BaseConfig):
    name: str = su.String(description="Name of the feature, unique across inputs and outputs.")
    column: str | None = su.String(
        None, allow_none=True, description="Column of the dataset holding the raw values (default: name)."
    )
    proc_column: str | None = su.String(
        None, allow_none=True, description="Name of the preprocessed column; computed, do not set."
    )


@su.config_class
class BaseInputFeatureConfig(BaseFeatureConfig):
    tied: str | None = su.String(
        None, allow_none=True, description="Name of another input feature whose encoder is shared with this one."
    )


@su.config_class
class BaseOutputFeatureConfig(BaseFeatureConfig):
    reduce_input: str | None = su.StringOptions(
        REDUCE_OPTIONS, "sum", allow_none=True, description="How a sequence-shaped combiner output is reduced."
    )
    dependencies: list = su.List(default=[], description="Output features whose hidden state feeds this one.")
    reduce_dependencies: str | None = su.StringOptions(
        REDUCE_OPTIONS, "sum", allow_none=True, description="How dependency hidden states are reduced."
    )
