"""Sequence and text inputs end to end: train, predict, evaluate, save/load, the CLI and the HDF5 cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ludwig.api import LudwigModel
from ludwig.constants import PADDING_SYMBOL, START_SYMBOL, STOP_SYMBOL, UNKNOWN_SYMBOL

REPO_ROOT = Path(__file__).resolve().parents[2]
FILLERS = [f"w{i}" for i in range(25)]
COLORS = ["red", "green", "blue"]


def make_frame(num_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """``seq``: filler tokens around one color token (the ``color`` label); ``txt``: a sentence whose
    (mixed-case, punctuated) verdict word gives the binary ``good`` label."""
    rng = np.random.default_rng(seed)
    colors = rng.choice(COLORS, size=num_rows)
    good = rng.random(num_rows) < 0.5
    sequences, texts = [], []
    for color, is_good in zip(colors, good):
        tokens = list(rng.choice(FILLERS, size=rng.integers(2, 9)))
        tokens.insert(int(rng.integers(0, len(tokens) + 1)), color)
        sequences.append(" ".join(tokens))
        verdict = rng.choice(["Great", "GOOD", "fine"] if is_good else ["Awful", "BAD", "poor"])
        filler = " ".join(rng.choice(FILLERS, size=rng.integers(1, 6)))
        texts.append(f"{filler}, it was {verdict}!")
    return pd.DataFrame({"seq": sequences, "txt": texts, "color": colors, "good": good})


def sequence_config(**trainer) -> dict:
    return {
        "input_features": [
            {"name": "seq", "type": "sequence", "encoder": {"type": "embed", "embedding_size": 16}},
        ],
        "output_features": [{"name": "color", "type": "category"}],
        "trainer": {"epochs": 8, "batch_size": 32, "learning_rate": 0.02, **trainer},
    }


def text_config(**trainer) -> dict:
    return {
        "input_features": [
            {"name": "txt", "type": "text", "encoder": {"type": "embed", "embedding_size": 16}},
        ],
        "output_features": [{"name": "good", "type": "binary"}],
        "trainer": {"epochs": 8, "batch_size": 32, "learning_rate": 0.02, **trainer},
    }


def test_sequence_input_learns_a_token_dependent_category(tmp_path):
    df = make_frame()
    model = LudwigModel(sequence_config())
    eval_stats, _, _, _ = model.experiment(dataset=df, output_directory=str(tmp_path))
    accuracy = eval_stats["color"]["accuracy"]
    print(f"sequence input: accuracy {accuracy:.3f} vs chance {1 / len(COLORS):.3f}")
    assert accuracy > 0.8

    metadata = model.training_set_metadata["seq"]
    assert metadata["idx2str"][:4] == [STOP_SYMBOL, START_SYMBOL, PADDING_SYMBOL, UNKNOWN_SYMBOL]
    assert metadata["max_sequence_length"] == 11  # longest row: 9 tokens + start + stop
    json.dumps(model.training_set_metadata)

    stats, _, _ = model.evaluate(dataset=df)
    assert stats["color"]["accuracy"] > 0.8
    predictions, _ = model.predict(dataset=df)
    assert len(predictions) == len(df)
    assert (predictions["color_predictions"] == df["color"]).mean() > 0.8


def test_text_input_save_load_round_trip_and_bad_input(tmp_path):
    df = make_frame(seed=1)
    model = LudwigModel(text_config())
    eval_stats, _, _, _ = model.experiment(dataset=df, output_directory=str(tmp_path / "results"))
    accuracy = eval_stats["good"]["accuracy"]
    majority = max(df["good"].mean(), 1 - df["good"].mean())
    print(f"text input: accuracy {accuracy:.3f} vs majority class {majority:.3f}")
    assert accuracy > majority + 0.2

    metadata = model.training_set_metadata["txt"]
    assert "great" in metadata["str2idx"] and "Great" not in metadata["str2idx"]  # lowercase by default
    assert "!" in metadata["str2idx"]  # space_punct splits punctuation off
    assert metadata["max_sequence_length_99ptile"] <= metadata["max_sequence_length"]

    bad = pd.DataFrame(
        {
            "txt": ["", None, "zzz qqq never seen", " ".join(["w1"] * 500) + " great", "it was BAD!"],
            "good": [True, False, True, True, False],
        }
    )
    before, _ = model.predict(dataset=bad)
    assert len(before) == len(bad)
    assert before["good_predictions"].tolist()[-1] == False  # noqa: E712 (a numpy bool)

    model.save(str(tmp_path / "model"))
    loaded = LudwigModel.load(str(tmp_path / "model"))
    after, _ = loaded.predict(dataset=bad)
    pd.testing.assert_frame_equal(before, after)
    full_before, _ = model.predict(dataset=df)
    full_after, _ = loaded.predict(dataset=df)
    np.testing.assert_allclose(full_before["good_probability"], full_after["good_probability"], rtol=1e-6)
    with open(tmp_path / "model" / "training_set_metadata.json") as f:
        assert json.load(f)["txt"]["idx2str"] == metadata["idx2str"]


def test_sequence_and_text_inputs_together_through_the_hdf5_cache(tmp_path):
    csv = tmp_path / "data.csv"
    df = make_frame(seed=2)
    df.loc[:4, "seq"] = None  # missing values become one unknown token
    df.loc[5:9, "txt"] = ""
    df.to_csv(csv, index=False)
    config = {
        "input_features": [
            {"name": "seq", "type": "sequence", "encoder": {"type": "embed", "embedding_size": 8}},
            {"name": "txt", "type": "text", "encoder": {"type": "passthrough", "reduce_output": "mean"}},
        ],
        "output_features": [{"name": "color", "type": "category"}],
        "trainer": {"epochs": 1, "batch_size": 64},
    }
    _, first, _ = LudwigModel(config).train(dataset=str(csv), output_directory=str(tmp_path / "a"))
    assert (tmp_path / "data.training.hdf5").exists() and (tmp_path / "data.meta.json").exists()
    proc_columns = [c for c in first.training_set.columns if c.startswith(("seq_", "txt_"))]
    assert len(proc_columns) == 2
    for name in proc_columns:
        assert first.training_set.columns[name].dtype == np.int32
    seq_column = next(c for c in proc_columns if c.startswith("seq_"))
    every_row = np.concatenate(
        [s.columns[seq_column] for s in (first.training_set, first.validation_set, first.test_set)]
    )
    assert (every_row[:, :3] == [1, 3, 0]).all(axis=1).sum() >= 5  # <SOS> <UNK> <EOS>
    mtime = (tmp_path / "data.training.hdf5").stat().st_mtime_ns
    _, second, _ = LudwigModel(config).train(dataset=str(csv), output_directory=str(tmp_path / "b"))
    assert (tmp_path / "data.training.hdf5").stat().st_mtime_ns == mtime, "the cache was rewritten"
    for name in proc_columns:
        np.testing.assert_array_equal(second.training_set.columns[name], first.training_set.columns[name])
        assert second.training_set.columns[name].dtype == np.int32


def test_cli_experiment_with_a_text_input(tmp_path):
    csv = tmp_path / "data.csv"
    make_frame(num_rows=120, seed=3).to_csv(csv, index=False)
    config = text_config(epochs=2)
    config["input_features"][0]["preprocessing"] = {"tokenizer": "english_tokenize", "max_sequence_length": 8}
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ludwig",
            "experiment",
            "--config",
            str(config_path),
            "--dataset",
            str(csv),
            "--output_directory",
            str(tmp_path / "results"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = next((tmp_path / "results").iterdir())
    with open(run_dir / "model" / "training_set_metadata.json") as f:
        metadata = json.load(f)["txt"]
    assert metadata["max_sequence_length"] == 8
    with open(run_dir / "test_statistics.json") as f:
        assert "accuracy" in json.load(f)["good"]


def test_missing_vocab_file_names_the_column(tmp_path):
    config = sequence_config(epochs=1)
    config["input_features"][0]["preprocessing"] = {"vocab_file": str(tmp_path / "missing.txt")}
    with pytest.raises(ValueError, match=r'Column "seq".*vocab_file'):
        LudwigModel(config).train(dataset=make_frame(60), output_directory=str(tmp_path))
