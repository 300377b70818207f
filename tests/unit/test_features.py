"""Data handling of the binary, number, category and vector features (their ``<Type>FeatureMixin``)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ludwig.decoders.generic_decoders  # noqa: F401  (registers the decoders output features build)
from ludwig.constants import PREDICTIONS, PROBABILITIES, UNKNOWN_SYMBOL
from ludwig.error import InputDataError
from ludwig.features.binary_feature import BinaryFeatureMixin
from ludwig.features.category_feature import CategoryFeatureMixin, CategoryOutputFeature
from ludwig.features.number_feature import NumberFeatureMixin
from ludwig.features.vector_feature import VectorFeatureMixin
from ludwig.schema.model_config import ModelConfig


def input_config(feature: dict[str, Any]):
    """The validated config of one input feature."""
    config = ModelConfig.from_dict(
        {"input_features": [feature], "output_features": [{"name": "target_out", "type": "number"}]}
    )
    return config.input_features[0]


def output_config(feature: dict[str, Any]):
    """The validated config of one output feature."""
    config = ModelConfig.from_dict(
        {"input_features": [{"name": "x_in", "type": "number"}], "output_features": [feature]}
    )
    return config.output_features[0]


def with_preprocessing(metadata: dict[str, Any], config) -> dict[str, Any]:
    """Metadata as preprocessing stores it: the feature's preprocessing section is saved along."""
    return {**metadata, "preprocessing": config.preprocessing.to_dict()}


# ---------------------------------------------------------------------------------------------------------
# Binary


@pytest.mark.parametrize(
    "values, expected",
    [
        (["yes", "no", "yes"], [True, False, True]),
        (["true", "false", "false"], [True, False, False]),
        (["1", "0", "1"], [True, False, True]),
        (["Y", "N", "N"], [True, False, False]),
        (["Yes", "NO", "tRuE", "False", " y ", "n"], [True, False, True, False, True, False]),
        (["t", "f", "on", "off", "1.0", "0.0"], [True, False, True, False, True, False]),
    ],
)
def test_binary_standard_strings(values, expected):
    config = input_config({"name": "flag", "type": "binary"})
    column = pd.Series(values)
    metadata = BinaryFeatureMixin.get_feature_meta(config, column, True)
    assert metadata == {}
    data = BinaryFeatureMixin.feature_data(config, column, metadata)
    assert data.dtype == np.bool_
    assert data.tolist() == expected


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([True, False, True]),
        pd.Series([True, False, True], dtype=object),
        pd.Series([1, 0, 1]),
        pd.Series([1.0, 0.0, 1.0]),
    ],
)
def test_binary_bools_and_numbers(column):
    config = input_config({"name": "flag", "type": "binary"})
    metadata = BinaryFeatureMixin.get_feature_meta(config, column, True)
    assert metadata == {}
    assert BinaryFeatureMixin.feature_data(config, column, metadata).tolist() == [True, False, True]


def test_binary_two_labels_with_fallback_true_label():
    config = input_config({"name": "pet", "type": "binary", "preprocessing": {"fallback_true_label": "cat"}})
    column = pd.Series(["cat", "dog", "dog", "cat"])
    metadata = BinaryFeatureMixin.get_feature_meta(config, column, True)
    assert metadata["bool2str"] == ["dog", "cat"]  # index 0 is the False label, index 1 the True label
    assert metadata["str2bool"] == {"dog": False, "cat": True}
    assert metadata["fallback_true_label"] == "cat"
    assert BinaryFeatureMixin.feature_data(config, column, metadata).tolist() == [True, False, False, True]


def test_binary_two_labels_without_fallback_are_consistent():
    config = input_config({"name": "pet", "type": "binary"})
    column = pd.Series(["cat", "dog", "dog"])
    metadata = BinaryFeatureMixin.get_feature_meta(config, column, True)
    false_label, true_label = metadata["bool2str"]
    assert {false_label, true_label} == {"cat", "dog"}
    assert metadata["fallback_true_label"] == true_label
    assert metadata["str2bool"] == {false_label: False, true_label: True}
    data = BinaryFeatureMixin.feature_data(config, column, metadata)
    assert data.tolist() == [value == true_label for value in column]


def test_binary_two_labels_without_fallback_take_the_first_sorted_label_as_true():
    # Ludwig 0.17 (features/binary_feature.py get_feature_meta): fallback_true_label = sorted(distinct_values)[0].
    config = input_config({"name": "pet", "type": "binary"})
    metadata = BinaryFeatureMixin.get_feature_meta(config, pd.Series(["dog", "cat", "dog"]), True)
    assert metadata["fallback_true_label"] == "cat"
    assert metadata["bool2str"] == ["dog", "cat"]


def test_binary_values_outside_the_two_labels_read_as_false():
    config = input_config({"name": "pet", "type": "binary", "preprocessing": {"fallback_true_label": "cat"}})
    metadata = BinaryFeatureMixin.get_feature_meta(config, pd.Series(["cat", "dog"]), True)
    data = BinaryFeatureMixin.feature_data(config, pd.Series(["bird", "cat", "dog"]), metadata)
    assert data.tolist() == [False, True, False]


def test_binary_more_than_two_values_raises_naming_the_column():
    config = input_config({"name": "pet", "column": "pet_column", "type": "binary"})
    with pytest.raises(InputDataError) as error:
        BinaryFeatureMixin.get_feature_meta(config, pd.Series(["cat", "dog", "bird", "cat"]), True)
    assert error.value.column_name == "pet_column"
    assert "pet_column" in str(error.value)
    assert "3" in str(error.value)


def test_binary_unreadable_value_without_labels_raises():
    config = input_config({"name": "flag", "type": "binary"})
    metadata = BinaryFeatureMixin.get_feature_meta(config, pd.Series(["yes", "no"]), True)
    with pytest.raises(InputDataError, match="maybe"):
        BinaryFeatureMixin.feature_data(config, pd.Series(["yes", "maybe"]), metadata)


def test_binary_postprocess_columns_with_labels():
    metadata = {"str2bool": {"dog": False, "cat": True}, "bool2str": ["dog", "cat"], "fallback_true_label": "cat"}
    outputs = {PREDICTIONS: np.array([True, False, True]), PROBABILITIES: np.array([0.9, 0.2, 0.6])}
    columns = BinaryFeatureMixin.postprocess_predictions("pet", outputs, metadata)
    assert set(columns) == {
        "pet_predictions",
        "pet_probabilities",
        "pet_probability",
        "pet_probabilities_dog",
        "pet_probabilities_cat",
    }
    assert list(columns["pet_predictions"]) == ["cat", "dog", "cat"]
    np.testing.assert_allclose(columns["pet_probabilities_cat"], [0.9, 0.2, 0.6])
    np.testing.assert_allclose(columns["pet_probabilities_dog"], [0.1, 0.8, 0.4])
    np.testing.assert_allclose(columns["pet_probability"], [0.9, 0.8, 0.6])
    np.testing.assert_allclose(np.stack(columns["pet_probabilities"]), [[0.1, 0.9], [0.8, 0.2], [0.4, 0.6]])


def test_binary_postprocess_columns_without_labels():
    outputs = {PREDICTIONS: np.array([False, True]), PROBABILITIES: np.array([0.25, 0.75])}
    columns = BinaryFeatureMixin.postprocess_predictions("flag", outputs, {})
    assert set(columns) == {
        "flag_predictions",
        "flag_probabilities",
        "flag_probability",
        "flag_probabilities_False",
        "flag_probabilities_True",
    }
    assert list(columns["flag_predictions"]) == [False, True]
    np.testing.assert_allclose(columns["flag_probabilities_True"], [0.25, 0.75])
    np.testing.assert_allclose(columns["flag_probability"], [0.75, 0.75])


def test_binary_postprocess_without_probabilities():
    columns = BinaryFeatureMixin.postprocess_predictions("flag", {PREDICTIONS: np.array([1, 0])}, {})
    assert list(columns) == ["flag_predictions"]
    assert list(columns["flag_predictions"]) == [True, False]


def test_binary_overall_statistics():
    metadata = {"bool2str": ["dog", "cat"]}
    targets = np.array([True, True, False, False, True])
    outputs = {
        PREDICTIONS: np.array([True, False, False, True, True]),
        PROBABILITIES: np.array([0.9, 0.4, 0.1, 0.7, 0.8]),
    }
    stats = BinaryFeatureMixin.overall_statistics(outputs, targets, metadata)
    # Rows are true classes, columns predicted ones: [[TN, FP], [FN, TP]].
    assert stats["confusion_matrix"] == [[1, 1], [1, 2]]
    assert set(stats["per_class_stats"]) == {"dog", "cat"}
    assert stats["per_class_stats"]["cat"]["true_positives"] == 2
    assert stats["roc_curve"]["false_positive_rate"][-1] == pytest.approx(1.0)
    assert stats["roc_curve"]["true_positive_rate"][-1] == pytest.approx(1.0)
    assert "precisions" in stats["precision_recall_curve"]


# ---------------------------------------------------------------------------------------------------------
# Number


VALUES = np.array([1.0, 2.0, 2.5, 4.0, 10.0, -0.5])


def test_number_metadata_statistics():
    config = input_config({"name": "amount", "type": "number"})
    metadata = NumberFeatureMixin.get_feature_meta(config, pd.Series(VALUES), True)
    q1, q2, q3 = np.quantile(VALUES, [0.25, 0.5, 0.75])
    assert metadata == pytest.approx(
        {
            "mean": VALUES.mean(),
            "std": VALUES.std(ddof=1),
            "min": -0.5,
            "max": 10.0,
            "q1": q1,
            "q2": q2,
            "q3": q3,
        }
    )


def _expected_normalization(normalization: str | None, values: np.ndarray) -> np.ndarray:
    if normalization == "zscore":
        return (values - values.mean()) / values.std(ddof=1)
    if normalization == "minmax":
        return (values - values.min()) / (values.max() - values.min())
    if normalization == "log1p":
        return np.log1p(values)
    if normalization == "iq":
        q1, q2, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        return (values - q2) / (q3 - q1)
    return values


@pytest.mark.parametrize("normalization", ["zscore", "minmax", "log1p", "iq", None])
def test_number_normalization_and_denormalization_round_trip(normalization):
    config = input_config({"name": "amount", "type": "number", "preprocessing": {"normalization": normalization}})
    column = pd.Series(VALUES)
    metadata = with_preprocessing(NumberFeatureMixin.get_feature_meta(config, column, True), config)
    data = NumberFeatureMixin.feature_data(config, column, metadata)
    assert data.dtype == np.float32
    np.testing.assert_allclose(data, _expected_normalization(normalization, VALUES), rtol=1e-6, atol=1e-6)
    restored = NumberFeatureMixin.postprocess_predictions("amount", {PREDICTIONS: data}, metadata)
    assert list(restored) == ["amount_predictions"]
    np.testing.assert_allclose(restored["amount_predictions"], VALUES, rtol=1e-5, atol=1e-5)


def test_number_output_normalization_defaults_to_none_and_input_to_zscore():
    assert input_config({"name": "a", "type": "number"}).preprocessing.normalization == "zscore"
    assert output_config({"name": "a", "type": "number"}).preprocessing.normalization is None


@pytest.mark.parametrize("normalization", ["zscore", "minmax", "iq"])
def test_number_constant_column_is_handled(normalization):
    config = input_config({"name": "amount", "type": "number", "preprocessing": {"normalization": normalization}})
    column = pd.Series([5.0, 5.0, 5.0, 5.0])
    metadata = with_preprocessing(NumberFeatureMixin.get_feature_meta(config, column, True), config)
    data = NumberFeatureMixin.feature_data(config, column, metadata)
    assert np.isfinite(data).all()
    np.testing.assert_allclose(data, 0.0)
    restored = NumberFeatureMixin.postprocess_predictions("amount", {PREDICTIONS: data}, metadata)
    np.testing.assert_allclose(restored["amount_predictions"], 5.0)


def test_number_single_row_has_zero_std():
    config = input_config({"name": "amount", "type": "number"})
    metadata = NumberFeatureMixin.get_feature_meta(config, pd.Series([3.0]), True)
    assert metadata["std"] == 0.0
    data = NumberFeatureMixin.feature_data(config, pd.Series([3.0, 4.0]), metadata)
    np.testing.assert_allclose(data, [0.0, 1.0])


def test_number_empty_training_column_raises():
    config = input_config({"name": "amount", "type": "number"})
    with pytest.raises(InputDataError, match="amount"):
        NumberFeatureMixin.get_feature_meta(config, pd.Series([], dtype=float), True)


@pytest.mark.parametrize("bad_value", [-1.0, -3.0])
def test_number_log1p_on_values_at_most_minus_one_raises(bad_value):
    config = input_config(
        {"name": "amount", "column": "amount_col", "type": "number", "preprocessing": {"normalization": "log1p"}}
    )
    column = pd.Series([0.0, 1.0, bad_value])
    metadata = NumberFeatureMixin.get_feature_meta(config, column, True)
    with pytest.raises(InputDataError) as error:
        NumberFeatureMixin.feature_data(config, column, metadata)
    assert error.value.column_name == "amount_col"
    assert "log1p" in str(error.value)


def test_number_log1p_accepts_values_above_minus_one():
    config = input_config({"name": "amount", "type": "number", "preprocessing": {"normalization": "log1p"}})
    column = pd.Series([-0.5, 0.0, 3.0])
    data = NumberFeatureMixin.feature_data(config, column, {})
    np.testing.assert_allclose(data, np.log1p([-0.5, 0.0, 3.0]), rtol=1e-6)


def test_number_non_numeric_strings_become_missing_with_a_warning(ludwig_warnings):
    column = pd.Series(["1", "2.5", "abc", None, "x y", " 7 "], name="amount")
    cast = NumberFeatureMixin.cast_column(column)
    assert cast.dtype == np.float64
    np.testing.assert_allclose(cast.to_numpy(), [1.0, 2.5, np.nan, np.nan, np.nan, 7.0])
    messages = [r.getMessage() for r in ludwig_warnings.records if r.levelno == logging.WARNING]
    assert len(messages) == 1
    assert "amount" in messages[0] and "abc" in messages[0] and " 2 " in messages[0]


def test_number_numeric_column_casts_without_warning(ludwig_warnings):
    cast = NumberFeatureMixin.cast_column(pd.Series([1, 2, None], name="amount"))
    np.testing.assert_allclose(cast.to_numpy(), [1.0, 2.0, np.nan])
    assert not [r for r in ludwig_warnings.records if r.levelno >= logging.WARNING]


# ---------------------------------------------------------------------------------------------------------
# Category


def category_meta(feature: dict[str, Any], values: list, is_input: bool = True) -> dict[str, Any]:
    config = input_config(feature) if is_input else output_config(feature)
    return CategoryFeatureMixin.get_feature_meta(config, pd.Series(values), is_input)


def test_category_vocabulary_is_ordered_by_frequency_then_value():
    values = ["b", "c", "a", "c", "b", "c", "d", "a"]  # c: 3, a: 2, b: 2, d: 1
    metadata = category_meta({"name": "color", "type": "category"}, values)
    assert metadata["idx2str"] == [UNKNOWN_SYMBOL, "c", "a", "b", "d"]
    assert metadata["str2idx"] == {UNKNOWN_SYMBOL: 0, "c": 1, "a": 2, "b": 3, "d": 4}
    assert metadata["str2freq"] == {UNKNOWN_SYMBOL: 0, "c": 3, "a": 2, "b": 2, "d": 1}
    assert metadata["vocab_size"] == 5


def test_category_output_vocabulary_has_no_unknown_symbol():
    metadata = category_meta({"name": "color", "type": "category"}, ["b", "a", "b"], is_input=False)
    assert metadata["idx2str"] == ["b", "a"]
    assert metadata["vocab_size"] == 2


def test_category_most_common_caps_the_input_vocabulary():
    values = ["a"] * 4 + ["b"] * 3 + ["c"] * 2 + ["d"]
    metadata = category_meta({"name": "color", "type": "category", "preprocessing": {"most_common": 2}}, values)
    assert metadata["idx2str"] == [UNKNOWN_SYMBOL, "a", "b"]
    config = input_config({"name": "color", "type": "category", "preprocessing": {"most_common": 2}})
    data = CategoryFeatureMixin.feature_data(config, pd.Series(["a", "b", "c", "d"]), metadata)
    assert data.tolist() == [1, 2, 0, 0]


def test_category_most_common_truncating_an_output_adds_the_unknown_symbol():
    values = ["a"] * 4 + ["b"] * 3 + ["c"] * 2
    feature = {"name": "color", "type": "category", "preprocessing": {"most_common": 2}}
    assert category_meta(feature, values, is_input=False)["idx2str"] == [UNKNOWN_SYMBOL, "a", "b"]
    feature["preprocessing"]["most_common"] = 3
    assert category_meta(feature, values, is_input=False)["idx2str"] == ["a", "b", "c"]


def test_category_lowercase_merges_values():
    feature = {"name": "color", "type": "category", "preprocessing": {"lowercase": True}}
    metadata = category_meta(feature, ["Red", "RED", "blue", "red "])
    assert metadata["idx2str"] == [UNKNOWN_SYMBOL, "red", "blue"]
    assert metadata["str2freq"]["red"] == 3
    config = input_config(feature)
    assert CategoryFeatureMixin.feature_data(config, pd.Series(["rEd", "Blue"]), metadata).tolist() == [1, 2]


def test_category_without_lowercase_keeps_case():
    metadata = category_meta({"name": "color", "type": "category"}, ["Red", "red", "red"])
    assert metadata["idx2str"] == [UNKNOWN_SYMBOL, "red", "Red"]


def test_category_whole_floats_read_as_integers():
    metadata = category_meta({"name": "code", "type": "category"}, [3.0, 1.0, 3.0, 2.0])
    assert metadata["idx2str"] == [UNKNOWN_SYMBOL, "3", "1", "2"]
    config = input_config({"name": "code", "type": "category"})
    # The same values read as integers, floats or strings map to the same indices.
    for column in (pd.Series([1, 2, 3]), pd.Series([1.0, 2.0, 3.0]), pd.Series(["1", "2", "3"])):
        assert CategoryFeatureMixin.feature_data(config, column, metadata).tolist() == [2, 3, 1]


def test_category_fractional_floats_keep_their_decimals():
    metadata = category_meta({"name": "code", "type": "category"}, [1.5, 2.0, 1.5])
    assert metadata["idx2str"] == [UNKNOWN_SYMBOL, "1.5", "2.0"]


def test_category_unseen_values_map_to_unknown():
    metadata = category_meta({"name": "color", "type": "category"}, ["a", "b", "b"])
    config = input_config({"name": "color", "type": "category"})
    data = CategoryFeatureMixin.feature_data(config, pd.Series(["b", "zzz", "a", ""]), metadata)
    assert data.dtype == np.int64
    assert data.tolist() == [1, 0, 2, 0]


def test_category_output_with_one_distinct_value_raises_naming_the_column():
    config = output_config({"name": "label", "column": "label_col", "type": "category"})
    with pytest.raises(InputDataError) as error:
        CategoryFeatureMixin.get_feature_meta(config, pd.Series(["x", "x", "x"]), False)
    assert error.value.column_name == "label_col"
    assert "label_col" in str(error.value)


def test_category_input_with_one_distinct_value_is_fine():
    metadata = category_meta({"name": "color", "type": "category"}, ["x", "x"])
    assert metadata["idx2str"] == [UNKNOWN_SYMBOL, "x"]


def test_category_explicit_output_vocab_sets_the_class_order():
    feature = {"name": "label", "type": "category", "preprocessing": {"vocab": ["b", "a", "z"]}}
    metadata = category_meta(feature, ["a", "b", "a", "a"], is_input=False)
    labels = [label for label in metadata["idx2str"] if label != UNKNOWN_SYMBOL]
    assert labels == ["b", "a", "z"]
    assert metadata["str2freq"]["a"] == 3 and metadata["str2freq"]["z"] == 0
    config = output_config(feature)
    data = CategoryFeatureMixin.feature_data(config, pd.Series(["z", "a", "b"]), metadata)
    assert data.tolist() == [metadata["str2idx"]["z"], metadata["str2idx"]["a"], metadata["str2idx"]["b"]]


def test_category_explicit_output_vocab_is_used_as_given():
    # LUDWIG_SPEC 2b: "an explicit `vocab` list overrides the inferred one"; Ludwig uses it verbatim
    # (idx2str = preprocessing["vocab"]), so the model has exactly len(vocab) classes.
    feature = {"name": "label", "type": "category", "preprocessing": {"vocab": ["b", "a", "z"]}}
    metadata = category_meta(feature, ["a", "b", "a", "a"], is_input=False)
    assert metadata["idx2str"] == ["b", "a", "z"]
    assert metadata["vocab_size"] == 3


def _category_output(feature: dict[str, Any], values: list) -> tuple[Any, dict[str, Any]]:
    config = output_config(feature)
    return config, CategoryFeatureMixin.get_feature_meta(config, pd.Series(values), False)


def test_category_class_weights_dict_becomes_a_list_in_vocabulary_order():
    feature = {"name": "label", "type": "category", "loss": {"class_weights": {"b": 2.0, "c": 5.0}}}
    config, metadata = _category_output(feature, ["a", "a", "a", "b", "b", "c"])
    assert metadata["idx2str"] == ["a", "b", "c"]
    loss = CategoryOutputFeature(config, metadata, input_size=4).loss_config(config, metadata)
    assert loss.class_weights == [1.0, 2.0, 5.0]
    assert config.loss.class_weights == {"b": 2.0, "c": 5.0}  # the config itself is left as written


def test_category_class_weights_list_is_kept():
    feature = {"name": "label", "type": "category", "loss": {"class_weights": [0.5, 1.5]}}
    config, metadata = _category_output(feature, ["a", "b", "a"])
    assert CategoryOutputFeature(config, metadata, input_size=4).loss_config(config, metadata).class_weights == [
        0.5,
        1.5,
    ]


def test_category_class_weights_with_unknown_label_raises():
    feature = {"name": "label", "type": "category", "loss": {"class_weights": {"a": 1.0, "nope": 3.0}}}
    config, metadata = _category_output(feature, ["a", "b", "a"])
    with pytest.raises(InputDataError, match="nope"):
        CategoryOutputFeature(config, metadata, input_size=4)


def test_category_class_weights_list_of_wrong_length_raises():
    feature = {"name": "label", "type": "category", "loss": {"class_weights": [1.0, 2.0, 3.0]}}
    config, metadata = _category_output(feature, ["a", "b", "a"])
    with pytest.raises(InputDataError, match="3 values"):
        CategoryOutputFeature(config, metadata, input_size=4)


def test_category_postprocess_columns():
    metadata = {"idx2str": ["x", "y", "z"]}
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    outputs = {PREDICTIONS: np.array([0, 2]), PROBABILITIES: probabilities}
    columns = CategoryFeatureMixin.postprocess_predictions("label", outputs, metadata)
    assert set(columns) == {
        "label_predictions",
        "label_probabilities",
        "label_probability",
        "label_probabilities_x",
        "label_probabilities_y",
        "label_probabilities_z",
    }
    assert list(columns["label_predictions"]) == ["x", "z"]
    np.testing.assert_allclose(columns["label_probability"], [0.7, 0.6])
    np.testing.assert_allclose(columns["label_probabilities_y"], [0.2, 0.3])
    np.testing.assert_allclose(np.stack(columns["label_probabilities"]), probabilities)


def test_category_overall_statistics():
    metadata = {"idx2str": ["x", "y", "z"]}
    targets = np.array([0, 1, 2, 2, 1])
    stats = CategoryFeatureMixin.overall_statistics({PREDICTIONS: np.array([0, 2, 2, 2, 1])}, targets, metadata)
    assert stats["confusion_matrix"] == [[1, 0, 0], [0, 1, 1], [0, 0, 2]]
    assert set(stats["per_class_stats"]) == {"x", "y", "z"}
    assert stats["overall_stats"]["token_accuracy"] == pytest.approx(0.8)


# ---------------------------------------------------------------------------------------------------------
# Vector


def test_vector_from_space_separated_strings():
    config = input_config({"name": "emb", "type": "vector"})
    column = pd.Series(["1 2 3", "4.5  -5 6e-1", " 0 0 1 "])
    metadata = VectorFeatureMixin.get_feature_meta(config, column, True)
    assert metadata == {"vector_size": 3}
    data = VectorFeatureMixin.feature_data(config, column, metadata)
    assert data.dtype == np.float32 and data.shape == (3, 3)
    np.testing.assert_allclose(data, [[1, 2, 3], [4.5, -5, 0.6], [0, 0, 1]], rtol=1e-6)


def test_vector_from_lists_and_arrays():
    config = input_config({"name": "emb", "type": "vector"})
    column = pd.Series([[1.0, 2.0], np.array([3.0, 4.0]), (5, 6), "7 8"])
    metadata = VectorFeatureMixin.get_feature_meta(config, column, True)
    assert metadata == {"vector_size": 2}
    np.testing.assert_allclose(
        VectorFeatureMixin.feature_data(config, column, metadata), [[1, 2], [3, 4], [5, 6], [7, 8]]
    )


def test_vector_size_is_inferred_as_the_most_common_length():
    config = input_config({"name": "emb", "type": "vector"})
    column = pd.Series(["1 2 3", "1 2", "4 5 6", "7 8 9"])
    assert VectorFeatureMixin.get_feature_meta(config, column, True) == {"vector_size": 3}


def test_vector_explicit_size():
    config = input_config({"name": "emb", "type": "vector", "preprocessing": {"vector_size": 4}})
    assert VectorFeatureMixin.get_feature_meta(config, pd.Series(["1 2 3"]), True) == {"vector_size": 4}


def test_vector_wrong_length_row_raises_naming_the_row():
    config = input_config({"name": "emb", "column": "emb_col", "type": "vector"})
    column = pd.Series(["1 2 3", "4 5 6", "7 8", "1 1 1"])
    metadata = VectorFeatureMixin.get_feature_meta(config, column, True)
    with pytest.raises(InputDataError) as error:
        VectorFeatureMixin.feature_data(config, column, metadata)
    assert error.value.column_name == "emb_col"
    assert "row 2" in str(error.value)
    assert "expected 3" in str(error.value)


def test_vector_non_numeric_raises():
    config = input_config({"name": "emb", "type": "vector"})
    column = pd.Series(["1 2 3", "a b c"])
    with pytest.raises(InputDataError, match="emb"):
        VectorFeatureMixin.feature_data(config, column, {"vector_size": 3})


def test_vector_scalar_row_raises_naming_the_row():
    config = input_config({"name": "emb", "type": "vector"})
    with pytest.raises(InputDataError, match="row 1"):
        VectorFeatureMixin.get_feature_meta(config, pd.Series(["1 2", 5.0]), True)


def test_vector_postprocess_columns():
    predictions = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    columns = VectorFeatureMixin.postprocess_predictions("emb", {PREDICTIONS: predictions}, {"vector_size": 2})
    assert list(columns) == ["emb_predictions"]
    assert len(columns["emb_predictions"]) == 2
    np.testing.assert_allclose(np.stack(columns["emb_predictions"]), predictions)
