"""Raw data -> preprocessed datasets (``ludwig.data.preprocessing``) and the HDF5 cache (``ludwig.data.cache``)."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ludwig.constants import UNKNOWN_SYMBOL
from ludwig.data.cache import DatasetCache, file_checksum, preprocessing_checksum, write_hdf5
from ludwig.data.dataset import Dataset
from ludwig.data.preprocessing import preprocess_for_prediction, preprocess_for_training
from ludwig.error import InputDataError
from ludwig.schema.model_config import ModelConfig

FIXED_SPLIT = {"split": {"type": "fixed"}}


def make_config(
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]] | None = None,
    preprocessing: dict[str, Any] | None = None,
) -> ModelConfig:
    return ModelConfig.from_dict(
        {
            "input_features": inputs,
            "output_features": outputs or [{"name": "y", "type": "number"}],
            "preprocessing": preprocessing if preprocessing is not None else FIXED_SPLIT,
        }
    )


def train(config: ModelConfig, dataset, **kwargs):
    return preprocess_for_training(config, dataset, skip_save_processed_input=True, **kwargs)


def column(dataset: Dataset | None, feature) -> np.ndarray:
    assert dataset is not None
    return dataset.columns[feature.proc_column]


# Rows 0-5 are training, 6-7 validation, 8-9 test. The training values (1, 2, 2, 7) have mode 2 and mean 3;
# over all rows the mode is 100 and the mean 44.6, so a fill value computed from every row is told apart.
X_WITH_MISSING = [1.0, np.nan, 2.0, 2.0, 7.0, np.nan, 100.0, np.nan, 100.0, 100.0]
SPLIT = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2]


def number_frame() -> pd.DataFrame:
    return pd.DataFrame({"x": X_WITH_MISSING, "y": np.arange(10.0), "split": SPLIT})


# ---------------------------------------------------------------------------------------------------------
# Missing values


@pytest.mark.parametrize(
    "strategy, fill_value, training, validation, test",
    [
        ("fill_with_const", -5.0, [1, -5, 2, 2, 7, -5], [100, -5], [100, 100]),
        ("fill_with_mode", 2.0, [1, 2, 2, 2, 7, 2], [100, 2], [100, 100]),
        ("fill_with_mean", 3.0, [1, 3, 2, 2, 7, 3], [100, 3], [100, 100]),
        ("bfill", None, [1, 2, 2, 2, 7, 100], [100, 100], [100, 100]),
        ("ffill", None, [1, 1, 2, 2, 7, 7], [100, 100], [100, 100]),
        ("drop_row", None, [1, 2, 2, 7], [100], [100, 100]),
    ],
)
def test_number_missing_value_strategies(strategy, fill_value, training, validation, test):
    preprocessing = {"missing_value_strategy": strategy, "fill_value": -5, "normalization": None}
    config = make_config([{"name": "x", "type": "number", "preprocessing": preprocessing}])
    result = train(config, number_frame())
    x = config.input_features[0]
    np.testing.assert_allclose(column(result.training, x), training)
    np.testing.assert_allclose(column(result.validation, x), validation)
    np.testing.assert_allclose(column(result.test, x), test)
    assert result.metadata["x"]["preprocessing"]["missing_value_strategy"] == strategy
    if fill_value is not None:
        assert result.metadata["x"]["preprocessing"]["computed_fill_value"] == pytest.approx(fill_value)


def test_fill_values_come_from_the_training_split_only():
    for strategy, expected in (("fill_with_mean", 3.0), ("fill_with_mode", 2.0)):
        config = make_config([{"name": "x", "type": "number", "preprocessing": {"missing_value_strategy": strategy}}])
        metadata = train(config, number_frame()).metadata
        assert metadata["x"]["preprocessing"]["computed_fill_value"] == pytest.approx(expected)
        # ... and the normalization statistics too: the training values after filling.
        filled = np.array([1, expected, 2, 2, 7, expected])
        assert metadata["x"]["mean"] == pytest.approx(filled.mean())
        assert metadata["x"]["std"] == pytest.approx(filled.std(ddof=1))


def test_drop_row_drops_at_training_but_prediction_keeps_every_row_in_order():
    config = make_config(
        [
            {
                "name": "x",
                "type": "number",
                "preprocessing": {"missing_value_strategy": "drop_row", "normalization": None},
            }
        ]
    )
    df = number_frame()
    result = train(config, df)
    assert len(result.training) + len(result.validation) + len(result.test) == 7
    dataset, raw = preprocess_for_prediction(config, df, result.metadata)
    assert len(dataset) == len(raw) == 10
    # The missing rows get the training mode (2), the others keep their value and position.
    np.testing.assert_allclose(column(dataset, config.input_features[0]), [1, 2, 2, 2, 7, 2, 100, 2, 100, 100])
    np.testing.assert_allclose(column(dataset, config.output_features[0]), np.arange(10.0))


@pytest.mark.parametrize("strategy", ["fill_with_const", "fill_with_mode", "fill_with_mean"])
def test_prediction_reuses_the_training_fill_value(strategy):
    preprocessing = {"missing_value_strategy": strategy, "fill_value": -5, "normalization": None}
    config = make_config([{"name": "x", "type": "number", "preprocessing": preprocessing}])
    metadata = train(config, number_frame()).metadata
    expected_fill = metadata["x"]["preprocessing"]["computed_fill_value"]
    new_rows = pd.DataFrame({"x": [np.nan, 50.0, 50.0, 50.0, np.nan]})
    dataset, _ = preprocess_for_prediction(config, new_rows, metadata)
    np.testing.assert_allclose(
        column(dataset, config.input_features[0]), [expected_fill, 50, 50, 50, expected_fill], rtol=1e-6
    )


def test_category_fill_with_const_and_mode():
    df = pd.DataFrame(
        {
            "c": ["a", None, "b", "b", "a", "b", "z", None, "z", "z"],
            "y": np.arange(10.0),
            "split": SPLIT,
        }
    )
    const = make_config([{"name": "c", "type": "category"}])
    result = train(const, df)
    metadata = result.metadata["c"]
    assert metadata["preprocessing"]["computed_fill_value"] == UNKNOWN_SYMBOL
    assert "z" not in metadata["str2idx"]  # the vocabulary comes from the training rows
    c = const.input_features[0]
    assert column(result.training, c).tolist() == [metadata["str2idx"][v] for v in ["a", "<UNK>", "b", "b", "a", "b"]]
    assert column(result.validation, c).tolist() == [0, 0]

    mode = make_config(
        [{"name": "c", "type": "category", "preprocessing": {"missing_value_strategy": "fill_with_mode"}}]
    )
    result = train(mode, df)
    assert result.metadata["c"]["preprocessing"]["computed_fill_value"] == "b"
    b = result.metadata["c"]["str2idx"]["b"]
    assert column(result.training, mode.input_features[0])[1] == b
    assert column(result.validation, mode.input_features[0])[1] == b


def test_category_numbers_with_missing_values_read_as_integers():
    # A CSV column of integers with a gap is read as floats; its categories must still be "1", "2", "3" as for
    # the same column without the gap (category_strings turns 3.0 into "3"), so prediction data read as
    # integers maps to the same classes.
    df = pd.DataFrame(
        {"c": [1.0, 2.0, np.nan, 3.0, 1.0, 2.0, 1.0, 3.0, 2.0, 1.0], "y": np.arange(10.0), "split": [0] * 10}
    )
    config = make_config([{"name": "c", "type": "category"}])
    metadata = train(config, df).metadata
    assert set(metadata["c"]["idx2str"]) == {UNKNOWN_SYMBOL, "1", "2", "3"}
    dataset, _ = preprocess_for_prediction(config, pd.DataFrame({"c": [1, 2, 3]}), metadata)
    assert column(dataset, config.input_features[0]).tolist() == [metadata["c"]["str2idx"][v] for v in "123"]


@pytest.mark.parametrize(
    "strategy, expected",
    [
        ("fill_with_false", [True, False, False, True, True, False]),
        ("fill_with_true", [True, True, False, True, True, True]),
        ("fill_with_mode", [True, True, False, True, True, True]),
    ],
)
def test_binary_missing_value_strategies(strategy, expected):
    config = make_config([{"name": "b", "type": "binary", "preprocessing": {"missing_value_strategy": strategy}}])
    df = pd.DataFrame({"b": ["yes", None, "no", "yes", "yes", None], "y": np.arange(6.0), "split": [0] * 6})
    result = train(config, df)
    b = config.input_features[0]
    assert column(result.training, b).tolist() == expected
    dataset, _ = preprocess_for_prediction(config, df, result.metadata)
    assert column(dataset, b).tolist() == expected


def test_binary_default_strategy_is_fill_with_false():
    config = make_config([{"name": "b", "type": "binary"}])
    assert config.input_features[0].preprocessing.missing_value_strategy == "fill_with_false"
    df = pd.DataFrame({"b": [True, None, False], "y": [1.0, 2.0, 3.0], "split": [0, 0, 0]})
    assert column(train(config, df).training, config.input_features[0]).tolist() == [True, False, False]


@pytest.mark.parametrize("output_type", ["binary", "number", "category", "vector"])
def test_output_features_default_to_drop_row(output_type):
    # LUDWIG_SPEC 2b: the output variant of every type uses missing_value_strategy drop_row.
    config = make_config([{"name": "x", "type": "number"}], [{"name": "y", "type": output_type}])
    assert config.output_features[0].preprocessing.missing_value_strategy == "drop_row"


def test_rows_with_a_missing_target_are_dropped_by_default():
    config = make_config([{"name": "x", "type": "number"}], [{"name": "y", "type": "category"}])
    df = pd.DataFrame({"x": np.arange(6.0), "y": ["a", "b", None, "a", "b", None], "split": [0] * 6})
    result = train(config, df)
    assert len(result.training) == 4
    assert UNKNOWN_SYMBOL not in result.metadata["y"]["idx2str"]


# ---------------------------------------------------------------------------------------------------------
# Outliers


def outlier_frame() -> pd.DataFrame:
    x = [0.0] * 20 + [1.0] * 10 + [1000.0]
    return pd.DataFrame({"x": x, "y": np.arange(31.0), "split": [0] * 31})


@pytest.mark.parametrize(
    "strategy, replacement",
    [("fill_with_mean", 1.0 / 3.0), ("fill_with_const", -1.0), ("fill_with_mode", 0.0)],
)
def test_outliers_beyond_the_threshold_are_replaced(strategy, replacement):
    preprocessing = {
        "outlier_strategy": strategy,
        "outlier_threshold": 2.0,
        "fill_value": -1.0,
        "normalization": None,
    }
    config = make_config([{"name": "x", "type": "number", "preprocessing": preprocessing}])
    values = column(train(config, outlier_frame()).training, config.input_features[0])
    np.testing.assert_allclose(values[:30], [0.0] * 20 + [1.0] * 10)
    assert values[30] == pytest.approx(replacement, rel=1e-6)


def test_outlier_drop_row_drops_the_outlier_rows():
    preprocessing = {"outlier_strategy": "drop_row", "outlier_threshold": 2.0, "normalization": None}
    config = make_config([{"name": "x", "type": "number", "preprocessing": preprocessing}])
    result = train(config, outlier_frame())
    assert len(result.training) == 30
    assert column(result.training, config.input_features[0]).max() == 1.0


def test_values_within_the_threshold_are_kept():
    preprocessing = {"outlier_strategy": "fill_with_mean", "outlier_threshold": 10.0, "normalization": None}
    config = make_config([{"name": "x", "type": "number", "preprocessing": preprocessing}])
    assert column(train(config, outlier_frame()).training, config.input_features[0])[30] == 1000.0


def test_no_outlier_strategy_keeps_extreme_values():
    config = make_config([{"name": "x", "type": "number", "preprocessing": {"normalization": None}}])
    assert column(train(config, outlier_frame()).training, config.input_features[0])[30] == 1000.0


# ---------------------------------------------------------------------------------------------------------
# Columns, sampling, balancing, given splits


def test_missing_column_raises_listing_the_available_columns():
    config = make_config([{"name": "feature_x", "column": "not_there", "type": "number"}])
    with pytest.raises(InputDataError) as error:
        train(config, number_frame())
    message = str(error.value)
    assert error.value.column_name == "not_there"
    assert "not_there" in message
    for available in ("'x'", "'y'", "'split'"):
        assert available in message


def test_missing_input_column_at_prediction_raises():
    config = make_config([{"name": "x", "type": "number"}])
    metadata = train(config, number_frame()).metadata
    with pytest.raises(InputDataError, match="'y'"):
        preprocess_for_prediction(config, pd.DataFrame({"y": [1.0]}), metadata)


def test_prediction_without_output_columns():
    config = make_config([{"name": "x", "type": "number"}])
    metadata = train(config, number_frame()).metadata
    dataset, raw = preprocess_for_prediction(config, pd.DataFrame({"x": [1.0, 2.0, 3.0]}), metadata)
    assert list(dataset.columns) == [config.input_features[0].proc_column]
    assert len(dataset) == len(raw) == 3
    with_targets, _ = preprocess_for_prediction(config, number_frame(), metadata)
    assert set(with_targets.columns) == {config.input_features[0].proc_column, config.output_features[0].proc_column}
    without_targets, _ = preprocess_for_prediction(config, number_frame(), metadata, include_outputs=False)
    assert list(without_targets.columns) == [config.input_features[0].proc_column]


def sampling_frame(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(float(n)), "y": np.arange(float(n)), "split": [0] * n})


def test_sample_ratio():
    config = make_config([{"name": "x", "type": "number"}], preprocessing={"sample_ratio": 0.5, **FIXED_SPLIT})
    result = train(config, sampling_frame())
    y = column(result.training, config.output_features[0])
    assert len(y) == 20
    assert len(set(y.tolist())) == 20
    assert set(y.tolist()) <= set(range(40))
    assert (np.diff(y) > 0).all()  # sampled rows keep their original order


def test_sample_size():
    config = make_config([{"name": "x", "type": "number"}], preprocessing={"sample_size": 7, **FIXED_SPLIT})
    y = column(train(config, sampling_frame()).training, config.output_features[0])
    assert len(y) == 7 and (np.diff(y) > 0).all()
    again = column(train(config, sampling_frame()).training, config.output_features[0])
    np.testing.assert_array_equal(y, again)  # deterministic for the same seed


def test_sample_size_larger_than_the_dataset_raises():
    config = make_config([{"name": "x", "type": "number"}], preprocessing={"sample_size": 41, **FIXED_SPLIT})
    with pytest.raises(ValueError, match="sample_size"):
        train(config, sampling_frame())


def balance_frame() -> pd.DataFrame:
    # 100 rows, 20 positives; every 10th row is validation: training has 18 positives and 72 negatives.
    split = np.zeros(100, dtype=int)
    split[::10] = 1
    return pd.DataFrame({"x": np.arange(100.0), "y": [True] * 20 + [False] * 80, "split": split})


@pytest.mark.parametrize(
    "preprocessing, positives, negatives",
    [({"oversample_minority": 0.5}, 36, 72), ({"undersample_majority": 0.5}, 18, 36), ({}, 18, 72)],
)
def test_class_balancing_of_the_training_split(preprocessing, positives, negatives):
    config = make_config(
        [{"name": "x", "type": "number", "preprocessing": {"normalization": None}}],
        [{"name": "y", "type": "binary"}],
        {**preprocessing, **FIXED_SPLIT},
    )
    result = train(config, balance_frame())
    y = column(result.training, config.output_features[0])
    assert (int(y.sum()), int((~y).sum())) == (positives, negatives)
    validation = column(result.validation, config.output_features[0])
    assert (int(validation.sum()), int((~validation).sum())) == (2, 8)
    # Balanced rows are training rows (copies when oversampled), with their own x: positives are x < 20.
    x = column(result.training, config.input_features[0])
    assert set(x.tolist()) <= {float(i) for i in range(100) if i % 10}
    np.testing.assert_array_equal(x < 20, y)


def test_given_training_validation_and_test_sets():
    config = make_config([{"name": "x", "type": "number"}, {"name": "c", "type": "category"}], preprocessing={})
    training = pd.DataFrame({"x": [1.0, 2.0, 3.0, 6.0], "c": ["a", "b", "a", "a"], "y": [1.0, 2.0, 3.0, 4.0]})
    validation = pd.DataFrame({"x": [100.0, 200.0], "c": ["b", "new"], "y": [5.0, 6.0]})
    test = pd.DataFrame({"x": [300.0], "c": ["a"], "y": [7.0]})
    result = preprocess_for_training(
        config, training_set=training, validation_set=validation, test_set=test, skip_save_processed_input=True
    )
    assert (len(result.training), len(result.validation), len(result.test)) == (4, 2, 1)
    assert result.metadata["x"]["mean"] == pytest.approx(3.0)
    assert result.metadata["c"]["idx2str"] == [UNKNOWN_SYMBOL, "a", "b"]
    np.testing.assert_allclose(column(result.validation, config.output_features[0]), [5.0, 6.0])
    assert column(result.validation, config.input_features[1]).tolist() == [2, 0]


def test_training_set_only_gives_no_validation_or_test():
    config = make_config([{"name": "x", "type": "number"}], preprocessing={})
    result = preprocess_for_training(config, training_set=sampling_frame(5), skip_save_processed_input=True)
    assert len(result.training) == 5
    assert result.validation is None and result.test is None


def test_no_data_raises():
    config = make_config([{"name": "x", "type": "number"}])
    with pytest.raises(ValueError, match="No data"):
        preprocess_for_training(config)


def test_prediction_of_one_split():
    config = make_config([{"name": "x", "type": "number", "preprocessing": {"normalization": None}}])
    df = number_frame()
    metadata = train(config, df).metadata
    dataset, raw = preprocess_for_prediction(config, df, metadata, split="test")
    assert len(dataset) == len(raw) == 2
    np.testing.assert_allclose(column(dataset, config.output_features[0]), [8.0, 9.0])


# ---------------------------------------------------------------------------------------------------------
# HDF5 cache


CACHE_FRAME = pd.DataFrame(
    {
        "x": [0.5, 1.5, np.nan, 3.0, 4.0, 5.5, 6.0, 7.5, 8.0, 9.0, 10.0, 11.0],
        "c": ["a", "b", "a", "c", None, "b", "a", "a", "b", "c", "a", "b"],
        "b": ["yes", "no"] * 6,
        "v": ["1 2", "3 4", "5 6", "7 8", "9 10", "11 12"] * 2,
        "y": ["p", "q", "p", "q", "p", "p", "q", "p", "q", "q", "p", "q"],
    }
)


def cache_config(normalization: str = "zscore") -> ModelConfig:
    return ModelConfig.from_dict(
        {
            "input_features": [
                {"name": "x", "type": "number", "preprocessing": {"normalization": normalization}},
                {"name": "c", "type": "category"},
                {"name": "b", "type": "binary"},
                {"name": "v", "type": "vector"},
            ],
            "output_features": [{"name": "y", "type": "category"}],
        }
    )


@pytest.fixture
def csv_path(tmp_path) -> str:
    path = str(tmp_path / "data.csv")
    CACHE_FRAME.to_csv(path, index=False)
    return path


def assert_same_datasets(first: Dataset | None, second: Dataset | None) -> None:
    assert (first is None) == (second is None)
    if first is None:
        return
    assert set(first.columns) == set(second.columns)
    for name, values in first.columns.items():
        assert values.dtype == second.columns[name].dtype, name
        np.testing.assert_array_equal(values, second.columns[name])


def tamper(path: str, dataset: Dataset, name: str) -> np.ndarray:
    """Overwrite one column of a cached split with a sentinel, so reading the cache can be told apart."""
    sentinel = np.full(len(dataset), 12345.0, dtype=dataset.columns[name].dtype)
    write_hdf5(path, Dataset({**dataset.columns, name: sentinel}))
    return sentinel


def test_cache_is_written_next_to_the_dataset_and_reloads_identically(csv_path, tmp_path):
    config = cache_config()
    first = preprocess_for_training(config, csv_path)
    files = sorted(os.listdir(tmp_path))
    assert "data.meta.json" in files and "data.training.hdf5" in files
    second = preprocess_for_training(cache_config(), csv_path)
    for split in ("training", "validation", "test"):
        assert_same_datasets(getattr(first, split), getattr(second, split))
    reloaded = {k: v for k, v in second.metadata.items() if k != "checksum"}
    assert reloaded == json.loads(json.dumps(first.metadata))
    with open(tmp_path / "data.meta.json") as f:
        assert json.load(f)["checksum"] == second.metadata["checksum"]


def test_cache_is_read_when_nothing_changed(csv_path):
    config = cache_config()
    first = preprocess_for_training(config, csv_path)
    x = config.input_features[0].proc_column
    cache = DatasetCache(csv_path, "unused")
    sentinel = tamper(cache.split_path("training"), first.training, x)
    again = preprocess_for_training(cache_config(), csv_path)
    np.testing.assert_array_equal(again.training.columns[x], sentinel)


def test_cache_is_stale_when_the_preprocessing_config_changes(csv_path):
    config = cache_config()
    first = preprocess_for_training(config, csv_path)
    x = config.input_features[0].proc_column
    tamper(DatasetCache(csv_path, "unused").split_path("training"), first.training, x)
    changed = cache_config(normalization="minmax")
    result = preprocess_for_training(changed, csv_path)
    values = result.training.columns[changed.input_features[0].proc_column]
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert result.metadata["x"]["preprocessing"]["normalization"] == "minmax"
    # The new preprocessing replaced the cache.
    with open(DatasetCache(csv_path, "unused").meta_path) as f:
        assert json.load(f)["checksum"] == preprocessing_checksum(changed, file_checksum(csv_path), 42)


def test_cache_is_stale_when_the_file_changes(csv_path):
    config = cache_config()
    first = preprocess_for_training(config, csv_path)
    x = config.input_features[0].proc_column
    sentinel = tamper(DatasetCache(csv_path, "unused").split_path("training"), first.training, x)
    CACHE_FRAME.assign(x=CACHE_FRAME["x"] * 10).to_csv(csv_path, index=False)
    result = preprocess_for_training(cache_config(), csv_path)
    assert not np.array_equal(result.training.columns[x], sentinel)
    assert result.metadata["x"]["mean"] == pytest.approx(10 * first.metadata["x"]["mean"])


def test_cache_is_stale_when_the_seed_changes(csv_path):
    config = cache_config()
    first = preprocess_for_training(config, csv_path)
    x = config.input_features[0].proc_column
    sentinel = tamper(DatasetCache(csv_path, "unused").split_path("training"), first.training, x)
    result = preprocess_for_training(cache_config(), csv_path, random_seed=7)
    assert not np.array_equal(result.training.columns[x], sentinel)


def test_skip_save_processed_input_writes_no_cache(csv_path, tmp_path):
    preprocess_for_training(cache_config(), csv_path, skip_save_processed_input=True)
    assert sorted(os.listdir(tmp_path)) == ["data.csv"]


def test_in_memory_data_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    preprocess_for_training(cache_config(), CACHE_FRAME)
    assert os.listdir(tmp_path) == []
