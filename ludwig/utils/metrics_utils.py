"""Evaluation statistics written to ``test_statistics.json``: confusion matrices, per-class and overall scores,
ROC and precision-recall curves.

Everything returned is plain Python data (ints, floats, lists, dicts) ready for JSON; a ratio whose denominator
is 0 is 0.0, never NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics
from sklearn.exceptions import UndefinedMetricWarning


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ``numerator / denominator`` in float64, 0.0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


class ConfusionMatrix:
    """Confusion matrix of single-label predictions and the statistics derived from it.

    Rows are the true classes (conditions), columns the predicted ones.

    Args:
        conditions: (N,) true classes.
        predictions: (N,) predicted classes.
        labels: names of the classes. When given, ``conditions`` and ``predictions`` are class indices into it;
            otherwise the classes are the sorted distinct values of both, named by ``str(value)``.
    """

    def __init__(self, conditions: Sequence[Any], predictions: Sequence[Any], labels: Sequence[Any] | None = None):
        conditions, predictions = np.asarray(conditions).ravel(), np.asarray(predictions).ravel()
        if len(conditions) != len(predictions):
            raise ValueError(f"Got {len(conditions)} conditions but {len(predictions)} predictions.")
        if labels is None:
            classes = np.unique(np.concatenate([conditions, predictions]))
            self.labels = [str(c) for c in classes]
            conditions, predictions = np.searchsorted(classes, conditions), np.searchsorted(classes, predictions)
        else:
            self.labels = list(labels)
        size = len(self.labels)
        conditions, predictions = conditions.astype(np.int64), predictions.astype(np.int64)
        self.matrix = np.bincount(conditions * size + predictions, minlength=size * size).reshape(size, size)

    @property
    def cm(self) -> list[list[int]]:
        """The matrix as a list of rows, one per true class."""
        return self.matrix.tolist()

    def _counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-class true positives, false positives, true negatives and false negatives."""
        tp = np.diag(self.matrix)
        fp = self.matrix.sum(axis=0) - tp
        fn = self.matrix.sum(axis=1) - tp
        tn = self.matrix.sum() - tp - fp - fn
        return tp, fp, tn, fn

    def _class_arrays(self) -> dict[str, np.ndarray]:
        """Every per-class statistic as an array over classes, in Ludwig's key order."""
        tp, fp, tn, fn = self._counts()
        tpr, tnr = _safe_divide(tp, tp + fn), _safe_divide(tn, tn + fp)
        ppv, npv = _safe_divide(tp, tp + fp), _safe_divide(tn, tn + fn)
        fnr, fpr = _safe_divide(fn, fn + tp), _safe_divide(fp, fp + tn)
        mcc_denominator = np.sqrt((tp + fp).astype(np.float64) * (tp + fn) * (tn + fp).astype(np.float64) * (tn + fn))
        return {
            "true_positives": tp,
            "true_negatives": tn,
            "false_positives": fp,
            "false_negatives": fn,
            "true_positive_rate": tpr,
            "true_negative_rate": tnr,
            "positive_predictive_value": ppv,
            "negative_predictive_value": npv,
            "false_negative_rate": fnr,
            "false_positive_rate": fpr,
            "false_discovery_rate": _safe_divide(fp, fp + tp),
            "false_omission_rate": _safe_divide(fn, fn + tn),
            "accuracy": _safe_divide(tp + tn, self.matrix.sum()),
            "precision": ppv,
            "recall": tpr,
            "f1_score": _safe_divide(2 * ppv * tpr, ppv + tpr),
            "sensitivity": tpr,
            "specificity": tnr,
            "hit_rate": tpr,
            "miss_rate": fnr,
            "fall_out": fpr,
            "matthews_correlation_coefficient": _safe_divide(
                tp.astype(np.float64) * tn - fp.astype(np.float64) * fn, mcc_denominator
            ),
            "informedness": tpr + tnr - 1,
            "markedness": ppv + npv - 1,
        }

    def per_class_stats(self) -> dict[Any, dict[str, int | float]]:
        """Statistics of each class taken one-vs-rest, keyed by class label."""
        arrays = self._class_arrays()
        return {
            label: {name: values[i].item() for name, values in arrays.items()} for i, label in enumerate(self.labels)
        }

    def stats(self) -> dict[str, float]:
        """Overall statistics.

        Macro averages are taken over the classes that occur as condition or prediction (as scikit-learn does
        without explicit labels); weighted averages weight each class by its number of conditions; micro
        averages pool the counts, which for single-label data all equal the accuracy.
        """
        tp, fp, _, fn = self._counts()
        support = tp + fn
        present = (support + tp + fp) > 0
        precision, recall = _safe_divide(tp, tp + fp), _safe_divide(tp, support)
        f1 = _safe_divide(2 * precision * recall, precision + recall)
        micro_precision = _safe_divide(tp.sum(), (tp + fp).sum()).item()
        micro_recall = _safe_divide(tp.sum(), support.sum()).item()
        return {
            "token_accuracy": _safe_divide(tp.sum(), self.matrix.sum()).item(),
            "avg_precision_macro": _mean(precision[present]),
            "avg_recall_macro": _mean(recall[present]),
            "avg_f1_score_macro": _mean(f1[present]),
            "avg_precision_micro": micro_precision,
            "avg_recall_micro": micro_recall,
            "avg_f1_score_micro": _safe_divide(
                2 * micro_precision * micro_recall, micro_precision + micro_recall
            ).item(),
            "avg_precision_weighted": _weighted_mean(precision, support),
            "avg_recall_weighted": _weighted_mean(recall, support),
            "avg_f1_score_weighted": _weighted_mean(f1, support),
            "kappa_score": self.kappa_score(),
        }

    def kappa_score(self) -> float:
        """Cohen's kappa of predictions against conditions; 0.0 when chance agreement is already perfect."""
        total = self.matrix.sum()
        if total == 0:
            return 0.0
        observed = np.trace(self.matrix) / total
        expected = float(self.matrix.sum(axis=1) @ self.matrix.sum(axis=0)) / total**2
        return _safe_divide(observed - expected, 1.0 - expected).item()


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    return _safe_divide((values * weights).sum(), weights.sum()).item()


def roc_curve_dict(targets: Sequence[Any], scores: Sequence[float]) -> dict[str, list[float]]:
    """The ROC curve of binary ``targets`` (positive label 1 or True) ranked by ``scores``.

    Returns:
        ``{"false_positive_rate": [...], "true_positive_rate": [...]}``; when all targets share one class the
        undefined rate is 0.0.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        fpr, tpr, _ = metrics.roc_curve(np.asarray(targets), np.asarray(scores))
    return {"false_positive_rate": np.nan_to_num(fpr).tolist(), "true_positive_rate": np.nan_to_num(tpr).tolist()}


def precision_recall_curve_dict(targets: Sequence[Any], scores: Sequence[float]) -> dict[str, list[float]]:
    """The precision-recall curve of binary ``targets`` (positive label 1 or True) ranked by ``scores``.

    Returns:
        ``{"precisions": [...], "recalls": [...]}``, by increasing threshold; 0.0 replaces undefined values.
    """
    precisions, recalls, _ = metrics.precision_recall_curve(np.asarray(targets), np.asarray(scores))
    return {"precisions": np.nan_to_num(precisions).tolist(), "recalls": np.nan_to_num(recalls).tolist()}
