"""Keys Ludwig 0.17 renders into every config are known here; switches only at their inert values."""

from __future__ import annotations

import pytest

from ludwig.error import ConfigValidationError
from ludwig.schema.model_config import ModelConfig


def _config(**encoder_extra):
    return {
        "input_features": [{"name": "x", "type": "number", "encoder": {"type": "dense", **encoder_extra}}],
        "output_features": [{"name": "y", "type": "binary", "decoder": {"calibration": False}}],
    }


def test_derived_and_inert_keys_are_accepted():
    config = _config(input_size=1, skip=False, adapter=None)
    config["input_features"][0]["preprocessing"] = {"computed_fill_value": 0.0}
    config["output_features"][0]["decoder"].update(input_size=32, mc_dropout_samples=0, num_classes=None)
    rendered = ModelConfig.from_dict(config).to_dict()
    assert "skip" not in rendered["input_features"][0]["encoder"]


@pytest.mark.parametrize(("key", "value"), [("skip", True), ("adapter", {"type": "lora"})])
def test_switch_at_an_active_value_is_refused_with_the_allowed_value(key, value):
    with pytest.raises(ConfigValidationError) as raised:
        ModelConfig.from_dict(_config(**{key: value}))
    message = str(raised.value)
    assert f"input_features[0].encoder.{key}" in message and repr(value) in message and "inert value" in message


def test_misspelling_keeps_its_did_you_mean():
    with pytest.raises(ConfigValidationError, match="Did you mean 'output_size'"):
        ModelConfig.from_dict(_config(output_sise=8))


def test_legacy_key_ludwig_ignores_is_accepted_with_one_warning():
    config = _config()
    config["combiner"] = {"type": "concat", "fc_size": 64}
    with pytest.warns(UserWarning, match="'fc_size' .*output_size") as caught:
        rendered = ModelConfig.from_dict(config).to_dict()
    assert len([w for w in caught if "fc_size" in str(w.message)]) == 1
    assert "fc_size" not in rendered["combiner"]
