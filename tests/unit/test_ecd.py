"""The ECD model, the predictor, checkpoints, the progress tracker and the learning-rate finder."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.constants import COMBINED, LOGITS, PREDICTIONS, PROBABILITIES
from ludwig.data.dataset import Batcher, Dataset
from ludwig.data.preprocessing import preprocess_for_prediction, preprocess_for_training
from ludwig.error import ConfigValidationError
from ludwig.models.ecd import ECD, module_keys
from ludwig.models.predictor import Predictor
from ludwig.modules.optimization_modules import create_optimizer
from ludwig.schema.model_config import ModelConfig
from ludwig.trainers.checkpoint import Checkpoint, load_weights, save_weights
from ludwig.trainers.lr_finder import FALLBACK_LR, MAX_LR, MIN_LR, find_learning_rate, suggest_learning_rate
from ludwig.trainers.progress_tracker import ProgressTracker

ROWS = 60


def make_frame(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    num = rng.normal(size=rows)
    return pd.DataFrame(
        {
            "num_in": num,
            "num2_in": rng.normal(size=rows),
            "cat_in": rng.choice(["a", "b", "c"], rows),
            "cat2_in": rng.choice(["a", "b", "c", "d"], rows),
            "bin_in": rng.choice([True, False], rows),
            "vec_in": [" ".join(f"{v:.4f}" for v in rng.normal(size=4)) for _ in range(rows)],
            "num_out": 2.0 * num + rng.normal(scale=0.1, size=rows),
            "cat_out": rng.choice(["x", "y", "z"], rows),
            "bin_out": rng.choice(["yes", "no"], rows),
            "vec_out": [" ".join(f"{v:.4f}" for v in rng.normal(size=3)) for _ in range(rows)],
        }
    )


ALL_INPUTS = [
    {"name": "num_in", "type": "number"},
    {"name": "cat_in", "type": "category", "encoder": {"embedding_size": 3}},
    {"name": "bin_in", "type": "binary"},
    {"name": "vec_in", "type": "vector", "encoder": {"output_size": 6}},
]
ALL_OUTPUTS = [
    {"name": "num_out", "type": "number"},
    {"name": "cat_out", "type": "category"},
    {"name": "bin_out", "type": "binary"},
    {"name": "vec_out", "type": "vector"},
]


def build(
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    df: pd.DataFrame | None = None,
    **sections: Any,
) -> tuple[ECD, ModelConfig, Any]:
    """A model built from a config and the metadata of preprocessing ``df``, with its preprocessed splits."""
    config = ModelConfig.from_dict(
        {"input_features": inputs or ALL_INPUTS, "output_features": outputs or ALL_OUTPUTS, **sections}
    )
    splits = preprocess_for_training(config, make_frame() if df is None else df, skip_save_processed_input=True)
    torch.manual_seed(0)
    return ECD(config, splits.metadata), config, splits


def first_batch(dataset: Dataset, size: int = 5) -> dict[str, torch.Tensor]:
    return next(Batcher(dataset, size).epoch())


@pytest.fixture(scope="module")
def full_model():
    return build(combiner={"type": "concat"})


# ---------------------------------------------------------------------------------------------------------
# ECD


def test_forward_shapes_for_each_output_type(full_model):
    model, _, splits = full_model
    batch = first_batch(splits.training, 5)
    outputs = model(batch)
    assert set(outputs) == {"num_out", "cat_out", "bin_out", "vec_out"}
    assert outputs["num_out"][LOGITS].shape == (5,)
    assert outputs["cat_out"][LOGITS].shape == (5, splits.metadata["cat_out"]["vocab_size"])
    assert outputs["bin_out"][LOGITS].shape == (5,)
    assert outputs["vec_out"][LOGITS].shape == (5, 3)
    for name in outputs:
        assert outputs[name]["last_hidden"].shape == (5, model.output_feature(name).hidden_size)

    predictions = model.predictions(outputs)
    assert predictions["num_out"][PREDICTIONS].shape == (5,)
    assert predictions["cat_out"][PREDICTIONS].dtype == torch.int64
    torch.testing.assert_close(predictions["cat_out"][PROBABILITIES].sum(dim=-1), torch.ones(5))
    assert predictions["bin_out"][PREDICTIONS].dtype == torch.bool
    assert predictions["bin_out"][PROBABILITIES].shape == (5,)
    assert predictions["vec_out"][PREDICTIONS].shape == (5, 3)


def test_combiner_concatenates_the_encoder_outputs(full_model):
    model, _, _ = full_model
    encoder_sizes = [model.input_feature(name).output_size for name in ("num_in", "cat_in", "bin_in", "vec_in")]
    assert encoder_sizes == [1, 3, 1, 6]
    assert model.combiner.output_size == sum(encoder_sizes)
    for name in ("num_out", "cat_out", "bin_out", "vec_out"):
        assert model.output_feature(name).fc_stack.input_size == model.combiner.output_size


def test_default_combiner_follows_ludwig_0_17():
    """No combiner section: ft_transformer from three input features on, concat below; an explicit section wins."""
    three = [{"name": n, "type": "number"} for n in ("a", "b", "c")]
    output = [{"name": "y", "type": "binary"}]
    assert ModelConfig.from_dict({"input_features": three, "output_features": output}).combiner.type == "ft_transformer"
    assert ModelConfig.from_dict({"input_features": three[:2], "output_features": output}).combiner.type == "concat"
    explicit = {"input_features": three, "output_features": output, "combiner": {"type": "concat"}}
    rendered = ModelConfig.from_dict(explicit)
    assert rendered.combiner.type == "concat"
    # The rendered (and saved) config records the combiner, so a reload builds the same model.
    assert (
        ModelConfig.from_dict(
            ModelConfig.from_dict({"input_features": three, "output_features": output}).to_dict()
        ).combiner.type
        == "ft_transformer"
    )


def test_train_loss_is_the_weighted_sum_of_the_feature_losses():
    outputs = [dict(feature, loss={"weight": weight}) for feature, weight in zip(ALL_OUTPUTS, [1.0, 2.0, 0.5, 3.0])]
    model, _, splits = build(outputs=outputs)
    batch = first_batch(splits.training, 8)
    total, losses = model.train_loss(batch, model(batch))
    expected = 1.0 * losses["num_out"] + 2.0 * losses["cat_out"] + 0.5 * losses["bin_out"] + 3.0 * losses["vec_out"]
    torch.testing.assert_close(total, expected)


def dependent_outputs(dependencies: list[str]) -> list[dict[str, Any]]:
    return [
        {"name": "cat_out", "type": "category", "dependencies": dependencies},
        {"name": "num_out", "type": "number", "decoder": {"num_fc_layers": 1, "fc_output_size": 8}},
    ]


def test_dependencies_add_the_hidden_size_of_the_dependency():
    independent, _, _ = build(outputs=dependent_outputs([]))
    dependent, _, splits = build(outputs=dependent_outputs(["num_out"]))
    combined = dependent.combiner.output_size
    assert dependent.output_feature("num_out").hidden_size == 8
    assert independent.output_feature("cat_out").fc_stack.input_size == combined
    assert dependent.output_feature("cat_out").fc_stack.input_size == combined + 8
    assert dependent.output_feature("cat_out").decoder_obj.projection.in_features == combined + 8
    # The dependency is built and run first even though it is listed second.
    assert list(dependent.output_features) == ["num_out", "cat_out"]
    batch = first_batch(splits.training, 6)
    assert dependent(batch)["cat_out"][LOGITS].shape == (6, 3)


def test_dependent_output_reads_the_hidden_state_of_its_dependency():
    model, _, splits = build(outputs=dependent_outputs(["num_out"]))
    model.eval()
    batch = first_batch(splits.training, 6)
    with torch.no_grad():
        before = model(batch)["cat_out"][LOGITS].clone()
        for parameter in model.output_feature("num_out").fc_stack.parameters():
            parameter.add_(1.0)
        after = model(batch)["cat_out"][LOGITS]
    assert not torch.allclose(before, after)


def test_dependency_cycle_raises():
    outputs = [
        {"name": "cat_out", "type": "category", "dependencies": ["num_out"]},
        {"name": "num_out", "type": "number", "dependencies": ["bin_out"]},
        {"name": "bin_out", "type": "binary", "dependencies": ["cat_out"]},
    ]
    with pytest.raises(ValueError, match="cycle"):
        build(outputs=outputs)


def test_unknown_dependency_is_a_config_error():
    with pytest.raises(ConfigValidationError, match="dependencies"):
        ModelConfig.from_dict({"input_features": ALL_INPUTS, "output_features": dependent_outputs(["nope"])})


TIED_NUMBERS = [
    {"name": "num_in", "type": "number", "encoder": {"type": "dense", "output_size": 6}},
    {"name": "num2_in", "type": "number", "tied": "num_in", "encoder": {"type": "dense", "output_size": 6}},
]


def assert_shared_encoders(model: ECD, first: str, second: str) -> None:
    encoder, tied = model.input_feature(first).encoder_obj, model.input_feature(second).encoder_obj
    assert tied is encoder
    parameters = list(encoder.parameters())
    assert parameters
    for a, b in zip(parameters, tied.parameters()):
        assert a is b


def test_tied_encoders_share_parameters():
    model, _, splits = build(inputs=TIED_NUMBERS, outputs=[{"name": "num_out", "type": "number"}])
    assert_shared_encoders(model, "num_in", "num2_in")
    # Shared tensors are counted once in the model's parameters.
    names = [name for name, _ in model.named_parameters()]
    assert not any(name.startswith("input_features.num2_in") for name in names)
    model(first_batch(splits.training))


def test_tied_category_encoders_share_the_embedding():
    inputs = [
        {"name": "cat_in", "type": "category", "encoder": {"embedding_size": 4}},
        {"name": "cat2_in", "type": "category", "tied": "cat_in", "encoder": {"embedding_size": 4}},
    ]
    model, _, _ = build(inputs=inputs, outputs=[{"name": "num_out", "type": "number"}])
    assert_shared_encoders(model, "cat_in", "cat2_in")


def test_tied_to_a_feature_listed_later():
    # Ludwig builds the input features in an order where the tied-to feature comes first, whatever their order
    # in the config.
    inputs = [TIED_NUMBERS[1], TIED_NUMBERS[0]]
    model, _, _ = build(inputs=inputs, outputs=[{"name": "num_out", "type": "number"}])
    assert_shared_encoders(model, "num_in", "num2_in")


def test_tied_to_itself_is_a_config_error():
    inputs = [{"name": "num_in", "type": "number", "tied": "num_in"}]
    with pytest.raises(ConfigValidationError, match="tied"):
        ModelConfig.from_dict({"input_features": inputs, "output_features": [{"name": "num_out", "type": "number"}]})


@pytest.mark.parametrize("regularization_type", ["l1", "l2", "l1_l2"])
def test_regularization_loss_equals_a_direct_computation(full_model, regularization_type):
    model, _, _ = full_model
    lam = 0.01
    parameters = list(model.parameters())
    l1 = sum(float(p.detach().abs().sum()) for p in parameters)
    l2 = sum(float(p.detach().pow(2).sum()) for p in parameters)
    expected = {"l1": lam * l1, "l2": lam * l2, "l1_l2": lam * (l1 + l2)}[regularization_type]
    value = model.regularization_loss(regularization_type, lam)
    assert float(value.detach()) == pytest.approx(expected, rel=1e-5)
    assert value.requires_grad


@pytest.mark.parametrize("regularization_type, lam", [(None, 0.1), ("l2", 0.0)])
def test_no_regularization_is_zero(full_model, regularization_type, lam):
    model, _, _ = full_model
    assert float(model.regularization_loss(regularization_type, lam)) == 0.0


def test_regularization_skips_frozen_parameters():
    model, _, _ = build(inputs=TIED_NUMBERS, outputs=[{"name": "num_out", "type": "number"}])
    frozen = model.input_feature("num_in").encoder_obj
    for parameter in frozen.parameters():
        parameter.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    expected = 0.5 * sum(float(p.detach().abs().sum()) for p in trainable)
    assert float(model.regularization_loss("l1", 0.5).detach()) == pytest.approx(expected, rel=1e-5)


def test_module_keys_for_names_with_dots():
    assert module_keys(["a.b"]) == {"a.b": "a_b"}
    assert module_keys(["plain_name1"]) == {"plain_name1": "plain_name1"}
    df = make_frame().rename(columns={"num_in": "in.num", "cat_out": "out.cat"})
    model, config, splits = build(
        inputs=[{"name": "in.num", "type": "number", "encoder": {"type": "dense", "output_size": 3}}],
        outputs=[{"name": "out.cat", "type": "category"}],
        df=df,
    )
    assert list(model.input_features) == ["in_num"]
    assert list(model.output_features) == ["out_cat"]
    assert model.input_feature("in.num") is model.input_features["in_num"]
    outputs = model(first_batch(splits.training))
    assert list(outputs) == ["out.cat"]
    # State dict keys split on dots into the module path; feature names add no extra level.
    keys = list(model.state_dict())
    assert keys and all(key.split(".")[1] in ("in_num", "out_cat") for key in keys if "features" in key)
    total, losses = model.train_loss(first_batch(splits.training), outputs)
    assert list(losses) == ["out.cat"]
    assert config.output_features[0].name == "out.cat"


def test_names_differing_only_by_punctuation_get_their_own_modules():
    df = pd.DataFrame({"a.b": np.arange(10.0), "a_b": -np.arange(10.0), "y": np.arange(10.0)})
    model, _, _ = build(
        inputs=[{"name": "a.b", "type": "number"}, {"name": "a_b", "type": "number"}],
        outputs=[{"name": "y", "type": "number"}],
        df=df,
    )
    assert len(model.input_features) == 2
    assert model.combiner.output_size == 2


# ---------------------------------------------------------------------------------------------------------
# Predictor


def flat(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    return {f"{feature}.{name}": value for feature, values in metrics.items() for name, value in values.items()}


def test_batch_evaluation_metrics_do_not_depend_on_the_batch_size(full_model):
    model, _, splits = full_model
    small, _ = Predictor(model, batch_size=7).batch_evaluation(splits.training)
    large, _ = Predictor(model, batch_size=1000).batch_evaluation(splits.training)
    assert set(small) == {"num_out", "cat_out", "bin_out", "vec_out", COMBINED}
    small, large = flat(small), flat(large)
    assert small.keys() == large.keys()
    assert len(small) > 20
    for key, value in small.items():
        assert value == pytest.approx(large[key], rel=1e-6, abs=1e-6, nan_ok=True), key


def test_batch_evaluation_combined_loss_is_the_mean_training_loss(full_model):
    model, _, splits = full_model
    metrics, _ = Predictor(model, batch_size=7).batch_evaluation(splits.training)
    model.eval()
    with torch.no_grad():
        everything = next(Batcher(splits.training, len(splits.training)).epoch())
        total, losses = model.train_loss(everything, model(everything))
    assert metrics[COMBINED]["loss"] == pytest.approx(float(total), rel=1e-5)
    for name, loss in losses.items():
        assert metrics[name]["loss"] == pytest.approx(float(loss), rel=1e-5)


def test_batch_predict_preserves_row_order(full_model):
    model, _, splits = full_model
    predicted = Predictor(model, batch_size=7).batch_predict(splits.training)
    model.eval()
    with torch.no_grad():
        everything = next(Batcher(splits.training, len(splits.training)).epoch())
        expected = model.predictions(model(everything))
    assert set(predicted) == set(expected)
    for name, values in expected.items():
        assert set(predicted[name]) == set(values) - {LOGITS}
        for key, tensor in predicted[name].items():
            assert len(tensor) == len(splits.training)
            np.testing.assert_allclose(tensor, values[key].numpy(), rtol=1e-5, atol=1e-6)


def test_collected_predictions_match_batch_predict(full_model):
    model, _, splits = full_model
    predictor = Predictor(model, batch_size=9)
    _, collected = predictor.batch_evaluation(splits.training, collect_predictions=True)
    predicted = predictor.batch_predict(splits.training)
    for name, values in predicted.items():
        for key, array in values.items():
            np.testing.assert_allclose(collected[name][key], array, rtol=1e-6)


def test_batch_evaluation_skips_outputs_without_targets(full_model):
    model, config, splits = full_model
    dataset, _ = preprocess_for_prediction(config, make_frame(12, seed=1), splits.metadata, include_outputs=False)
    metrics, _ = Predictor(model, batch_size=5).batch_evaluation(dataset)
    assert list(metrics) == [COMBINED]
    predicted = Predictor(model, batch_size=5).batch_predict(dataset)
    assert all(len(values[PREDICTIONS]) == 12 for values in predicted.values())


def test_predictor_leaves_the_model_in_eval_mode_without_gradients(full_model):
    model, _, splits = full_model
    model.train()
    predicted = Predictor(model, batch_size=16).batch_predict(splits.training)
    assert not model.training
    assert all(isinstance(a, np.ndarray) for values in predicted.values() for a in values.values())


# ---------------------------------------------------------------------------------------------------------
# Checkpoints


def trained_one_step(model: ECD, config: ModelConfig, dataset: Dataset) -> torch.optim.Optimizer:
    optimizer = create_optimizer(model.parameters(), config.trainer.optimizer, 0.01)
    model.train()
    batch = first_batch(dataset, 16)
    loss, _ = model.train_loss(batch, model(batch))
    loss.backward()
    optimizer.step()
    return optimizer


def test_checkpoint_round_trip_of_weights_and_optimizer_state(tmp_path):
    model, config, splits = build()
    optimizer = trained_one_step(model, config, splits.training)
    checkpoint = Checkpoint(str(tmp_path / "training_checkpoints"))
    assert not checkpoint.exists("latest")
    state = {"optimizer": optimizer.state_dict(), "torch_rng_state": torch.get_rng_state(), "epoch_start_steps": 3}
    checkpoint.save("latest", model, state)
    assert checkpoint.exists("latest")
    assert sorted(os.listdir(tmp_path / "training_checkpoints")) == ["latest.ckpt", "latest.safetensors"]

    torch.manual_seed(123)
    fresh = ECD(config, splits.metadata)
    assert any(not torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values()))
    loaded = checkpoint.load("latest", fresh)
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[name], tensor, rtol=0, atol=0)
    assert loaded["epoch_start_steps"] == 3
    torch.testing.assert_close(loaded["torch_rng_state"], state["torch_rng_state"])

    fresh_optimizer = create_optimizer(fresh.parameters(), config.trainer.optimizer, 0.5)
    fresh_optimizer.load_state_dict(loaded["optimizer"])
    original, restored = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert restored["param_groups"] == original["param_groups"]
    assert restored["state"].keys() == original["state"].keys()
    for index, values in original["state"].items():
        for key, value in values.items():
            torch.testing.assert_close(restored["state"][index][key], value, rtol=0, atol=0)


def test_checkpoint_state_loads_with_weights_only(tmp_path):
    model, config, splits = build(inputs=ALL_INPUTS[:1], outputs=ALL_OUTPUTS[:1])
    optimizer = trained_one_step(model, config, splits.training)
    checkpoint = Checkpoint(str(tmp_path))
    checkpoint.save("best", model, {"optimizer": optimizer.state_dict()})
    _, state_path = checkpoint.paths("best")
    state = torch.load(state_path, weights_only=True)
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.01


def test_weights_round_trip_with_tied_encoders(tmp_path):
    model, config, splits = build(inputs=TIED_NUMBERS, outputs=[{"name": "num_out", "type": "number"}])
    path = str(tmp_path / "model.safetensors")
    save_weights(model, path)
    torch.manual_seed(99)
    fresh = ECD(config, splits.metadata)
    load_weights(fresh, path)
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[name], tensor, rtol=0, atol=0)
    assert_shared_encoders(fresh, "num_in", "num2_in")


def test_load_model_weights_only(tmp_path):
    model, config, splits = build(inputs=ALL_INPUTS[:2], outputs=ALL_OUTPUTS[:2])
    checkpoint = Checkpoint(str(tmp_path))
    checkpoint.save("latest", model, {})
    torch.manual_seed(5)
    fresh = ECD(config, splits.metadata)
    checkpoint.load_model_weights("latest", fresh)
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[name], tensor, rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------------------
# Progress tracker


def test_progress_tracker_round_trip_of_counters(tmp_path):
    tracker = ProgressTracker(batch_size=32, learning_rate=0.001)
    tracker.epoch, tracker.steps, tracker.checkpoint_number = 3, 120, 6
    tracker.best_eval_metric_value = 0.25
    tracker.best_eval_metric_steps, tracker.best_eval_metric_epoch = 80, 2
    tracker.evaluations_since_improvement = 1
    tracker.best_eval_validation_metrics = {"y": {"loss": 0.25}}
    path = str(tmp_path / "training_progress.json")
    tracker.save(path)
    assert ProgressTracker.load(path) == tracker


def test_progress_tracker_round_trip_with_metric_history(tmp_path):
    tracker = ProgressTracker(batch_size=16, learning_rate=0.01)
    for step, value in ((10, 0.9), (20, 0.7), (30, 0.6)):
        tracker.steps = step
        tracker.append_metrics("training", {"y": {"loss": value}, COMBINED: {"loss": value}})
        tracker.append_metrics("validation", {"y": {"loss": value + 0.1}, COMBINED: {"loss": value + 0.1}})
    path = str(tmp_path / "training_progress.json")
    tracker.save(path)
    loaded = ProgressTracker.load(path)
    assert loaded.validation_metrics == tracker.validation_metrics
    assert loaded == tracker


def test_progress_tracker_ignores_unknown_keys():
    tracker = ProgressTracker.from_dict({"batch_size": 8, "learning_rate": 0.1, "steps": 4, "unknown": 1})
    assert (tracker.batch_size, tracker.learning_rate, tracker.steps) == (8, 0.1, 4)


# ---------------------------------------------------------------------------------------------------------
# Learning-rate finder


def test_suggest_learning_rate_picks_the_steepest_descent():
    rates = np.logspace(-8, 0, 100)
    log_rate = np.log10(rates)
    # Flat, a drop centred at 1e-4, a minimum, then divergence past 1e-1.
    losses = 2.0 - 1.5 / (1.0 + np.exp(-3.0 * (log_rate + 4.0))) + 5.0 * np.clip(log_rate + 1.0, 0.0, None) ** 2
    suggested = suggest_learning_rate(rates.tolist(), losses.tolist())
    assert suggested in rates.tolist()
    assert 10**-4.2 <= suggested <= 10**-3.8


def test_suggest_learning_rate_on_a_shifted_curve():
    rates = np.logspace(-8, 0, 60)
    losses = 1.0 / (1.0 + np.exp(4.0 * (np.log10(rates) + 2.0))) + (np.log10(rates) + 0.5).clip(0) * 3
    assert 10**-2.3 <= suggest_learning_rate(list(rates), list(losses)) <= 10**-1.7


def test_suggest_learning_rate_falls_back_on_a_short_test():
    assert suggest_learning_rate([1e-8, 1e-7, 1e-6], [1.0, 0.9, 0.8]) == FALLBACK_LR


def regression_model(rows: int = 64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=rows)
    df = pd.DataFrame({"num_in": x, "num_out": 3.0 * x + 1.0})
    return build(
        inputs=[{"name": "num_in", "type": "number", "encoder": {"type": "dense", "output_size": 8}}],
        outputs=[{"name": "num_out", "type": "number"}],
        df=df,
        preprocessing={"split": {"type": "random", "probabilities": [1.0, 0.0, 0.0]}},
    )


def test_find_learning_rate_returns_a_finite_rate_and_leaves_the_model_unchanged():
    model, config, splits = regression_model()
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    model.eval()
    rate = find_learning_rate(model, splits.training, config.trainer, batch_size=16, device="cpu")
    assert math.isfinite(rate)
    assert MIN_LR <= rate <= MAX_LR
    assert not model.training
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(tensor, before[name], rtol=0, atol=0)
    assert all(p.grad is None for p in model.parameters())


def test_find_learning_rate_is_not_the_rate_where_nothing_is_learned_yet():
    # Full-batch steps: the loss is exactly flat while the rate is too small to move the weights (below ~1e-5
    # for this model) and falls steeply around 1e-2. The suggestion must come from the fall, not from the
    # flat start.
    model, config, splits = regression_model()
    rate = find_learning_rate(model, splits.training, config.trainer, batch_size=len(splits.training), device="cpu")
    assert rate > 1e-5
