"""anomaly and category_distribution outputs, and the open-set losses of category outputs."""

from __future__ import annotations

import logging
import math
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from ludwig.api import LudwigModel
from ludwig.modules.loss_modules import build_loss
from ludwig.modules.metric_modules import AnomalyAUROC, F1Max, SoftmaxCrossEntropyMetric, best_f1
from ludwig.schema.features.loss import DeepSADLossConfig, DeepSVDDLossConfig, DROCCLossConfig
from ludwig.schema.model_config import ModelConfig

MIRROR = "/work/.mirror/ludwig-ai+ludwig/repo"
EXAMPLES = [
    "examples/anomaly_detection/config_deep_svdd.yaml",
    "examples/anomaly_detection/config_deep_sad.yaml",
    "examples/anomaly_detection/config_drocc.yaml",
    "examples/open_set_recognition/config_entropic.yaml",
    "examples/open_set_recognition/config_objectosphere.yaml",
]


# ----------------------------------------------------------------------------------------------------------
# Losses on hand-computed examples.


def test_deep_svdd_hard_boundary_is_the_mean_score():
    loss = build_loss(DeepSVDDLossConfig.from_dict({"type": "deep_svdd", "nu": 0.0}))
    assert float(loss(torch.tensor([1.0, 2.0, 3.0, 6.0]), torch.zeros(4))) == pytest.approx(3.0)


def test_deep_svdd_soft_boundary():
    # R = quantile 0.5 of (1, 2, 3, 6) = 2.5; R + mean(max(d - R, 0)) / nu = 2.5 + (0.5 + 3.5) / 4 / 0.5 = 4.5.
    loss = build_loss(DeepSVDDLossConfig.from_dict({"type": "deep_svdd", "nu": 0.5}))
    assert float(loss(torch.tensor([1.0, 2.0, 3.0, 6.0]), torch.zeros(4))) == pytest.approx(4.5)


def test_deep_sad_pushes_labeled_anomalies_away():
    loss = build_loss(DeepSADLossConfig.from_dict({"type": "deep_sad", "eta": 2.0}))
    scores = torch.tensor([1.0, 3.0, 4.0])
    # Normal 1, unlabeled 3, anomaly 2 / 4: mean(1, 3, 0.5).
    expected = (1.0 + 3.0 + 2.0 / (4.0 + 1e-6)) / 3
    assert float(loss(scores, torch.tensor([0.0, -1.0, 1.0]))) == pytest.approx(expected)


def test_drocc_without_perturbation_is_the_mean_score():
    loss = build_loss(DROCCLossConfig.from_dict({"type": "drocc", "perturbation_strength": 0.0}))
    assert float(loss(torch.tensor([1.0, 5.0]), torch.zeros(2))) == pytest.approx(3.0)
    strong = build_loss(DROCCLossConfig.from_dict({"type": "drocc", "perturbation_strength": 0.5}))
    assert float(strong(torch.tensor([1.0, 5.0]), torch.zeros(2))) >= 3.0


def _category_loss(loss: dict):
    config = ModelConfig.from_dict(
        {
            "input_features": [{"name": "x", "type": "number"}],
            "output_features": [{"name": "y", "type": "category", "loss": loss}],
        }
    )
    return build_loss(config.output_features[0].loss)


def test_entropic_open_set_loss():
    loss = _category_loss({"type": "entropic_open_set", "background_class": 2})
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    known = -math.log(math.exp(2) / (math.exp(2) + 2))  # row 0, class 0
    uniform_negative_entropy = -math.log(3)  # row 1 is background with a uniform prediction
    assert float(loss(logits, torch.tensor([0, 2]))) == pytest.approx(known + uniform_negative_entropy, rel=1e-5)


def test_objectosphere_loss():
    loss = _category_loss({"type": "objectosphere", "background_class": 2, "xi": 3.0, "zeta": 0.5})
    logits = torch.tensor([[2.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    known = -math.log(math.exp(2) / (math.exp(2) + 2)) + (3.0 - 2.0) ** 2
    unknown = -math.log(3) + 0.5 * 3.0
    assert float(loss(logits, torch.tensor([0, 2]))) == pytest.approx(known + unknown, rel=1e-5)


def test_open_set_defaults_as_ludwig():
    loss = (
        ModelConfig.from_dict(
            {
                "input_features": [{"name": "x", "type": "number"}],
                "output_features": [{"name": "y", "type": "category", "loss": {"type": "objectosphere"}}],
            }
        )
        .output_features[0]
        .loss
    )
    assert (loss.background_class, loss.xi, loss.zeta, loss.weight) == (None, 10.0, 0.1, 1.0)


# ----------------------------------------------------------------------------------------------------------
# Metrics.


def test_anomaly_metrics_leave_out_unlabeled_rows():
    scores, labels = torch.tensor([0.1, 0.4, 0.35, 0.8, 5.0]), torch.tensor([0.0, 0.0, 1.0, 1.0, -1.0])
    auroc, f1 = AnomalyAUROC(), F1Max()
    for metric in (auroc, f1):
        metric.update(scores, labels)
    assert auroc.compute() == pytest.approx(0.75)
    # Threshold 0.35 flags 0.4, 0.35, 0.8: tp 2, fp 1, fn 0 -> F1 0.8.
    assert f1.compute() == pytest.approx(0.8)
    assert best_f1(scores[:4], labels[:4] == 1) == pytest.approx((0.8, 0.35))


def test_distribution_cross_entropy_metric():
    metric = SoftmaxCrossEntropyMetric()
    metric.update(torch.zeros(2, 2), torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
    assert metric.compute() == pytest.approx(math.log(2))


# ----------------------------------------------------------------------------------------------------------
# Schema.


def test_anomaly_defaults_as_ludwig():
    config = ModelConfig.from_dict(
        {"input_features": [{"name": "x", "type": "number"}], "output_features": [{"name": "y", "type": "anomaly"}]}
    )
    feature = config.output_features[0]
    assert (feature.loss.type, feature.loss.nu, feature.decoder.type) == ("deep_svdd", 0.1, "anomaly")
    assert (feature.threshold, feature.threshold_percentile) == ("auto", 95.0)
    assert config.trainer.validation_metric == "anomaly_auroc"


@pytest.mark.parametrize(
    "feature, path",
    [
        ({"name": "y", "type": "anomaly", "threshold": -1.0}, "threshold"),
        ({"name": "y", "type": "anomaly", "loss": {"type": "deep_sad", "eta": -1}}, "eta"),
        ({"name": "y", "type": "category_distribution"}, "preprocessing.vocab"),
    ],
)
def test_bad_values_are_refused_naming_the_path(feature, path):
    with pytest.raises(Exception, match=path.replace(".", r"\.")):
        ModelConfig.from_dict({"input_features": [{"name": "x", "type": "number"}], "output_features": [feature]})


def _mirror_file(path: str) -> str | None:
    result = subprocess.run(["git", "-C", MIRROR, "show", f"HEAD:{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


@pytest.mark.parametrize("path", EXAMPLES)
def test_ludwig_example_configs_render(path):
    text = _mirror_file(path)
    if text is None:
        pytest.skip("the Ludwig reference snapshot is not available")
    config = ModelConfig.from_dict(yaml.safe_load(text))
    assert config.output_features[0].loss.type == yaml.safe_load(text)["output_features"][0]["loss"]["type"]


# ----------------------------------------------------------------------------------------------------------
# End to end: train 2 epochs on 60 rows, predict.

ROWS = 60


@pytest.fixture(scope="module")
def dataset() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=ROWS), "b": rng.normal(size=ROWS)})
    df["anomaly"] = np.where(df["a"].abs() > 1.5, 1, 0)
    df.loc[:5, "anomaly"] = -1
    df["dist"] = [" ".join(f"{p:.6f}" for p in row) for row in rng.dirichlet([1, 1, 1], size=ROWS)]
    df["label"] = rng.choice(["cat", "dog", "unknown"], size=ROWS)
    return df


def _train_and_predict(df: pd.DataFrame, output_feature: dict, tmp_path) -> tuple[LudwigModel, pd.DataFrame]:
    config = {
        "input_features": [{"name": "a", "type": "number"}, {"name": "b", "type": "number"}],
        "output_features": [output_feature],
        "combiner": {"type": "concat", "fc_layers": [{"output_size": 8}]},
        "trainer": {"epochs": 2, "batch_size": 16},
    }
    model = LudwigModel(config, logging_level=logging.WARNING)
    model.train(
        dataset=df,
        output_directory=str(tmp_path),
        skip_save_model=True,
        skip_save_progress=True,
        skip_save_log=True,
        skip_save_processed_input=True,
    )
    predictions, _ = model.predict(df.drop(columns=[output_feature["name"]]), skip_save_predictions=True)
    return model, predictions


@pytest.mark.parametrize("loss", ["deep_svdd", "deep_sad", "drocc"])
def test_anomaly_end_to_end(dataset, tmp_path, loss):
    model, predictions = _train_and_predict(
        dataset, {"name": "anomaly", "type": "anomaly", "loss": {"type": loss}}, tmp_path
    )
    assert list(predictions.columns) == ["anomaly_anomaly_score", "anomaly_predictions"]
    assert len(predictions) == ROWS
    assert (predictions["anomaly_anomaly_score"] >= 0).all()
    # threshold: auto was fitted on the validation scores, so it is finite and flags some rows.
    threshold = float(model.model.output_feature("anomaly").threshold)
    assert math.isfinite(threshold)
    assert (predictions["anomaly_predictions"] == (predictions["anomaly_anomaly_score"] >= threshold)).all()


def test_category_distribution_end_to_end(dataset, tmp_path):
    vocab = ["p", "q", "r"]
    feature = {"name": "dist", "type": "category_distribution", "preprocessing": {"vocab": vocab}}
    _, predictions = _train_and_predict(dataset, feature, tmp_path)
    expected = ["dist_predictions", "dist_probabilities", "dist_probability"] + [
        f"dist_probabilities_{v}" for v in vocab
    ]
    assert sorted(predictions.columns) == sorted(expected)
    assert len(predictions) == ROWS
    assert set(predictions["dist_predictions"]) <= set(vocab)


@pytest.mark.parametrize("loss", [{"type": "entropic_open_set", "background_class": 1}, {"type": "objectosphere"}])
def test_open_set_end_to_end(dataset, tmp_path, loss):
    _, predictions = _train_and_predict(dataset, {"name": "label", "type": "category", "loss": loss}, tmp_path)
    assert len(predictions) == ROWS
    assert {"label_predictions", "label_probabilities", "label_probability"} <= set(predictions.columns)


def test_category_distribution_rejects_bad_targets(dataset, tmp_path):
    df = dataset.copy()
    df.loc[3, "dist"] = "0.5 0.6 0.1"
    feature = {"name": "dist", "type": "category_distribution", "preprocessing": {"vocab": ["p", "q", "r"]}}
    with pytest.raises(ValueError, match=r'"dist".*do not sum to 1'):
        _train_and_predict(df, feature, tmp_path)


def test_anomaly_rejects_bad_labels(dataset, tmp_path):
    df = dataset.copy()
    df.loc[3, "anomaly"] = 2
    with pytest.raises(ValueError, match=r'"anomaly".*not 0 \(normal\), 1 \(anomaly\) or -1'):
        _train_and_predict(df, {"name": "anomaly", "type": "anomaly"}, tmp_path)
