"""Set, bag, date and h3 features through whole runs: API train/predict/evaluate, save/load, the CLI, and the
shared ``movies`` (genres as a set output) and ``seattle_weather`` (date input) datasets."""

from __future__ import annotations

import copy
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from ludwig.api import LudwigModel

from .conftest import SHARED_DATASETS

TAGS = np.array(["red", "green", "blue", "cyan", "pink", "gray"])
WORDS = np.array(["alpha", "beta", "gamma", "delta"])
REPO_ROOT = Path(__file__).resolve().parents[2]


def h3_cells(resolution: np.ndarray, base_cell: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Valid H3 cell indices (mode 1) assembled from their fields; digits past the resolution are 7."""
    index = (np.int64(1) << 59) | (resolution.astype(np.int64) << 52) | (base_cell.astype(np.int64) << 45)
    for position in range(15):
        digit = np.where(position < resolution, digits[:, position], 7).astype(np.int64)
        index |= digit << (3 * (14 - position))
    return index


def make_frame(num_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """One column of each type, each with a target that depends on it alone.

    * ``tags`` (set) -> ``tags_score`` (number): 2 * red + blue - green.
    * ``words`` (bag) -> ``words_score`` (number): count of alpha minus count of beta.
    * ``when`` (date) -> ``summer`` (binary): month in April..September.
    * ``cell`` (h3) -> ``north`` (binary): base cell below 61.
    * ``num`` (number) and ``cat`` (category) -> ``labels`` (set): "pos" when num > 0, "big" when |num| > 1,
      "vowel" when cat is a or e.
    """
    rng = np.random.default_rng(seed)
    has = rng.random((num_rows, len(TAGS))) < 0.4
    counts = rng.integers(0, 3, (num_rows, len(WORDS)))
    dates = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, num_rows), unit="D")
    dates = dates + pd.to_timedelta(rng.integers(0, 86400, num_rows), unit="s")
    base = rng.integers(0, 122, num_rows)
    cells = h3_cells(rng.integers(1, 8, num_rows), base, rng.integers(0, 7, (num_rows, 15)))
    num = rng.normal(size=num_rows)
    cat = rng.choice(["a", "b", "c", "d", "e"], size=num_rows)
    labels = [
        " ".join(name for name, on in (("pos", n > 0), ("big", abs(n) > 1), ("vowel", c in "ae")) if on)
        for n, c in zip(num, cat, strict=True)
    ]
    return pd.DataFrame(
        {
            "tags": [" ".join(TAGS[row]) for row in has],
            "tags_score": 2.0 * has[:, 0] + has[:, 2] - has[:, 1],
            "words": [" ".join(np.repeat(WORDS, row)) for row in counts],
            "words_score": (counts[:, 0] - counts[:, 1]).astype(float),
            "when": dates.strftime("%Y-%m-%d %H:%M:%S"),
            "summer": (dates.month >= 4) & (dates.month <= 9),
            "cell": cells,
            "north": base < 61,
            "num": num,
            "cat": cat,
            "labels": labels,
        }
    )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


TRAINER = {"batch_size": 32, "learning_rate": 0.02}


def train_model(config: dict[str, Any], df: pd.DataFrame, tmp_path: Path) -> LudwigModel:
    model = LudwigModel(config, logging_level=logging.WARNING)
    model.train(dataset=df, output_directory=str(tmp_path / "results"), skip_save_processed_input=True)
    return model


INPUT_CASES = {
    # id: (input feature, output feature, metric, lower bound)
    "set": ({"name": "tags", "type": "set"}, {"name": "tags_score", "type": "number"}, "r2", 0.8),
    "bag": ({"name": "words", "type": "bag"}, {"name": "words_score", "type": "number"}, "r2", 0.8),
    "date_embed": ({"name": "when", "type": "date"}, {"name": "summer", "type": "binary"}, "accuracy", 0.8),
    "date_wave": (
        {"name": "when", "type": "date", "encoder": {"type": "wave", "num_fc_layers": 1}},
        {"name": "summer", "type": "binary"},
        "accuracy",
        0.8,
    ),
    "h3_embed": ({"name": "cell", "type": "h3"}, {"name": "north", "type": "binary"}, "accuracy", 0.75),
    "h3_weighted_sum": (
        {"name": "cell", "type": "h3", "encoder": {"type": "weighted_sum", "num_fc_layers": 1}},
        {"name": "north", "type": "binary"},
        "accuracy",
        0.75,
    ),
    "h3_rnn": (
        {"name": "cell", "type": "h3", "encoder": {"type": "rnn", "cell_type": "gru", "hidden_size": 16}},
        {"name": "north", "type": "binary"},
        "accuracy",
        0.75,
    ),
}


@pytest.mark.parametrize("case", list(INPUT_CASES))
def test_each_type_as_input_learns_its_target(tmp_path, frame, case):
    input_feature, output_feature, metric, lower_bound = copy.deepcopy(INPUT_CASES[case])
    config = {
        "input_features": [input_feature],
        "output_features": [output_feature],
        "trainer": {**TRAINER, "epochs": 8},
    }
    model = train_model(config, frame, tmp_path)
    predictions, _ = model.predict(dataset=frame)
    assert len(predictions) == len(frame)
    eval_stats, _, _ = model.evaluate(dataset=frame)
    value = eval_stats[output_feature["name"]][metric]
    print(f"{case}: {metric} = {value:.3f} (bound {lower_bound})")
    assert value > lower_bound, eval_stats[output_feature["name"]]


def jaccard(predicted: list[set], actual: list[set]) -> float:
    scores = [len(p & a) / len(p | a) if p | a else 1.0 for p, a in zip(predicted, actual, strict=True)]
    return float(np.mean(scores))


def majority_set_baseline(train: pd.Series, test: pd.Series) -> float:
    """Jaccard of predicting, for every row, the elements present in at least half of the training rows."""
    sets = train.str.split().map(set)
    frequent = {e for e, c in sets.explode().dropna().value_counts().items() if c >= len(sets) / 2}
    return jaccard([frequent] * len(test), list(test.str.split().map(set)))


@pytest.fixture(scope="module")
def set_output_run(tmp_path_factory, frame):
    """A model predicting the ``labels`` set from ``num`` and ``cat``, trained with ``experiment``."""
    tmp_path = tmp_path_factory.mktemp("set_output")
    config = {
        "input_features": [{"name": "num", "type": "number"}, {"name": "cat", "type": "category"}],
        "output_features": [{"name": "labels", "type": "set"}],
        "combiner": {"type": "concat", "num_fc_layers": 1, "output_size": 32},
        "trainer": {**TRAINER, "epochs": 25},
    }
    model = LudwigModel(config, logging_level=logging.WARNING)
    eval_stats, train_stats, _, run_dir = model.experiment(dataset=frame, output_directory=str(tmp_path))
    return model, eval_stats, train_stats, run_dir


def test_set_output_jaccard_beats_majority_baseline(set_output_run, frame):
    model, eval_stats, train_stats, run_dir = set_output_run
    stats = eval_stats["labels"]
    assert {"jaccard", "sigmoid_cross_entropy", "loss"} <= set(stats)
    baseline = majority_set_baseline(frame["labels"], frame["labels"])
    print(f"set output: jaccard {stats['jaccard']:.3f}, majority-set baseline {baseline:.3f}")
    assert stats["jaccard"] > baseline + 0.25
    assert "jaccard" in train_stats.validation["labels"]
    with open(os.path.join(run_dir, "test_statistics.json")) as f:
        assert json.load(f)["labels"]["jaccard"] == pytest.approx(stats["jaccard"])


def test_set_output_predictions_and_round_trip(set_output_run, frame, tmp_path):
    model, _, _, run_dir = set_output_run
    predictions, _ = model.predict(dataset=frame)
    assert len(predictions) == len(frame)
    assert {"labels_predictions", "labels_probabilities"} <= set(predictions.columns)
    vocabulary = set(model.training_set_metadata["labels"]["idx2str"])
    for labels, probabilities in zip(
        predictions["labels_predictions"], predictions["labels_probabilities"], strict=True
    ):
        assert set(labels) <= vocabulary and len(labels) == len(probabilities)
        assert all(p >= 0.5 for p in probabilities)
    predicted_sets = [set(v) for v in predictions["labels_predictions"]]
    assert jaccard(predicted_sets, list(frame["labels"].str.split().map(set))) > 0.7

    # Missing and unseen values still give one row per input row.
    odd = frame.head(4).copy()
    odd.loc[0, "cat"] = None
    odd.loc[1, "cat"] = "never seen"
    assert len(model.predict(dataset=odd)[0]) == 4

    model.save(str(tmp_path / "saved"))
    loaded = LudwigModel.load(str(tmp_path / "saved"))
    reloaded, _ = loaded.predict(dataset=frame)
    assert list(reloaded["labels_predictions"]) == list(predictions["labels_predictions"])


def test_all_four_types_together_save_load_predict(tmp_path, frame):
    config = {
        "input_features": [
            {"name": "tags", "type": "set"},
            {"name": "words", "type": "bag"},
            {"name": "when", "type": "date"},
            {"name": "cell", "type": "h3", "encoder": {"type": "rnn"}},
        ],
        "output_features": [{"name": "tags_score", "type": "number"}, {"name": "north", "type": "binary"}],
        "trainer": {**TRAINER, "epochs": 2},
    }
    model = train_model(config, frame, tmp_path)
    predictions, _ = model.predict(dataset=frame)
    model.save(str(tmp_path / "saved"))
    loaded = LudwigModel.load(str(tmp_path / "saved"))
    reloaded, _ = loaded.predict(dataset=frame)
    np.testing.assert_allclose(
        reloaded["tags_score_predictions"].to_numpy(float), predictions["tags_score_predictions"].to_numpy(float)
    )
    # Rows with missing values in every new type: filled (set <UNK>, bag <UNK>, empty date, default h3 cell).
    missing = frame.head(3).astype(object)
    missing.loc[0, ["tags", "words", "when", "cell"]] = None
    missing.loc[1, "tags"] = "never-seen-tag"
    assert len(loaded.predict(dataset=missing)[0]) == 3


def test_bad_date_and_h3_values_name_column_and_row(tmp_path, frame):
    config = {
        "input_features": [{"name": "when", "type": "date"}],
        "output_features": [{"name": "summer", "type": "binary"}],
        "trainer": {**TRAINER, "epochs": 1},
    }
    bad = frame.copy()
    bad.loc[7, "when"] = "the day after tomorrow"
    with pytest.raises(Exception, match=r'"when".*row 7.*the day after tomorrow'):
        train_model(config, bad, tmp_path)
    config["input_features"] = [{"name": "cell", "type": "h3"}]
    bad = frame.copy()
    bad.loc[3, "cell"] = 12345
    with pytest.raises(Exception, match=r'"cell".*row 3.*not a valid H3 index'):
        train_model(config, bad, tmp_path)


def test_cli_experiment_with_set_output_and_date_input(tmp_path, frame):
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    config = {
        "input_features": [{"name": "when", "type": "date"}, {"name": "tags", "type": "set"}],
        "output_features": [{"name": "labels", "type": "set"}],
        "trainer": {**TRAINER, "epochs": 1},
    }
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ludwig",
            "experiment",
            "--config",
            str(config_path),
            "--dataset",
            str(data),
            "--output_directory",
            str(tmp_path / "results"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dirs = list((tmp_path / "results").iterdir())
    assert len(run_dirs) == 1
    with open(run_dirs[0] / "test_statistics.json") as f:
        assert "jaccard" in json.load(f)["labels"]
    assert (run_dirs[0] / "labels_predictions.csv").is_file()
    with open(run_dirs[0] / "model" / "training_set_metadata.json") as f:
        metadata = json.load(f)
    assert metadata["labels"]["idx2str"][min(3, metadata["labels"]["vocab_size"] - 1)] == "<UNK>"


# ---------------------------------------------------------------------------------------------------------
# Shared datasets


def shared(name: str) -> Path:
    folder = SHARED_DATASETS / name
    if not folder.is_dir():
        pytest.skip(f"shared dataset {name} not found at {folder}")
    return folder


def test_movies_genres_as_set_output(tmp_path):
    folder = shared("movies")
    df = pd.read_csv(folder / "movies.csv").sample(n=2000, random_state=0).reset_index(drop=True)
    with open(folder / "config.yaml") as f:
        config = yaml.safe_load(f)
    # Text inputs are left out (another feature type); genres is the set output of the shipped config.
    config["input_features"] = [f for f in config["input_features"] if f["type"] != "text"]
    config["output_features"] = [f for f in config["output_features"] if f["name"] == "genres"]
    config["trainer"] = {**config.get("trainer", {}), "epochs": 2, "batch_size": 64, "learning_rate": 0.01}
    model = LudwigModel(config, logging_level=logging.WARNING)
    eval_stats, _, _, _ = model.experiment(dataset=df, output_directory=str(tmp_path / "results"))
    score = eval_stats["genres"]["jaccard"]
    baseline = majority_set_baseline(df["genres"], df["genres"])
    print(f"movies genres: jaccard {score:.3f}, majority-set baseline {baseline:.3f}")
    assert 0.3 < score <= 1.0  # well above the empty prediction (0), near the majority set
    predictions, _ = model.predict(dataset=df.head(50))
    assert len(predictions) == 50
    genres = set(model.training_set_metadata["genres"]["idx2str"])
    assert all(set(v) <= genres for v in predictions["genres_predictions"])


def test_seattle_weather_with_date_input(tmp_path):
    folder = shared("seattle_weather")
    df = pd.read_csv(folder / "seattle_weather.csv")
    with open(folder / "config.yaml") as f:
        config = yaml.safe_load(f)
    assert any(f["type"] == "date" for f in config["input_features"])
    # The shipped config has no combiner section: Ludwig 0.17's ft_transformer, at its default learning rate.
    config["trainer"] = {**config.get("trainer", {}), "epochs": 4, "batch_size": 64}
    model = LudwigModel(config, logging_level=logging.WARNING)
    eval_stats, _, _, _ = model.experiment(dataset=df, output_directory=str(tmp_path / "results"))
    accuracy = eval_stats["weather"]["accuracy"]
    majority = df["weather"].value_counts(normalize=True).iloc[0]
    print(f"seattle_weather: accuracy {accuracy:.3f}, majority class {majority:.3f}")
    assert accuracy > majority
