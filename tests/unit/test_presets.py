"""Quality presets: applied underneath the config before the upgrade, the user's values winning."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from ludwig.api import LudwigModel
from ludwig.error import ConfigValidationError
from ludwig.presets import PRESET_NAMES, QUALITY_PRESETS
from ludwig.schema.model_config import ModelConfig

INPUTS = [{"name": n, "type": "number"} for n in ("a", "b", "c")]
OUTPUTS = [{"name": "y", "type": "binary"}]


def render(**sections) -> ModelConfig:
    return ModelConfig.from_dict({"input_features": INPUTS, "output_features": OUTPUTS, **sections})


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_preset_renders_its_combiner_and_trainer(preset):
    config = render(preset=preset)
    expected = QUALITY_PRESETS[preset]
    assert config.preset == preset
    for key, value in expected["combiner"].items():
        assert getattr(config.combiner, key) == value
    for key in ("epochs", "early_stop", "batch_size"):
        assert getattr(config.trainer, key) == expected["trainer"][key]


def test_tabular_realmlp_sets_number_defaults_and_adamw():
    config = render(preset="tabular_realmlp")
    assert config.input_features[0].preprocessing.normalization == "iq"
    assert config.trainer.optimizer.type == "adamw"
    assert config.trainer.optimizer.weight_decay == 0.01
    assert config.trainer.learning_rate_scheduler.decay == "cosine"


def test_values_in_the_config_win_over_the_preset():
    config = render(preset="best_quality", trainer={"epochs": 2}, combiner={"num_layers": 1})
    assert config.trainer.epochs == 2
    assert config.trainer.batch_size == 64  # still the preset's
    assert (config.combiner.type, config.combiner.num_layers) == ("ft_transformer", 1)


def test_another_combiner_type_replaces_the_presets_combiner():
    # medium_quality's concat keys (num_fc_layers, output_size) are not tabnet keys; they are dropped, not merged.
    config = render(preset="medium_quality", combiner={"type": "tabnet", "size": 16})
    assert (config.combiner.type, config.combiner.size) == ("tabnet", 16)
    assert config.trainer.epochs == 50


def test_an_unknown_preset_is_a_config_error_with_a_suggestion():
    with pytest.raises(ConfigValidationError) as error:
        render(preset="high_qualty")
    assert "preset: value 'high_qualty' is not allowed" in str(error.value)
    assert "Did you mean 'high_quality'?" in str(error.value)


def test_a_preset_config_trains_and_saves_the_rendered_preset(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    df["y"] = df.a + df.b > 0
    config = {
        "input_features": INPUTS,
        "output_features": OUTPUTS,
        "preset": "best_quality",
        "combiner": {"num_layers": 1, "hidden_size": 32, "num_heads": 4, "transformer_output_size": 32},
        "trainer": {"epochs": 2, "batch_size": 32},
    }
    model = LudwigModel(config, logging_level=logging.ERROR)
    model.train(dataset=df, output_directory=str(tmp_path))
    assert model.config["preset"] == "best_quality"
    assert model.config["trainer"]["model_soup"] == "uniform"
    assert model.config["trainer"]["loss_balancing"] == "uncertainty"
    predictions, _ = model.predict(dataset=df)
    assert len(predictions) == len(df)
