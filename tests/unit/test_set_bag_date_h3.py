"""Set, bag, date and h3 features: parsing, preprocessed arrays, encoders, the set loss and metric."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.error import ConfigValidationError, InputDataError
from ludwig.features.bag_feature import BagFeatureMixin
from ludwig.features.date_feature import DateFeatureMixin
from ludwig.features.h3_feature import H3FeatureMixin
from ludwig.features.set_feature import SetFeatureMixin
from ludwig.modules.loss_modules import build_loss
from ludwig.modules.metric_modules import Jaccard, SigmoidCrossEntropy, get_metric_objective
from ludwig.schema.model_config import ModelConfig
from ludwig.utils.date_utils import date_components, parse_dates
from ludwig.utils.h3_utils import h3_components, invalid_h3_reasons


def feature(feature_type: str, **section) -> object:
    """The config object of one input feature ``x`` of ``feature_type``."""
    config = ModelConfig.from_dict(
        {
            "input_features": [{"name": "x", "type": feature_type, **section}],
            "output_features": [{"name": "y", "type": "number"}],
        }
    )
    return config.input_features[0]


def output_set(**section) -> object:
    config = ModelConfig.from_dict(
        {
            "input_features": [{"name": "x", "type": "number"}],
            "output_features": [{"name": "y", "type": "set", **section}],
        }
    )
    return config.output_features[0]


def h3_index(mode: int, edge: int, resolution: int, base_cell: int, digits: list[int]) -> int:
    """An H3 index assembled bit by bit from its fields (digits past the resolution are 7)."""
    value = (mode << 59) | (edge << 56) | (resolution << 52) | (base_cell << 45)
    for position in range(15):
        digit = digits[position] if position < resolution else 7
        value |= digit << (3 * (14 - position))
    return value


# ---------------------------------------------------------------------------------------------------------
# Config


def test_defaults_match_ludwig():
    set_feature = feature("set")
    assert set_feature.preprocessing.to_dict() == {
        "tokenizer": "space",
        "missing_value_strategy": "fill_with_const",
        "fill_value": "<UNK>",
        "lowercase": False,
        "most_common": 10000,
    }
    encoder = set_feature.encoder
    assert (encoder.type, encoder.embedding_size, encoder.output_size, encoder.num_fc_layers) == ("embed", 50, 10, 0)
    assert encoder.representation == "dense"
    assert feature("bag").encoder.embedding_size == 50
    date = feature("date")
    assert date.preprocessing.fill_value == "" and date.preprocessing.datetime_format is None
    assert (date.encoder.type, date.encoder.embedding_size, date.encoder.output_size) == ("embed", 10, 10)
    h3 = feature("h3")
    assert h3.preprocessing.fill_value == 576495936675512319
    assert (h3.encoder.type, h3.encoder.embedding_size, h3.encoder.reduce_output) == ("embed", 10, "sum")
    rnn = feature("h3", encoder={"type": "rnn"}).encoder
    assert (rnn.hidden_size, rnn.cell_type, rnn.reduce_output, rnn.bidirectional) == (10, "rnn", "last", False)
    out = output_set()
    assert out.threshold == 0.5
    assert out.decoder.type == "classifier" and out.loss.type == "sigmoid_cross_entropy"
    assert out.preprocessing.missing_value_strategy == "drop_row"
    assert get_metric_objective("jaccard") == "maximize"


def test_unknown_encoder_and_bad_threshold_are_config_errors():
    with pytest.raises(ConfigValidationError, match="wave"):
        feature("h3", encoder={"type": "wave"})
    with pytest.raises(ConfigValidationError, match="threshold"):
        output_set(threshold=1.5)


# ---------------------------------------------------------------------------------------------------------
# Set and bag


def test_set_vocabulary_puts_unknown_at_index_3_and_counts_frequencies():
    config = feature("set")
    column = pd.Series(["a b", "a c", "a b d", "e", "<UNK>", ""])
    meta = SetFeatureMixin.get_feature_meta(config, column, True)
    assert meta["idx2str"] == ["a", "b", "c", "<UNK>", "d", "e"]
    assert meta["str2idx"]["<UNK>"] == 3
    assert meta["str2freq"] == {"a": 3, "b": 2, "c": 1, "<UNK>": 1, "d": 1, "e": 1}
    assert meta["vocab_size"] == 6 and meta["max_set_size"] == 3


def test_set_vocabulary_short_and_most_common():
    meta = SetFeatureMixin.get_feature_meta(feature("set"), pd.Series(["x", "x y"]), True)
    assert meta["idx2str"] == ["x", "y", "<UNK>"]
    meta = SetFeatureMixin.get_feature_meta(
        feature("set", preprocessing={"most_common": 2}), pd.Series(["a b c", "a b", "a"]), True
    )
    assert meta["idx2str"] == ["a", "b", "<UNK>"]


def test_set_multi_hot_matrix_with_unseen_and_empty_rows():
    config = feature("set", preprocessing={"lowercase": True})
    meta = SetFeatureMixin.get_feature_meta(config, pd.Series(["A b", "c"]), True)  # a, b, c, <UNK>
    data = SetFeatureMixin.feature_data(config, pd.Series(["a a", "B zzz", "", "c a"]), meta)
    assert data.dtype == bool and data.shape == (4, 4)
    expected = np.array([[1, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(data, expected)


def test_set_accepts_lists_and_other_tokenizers():
    config = feature("set", preprocessing={"tokenizer": "comma"})
    meta = SetFeatureMixin.get_feature_meta(config, pd.Series(["new york, paris", "paris"]), True)
    assert meta["idx2str"] == ["paris", "new york", "<UNK>"]
    data = SetFeatureMixin.feature_data(config, pd.Series([["paris"], "new york"], dtype=object), meta)
    np.testing.assert_array_equal(data, [[True, False, False], [False, True, False]])


def test_unknown_tokenizer_names_the_column():
    config = feature("set", preprocessing={"tokenizer": "nope"})
    with pytest.raises(InputDataError, match='"x".*nope'):
        SetFeatureMixin.get_feature_meta(config, pd.Series(["a"]), True)


def test_bag_counts():
    config = feature("bag")
    meta = BagFeatureMixin.get_feature_meta(config, pd.Series(["a a b", "b c"]), True)
    assert meta["idx2str"] == ["a", "b", "c", "<UNK>"]
    data = BagFeatureMixin.feature_data(config, pd.Series(["a a b", "q q q", "c"]), meta)
    assert data.dtype == np.float32
    np.testing.assert_array_equal(data, [[2, 1, 0, 0], [0, 0, 0, 3], [0, 0, 1, 0]])


def test_set_encoder_sums_the_embeddings_of_present_elements():
    from ludwig.encoders.set_encoders import SetEmbedEncoder

    config = feature("set", encoder={"embedding_size": 3}).encoder
    meta = {"idx2str": ["a", "b", "c", "<UNK>"], "vocab_size": 4}
    encoder = SetEmbedEncoder(config, 4, meta)
    weights = encoder.embed.embeddings.weight
    inputs = torch.tensor([[1.0, 0, 1, 0], [0, 2, 0, 0]])
    out = encoder(inputs)["encoder_output"]
    torch.testing.assert_close(out, torch.stack([weights[0] + weights[2], 2 * weights[1]]))
    assert encoder.output_size == 3
    with_fc = SetEmbedEncoder(feature("set", encoder={"num_fc_layers": 1}).encoder, 4, meta)
    assert with_fc.output_size == 10 and with_fc(inputs)["encoder_output"].shape == (2, 10)
    sparse = SetEmbedEncoder(feature("set", encoder={"representation": "sparse"}).encoder, 4, meta)
    torch.testing.assert_close(sparse(inputs)["encoder_output"], inputs)


def test_set_postprocessing_lists_labels_and_their_probabilities():
    meta = {"idx2str": ["a", "b", "c"]}
    probabilities = np.array([[0.9, 0.2, 0.6], [0.1, 0.1, 0.1], [0.3, 0.8, 0.5]], dtype=np.float32)
    outputs = {"predictions": probabilities >= 0.5, "probabilities": probabilities}
    columns = SetFeatureMixin.postprocess_predictions("y", outputs, meta)
    assert columns["y_predictions"] == [["a", "c"], [], ["b", "c"]]
    np.testing.assert_allclose(columns["y_probabilities"][0], [0.9, 0.6])
    assert len(columns["y_probabilities"][1]) == 0
    np.testing.assert_allclose(columns["y_probabilities"][2], [0.8, 0.5])


def test_jaccard_metric_and_sigmoid_cross_entropy():
    probabilities = torch.tensor([[0.9, 0.6, 0.1], [0.2, 0.2, 0.2], [0.7, 0.1, 0.1]])
    target = torch.tensor([[1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=torch.bool)
    metric = Jaccard(threshold=0.5)
    metric.update(probabilities[:2], target[:2])
    metric.update(probabilities[2:], target[2:])
    # Row 0: {0, 1} vs {0, 2} -> 1/3; row 1: both empty -> 1; row 2: {0} vs {1} -> 0.
    assert metric.compute() == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert Jaccard(threshold=0.65).__class__ is Jaccard
    strict = Jaccard(threshold=0.65)
    strict.update(probabilities, target)
    assert strict.compute() == pytest.approx((1 / 2 + 1 + 0) / 3)

    logits = torch.tensor([[2.0, -1.0], [0.5, 0.0]])
    targets = torch.tensor([[1, 0], [0, 1]], dtype=torch.bool)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets.float())
    metric = SigmoidCrossEntropy()
    metric.update(logits, targets)
    assert metric.compute() == pytest.approx(float(expected))
    loss = build_loss(output_set().loss)
    assert float(loss(logits, targets)) == pytest.approx(float(expected))
    weighted = build_loss(output_set(loss={"type": "sigmoid_cross_entropy", "class_weights": [3.0, 1.0]}).loss)
    expected_weighted = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, targets.float(), pos_weight=torch.tensor([3.0, 1.0])
    )
    assert float(weighted(logits, targets)) == pytest.approx(float(expected_weighted))


def test_set_output_class_weights_by_label():
    from ludwig.features.set_feature import SetOutputFeature

    meta = {"idx2str": ["a", "b", "<UNK>"], "str2idx": {"a": 0, "b": 1, "<UNK>": 2}, "vocab_size": 3}
    config = output_set(loss={"type": "sigmoid_cross_entropy", "class_weights": {"b": 2.0}})
    resolved = SetOutputFeature.loss_config(None, config, meta)
    assert resolved.class_weights == [1.0, 2.0, 1.0]
    bad = output_set(loss={"type": "sigmoid_cross_entropy", "class_weights": {"zz": 2.0}})
    with pytest.raises(InputDataError, match="zz"):
        SetOutputFeature.loss_config(None, bad, meta)
    wrong_length = output_set(loss={"type": "sigmoid_cross_entropy", "class_weights": [1.0]})
    with pytest.raises(InputDataError, match="1 values"):
        SetOutputFeature.loss_config(None, wrong_length, meta)


# ---------------------------------------------------------------------------------------------------------
# Date


def test_date_components_layout():
    dates = parse_dates(pd.Series(["2012-01-01", "2020-12-31 23:59:58"]))
    np.testing.assert_array_equal(
        date_components(dates),
        [
            # year, month, day, weekday (Mon=0), yearday, hour, minute, second, second of day
            [2012, 1, 1, 6, 1, 0, 0, 0, 0],
            [2020, 12, 31, 3, 366, 23, 59, 58, 86398],
        ],
    )


def test_date_format_inferred_explicit_and_mixed():
    config = feature("date")
    data = DateFeatureMixin.feature_data(config, pd.Series(["2021-03-04", "2021-03-05 10:11:12"]), {})
    assert data.dtype == np.int32 and data.shape == (2, 9)
    assert data[1].tolist() == [2021, 3, 5, 4, 64, 10, 11, 12, 36672]
    mixed = DateFeatureMixin.feature_data(config, pd.Series(["2021-03-04", "March 5, 2021", "2021/03/06"]), {})
    assert mixed[:, 2].tolist() == [4, 5, 6]
    european = feature("date", preprocessing={"datetime_format": "%d/%m/%Y"})
    data = DateFeatureMixin.feature_data(european, pd.Series(["01/02/2020", "13/02/2020"]), {})
    assert data[:, 1].tolist() == [2, 2] and data[:, 2].tolist() == [1, 13]
    already = DateFeatureMixin.feature_data(config, pd.Series(pd.to_datetime(["2000-05-06"])), {})
    assert already[0, :3].tolist() == [2000, 5, 6]


def test_malformed_date_names_column_and_row_unless_fill_value_is_a_date():
    config = feature("date")
    with pytest.raises(InputDataError, match=r'"x".*row 1.*not a date'):
        DateFeatureMixin.feature_data(config, pd.Series(["2021-03-04", "not a date", "2021-03-05"]), {})
    filled = feature("date", preprocessing={"fill_value": "2000-01-01"})
    data = DateFeatureMixin.feature_data(filled, pd.Series(["2021-03-04", "not a date"]), {})
    assert data[1, :3].tolist() == [2000, 1, 1]


def test_empty_date_is_the_epoch():
    data = DateFeatureMixin.feature_data(feature("date"), pd.Series(["2021-03-04", ""]), {})
    assert data[1].tolist() == [1970, 1, 1, 3, 1, 0, 0, 0, 0]


def test_date_metadata_and_encoders():
    from ludwig.encoders.date_encoders import DateEmbedEncoder, DateWaveEncoder

    config = feature("date")
    column = pd.Series(["2010-01-01 12:00:00", "2020-06-15", "2030-12-31 23:59:59"])
    meta = DateFeatureMixin.get_feature_meta(config, column, True)
    assert meta["year_mean"] == pytest.approx(2020.0)
    inputs = torch.from_numpy(DateFeatureMixin.feature_data(config, column, meta))
    embed = DateEmbedEncoder(config.encoder, 9, meta)
    assert embed(inputs)["encoder_output"].shape == (3, 1 + 7 * 10 + 1)
    with_fc = DateEmbedEncoder(feature("date", encoder={"num_fc_layers": 1}).encoder, 9, meta)
    assert with_fc.output_size == 10 and with_fc(inputs)["encoder_output"].shape == (3, 10)
    wave_config = feature("date", encoder={"type": "wave"}).encoder
    wave = DateWaveEncoder(wave_config, 9, meta)
    out = wave(inputs)["encoder_output"].detach()
    assert out.shape == (3, 1 + 16)
    # Noon is half a day: sine 0, cosine -1 for the second-of-day wave (the last pair).
    assert float(out[0, 8]) == pytest.approx(0.0, abs=1e-5) and float(out[0, 16]) == pytest.approx(-1.0)


# ---------------------------------------------------------------------------------------------------------
# H3


def test_h3_decoding_of_known_indices():
    # 0x8a2a1072b59ffff: the resolution 10 cell of the H3 documentation (base cell 21).
    components = h3_components(np.array([0x8A2A1072B59FFFF, 576495936675512319], dtype=np.uint64))
    # 0x8a2a1072b59ffff = 1000 1010 0010 1010 0001 0000 0111 0010 1011 0101 1001 1111 ...:
    # bit 63 = 0, mode = 0001, edge = 000, resolution = 1010, base cell = 0010101 (21), then digits
    # 000 010 000 011 100 101 011 010 110 011 and 111 for the 5 unused resolutions.
    assert components[0].tolist() == [1, 0, 10, 21, 0, 2, 0, 3, 4, 5, 3, 2, 6, 3, 7, 7, 7, 7, 7]
    # The default fill value 0x08001fffffffffff: mode 1, resolution 0, base cell 0, every digit 7.
    assert components[1].tolist() == [1, 0, 0, 0] + [7] * 15


def test_h3_round_trip_of_assembled_indices():
    rng = np.random.default_rng(0)
    expected, indices = [], []
    for _ in range(50):
        resolution, base = int(rng.integers(0, 16)), int(rng.integers(0, 122))
        digits = rng.integers(0, 7, 15).tolist()
        indices.append(h3_index(1, 0, resolution, base, digits))
        expected.append([1, 0, resolution, base] + [d if i < resolution else 7 for i, d in enumerate(digits)])
    values = np.array(indices, dtype=np.uint64)
    components = h3_components(values)
    np.testing.assert_array_equal(components, expected)
    assert (invalid_h3_reasons(values, components) == "").all()


def test_h3_feature_data_from_ints_strings_and_missing_fill():
    config = feature("h3")
    cell = h3_index(1, 0, 2, 5, [3, 4])
    column = pd.Series([cell, 576495936675512319])
    data = H3FeatureMixin.feature_data(config, column, {})
    assert data.dtype == np.uint8 and data.shape == (2, 19)
    assert data[0, :6].tolist() == [1, 0, 2, 5, 3, 4] and (data[0, 6:] == 7).all()
    strings = H3FeatureMixin.feature_data(config, pd.Series([str(cell), f"{cell:x}"]), {})
    np.testing.assert_array_equal(strings, np.stack([data[0], data[0]]))
    # A CSV column with gaps arrives as floats; cast_column keeps it integral so the fill value stays exact.
    cast = H3FeatureMixin.cast_column(pd.Series([float(2**40), np.nan]))
    filled = cast.fillna(576495936675512319)
    assert int(filled.iloc[1]) == 576495936675512319


@pytest.mark.parametrize(
    "value, reason",
    [
        (h3_index(1, 0, 2, 5, [3, 7]), "a digit within the resolution is 7"),
        (h3_index(1, 0, 2, 5, [3, 4]) & ~7, "digits past the resolution are not 7"),
        (h3_index(1, 0, 2, 125, [3, 4]), "base cell"),
        (h3_index(3, 0, 2, 5, [3, 4]), "mode"),
        (h3_index(1, 2, 2, 5, [3, 4]), "reserved bits"),
        (12345, "mode"),
    ],
)
def test_invalid_h3_index_names_column_and_row(value, reason):
    column = pd.Series([576495936675512319, value])
    with pytest.raises(InputDataError, match=rf'"x".*row 1.*{reason}'):
        H3FeatureMixin.feature_data(feature("h3"), column, {})


def test_unreadable_h3_value_names_row():
    with pytest.raises(InputDataError, match=r"row 0.*'hello'"):
        H3FeatureMixin.feature_data(feature("h3"), pd.Series(["hello"]), {})
    with pytest.raises(InputDataError, match="row 1"):
        H3FeatureMixin.feature_data(feature("h3"), pd.Series([576495936675512319, -5]), {})


@pytest.mark.parametrize(
    "encoder",
    [
        {"type": "embed"},
        {"type": "embed", "reduce_output": "concat"},
        {"type": "embed", "reduce_output": None},
        {"type": "weighted_sum", "should_softmax": True},
        {"type": "rnn"},
        {"type": "rnn", "cell_type": "lstm", "bidirectional": True, "num_layers": 2},
        {"type": "rnn", "cell_type": "gru", "reduce_output": "mean"},
    ],
)
def test_h3_encoders_shapes(encoder):
    import ludwig.encoders.h3_encoders  # noqa: F401  (registers the h3 encoders)
    from ludwig.encoders.registry import encoder_registry

    config = feature("h3", encoder=encoder).encoder
    cls = encoder_registry.for_type("h3")[config.type]
    module = cls(config, 19, {})
    inputs = torch.from_numpy(
        h3_components(np.array([h3_index(1, 0, r, 7, [1] * 15) for r in (0, 3, 15)], dtype=np.uint64))
    )
    out = module(inputs)["encoder_output"]
    if encoder.get("reduce_output", "x") is None:
        assert out.shape == (3, 19, 10)
    else:
        assert out.shape == (3, module.output_size)
    assert torch.isfinite(out).all()


def test_h3_embed_ignores_digits_past_the_resolution():
    from ludwig.encoders.h3_encoders import H3EmbedEncoder

    module = H3EmbedEncoder(feature("h3").encoder, 19, {})
    row = h3_components(np.array([h3_index(1, 0, 2, 7, [1, 2])], dtype=np.uint64))
    changed = row.copy()
    changed[0, 10] = 3  # a digit past resolution 2 (only invalid data would have it)
    same = module(torch.from_numpy(row))["encoder_output"], module(torch.from_numpy(changed))["encoder_output"]
    torch.testing.assert_close(*same)


def test_set_encoder_with_pretrained_embeddings(tmp_path):
    from ludwig.encoders.set_encoders import SetEmbedEncoder

    path = tmp_path / "vectors.txt"
    path.write_text("a 1.0 2.0\nb 3.0 4.0\nunused 9.0 9.0\n")
    config = feature("set", encoder={"pretrained_embeddings": str(path), "embeddings_trainable": False}).encoder
    meta = {"idx2str": ["a", "b", "<UNK>"], "vocab_size": 3}
    encoder = SetEmbedEncoder(config, 3, meta)
    out = encoder(torch.tensor([[1.0, 1.0, 0.0]]))["encoder_output"]
    torch.testing.assert_close(out, torch.tensor([[4.0, 6.0]]))
    assert not encoder.embed.embeddings.weight.requires_grad
