"""Per-type preprocessing sections (``input_features[i].preprocessing`` and ``defaults.<type>.preprocessing``)."""

from __future__ import annotations

from typing import Any

from ludwig.constants import (
    ANOMALY,
    BFILL,
    BINARY,
    CATEGORY,
    CATEGORY_DISTRIBUTION,
    DROP_ROW,
    FFILL,
    FILL_WITH_CONST,
    FILL_WITH_FALSE,
    FILL_WITH_MEAN,
    FILL_WITH_MODE,
    FILL_WITH_TRUE,
    NUMBER,
    UNKNOWN_SYMBOL,
    VECTOR,
)
from ludwig.schema import utils as su
from ludwig.utils.registry import Registry

MISSING_VALUE_STRATEGIES = [FILL_WITH_CONST, FILL_WITH_MODE, BFILL, FFILL, DROP_ROW]
NORMALIZATIONS = ["zscore", "minmax", "log1p", "iq", None]

preprocessing_config_registry: Registry = Registry("preprocessing")
output_preprocessing_config_registry: Registry = Registry("output preprocessing")


def PreprocessingField(feature_type: str, output: bool = False) -> Any:
    """The ``preprocessing`` section of a feature; output features drop rows with missing targets by default."""
    registry = output_preprocessing_config_registry if output else preprocessing_config_registry
    config_cls = registry.get(feature_type) or preprocessing_config_registry[feature_type]
    return su.Nested(config_cls, description=f"How {feature_type} values are cleaned and encoded as tensors.")


def _missing_value_strategy(allowed: list[str], default: str) -> Any:
    return su.StringOptions(allowed, default, description="What to do with missing values in this column.")


@preprocessing_config_registry.register(BINARY)
@su.config_class
class BinaryPreprocessingConfig(su.BaseConfig):
    missing_value_strategy: str = _missing_value_strategy(
        MISSING_VALUE_STRATEGIES + [FILL_WITH_FALSE, FILL_WITH_TRUE], FILL_WITH_FALSE
    )
    fill_value: Any = su.Raw(None, description="Value used by fill_with_const (a boolean or a boolean-like string).")
    fallback_true_label: str | None = su.Raw(
        None, description="For non-boolean strings: the label read as true (the other label is false)."
    )


@preprocessing_config_registry.register(NUMBER)
@su.config_class
class NumberPreprocessingConfig(su.BaseConfig):
    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES + [FILL_WITH_MEAN], FILL_WITH_CONST)
    fill_value: float = su.Float(0.0, description="Value used by fill_with_const.")
    normalization: str | None = su.StringOptions(
        NORMALIZATIONS, "zscore", allow_none=True, description="How values are scaled before the model sees them."
    )
    outlier_strategy: str | None = su.StringOptions(
        MISSING_VALUE_STRATEGIES + [FILL_WITH_MEAN, None],
        None,
        allow_none=True,
        description="Treat values further than outlier_threshold standard deviations from the mean as missing "
        "and replace them with this strategy (null keeps them).",
    )
    outlier_threshold: float = su.Float(
        3.0, min=0.0, min_inclusive=False, description="Outlier distance in standard deviations."
    )


@output_preprocessing_config_registry.register(BINARY)
@su.config_class
class BinaryOutputPreprocessingConfig(BinaryPreprocessingConfig):
    missing_value_strategy: str = _missing_value_strategy(
        MISSING_VALUE_STRATEGIES + [FILL_WITH_FALSE, FILL_WITH_TRUE], DROP_ROW
    )


@output_preprocessing_config_registry.register(NUMBER)
@su.config_class
class NumberOutputPreprocessingConfig(NumberPreprocessingConfig):
    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES + [FILL_WITH_MEAN], DROP_ROW)
    normalization: str | None = su.StringOptions(
        NORMALIZATIONS, None, allow_none=True, description="How target values are scaled for training."
    )


@preprocessing_config_registry.register(CATEGORY)
@su.config_class
class CategoryPreprocessingConfig(su.BaseConfig):
    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, FILL_WITH_CONST)
    fill_value: str = su.String(UNKNOWN_SYMBOL, description="Value used by fill_with_const.")
    lowercase: bool = su.Boolean(False, description="Lowercase values before building the vocabulary.")
    most_common: int = su.PositiveInteger(
        10000, description="Keep at most this many most frequent values.", max=su.MAX_WIDTH
    )
    cache_encoder_embeddings: bool = su.Boolean(False, description="Precompute encoder embeddings (frozen only).")


@output_preprocessing_config_registry.register(CATEGORY)
@su.config_class
class CategoryOutputPreprocessingConfig(CategoryPreprocessingConfig):
    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, DROP_ROW)
    vocab: list | None = su.List(
        default=None, allow_none=True, description="Explicit class labels, overriding the inferred vocabulary."
    )


@preprocessing_config_registry.register(VECTOR)
@su.config_class
class VectorPreprocessingConfig(su.BaseConfig):
    vector_size: int | None = su.PositiveInteger(
        None, allow_none=True, description="Size of the vectors (inferred when null)."
    )
    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, FILL_WITH_CONST)
    fill_value: str = su.String("", description="Value used by fill_with_const (space-separated floats).")


@output_preprocessing_config_registry.register(VECTOR)
@su.config_class
class VectorOutputPreprocessingConfig(VectorPreprocessingConfig):
    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, DROP_ROW)


@output_preprocessing_config_registry.register(CATEGORY_DISTRIBUTION)
@su.config_class
class CategoryDistributionOutputPreprocessingConfig(su.BaseConfig):
    """Targets are probability vectors over ``vocab`` (lists or space-separated numbers, one per class)."""

    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, DROP_ROW)
    fill_value: str = su.String("", description="Value used by fill_with_const (space-separated probabilities).")
    vocab: list | None = su.List(
        default=None,
        allow_none=True,
        description="The class labels, in the order of the target vectors' entries; required.",
    )


@output_preprocessing_config_registry.register(ANOMALY)
@su.config_class
class AnomalyOutputPreprocessingConfig(su.BaseConfig):
    """Labels 0 (normal), 1 (anomaly) or -1 (unlabeled); missing labels are read as unlabeled."""

    missing_value_strategy: str = _missing_value_strategy(MISSING_VALUE_STRATEGIES, FILL_WITH_CONST)
    fill_value: float = su.Float(
        -1.0, description="Label given to rows without one by fill_with_const (-1: unlabeled)."
    )
