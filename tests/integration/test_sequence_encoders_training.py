"""Training through ``LudwigModel`` with each sequence encoder and with the sequence combiners (tiny models)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from ludwig.api import LudwigModel
from ludwig.schema.encoders.sequence_encoders import sequence_encoder_config_registry

COLORS = ["red", "green", "blue"]
FILLERS = [f"w{i}" for i in range(12)]
ENCODERS = ["parallel_cnn", "stacked_cnn", "stacked_parallel_cnn", "rnn", "cnnrnn", "transformer"]
TINY = {
    "embedding_size": 8,
    "num_filters": 8,
    "state_size": 8,
    "hidden_size": 8,
    "num_heads": 2,
    "transformer_output_size": 8,
    "output_size": 8,
    "num_fc_layers": 1,
}


# Fewer convolutions than the defaults (unit-tested), to keep each run a few seconds.
FEW_LAYERS = {
    "parallel_cnn": {"conv_layers": [{"filter_size": 2}, {"filter_size": 3}]},
    "stacked_cnn": {"conv_layers": [{"filter_size": 3, "pool_size": 2}, {"filter_size": 3}]},
    "stacked_parallel_cnn": {"stacked_layers": [[{"filter_size": 2}, {"filter_size": 3}], [{"filter_size": 3}]]},
}


def tiny(encoder: str, **overrides) -> dict:
    keys = sequence_encoder_config_registry[encoder].__dataclass_fields__
    sizes = {k: v for k, v in TINY.items() if k in keys}
    return {"type": encoder, **sizes, **FEW_LAYERS.get(encoder, {}), **overrides}


def make_frame(num_rows: int = 150, seed: int = 0) -> pd.DataFrame:
    """``seq``: filler tokens around the ``color`` token; ``ts``: a short noisy series whose level is the color;
    ``txt``: the same tokens as text."""
    rng = np.random.default_rng(seed)
    colors = rng.choice(COLORS, size=num_rows)
    level = {"red": 1.0, "green": 0.0, "blue": -1.0}
    sequences, series = [], []
    for color in colors:
        tokens = list(rng.choice(FILLERS, size=rng.integers(1, 7)))
        tokens.insert(int(rng.integers(0, len(tokens) + 1)), color)
        sequences.append(" ".join(tokens))
        values = level[color] + rng.normal(scale=0.3, size=rng.integers(3, 7))
        series.append(" ".join(f"{v:.3f}" for v in values))
    return pd.DataFrame({"seq": sequences, "txt": sequences, "ts": series, "color": colors})


def train(config: dict, df: pd.DataFrame, tmp_path) -> LudwigModel:
    model = LudwigModel(config, logging_level=logging.WARNING)
    model.train(dataset=df, output_directory=str(tmp_path), skip_save_processed_input=True)
    return model


def accuracy(model: LudwigModel, df: pd.DataFrame) -> float:
    predictions, _ = model.predict(dataset=df)
    assert len(predictions) == len(df)
    return float((predictions["color_predictions"] == df["color"]).mean())


TRAINER = {"epochs": 6, "batch_size": 32, "learning_rate": 0.02}


@pytest.mark.parametrize("encoder", ENCODERS)
def test_encoder_learns_from_sequence_and_timeseries_inputs(encoder, tmp_path):
    df = make_frame()
    config = {
        "input_features": [
            {"name": "seq", "type": "sequence", "encoder": tiny(encoder)},
            {"name": "ts", "type": "timeseries", "encoder": tiny(encoder)},
        ],
        "output_features": [{"name": "color", "type": "category"}],
        "trainer": TRAINER,
    }
    model = train(config, df, tmp_path)
    score = accuracy(model, df)
    print(f"{encoder}: training accuracy {score:.3f} vs chance {1 / len(COLORS):.3f}")
    assert score > 0.6
    rendered = model.config_obj.input_features[0].encoder.to_dict()
    assert rendered["type"] == encoder and rendered["embedding_size"] == 8


def test_text_transformer_save_load_round_trip(tmp_path):
    df = make_frame(num_rows=90, seed=1)
    config = {
        "input_features": [{"name": "txt", "type": "text", "encoder": tiny("transformer", reduce_output="mean")}],
        "output_features": [{"name": "color", "type": "category"}],
        "trainer": {**TRAINER, "epochs": 3},
    }
    model = train(config, df, tmp_path / "results")
    before, _ = model.predict(dataset=df)
    model.save(str(tmp_path / "model"))
    loaded = LudwigModel.load(str(tmp_path / "model"))
    after, _ = loaded.predict(dataset=df)
    np.testing.assert_allclose(
        np.stack(before["color_probabilities"]), np.stack(after["color_probabilities"]), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    "combiner",
    [
        {"type": "sequence_concat", "reduce_output": "max"},
        {"type": "sequence", "main_sequence_feature": "seq", "encoder": tiny("rnn", cell_type="gru")},
    ],
)
def test_sequence_combiners_learn(combiner, tmp_path):
    df = make_frame()
    config = {
        "input_features": [
            {"name": "seq", "type": "sequence", "encoder": tiny("rnn", reduce_output=None)},
            {"name": "ts", "type": "timeseries", "encoder": tiny("parallel_cnn", reduce_output=None)},
        ],
        "output_features": [{"name": "color", "type": "category"}],
        "combiner": combiner,
        "trainer": TRAINER,
    }
    model = train(config, df, tmp_path)
    score = accuracy(model, df)
    print(f"{combiner['type']} combiner: training accuracy {score:.3f}")
    assert score > 0.6
