"""Statistics of test_statistics.json, compared with scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from ludwig.utils.metrics_utils import ConfusionMatrix, precision_recall_curve_dict, roc_curve_dict

LABELS = ["<UNK>", "cat", "dog", "bird", "fish", "never"]  # "<UNK>" and "never" do not occur
PER_CLASS_KEYS = {
    "true_positives",
    "true_negatives",
    "false_positives",
    "false_negatives",
    "true_positive_rate",
    "true_negative_rate",
    "positive_predictive_value",
    "negative_predictive_value",
    "false_negative_rate",
    "false_positive_rate",
    "false_discovery_rate",
    "false_omission_rate",
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "sensitivity",
    "specificity",
    "hit_rate",
    "miss_rate",
    "fall_out",
    "matthews_correlation_coefficient",
    "informedness",
    "markedness",
}


def strict_json(data) -> str:
    """Serialise as JSON, failing on NaN or infinity."""
    return json.dumps(data, allow_nan=False)


@pytest.fixture
def classes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    conditions = rng.integers(1, 5, size=400)
    noise = rng.integers(1, 5, size=400)
    predictions = np.where(rng.random(400) < 0.6, conditions, noise)
    predictions[:3] = 0  # "<UNK>" predicted a few times
    return conditions, predictions


def test_confusion_matrix_rows_are_conditions(classes):
    conditions, predictions = classes
    matrix = ConfusionMatrix(conditions, predictions, labels=LABELS)
    assert matrix.cm == skm.confusion_matrix(conditions, predictions, labels=range(len(LABELS))).tolist()
    assert ConfusionMatrix([0, 0], [1, 1], labels=["a", "b"]).cm == [[0, 2], [0, 0]]


@pytest.mark.filterwarnings("ignore:A single label was found")
def test_per_class_stats_match_sklearn(classes):
    conditions, predictions = classes
    stats = ConfusionMatrix(conditions, predictions, labels=LABELS).per_class_stats()
    assert list(stats) == LABELS
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        conditions, predictions, labels=range(len(LABELS)), zero_division=0
    )
    for index, label in enumerate(LABELS):
        row = stats[label]
        assert set(row) == PER_CLASS_KEYS
        actual, predicted = conditions == index, predictions == index
        tn, fp, fn, tp = skm.confusion_matrix(actual, predicted, labels=[False, True]).ravel()
        assert (row["true_positives"], row["false_positives"], row["true_negatives"], row["false_negatives"]) == (
            tp,
            fp,
            tn,
            fn,
        )
        assert row["precision"] == pytest.approx(precision[index])
        assert row["recall"] == pytest.approx(recall[index])
        assert row["f1_score"] == pytest.approx(f1[index])
        assert row["specificity"] == pytest.approx(skm.recall_score(actual, predicted, pos_label=False))
        assert row["accuracy"] == pytest.approx(skm.accuracy_score(actual, predicted))
        mcc = skm.matthews_corrcoef(actual, predicted)
        assert row["matthews_correlation_coefficient"] == pytest.approx(mcc, abs=1e-12)
        assert row["informedness"] == pytest.approx(row["true_positive_rate"] + row["true_negative_rate"] - 1)
        assert row["markedness"] == pytest.approx(
            row["positive_predictive_value"] + row["negative_predictive_value"] - 1
        )
        assert row["false_positive_rate"] == pytest.approx(fp / (fp + tn))
    strict_json(stats)


def test_overall_stats_match_sklearn(classes):
    conditions, predictions = classes
    stats = ConfusionMatrix(conditions, predictions, labels=LABELS).stats()
    expected = {"token_accuracy": skm.accuracy_score(conditions, predictions)}
    for average in ("macro", "micro", "weighted"):
        expected[f"avg_precision_{average}"] = skm.precision_score(
            conditions, predictions, average=average, zero_division=0
        )
        expected[f"avg_recall_{average}"] = skm.recall_score(conditions, predictions, average=average, zero_division=0)
        expected[f"avg_f1_score_{average}"] = skm.f1_score(conditions, predictions, average=average, zero_division=0)
    expected["kappa_score"] = skm.cohen_kappa_score(conditions, predictions)
    assert set(stats) == set(expected)
    for key, value in expected.items():
        assert stats[key] == pytest.approx(value, abs=1e-12), key


def test_labels_default_to_distinct_values():
    matrix = ConfusionMatrix(["b", "a", "c", "a"], ["a", "a", "c", "b"])
    assert list(matrix.per_class_stats()) == ["a", "b", "c"]
    assert matrix.cm == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]
    assert list(ConfusionMatrix([2, 10], [10, 10]).per_class_stats()) == ["2", "10"]


def test_degenerate_data_gives_zeros_not_nan():
    matrix = ConfusionMatrix([1, 1, 1], [1, 1, 1], labels=["a", "b", "c"])
    stats, per_class = matrix.stats(), matrix.per_class_stats()
    strict_json({"stats": stats, "per_class": per_class})
    assert stats["kappa_score"] == 0.0
    assert stats["token_accuracy"] == 1.0
    assert per_class["a"]["precision"] == 0.0
    assert per_class["b"]["specificity"] == 0.0
    strict_json(ConfusionMatrix([], [], labels=["a"]).stats())


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError, match="3 conditions but 2 predictions"):
        ConfusionMatrix([0, 1, 1], [0, 1], labels=["a", "b"])


def test_curves_match_sklearn():
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 2, size=200)
    scores = np.clip(rng.random(200) * 0.8 + 0.3 * targets, 0, 1)
    fpr, tpr, _ = skm.roc_curve(targets, scores)
    assert roc_curve_dict(targets, scores) == {"false_positive_rate": fpr.tolist(), "true_positive_rate": tpr.tolist()}
    precisions, recalls, _ = skm.precision_recall_curve(targets, scores)
    curve = precision_recall_curve_dict(targets.astype(bool), scores)
    assert curve == {"precisions": precisions.tolist(), "recalls": recalls.tolist()}
    strict_json(curve)


def test_curves_of_a_single_class_stay_valid_json():
    scores = np.array([0.2, 0.7, 0.4])
    roc = roc_curve_dict(np.zeros(3, dtype=int), scores)
    assert all(value == 0.0 for value in roc["true_positive_rate"])
    strict_json(roc)
    strict_json(roc_curve_dict(np.ones(3, dtype=int), scores))
    with pytest.warns(UserWarning):
        strict_json(precision_recall_curve_dict(np.zeros(3, dtype=int), scores))
