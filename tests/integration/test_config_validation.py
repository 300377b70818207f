"""Config validation through ``LudwigModel``: every problem is a ``ConfigValidationError`` naming its path and value.

Old config formats are upgraded and train.
"""

from __future__ import annotations

import copy
import logging
import warnings
from typing import Any

import pytest

from ludwig.api import LudwigModel
from ludwig.error import ConfigValidationError

BASE = {
    "input_features": [{"name": "num_in", "type": "number"}, {"name": "cat_in", "type": "category"}],
    "output_features": [{"name": "bin_out", "type": "binary"}],
}


def config_with(**changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(BASE)
    config.update(copy.deepcopy(changes))
    return config


def validation_errors(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigValidationError) as info:
        LudwigModel(config)
    errors = info.value.errors
    assert errors, "ConfigValidationError without errors"
    for error in errors:
        assert error in str(info.value)
    return errors


def single_error(config: dict[str, Any]) -> str:
    errors = validation_errors(config)
    assert len(errors) == 1, errors
    return errors[0]


def test_unknown_encoder_type_suggests_the_closest():
    config = copy.deepcopy(BASE)
    config["input_features"][0]["encoder"] = {"type": "densse"}
    error = single_error(config)
    assert error.startswith("input_features[0].encoder.type:")
    assert "'densse'" in error
    assert "Did you mean 'dense'?" in error
    assert "passthrough" in error  # the allowed values are listed


def test_out_of_range_dropout():
    config = copy.deepcopy(BASE)
    config["input_features"][1]["encoder"] = {"type": "dense", "dropout": 1.5}
    error = single_error(config)
    assert error.startswith("input_features[1].encoder.dropout:")
    assert "1.5" in error
    assert "[0.0, 1.0]" in error or "between 0" in error


def test_epochs_of_wrong_type():
    error = single_error(config_with(trainer={"epochs": "ten"}))
    assert error.startswith("trainer.epochs:")
    assert "'ten'" in error
    assert "integer" in error


def test_duplicate_feature_names():
    config = copy.deepcopy(BASE)
    config["input_features"].append({"name": "num_in", "type": "binary"})
    error = single_error(config)
    assert error.startswith("input_features[2].name:")
    assert "'num_in'" in error
    assert "duplicate" in error


def test_input_and_output_feature_names_must_differ():
    config = copy.deepcopy(BASE)
    config["output_features"].append({"name": "num_in", "type": "number"})
    error = single_error(config)
    assert error.startswith("output_features[1].name:")
    assert "'num_in'" in error


@pytest.mark.parametrize("section", ["input_features", "output_features"])
def test_missing_feature_section(section):
    config = copy.deepcopy(BASE)
    del config[section]
    error = single_error(config)
    assert error.startswith(f"{section}:")
    assert "missing" in error


@pytest.mark.parametrize("section", ["input_features", "output_features"])
def test_empty_feature_section(section):
    error = single_error(config_with(**{section: []}))
    assert error.startswith(f"{section}:")


@pytest.mark.parametrize("feature_type", ["bag", "not_a_type"])
def test_feature_type_not_allowed_as_output(feature_type):
    config = config_with(output_features=[{"name": "target", "type": feature_type}])
    error = single_error(config)
    assert error.startswith("output_features[0].type:")
    assert f"'{feature_type}'" in error
    for allowed in ("binary", "category", "number", "vector"):
        assert allowed in error


def test_unknown_top_level_key():
    error = single_error(config_with(trainning={"epochs": 1}))
    assert error.startswith("trainning:")
    assert "'trainning'" in error
    assert "trainer" in error


def test_unknown_trainer_key_with_suggestion():
    error = single_error(config_with(trainer={"epoch": 3}))
    assert error.startswith("trainer.epoch:")
    assert "'epoch'" in error
    assert "Did you mean 'epochs'?" in error


def test_unknown_feature_key():
    # Unknown feature-level keys are taken for old-style flat encoder parameters (as Ludwig's upgrade does), so the
    # error may name them under `encoder`; it must still point at the feature and name the key.
    config = copy.deepcopy(BASE)
    config["input_features"][0]["encoderr"] = {"type": "dense"}
    error = single_error(config)
    assert error.startswith("input_features[0].")
    assert "'encoderr'" in error


def test_misspelt_encoder_parameter_suggests_the_closest():
    config = copy.deepcopy(BASE)
    config["input_features"][0]["encoder"] = {"type": "dense", "output_sise": 3}
    error = single_error(config)
    assert error.startswith("input_features[0].encoder.output_sise:")
    assert "Did you mean 'output_size'?" in error


def test_validation_metric_not_valid_for_the_output():
    error = single_error(config_with(trainer={"validation_metric": "r2"}))
    assert error.startswith("trainer.validation_metric:")
    assert "'r2'" in error
    assert "binary" in error
    assert "accuracy" in error  # what is allowed


def test_validation_field_not_an_output():
    error = single_error(config_with(trainer={"validation_field": "bin_ot"}))
    assert error.startswith("trainer.validation_field:")
    assert "'bin_ot'" in error
    assert "Did you mean 'bin_out'?" in error


def test_sample_ratio_and_sample_size_together():
    error = single_error(config_with(preprocessing={"sample_ratio": 0.5, "sample_size": 100}))
    assert error.startswith("preprocessing")
    assert "sample_ratio" in error and "sample_size" in error


@pytest.mark.parametrize(
    "probabilities,shown",
    [([0.5, 0.6, 0.1], "[0.5, 0.6, 0.1]"), ([0.5, 0.5], "[0.5, 0.5]"), ([0.8, -0.1, 0.3], "-0.1")],
)
def test_bad_split_probabilities(probabilities, shown):
    config = config_with(preprocessing={"split": {"type": "random", "probabilities": probabilities}})
    error = single_error(config)
    assert error.startswith("preprocessing.split.probabilities:")
    assert shown in error


def test_unknown_split_type():
    error = single_error(config_with(preprocessing={"split": {"type": "randon"}}))
    assert error.startswith("preprocessing.split.type:")
    assert "Did you mean 'random'?" in error


def test_unknown_optimizer_type():
    error = single_error(config_with(trainer={"optimizer": {"type": "adamm"}}))
    assert error.startswith("trainer.optimizer.type:")
    assert "'adamm'" in error
    assert "adam" in error


def test_learning_rate_out_of_range():
    error = single_error(config_with(trainer={"learning_rate": 5}))
    assert error.startswith("trainer.learning_rate:")
    assert "5" in error


def test_several_errors_reported_at_once():
    config = copy.deepcopy(BASE)
    config["input_features"][0]["encoder"] = {"type": "densse"}
    config["input_features"][1]["encoder"] = {"type": "dense", "dropout": 2.0}
    config["trainer"] = {"epochs": "ten", "learning_rate": 5, "epoch": 3}
    errors = validation_errors(config)
    assert len(errors) >= 3, errors
    paths = {error.split(":")[0] for error in errors}
    assert {"input_features[0].encoder.type", "trainer.epochs", "trainer.epoch"} <= paths, errors
    assert "input_features[1].encoder.dropout" in paths, errors
    assert "trainer.learning_rate" in paths, errors


def test_valid_config_renders_defaults():
    model = LudwigModel(copy.deepcopy(BASE))
    config = model.config
    assert config["trainer"]["epochs"] == 100
    assert config["trainer"]["optimizer"]["type"] == "adam"
    assert config["trainer"]["validation_field"] == "bin_out"
    assert config["combiner"]["type"] == "concat"
    assert config["input_features"][0]["encoder"]["type"] in ("passthrough", "dense")
    assert config["preprocessing"]["split"]["probabilities"] == [0.7, 0.1, 0.2]


# -------------------------------------------------------------------------------------------------------------
# Old formats


OLD_CONFIG = {
    "input_features": [
        {"name": "num_in", "type": "numerical", "encoder": "dense", "num_layers": 1, "output_size": 8},
        {"name": "cat_in", "type": "category", "encoder": "dense", "embedding_size": 4},
        {"name": "vec_in", "type": "vector"},
    ],
    "output_features": [
        {"name": "num_out", "type": "numerical"},
        {"name": "bin_out", "type": "binary"},
    ],
    "training": {"epochs": 2, "batch_size": 32, "learning_rate": 0.01},
}


def test_old_format_config_is_upgraded_and_trains(tmp_path, synthetic_df):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LudwigModel(copy.deepcopy(OLD_CONFIG), logging_level=logging.ERROR)
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert any("training" in m and "trainer" in m for m in messages), messages
    assert any("numerical" in m for m in messages), messages

    config = model.config
    assert "training" not in config
    assert config["trainer"]["epochs"] == 2
    assert config["trainer"]["batch_size"] == 32
    assert config["input_features"][0]["type"] == "number"
    assert config["output_features"][0]["type"] == "number"
    assert config["input_features"][0]["encoder"]["type"] == "dense"
    assert config["input_features"][0]["encoder"]["num_layers"] == 1
    assert config["input_features"][0]["encoder"]["output_size"] == 8
    assert "num_layers" not in config["input_features"][0]
    assert config["input_features"][1]["encoder"] == {**config["input_features"][1]["encoder"], "embedding_size": 4}

    train_stats, _, run_dir = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    assert len(train_stats.validation["combined"]["loss"]) == 2
    embedding = [t for n, t in model.collect_weights() if n.startswith("input_features.cat_in")]
    assert any(4 in t.shape for t in embedding), [tuple(t.shape) for t in embedding]
    predictions, _ = model.predict(dataset=synthetic_df)
    assert {"num_out_predictions", "bin_out_predictions"} <= set(predictions.columns)

    # The saved config is in the current format and loads without upgrades.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        loaded = LudwigModel.load(f"{run_dir}/model")
    assert loaded.config["trainer"]["epochs"] == 2


def test_old_split_keys_are_upgraded(tmp_path, synthetic_df):
    config = copy.deepcopy(BASE)
    config["preprocessing"] = {"split_probabilities": [0.6, 0.2, 0.2]}
    config["training"] = {"epochs": 1, "batch_size": 32}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = LudwigModel(config)
    assert model.config["preprocessing"]["split"]["probabilities"] == [0.6, 0.2, 0.2]
    _, preprocessed, _ = model.train(dataset=synthetic_df, output_directory=str(tmp_path))
    assert [len(s) for s in preprocessed[:3]] == [180, 60, 60]
