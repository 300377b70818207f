"""Anomaly output features: Deep One-Class Classification (Deep SVDD, Deep SAD, DROCC).

The latent vector z of a row (the combiner output, through the feature's FC stack) is scored by its squared
distance to a hypersphere centre c, ``||z - c||^2``: the higher, the more anomalous. The losses pull normal and
unlabeled rows towards c (Deep SAD also pushes labeled anomalies away). Labels are 0 (normal), 1 (anomaly) or
-1 (unlabeled); missing labels read as -1.

Predictions: ``<name>_anomaly_score`` (float) and ``<name>_predictions`` (``score >= threshold``). With
``threshold: auto`` the threshold is the ``threshold_percentile``-th percentile of the validation set's scores,
set after training (infinite, so nothing is flagged, until then or without a validation set).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import torch

from ludwig.constants import ANOMALY, ANOMALY_SCORE, AUTO, LOGITS, PREDICTIONS
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, OutputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.features.value_checks import quoted_examples, read_numbers
from ludwig.modules.metric_modules import best_f1, binary_auc

logger = logging.getLogger(__name__)

#: The labels an anomaly column may hold.
ANOMALY_LABELS = (-1.0, 0.0, 1.0)


class AnomalyFeatureMixin(BaseFeatureMixin):
    """Data handling of anomaly labels: numbers 0, 1 or -1."""

    type = ANOMALY

    @staticmethod
    def cast_column(column: pd.Series) -> pd.Series:
        return read_numbers(column, ANOMALY)

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        values = column.to_numpy(dtype=np.float64)
        bad = ~np.isin(values, ANOMALY_LABELS)
        if bad.any():
            raise InputDataError(
                config.column,
                ANOMALY,
                f"{int(bad.sum())} of {len(values)} labels are not 0 (normal), 1 (anomaly) or -1 (unlabeled), "
                f"e.g. {quoted_examples(pd.Series(values[bad]))}.",
            )
        return values.astype(np.float32)

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        return {
            f"{name}_{ANOMALY_SCORE}": outputs[ANOMALY_SCORE].astype(np.float64),
            f"{name}_{PREDICTIONS}": outputs[PREDICTIONS].astype(bool),
        }

    @staticmethod
    def overall_statistics(
        outputs: dict[str, np.ndarray], targets: np.ndarray, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        """``roc_auc``, ``f1``, ``precision``, ``recall``, ``f1_max`` and ``f1_max_threshold`` over the rows
        labeled 0 or 1; empty unless both labels occur."""
        labeled = np.isin(targets, (0, 1))
        truth = targets[labeled] == 1
        if truth.all() or not truth.any():
            return {}
        scores = torch.from_numpy(outputs[ANOMALY_SCORE][labeled].astype(np.float64))
        predicted = outputs[PREDICTIONS][labeled].astype(bool)
        true_positives = int((predicted & truth).sum())
        precision = true_positives / max(int(predicted.sum()), 1)
        recall = true_positives / int(truth.sum())
        f1_max, f1_max_threshold = best_f1(scores, torch.from_numpy(truth))
        return {
            "roc_auc": binary_auc(scores, torch.from_numpy(truth)),
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "precision": precision,
            "recall": recall,
            "f1_max": f1_max,
            "f1_max_threshold": f1_max_threshold,
        }


class AnomalyOutputFeature(OutputFeature):
    """Scores rows with the anomaly decoder; ``threshold`` (a buffer, saved with the weights) makes them
    predictions."""

    def __init__(self, config, metadata: dict[str, Any], input_size: int):
        super().__init__(config, metadata, input_size)
        fixed = config.threshold != AUTO
        self.register_buffer("threshold", torch.tensor(float(config.threshold) if fixed else float("inf")))

    @property
    def fits_threshold(self) -> bool:
        """Whether the threshold is set from validation scores after training (``threshold: auto``)."""
        return self.config.threshold == AUTO

    def initialize_center(self, center: torch.Tensor) -> None:
        """Set the hypersphere centre c, e.g. to the mean latent vector of the training rows."""
        self.decoder_obj.initialize_center(center)

    def fit_threshold(self, scores: torch.Tensor) -> float:
        """Set the threshold to the ``threshold_percentile``-th percentile of ``scores`` (N,) and return it."""
        value = float(torch.quantile(scores.double().flatten(), self.config.threshold_percentile / 100.0))
        self.threshold.fill_(value)
        logger.info(
            'Anomaly feature "%s": threshold %.6g (percentile %s of the validation scores).',
            self.name,
            value,
            self.config.threshold_percentile,
        )
        return value

    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ANOMALY_SCORE: logits, PREDICTIONS: logits >= self.threshold, LOGITS: logits}

    def target_tensor(self, targets: torch.Tensor) -> torch.Tensor:
        return targets.to(torch.float32)


register_feature(ANOMALY, AnomalyFeatureMixin, None, AnomalyOutputFeature)
