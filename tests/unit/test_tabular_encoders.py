"""Number encoders ple, periodic and bins, category encoders target and hash: config, math, metadata, training."""

from __future__ import annotations

import json
import logging
import math
import os

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.api import LudwigModel
from ludwig.data.preprocessing import preprocess_for_training
from ludwig.encoders.category_encoders import CategoryHashEncoder, CategoryTargetEncoder
from ludwig.encoders.number_encoders import BinsEncoder, PeriodicEncoder, PLEEncoder
from ludwig.error import ConfigValidationError, DatasetError
from ludwig.features.number_feature import NumberFeatureMixin
from ludwig.schema.encoders.base import CategoryHashEncoderConfig, CategoryTargetEncoderConfig
from ludwig.schema.encoders.number_encoders import BinsEncoderConfig, PeriodicEncoderConfig, PLEEncoderConfig
from ludwig.schema.model_config import ModelConfig

EDGES = [0.0, 1.0, 3.0, 6.0]


def model_config(inputs: list[dict], epochs: int = 2) -> ModelConfig:
    return ModelConfig.from_dict(
        {
            "input_features": inputs,
            "output_features": [{"name": "y", "type": "number"}],
            "trainer": {"epochs": epochs, "batch_size": 32},
        }
    )


def number_input(encoder: dict, **feature) -> object:
    """The config object of a number input ``x`` with ``encoder``."""
    return model_config([{"name": "x", "type": "number", "encoder": encoder, **feature}]).input_features[0]


def ple(**values) -> PLEEncoder:
    config = PLEEncoderConfig.from_dict({"num_bins": len(EDGES) - 1, "output_size": 4, **values})
    return PLEEncoder(config, 1, {"ple_bin_edges": EDGES})


def bins(**values) -> BinsEncoder:
    config = BinsEncoderConfig.from_dict({"num_bins": len(EDGES) - 1, "output_size": 4, **values})
    return BinsEncoder(config, 1, {"bins_bin_edges": EDGES})


# ---------------------------------------------------------------------------------------------------------
# Config


def test_defaults_match_ludwig():
    assert number_input({"type": "ple"}).encoder.to_dict() == {
        "type": "ple",
        "num_bins": 64,
        "output_size": 256,
        "ple_bin_edges": None,
    }
    assert number_input({"type": "periodic"}).encoder.to_dict() == {
        "type": "periodic",
        "num_frequencies": 64,
        "output_size": 256,
        "sigma": 1.0,
    }
    assert number_input({"type": "bins"}).encoder.to_dict() == {
        "type": "bins",
        "num_bins": 32,
        "output_size": 256,
        "bins_bin_edges": None,
    }
    category = model_config(
        [
            {"name": "a", "type": "category", "encoder": {"type": "target"}},
            {"name": "b", "type": "category", "encoder": {"type": "hash"}},
        ]
    ).input_features
    assert category[0].encoder.to_dict() == {"type": "target", "output_size": 1}
    assert category[1].encoder.to_dict() == {"type": "hash", "num_hash_buckets": 1024, "embedding_size": 50}


@pytest.mark.parametrize(
    "feature_type, encoder, suggestion",
    [
        ("number", {"type": "ple", "num_bin": 8}, "num_bins"),
        ("number", {"type": "periodic", "num_frequency": 8}, "num_frequencies"),
        ("number", {"type": "bins", "output_sizes": 8}, "output_size"),
        ("number", {"type": "pel"}, "ple"),
        ("category", {"type": "hash", "num_hash_bucket": 8}, "num_hash_buckets"),
        ("category", {"type": "target", "outputsize": 2}, "output_size"),
        ("category", {"type": "hsah"}, "hash"),
    ],
)
def test_bad_keys_suggest_the_right_one(feature_type, encoder, suggestion):
    with pytest.raises(ConfigValidationError, match=f"input_features\\[0\\]\\.encoder.*Did you mean '{suggestion}'"):
        model_config([{"name": "x", "type": feature_type, "encoder": encoder}])


@pytest.mark.parametrize(
    "edges, message",
    [
        ([0.0, 1.0], "needs num_bins \\+ 1 = 3 edges, found 2"),
        ([0.0, 2.0, 1.0], "must be non-decreasing"),
        ([0.0, "inf", 1.0], "finite number"),
        ([0.0, True, 1.0], "Expected a number"),
    ],
)
@pytest.mark.parametrize("encoder", ["ple", "bins"])
def test_explicit_bin_edges_are_checked(encoder, edges, message):
    key = f"{encoder}_bin_edges"
    with pytest.raises(ConfigValidationError, match=f"input_features\\[0\\]\\.encoder\\.{key}: .*{message}"):
        number_input({"type": encoder, "num_bins": 2, key: edges})


# ---------------------------------------------------------------------------------------------------------
# Metadata


@pytest.mark.parametrize("normalization", ["zscore", "minmax", None])
@pytest.mark.parametrize("encoder, num_bins", [("ple", 64), ("bins", 32)])
def test_bin_edges_are_quantiles_of_the_normalized_training_values(encoder, num_bins, normalization):
    values = np.random.default_rng(1).exponential(3.0, 500)
    config = number_input({"type": encoder}, preprocessing={"normalization": normalization})
    metadata = NumberFeatureMixin.get_feature_meta(config, pd.Series(values), True)
    normalized = NumberFeatureMixin.feature_data(config, pd.Series(values), metadata).astype(np.float64)
    edges = metadata[f"{encoder}_bin_edges"]
    assert len(edges) == num_bins + 1
    np.testing.assert_allclose(edges, np.quantile(normalized, np.linspace(0, 1, num_bins + 1)), rtol=1e-5, atol=1e-6)
    json.dumps(metadata)  # saved in training_set_metadata.json


def test_explicit_bin_edges_are_used_and_other_encoders_store_none():
    config = number_input({"type": "ple", "num_bins": 3, "ple_bin_edges": EDGES})
    assert NumberFeatureMixin.get_feature_meta(config, pd.Series([5.0, 7.0]), True)["ple_bin_edges"] == EDGES
    for encoder in ("passthrough", "dense", "periodic"):
        metadata = NumberFeatureMixin.get_feature_meta(number_input({"type": encoder}), pd.Series([5.0, 7.0]), True)
        assert not any(key.endswith("bin_edges") for key in metadata)


def test_changing_the_bins_refreshes_the_cached_metadata(tmp_path):
    csv_path = str(tmp_path / "data.csv")
    pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40.0)}).to_csv(csv_path, index=False)
    plain = preprocess_for_training(model_config([{"name": "x", "type": "number"}]), csv_path)
    assert "ple_bin_edges" not in plain.metadata["x"]
    for num_bins in (4, 8):
        inputs = [{"name": "x", "type": "number", "encoder": {"type": "ple", "num_bins": num_bins}}]
        result = preprocess_for_training(model_config(inputs), csv_path)
        assert len(result.metadata["x"]["ple_bin_edges"]) == num_bins + 1


def test_metadata_without_bin_edges_is_refused_naming_the_key():
    config = PLEEncoderConfig.from_dict({"num_bins": 3})
    with pytest.raises(DatasetError, match="needs 4 bin edges under 'ple_bin_edges'.*found none"):
        PLEEncoder(config, 1, {"mean": 0.0})
    with pytest.raises(DatasetError, match="found 3"):
        BinsEncoder(BinsEncoderConfig.from_dict({"num_bins": 3}), 1, {"bins_bin_edges": EDGES[:3]})


# ---------------------------------------------------------------------------------------------------------
# Encoder math


def test_ple_ones_before_the_bin_the_fraction_in_it_zeros_after():
    encoder = ple()
    x = torch.tensor([2.0, 0.25, 4.5, -1.0, 9.0, 1.0])
    expected = torch.tensor(
        [
            [1.0, 0.5, 0.0],  # (2 - 1) / (3 - 1) through bin 1
            [0.25, 0.0, 0.0],
            [1.0, 1.0, 0.5],
            [0.0, 0.0, 0.0],  # below the first edge
            [1.0, 1.0, 1.0],  # past the last edge
            [1.0, 0.0, 0.0],
        ]
    )
    torch.testing.assert_close(encoder.piecewise_linear(x), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(encoder.piecewise_linear(x.unsqueeze(-1)), expected, atol=1e-6, rtol=0)
    output = encoder(x.unsqueeze(-1))["encoder_output"]
    assert output.shape == (6, 4) and encoder.output_size == 4
    torch.testing.assert_close(output, encoder.projection(expected), atol=1e-5, rtol=1e-5)


def test_ple_parameter_shapes_match_ludwig():
    encoder = PLEEncoder(PLEEncoderConfig.from_dict({}), 1, {"ple_bin_edges": list(np.linspace(-2, 2, 65))})
    shapes = {name: tuple(t.shape) for name, t in encoder.state_dict().items()}
    assert shapes == {"bin_edges": (65,), "projection.weight": (256, 64), "projection.bias": (256,)}


def test_periodic_is_the_projection_of_sin_2pi_f_x_plus_phi():
    config = PeriodicEncoderConfig.from_dict({"num_frequencies": 5, "output_size": 3})
    encoder = PeriodicEncoder(config, 1, {})
    with torch.no_grad():
        encoder.phases.copy_(torch.tensor([0.0, 0.1, -0.2, 0.3, 1.0]))
    x = torch.tensor([[0.5], [-1.25], [0.0]])
    frequencies, phases = encoder.frequencies.detach(), encoder.phases.detach()
    expected = torch.stack([torch.sin(2 * math.pi * frequencies * value + phases) for value in (0.5, -1.25, 0.0)])
    torch.testing.assert_close(encoder.periodic(x), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(encoder(x.squeeze(-1))["encoder_output"], encoder.projection(expected))
    shapes = {name: tuple(t.shape) for name, t in encoder.state_dict().items()}
    assert shapes == {"frequencies": (5,), "phases": (5,), "projection.weight": (3, 5), "projection.bias": (3,)}


def test_periodic_initialisation_follows_sigma():
    torch.manual_seed(0)
    encoder = PeriodicEncoder(PeriodicEncoderConfig.from_dict({"num_frequencies": 20000, "sigma": 3.0}), 1, {})
    assert encoder.frequencies.std().item() == pytest.approx(3.0, rel=0.05)
    assert torch.count_nonzero(encoder.phases) == 0


def test_bins_embed_the_bin_of_each_value():
    encoder = bins()
    x = torch.tensor([-5.0, 0.5, 1.0, 2.0, 3.0, 4.0, 10.0])
    expected_bins = torch.tensor([0, 0, 0, 1, 1, 2, 2])  # bins are (e_k, e_k+1], the outer ones open-ended
    torch.testing.assert_close(encoder.bin_index(x.unsqueeze(-1)), expected_bins)
    output = encoder(x)["encoder_output"]
    assert output.shape == (7, 4)
    torch.testing.assert_close(output, encoder.bin_embeddings.weight[expected_bins])
    shapes = {name: tuple(t.shape) for name, t in encoder.state_dict().items()}
    assert shapes == {"bin_edges": (4,), "bin_embeddings.weight": (3, 4)}


def test_hash_shares_an_embedding_between_indices_in_one_bucket():
    config = CategoryHashEncoderConfig.from_dict({"num_hash_buckets": 8, "embedding_size": 3})
    encoder = CategoryHashEncoder(config, 1, {"vocab_size": 20})
    indices = torch.tensor([0, 5, 13, 16, 7])
    torch.testing.assert_close(encoder.bucket(indices), torch.tensor([0, 5, 5, 0, 7]))
    output = encoder(indices)["encoder_output"]
    assert output.shape == (5, 3) and encoder.output_size == 3
    torch.testing.assert_close(output[1], output[2])
    torch.testing.assert_close(output, encoder.embedding.weight[torch.tensor([0, 5, 5, 0, 7])])
    default = CategoryHashEncoder(CategoryHashEncoderConfig.from_dict({}), 1, {"vocab_size": 3})
    assert tuple(default.embedding.weight.shape) == (1024, 50)


def test_target_table_starts_at_zero_and_learns():
    encoder = CategoryTargetEncoder(CategoryTargetEncoderConfig.from_dict({"output_size": 2}), 1, {"vocab_size": 4})
    assert tuple(encoder.target_values.weight.shape) == (4, 2)
    output = encoder(torch.tensor([0, 3, 3]))["encoder_output"]
    assert output.shape == (3, 2) and torch.count_nonzero(output) == 0
    output.sum().backward()
    assert encoder.target_values.weight.grad[3].tolist() == [2.0, 2.0]


# ---------------------------------------------------------------------------------------------------------
# Training, prediction and a saved model


@pytest.fixture(scope="module")
def dataset() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(50.0, 20.0, 150), "c": rng.choice([f"k{i}" for i in range(12)], 150)})
    df["y"] = 0.1 * df["x"] + (df["c"] == "k3") * 2.0 + rng.normal(0.0, 0.1, 150)
    return df


@pytest.mark.parametrize(
    "feature, encoder",
    [
        ("x", {"type": "ple", "num_bins": 8, "output_size": 16}),
        ("x", {"type": "periodic", "num_frequencies": 8, "output_size": 16}),
        ("x", {"type": "bins", "num_bins": 6, "output_size": 16}),
        ("c", {"type": "target"}),
        ("c", {"type": "hash", "num_hash_buckets": 5, "embedding_size": 8}),
    ],
)
def test_train_predict_save_load(dataset, tmp_path, feature, encoder):
    inputs = [{"name": "x", "type": "number"}, {"name": "c", "type": "category"}]
    next(f for f in inputs if f["name"] == feature)["encoder"] = encoder
    config = {
        "input_features": inputs,
        "output_features": [{"name": "y", "type": "number"}],
        "trainer": {"epochs": 2, "batch_size": 32},
    }
    model = LudwigModel(config, logging_level=logging.ERROR)
    model.train(dataset=dataset, output_directory=str(tmp_path / "results"))
    predictions, _ = model.predict(dataset)
    assert len(predictions) == len(dataset)
    assert np.isfinite(predictions["y_predictions"].to_numpy(dtype=np.float64)).all()

    model.save(str(tmp_path / "model"))
    with open(os.path.join(tmp_path / "model", "training_set_metadata.json")) as f:
        saved_metadata = json.load(f)
    edges_key = f"{encoder['type']}_bin_edges"
    if encoder["type"] in ("ple", "bins"):
        assert len(saved_metadata["x"][edges_key]) == encoder["num_bins"] + 1
    loaded = LudwigModel.load(str(tmp_path / "model"), logging_level=logging.ERROR)
    again, _ = loaded.predict(dataset)
    np.testing.assert_allclose(again["y_predictions"], predictions["y_predictions"], rtol=1e-5, atol=1e-5)
