"""The metric names of each output feature type, as config values (``trainer.validation_metric``, hyperopt).

Config validation reads these names without importing torch, so a bad metric is reported before the slow
imports. ``ludwig.modules.metric_modules.register_metric`` refuses a metric that is not declared here, which
keeps this table and the torch implementations in step.
"""

from __future__ import annotations

from ludwig.constants import (
    ANOMALY,
    BINARY,
    CATEGORY,
    CATEGORY_DISTRIBUTION,
    LOSS_METRIC,
    NUMBER,
    SEQUENCE,
    SET,
    TEXT,
    TIMESERIES,
    VECTOR,
)

_REGRESSION_METRICS = (
    "huber",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "r2",
    "root_mean_squared_error",
)
_SEQUENCE_METRICS = (
    "edit_distance",
    "last_accuracy",
    "next_token_perplexity",
    "next_token_softmax_cross_entropy",
    "perplexity",
    "sequence_accuracy",
    "sequence_softmax_cross_entropy",
    "token_accuracy",
)

#: output feature type -> the names of its metrics (``loss`` not included: every type has it).
METRIC_NAMES: dict[str, tuple[str, ...]] = {
    BINARY: ("accuracy", "precision", "recall", "roc_auc", "specificity"),
    CATEGORY: ("accuracy", "accuracy_micro", "hits_at_k", "roc_auc"),
    CATEGORY_DISTRIBUTION: ("accuracy", "accuracy_micro", "hits_at_k", "roc_auc", "softmax_cross_entropy"),
    ANOMALY: ("anomaly_auroc", "f1_max"),
    NUMBER: (*_REGRESSION_METRICS, "root_mean_squared_percentage_error"),
    VECTOR: _REGRESSION_METRICS,
    TIMESERIES: _REGRESSION_METRICS,
    SET: ("jaccard", "sigmoid_cross_entropy"),
    SEQUENCE: _SEQUENCE_METRICS,
    TEXT: (*_SEQUENCE_METRICS, "bleu", "char_error_rate", "word_error_rate"),
}

#: output feature type -> the metric ``trainer.validation_metric`` defaults to.
DEFAULT_VALIDATION_METRIC: dict[str, str] = {
    BINARY: "roc_auc",
    NUMBER: "mean_squared_error",
    CATEGORY: "accuracy",
    CATEGORY_DISTRIBUTION: "accuracy",
    ANOMALY: "anomaly_auroc",
    VECTOR: "mean_squared_error",
    SET: "jaccard",
    SEQUENCE: LOSS_METRIC,
    TEXT: LOSS_METRIC,
    TIMESERIES: "mean_squared_error",
}


def metric_names(feature_type: str) -> list[str]:
    """The metrics of an output feature type, ``loss`` first."""
    return [LOSS_METRIC, *METRIC_NAMES.get(feature_type, ())]
