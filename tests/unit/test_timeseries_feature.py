"""Timeseries preprocessing (parsing, padding, truncation, windowing), its configs, encoders, decoder and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from marshmallow import ValidationError

from ludwig.constants import TIMESERIES
from ludwig.decoders.registry import decoder_registry
from ludwig.encoders.registry import encoder_registry
from ludwig.error import InputDataError
from ludwig.features.timeseries_feature import (
    TimeseriesFeatureMixin,
    _continues,
    column_major_windows,
    pad_series,
    parse_series,
)
from ludwig.models.ecd import _load_components
from ludwig.modules.metric_modules import get_metric_classes
from ludwig.schema.features.loss import loss_config_registry
from ludwig.schema.features.timeseries_feature import TimeseriesInputFeatureConfig, TimeseriesOutputFeatureConfig

_load_components()  # registers every encoder and decoder module


def input_config(**preprocessing):
    return TimeseriesInputFeatureConfig.from_dict(
        {"name": "ts", "column": "ts", "type": TIMESERIES, "encoder": {"type": "dense"}, "preprocessing": preprocessing}
    )


def output_config(**kwargs):
    return TimeseriesOutputFeatureConfig.from_dict({"name": "ts", "column": "ts", "type": TIMESERIES, **kwargs})


def preprocess(column, config, training=None):
    column = pd.Series(column, dtype=object)
    meta = TimeseriesFeatureMixin.get_feature_meta(config, column if training is None else training, True)
    return TimeseriesFeatureMixin.feature_data(config, column, meta), meta


# ---------------------------------------------------------------------------------------------------------
# Parsing and padding (row-major)


def test_strings_lists_arrays_and_missing_values_parse_to_one_matrix():
    column = ["1 2 3", [4, 5], np.array([6.0]), "", None, "7 nan 8"]
    matrix, meta = preprocess(column, input_config())
    assert meta == {"max_sequence_length": 3, "max_timeseries_length": 3}
    assert matrix.dtype == np.float32 and matrix.shape == (6, 3)
    np.testing.assert_array_equal(matrix, [[1, 2, 3], [4, 5, 0], [6, 0, 0], [0, 0, 0], [0, 0, 0], [7, 0, 8]])


def test_left_padding_and_padding_value():
    matrix, _ = preprocess(["1 2 3", "4"], input_config(padding="left", padding_value=-1.0))
    np.testing.assert_array_equal(matrix, [[1, 2, 3], [-1, -1, 4]])


def test_length_limit_truncates_keeping_the_first_values():
    matrix, meta = preprocess(["1 2 3 4 5", "6 7"], input_config(timeseries_length_limit=3))
    assert meta["max_sequence_length"] == 3
    np.testing.assert_array_equal(matrix, [[1, 2, 3], [6, 7, 0]])


def test_width_comes_from_the_training_rows_and_longer_rows_are_cut():
    config = input_config()
    matrix, meta = preprocess(["1 2 3 4", "5"], config, training=pd.Series(["1 2", "3"], dtype=object))
    assert meta["max_sequence_length"] == 2
    np.testing.assert_array_equal(matrix, [[1, 2], [5, 0]])


def test_other_tokenizer():
    matrix, _ = preprocess(["1.5, 2", "3,4"], input_config(tokenizer="comma"))
    np.testing.assert_array_equal(matrix, [[1.5, 2], [3, 4]])


def test_non_numeric_token_names_column_and_row():
    with pytest.raises(InputDataError, match=r'"ts".*row 2: \'abc\' is not a number'):
        preprocess(["1 2", "3 4", "5 abc"], input_config())


def test_nested_lists_are_rejected():
    with pytest.raises(InputDataError, match="ts"):
        parse_series(pd.Series([[[1, 2]], [[3, 4]]], dtype=object), "space", "ts")


def test_only_empty_training_series_is_an_error():
    with pytest.raises(InputDataError, match="no values"):
        preprocess(["", None], input_config())


def test_pad_series_is_vectorised_over_many_rows():
    lengths = np.array([3, 0, 5])
    values = np.arange(8, dtype=np.float64)
    matrix = pad_series(values, lengths, 4, 9.0)
    np.testing.assert_array_equal(matrix, [[0, 1, 2, 9], [9, 9, 9, 9], [3, 4, 5, 6]])


# ---------------------------------------------------------------------------------------------------------
# Column-major windows


def test_window_size_takes_the_current_value_and_the_ones_before():
    matrix, meta = preprocess([1, 2, 3, 4, 5], input_config(window_size=3))
    assert meta["max_sequence_length"] == 3
    np.testing.assert_array_equal(matrix, [[0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])


def test_horizon_takes_the_next_values():
    config = output_config(preprocessing={"horizon": 2})
    matrix, meta = preprocess([1.0, 2.0, 3.0, 4.0], config)
    assert meta["max_sequence_length"] == 2
    np.testing.assert_array_equal(matrix, [[2, 3], [3, 4], [4, 0], [0, 0]])


def test_windows_replace_missing_observations_with_padding_value():
    windows = column_major_windows(pd.Series([1.0, np.nan, "", 4.0], dtype=object), 2, 0, -1.0, "x")
    np.testing.assert_array_equal(windows, [[-1, 1], [1, -1], [-1, -1], [-1, 4]])


def test_window_over_a_non_number_names_the_row():
    with pytest.raises(InputDataError, match=r"row 1: 'x y'"):
        column_major_windows(pd.Series(["1", "x y", "3"]), 2, 0, 0.0, "col")


# ---------------------------------------------------------------------------------------------------------
# Configs


def test_preprocessing_defaults_match_ludwig():
    preprocessing = input_config().preprocessing
    assert preprocessing.tokenizer == "space"
    assert preprocessing.timeseries_length_limit == 256
    assert preprocessing.padding_value == 0.0
    assert preprocessing.padding == "right"
    assert preprocessing.missing_value_strategy == "fill_with_const"
    assert preprocessing.fill_value == ""
    assert preprocessing.window_size == 0
    output = output_config()
    assert output.preprocessing.missing_value_strategy == "drop_row"
    assert output.preprocessing.horizon == 0
    assert output.reduce_input is None
    assert output.decoder.type == "projector" and output.loss.type == "huber"


def test_horizon_can_be_given_on_the_feature_or_in_preprocessing():
    assert output_config(preprocessing={"horizon": 4}).horizon == 4
    assert output_config(horizon=4).preprocessing.horizon == 4
    with pytest.raises(ValidationError, match="disagrees"):
        output_config(horizon=3, preprocessing={"horizon": 4})


def test_window_size_is_an_input_option_only():
    with pytest.raises(ValidationError, match="window_size"):
        output_config(preprocessing={"window_size": 3})


def test_losses_and_metrics_registered_for_timeseries():
    assert {"huber", "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error"} <= set(
        loss_config_registry.for_type(TIMESERIES)
    )
    assert {
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "root_mean_squared_error",
        "r2",
        "huber",
    } <= set(get_metric_classes(TIMESERIES))


# ---------------------------------------------------------------------------------------------------------
# Modules on [batch, T]


def test_passthrough_and_dense_encoders_take_the_series():
    metadata = {"max_sequence_length": 5}
    inputs = torch.randn(4, 5)
    passthrough = encoder_registry.for_type(TIMESERIES)["passthrough"](input_config().encoder, 5, metadata)
    assert torch.equal(passthrough(inputs)["encoder_output"], inputs)
    dense_config = TimeseriesInputFeatureConfig.from_dict(
        {"name": "ts", "type": TIMESERIES, "encoder": {"type": "dense", "output_size": 7}}
    ).encoder
    dense = encoder_registry.for_type(TIMESERIES)["dense"](dense_config, 5, metadata)
    assert dense(inputs)["encoder_output"].shape == (4, 7) and dense.output_size == 7


def test_projector_predicts_the_horizon_with_multiplier():
    config = output_config(decoder={"type": "projector", "multiplier": 2.0}).decoder
    projector = decoder_registry.for_type(TIMESERIES)["projector"](config, 6, {"max_sequence_length": 3})
    hidden = torch.randn(2, 6)
    out = projector(hidden)
    assert out.shape == (2, 3)
    torch.testing.assert_close(out, 2.0 * projector.projection(hidden))


def test_metrics_average_over_every_value_of_the_series():
    metrics = get_metric_classes(TIMESERIES)
    preds = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[1.0, 4.0], [3.0, 2.0]])
    mse = metrics["mean_squared_error"]()
    mse.update(preds[:1], target[:1])
    mse.update(preds[1:], target[1:])
    assert mse.compute() == pytest.approx(2.0)
    r2 = metrics["r2"]()
    r2.update(target, target)
    assert r2.compute() == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------------------
# Forecast link detection


def test_history_continuation_check():
    history = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [3.0, 4.0, 5.0]])
    assert _continues(history, np.array([4.0, 5.0, np.nan]))
    assert not _continues(history, np.array([4.0, 6.0, 7.0]))
    assert not _continues(history[:1], np.array([4.0]))
