"""Sequence and text outputs end to end: generator and tagger decoders through the API and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.api import LudwigModel
from ludwig.error import ConfigValidationError

REPO_ROOT = Path(__file__).resolve().parents[2]
LETTERS = list("abcdef")
SAVE_NOTHING = {
    "skip_save_model": True,
    "skip_save_progress": True,
    "skip_save_log": True,
    "skip_save_processed_input": True,
}


def token_frame(num_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """``src``: 2-4 random letters; ``rev``: the same letters reversed; ``upper``: each letter uppercased."""
    rng = np.random.default_rng(seed)
    sources = [list(rng.choice(LETTERS, size=rng.integers(2, 5))) for _ in range(num_rows)]
    return pd.DataFrame(
        {
            "src": [" ".join(tokens) for tokens in sources],
            "rev": [" ".join(reversed(tokens)) for tokens in sources],
            "upper": [" ".join(t.upper() for t in tokens) for tokens in sources],
        }
    )


def generator_config(output_type: str = "sequence", **decoder) -> dict:
    return {
        "input_features": [
            # concat keeps the token order, which reversing needs
            {
                "name": "src",
                "type": "sequence",
                "encoder": {"type": "embed", "embedding_size": 16, "reduce_output": "concat"},
            }
        ],
        "output_features": [{"name": "rev", "type": output_type, "decoder": {"type": "generator", **decoder}}],
        "combiner": {"type": "concat", "output_size": 128, "num_fc_layers": 1},
        "trainer": {"epochs": 10, "batch_size": 8, "learning_rate": 0.01, "early_stop": -1},
    }


TAGGER_CONFIG = {
    "input_features": [
        {"name": "src", "type": "sequence", "encoder": {"type": "embed", "embedding_size": 16, "reduce_output": None}}
    ],
    "output_features": [{"name": "upper", "type": "sequence", "reduce_input": None, "decoder": {"type": "tagger"}}],
    "trainer": {"epochs": 4, "batch_size": 16, "learning_rate": 0.05},
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return token_frame()


@pytest.fixture(scope="module")
def trained_generator(frame):
    model = LudwigModel(generator_config(), logging_level=40)
    model.train(dataset=frame, **SAVE_NOTHING)
    return model


def test_generator_learns_to_reverse(trained_generator, frame):
    stats, _, _ = trained_generator.evaluate(frame)
    metrics = stats["rev"]
    print("reverse task:", {k: round(v, 3) for k, v in metrics.items()})
    # Chance: ~1/6 of the 2-4 letters, plus the start/stop symbols (2 of ~5 positions), about 0.5; whole rows
    # right by chance: under 1%. A third of the rows are held out of training.
    assert metrics["token_accuracy"] > 0.7
    assert metrics["sequence_accuracy"] > 0.4
    assert metrics["edit_distance"] < 1.0
    assert {"sequence_accuracy", "perplexity", "last_accuracy", "loss"} <= set(metrics)


def test_generator_predictions_are_token_lists_one_row_per_input(trained_generator, frame):
    inputs = frame[["src"]].head(7).copy()
    inputs.loc[3, "src"] = ""  # empty row
    inputs.loc[4, "src"] = "zz yy"  # unseen tokens
    predictions, _ = trained_generator.predict(inputs)
    assert len(predictions) == 7
    assert list(predictions.index) == list(inputs.index)
    assert {"rev_predictions", "rev_probabilities", "rev_probability"} <= set(predictions.columns)
    for tokens, probabilities in zip(predictions["rev_predictions"], predictions["rev_probabilities"]):
        assert isinstance(tokens, list)
        assert all(t not in ("<PAD>", "<SOS>", "<EOS>") for t in tokens)
        assert all(0.0 <= p <= 1.0 for p in probabilities)


def test_generator_save_load_round_trip(trained_generator, frame, tmp_path):
    before, _ = trained_generator.predict(frame.head(20))
    trained_generator.save(str(tmp_path / "saved"))
    loaded = LudwigModel.load(str(tmp_path / "saved"))
    after, _ = loaded.predict(frame.head(20))
    pd.testing.assert_frame_equal(before, after)


def test_beam_search_predicts_from_the_same_weights(trained_generator, frame, tmp_path):
    trained_generator.save(str(tmp_path / "saved"))
    config = json.loads((tmp_path / "saved" / "model_hyperparameters.json").read_text())
    assert config["output_features"][0]["decoder"]["beam_width"] == 1
    beam = LudwigModel.load(str(tmp_path / "saved"))
    beam.model.output_feature("rev").decoder_obj.config.beam_width = 4
    searched, _ = beam.predict(frame.head(30))
    assert len(searched) == 30
    assert all(isinstance(tokens, list) for tokens in searched["rev_predictions"])
    greedy_accuracy = trained_generator.evaluate(frame)[0]["rev"]["token_accuracy"]
    beam_accuracy = beam.evaluate(frame)[0]["rev"]["token_accuracy"]
    print(f"token accuracy: greedy {greedy_accuracy:.3f}, beam of 4 {beam_accuracy:.3f}")
    assert beam_accuracy > greedy_accuracy - 0.1


def test_tagger_learns_to_uppercase(frame):
    model = LudwigModel(TAGGER_CONFIG, logging_level=40)
    model.train(dataset=frame, **SAVE_NOTHING)
    stats, predictions, _ = model.evaluate(frame, collect_predictions=True)
    print("tagger:", {k: round(v, 3) for k, v in stats["upper"].items()})
    assert stats["upper"]["token_accuracy"] > 0.8  # chance is ~1/6 on the letters
    expected = [s.split() for s in frame["upper"]]
    exact = np.mean([p == e for p, e in zip(predictions["upper_predictions"], expected)])
    assert exact > 0.5


def test_tagger_needs_unreduced_sequence_input():
    config = json.loads(json.dumps(TAGGER_CONFIG))
    config["output_features"][0]["reduce_input"] = "sum"
    with pytest.raises(ConfigValidationError, match=r"output_features\[0\]\.reduce_input.*non-reduced"):
        LudwigModel(config)
    config = json.loads(json.dumps(TAGGER_CONFIG))
    config["input_features"][0]["encoder"]["reduce_output"] = "sum"
    with pytest.raises(ConfigValidationError, match=r"output_features\[0\]\.decoder\.type.*non-reduced"):
        LudwigModel(config)


def test_text_output_with_generator(frame):
    model = LudwigModel({**generator_config("text", cell_type="lstm"), "trainer": {"epochs": 2, "batch_size": 16}})
    model.train(dataset=frame, **SAVE_NOTHING)
    stats, _, _ = model.evaluate(frame)
    assert {"token_accuracy", "bleu", "word_error_rate", "char_error_rate", "perplexity"} <= set(stats["rev"])
    predictions, _ = model.predict(frame[["src"]].head(5))
    assert len(predictions) == 5
    assert all(isinstance(text, str) for text in predictions["rev_predictions"])


def test_experiment_through_the_cli(frame, tmp_path):
    csv = tmp_path / "tokens.csv"
    frame.head(60).to_csv(csv, index=False)
    config = {**TAGGER_CONFIG, "trainer": {"epochs": 1, "batch_size": 16}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [
            sys.executable, "-m", "ludwig", "experiment",
            "--config", str(tmp_path / "config.json"),
            "--dataset", str(csv),
            "--output_directory", str(tmp_path / "results"),
        ],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    statistics = list((tmp_path / "results").rglob("test_statistics.json"))
    assert statistics
    assert "token_accuracy" in json.loads(statistics[0].read_text())["upper"]


def test_dependencies_between_sequence_shaped_and_vector_outputs(frame):
    """A tagger fed a category output (repeated at every step) and a category output fed the tagger's steps."""
    data = frame.assign(first=[s.split()[0] for s in frame["src"]], length=[str(len(s.split())) for s in frame["src"]])
    config = json.loads(json.dumps(TAGGER_CONFIG))
    config["output_features"] = [
        {"name": "first", "type": "category", "reduce_input": "sum"},
        {**config["output_features"][0], "dependencies": ["first"]},
        {"name": "length", "type": "category", "reduce_input": "sum", "dependencies": ["upper"]},
    ]
    config["trainer"] = {"epochs": 2, "batch_size": 16, "learning_rate": 0.05}
    model = LudwigModel(config, logging_level=40)
    model.train(dataset=data, **SAVE_NOTHING)
    predictions, _ = model.predict(data[["src"]].head(9))
    assert len(predictions) == 9
    assert {"first_predictions", "upper_predictions", "length_predictions"} <= set(predictions.columns)


def test_targets_reach_the_generator_only_while_training(trained_generator, frame):
    from ludwig.data.dataset import Batcher

    data = trained_generator.preprocess(dataset=frame.head(16)).training_set
    batch = next(iter(Batcher(data, 16).epoch()))
    model = trained_generator.model
    column = model.output_feature("rev").proc_column
    changed = {**batch, column: batch[column].flip(0)}
    try:
        model.train()
        teacher_forced = model(batch)["rev"]["logits"]
        assert not torch.allclose(teacher_forced, model(changed)["rev"]["logits"])
        model.eval()
        with torch.inference_mode():
            assert torch.equal(model(batch)["rev"]["logits"], model(changed)["rev"]["logits"])
    finally:
        model.eval()
