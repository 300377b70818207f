"""Binary features: booleans, 0/1, yes/no, or any two-valued column with a ``fallback_true_label``."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ludwig.constants import BINARY, LOGITS, PREDICTIONS, PROBABILITIES, PROBABILITY
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature, OutputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.features.value_checks import quoted_examples
from ludwig.utils.metrics_utils import ConfusionMatrix, precision_recall_curve_dict, roc_curve_dict

logger = logging.getLogger(__name__)

TRUE_STRINGS = {"true", "t", "yes", "y", "1", "1.0", "on"}
FALSE_STRINGS = {"false", "f", "no", "n", "0", "0.0", "off"}
STANDARD_STR2BOOL = {**{s: True for s in TRUE_STRINGS}, **{s: False for s in FALSE_STRINGS}}


def _normalised_strings(column: pd.Series) -> pd.Series:
    return column.astype(str).str.strip().str.lower()


class BinaryFeatureMixin(BaseFeatureMixin):
    type = BINARY

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        distinct = pd.unique(column.dropna().astype(str).str.strip())
        if all(value.lower() in STANDARD_STR2BOOL for value in distinct):
            return {}
        if len(distinct) > 2:
            raise InputDataError(
                config.column,
                BINARY,
                f"expected at most 2 distinct values, found {len(distinct)}: {sorted(distinct)[:10]}. "
                "Use a category feature for more than two classes.",
            )
        true_label = config.preprocessing.fallback_true_label
        if true_label is None:
            true_label = sorted(distinct)[0]
            logger.warning(
                'Binary feature "%s": values %s are not boolean; using "%s" as the true label. Set '
                "preprocessing.fallback_true_label to choose.",
                config.name,
                sorted(distinct),
                true_label,
            )
        true_label = str(true_label)
        false_labels = [v for v in distinct if v != true_label]
        false_label = false_labels[0] if false_labels else f"not_{true_label}"
        return {
            "str2bool": {false_label: False, true_label: True},
            "bool2str": [false_label, true_label],
            "fallback_true_label": true_label,
        }

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        if column.dtype == bool:
            return column.to_numpy(dtype=bool)
        stripped = column.astype(str).str.strip()
        mapped = stripped.str.lower().map(STANDARD_STR2BOOL)
        if "str2bool" in metadata:
            by_label = stripped.map(metadata["str2bool"])
            mapped = by_label.where(by_label.notna(), mapped)
            unknown = mapped.isna()
            if unknown.any():
                # Values outside the two labels count as "not the true label", as Ludwig does: say so.
                false_label, true_label = metadata["bool2str"]
                logger.warning(
                    'Binary column "%s": %d of %d values are neither "%s" (true) nor "%s" (false) and are read as '
                    "false, e.g. %s.",
                    config.column,
                    int(unknown.sum()),
                    len(stripped),
                    true_label,
                    false_label,
                    quoted_examples(stripped[unknown]),
                )
                mapped = mapped.where(~unknown, False)
        elif mapped.isna().any():
            bad = stripped[mapped.isna()].unique()[:5].tolist()
            raise InputDataError(
                config.column,
                BINARY,
                f"cannot read {bad} as booleans; expected true/false, yes/no, 1/0 or set "
                "preprocessing.fallback_true_label.",
            )
        return mapped.to_numpy(dtype=bool)

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        labels = metadata.get("bool2str")
        predictions = outputs[PREDICTIONS].astype(bool)
        columns: dict[str, Any] = {
            f"{name}_{PREDICTIONS}": np.asarray(labels, dtype=object)[predictions.astype(int)]
            if labels
            else predictions,
        }
        if PROBABILITIES in outputs:
            p_true = outputs[PROBABILITIES].astype(np.float64)
            false_name, true_name = labels if labels else ("False", "True")
            columns[f"{name}_{PROBABILITIES}_{false_name}"] = 1.0 - p_true
            columns[f"{name}_{PROBABILITIES}_{true_name}"] = p_true
            columns[f"{name}_{PROBABILITY}"] = np.where(predictions, p_true, 1.0 - p_true)
            columns[f"{name}_{PROBABILITIES}"] = list(np.stack([1.0 - p_true, p_true], axis=1))
        return columns

    @staticmethod
    def overall_statistics(
        outputs: dict[str, np.ndarray], targets: np.ndarray, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        labels = metadata.get("bool2str") or ["False", "True"]
        truth = targets.astype(bool).astype(np.int64)
        matrix = ConfusionMatrix(truth, outputs[PREDICTIONS].astype(np.int64), labels=list(labels))
        stats = {
            "confusion_matrix": matrix.cm,
            "overall_stats": matrix.stats(),
            "per_class_stats": matrix.per_class_stats(),
        }
        if PROBABILITIES in outputs:
            stats["roc_curve"] = roc_curve_dict(truth, outputs[PROBABILITIES])
            stats["precision_recall_curve"] = precision_recall_curve_dict(truth, outputs[PROBABILITIES])
        return stats


class BinaryInputFeature(InputFeature):
    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.to(torch.float32).unsqueeze(-1)


class BinaryOutputFeature(OutputFeature):
    def __init__(self, config, metadata: dict[str, Any], input_size: int):
        super().__init__(config, metadata, input_size)
        self.register_buffer("temperature", torch.ones(()))  # fitted when calibration is on

    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        probabilities = torch.sigmoid(logits / self.temperature)
        return {PREDICTIONS: probabilities >= self.config.threshold, PROBABILITIES: probabilities, LOGITS: logits}

    def negative_log_likelihood(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean ``-log P(target)`` under the probabilities ``sigmoid(logits)`` (what calibration minimises)."""
        return F.binary_cross_entropy_with_logits(logits, self.target_tensor(targets))

    def target_tensor(self, targets: torch.Tensor) -> torch.Tensor:
        return targets.to(torch.float32)


register_feature(BINARY, BinaryFeatureMixin, BinaryInputFeature, BinaryOutputFeature)
