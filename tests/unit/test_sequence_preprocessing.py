"""Sequence/text preprocessing: vocabularies, id matrices, tokenizers, bad input, embed/passthrough encoders."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import ludwig.schema.model_config  # noqa: F401  (registers every schema section)
from ludwig.constants import PADDING_SYMBOL, START_SYMBOL, STOP_SYMBOL, UNKNOWN_SYMBOL
from ludwig.encoders.registry import encoder_registry
from ludwig.error import InputDataError
from ludwig.features.feature_registries import load_all_features
from ludwig.features.sequence_feature import SequenceFeatureMixin
from ludwig.features.text_feature import TextFeatureMixin
from ludwig.schema.encoders.base import encoder_config_registry
from ludwig.schema.features.sequence_feature import SequenceInputFeatureConfig, SequenceOutputPreprocessingConfig
from ludwig.schema.features.text_feature import TextInputFeatureConfig, TextOutputPreprocessingConfig
from ludwig.utils import strings_utils
from ludwig.utils.registry import import_submodules
from ludwig.utils.tokenizers import get_tokenizer, tokenize_column

load_all_features()
import_submodules("ludwig.encoders")
EOS, SOS, PAD, UNK = 0, 1, 2, 3


def sequence_config(**preprocessing):
    return SequenceInputFeatureConfig.from_dict(
        {"name": "seq", "type": "sequence", "column": "seq", "encoder": "embed", "preprocessing": preprocessing}
    )


def text_config(**preprocessing):
    return TextInputFeatureConfig.from_dict(
        {"name": "txt", "type": "text", "column": "txt", "encoder": "embed", "preprocessing": preprocessing}
    )


def meta_and_data(config, train, data=None, mixin=SequenceFeatureMixin):
    train = pd.Series(train, dtype=object)
    metadata = mixin.get_feature_meta(config, train, True)
    return metadata, mixin.feature_data(config, train if data is None else pd.Series(data, dtype=object), metadata)


# ---------------------------------------------------------------------------------------------------------
# Vocabulary


def test_vocabulary_order_special_symbols_then_frequency_ties_by_token():
    metadata, _ = meta_and_data(sequence_config(), ["b a c", "a b", "a d", "c"])
    assert metadata["idx2str"] == [STOP_SYMBOL, START_SYMBOL, PADDING_SYMBOL, UNKNOWN_SYMBOL, "a", "b", "c", "d"]
    assert metadata["str2idx"]["a"] == 4 and metadata["vocab_size"] == 8
    assert metadata["str2freq"]["a"] == 3 and metadata["str2freq"]["d"] == 1
    assert metadata["pad_idx"] == PAD
    assert metadata["padding_symbol"] == PADDING_SYMBOL and metadata["unknown_symbol"] == UNKNOWN_SYMBOL
    json.dumps(metadata)  # metadata is data


def test_most_common_keeps_the_most_frequent_tokens_and_maps_the_rest_to_unknown():
    metadata, data = meta_and_data(sequence_config(most_common=2), ["x x x y y z", "z w"])
    assert metadata["idx2str"][4:] == ["x", "y"]
    assert data[1].tolist()[:4] == [SOS, UNK, UNK, EOS]


def test_custom_padding_and_unknown_symbols():
    config = sequence_config(padding_symbol="[P]", unknown_symbol="[U]", fill_value="[U]")
    metadata, data = meta_and_data(config, ["a b", "a"], ["q", None])
    assert metadata["idx2str"][:4] == [STOP_SYMBOL, START_SYMBOL, "[P]", "[U]"]
    assert data[0].tolist() == [SOS, UNK, EOS, PAD]


def test_padding_and_unknown_symbols_must_differ():
    with pytest.raises(InputDataError, match="must differ"):
        meta_and_data(sequence_config(padding_symbol="<X>", unknown_symbol="<X>"), ["a"])


def test_vocab_file_overrides_the_inferred_vocabulary(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("zeta\t10\nalpha\n<UNK>\n\nbeta\nalpha\n", encoding="utf-8")
    metadata, data = meta_and_data(sequence_config(vocab_file=str(path)), ["alpha gamma", "beta"])
    assert metadata["idx2str"] == [STOP_SYMBOL, START_SYMBOL, PADDING_SYMBOL, UNKNOWN_SYMBOL, "zeta", "alpha", "beta"]
    assert metadata["str2freq"]["zeta"] == 0 and metadata["str2freq"]["alpha"] == 1
    assert data[0].tolist() == [SOS, 5, UNK, EOS]


def test_missing_or_empty_vocab_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputDataError, match=r'Column "seq".*vocab_file .*does not exist'):
        meta_and_data(sequence_config(vocab_file=str(tmp_path / "nope.txt")), ["a"])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="holds no token"):
        meta_and_data(sequence_config(vocab_file=str(empty)), ["a"])


def test_lowercase():
    metadata, data = meta_and_data(sequence_config(lowercase=True), ["Hello WORLD", "hello"], ["HELLO"])
    assert metadata["idx2str"][4:] == ["hello", "world"]
    assert data[0].tolist() == [SOS, 4, EOS, PAD]
    metadata, _ = meta_and_data(sequence_config(), ["Hello hello"])
    assert metadata["idx2str"][4:] == ["Hello", "hello"]


def test_text_defaults_lowercase_space_punct_and_text_metadata():
    config = text_config(compute_idf=True)
    assert config.preprocessing.tokenizer == "space_punct" and config.preprocessing.lowercase is True
    metadata, data = meta_and_data(config, ["Hello, World!", "hello again"], mixin=TextFeatureMixin)
    assert metadata["idx2str"][4] == "hello"
    assert metadata["max_sequence_length"] == 6  # 4 tokens + start + stop
    assert metadata["max_sequence_length_99ptile"] == pytest.approx(np.percentile([6, 4], 99))
    assert metadata["str2idf"]["hello"] < metadata["str2idf"]["world"]
    assert data.dtype == np.int32 and data.shape == (2, 6)
    json.dumps(metadata)


# ---------------------------------------------------------------------------------------------------------
# Id matrices


def test_matrix_right_padding_start_and_stop_symbols():
    metadata, data = meta_and_data(sequence_config(), ["a b c", "a"])
    assert data.dtype == np.int32
    a, b, c = (metadata["str2idx"][t] for t in "abc")
    assert data.tolist() == [[SOS, a, b, c, EOS], [SOS, a, EOS, PAD, PAD]]
    assert metadata["max_sequence_length"] == 5


def test_matrix_left_padding():
    metadata, data = meta_and_data(sequence_config(padding="left"), ["a b c", "a"])
    a = metadata["str2idx"]["a"]
    assert data[1].tolist() == [PAD, PAD, SOS, a, EOS]


def test_truncation_to_max_sequence_length_and_fixed_sequence_length():
    metadata, data = meta_and_data(sequence_config(max_sequence_length=4), ["a b c d e f", "a"])
    a, b, c = (metadata["str2idx"][t] for t in "abc")
    assert metadata["max_sequence_length"] == 4
    assert data.tolist() == [[SOS, a, b, c], [SOS, a, EOS, PAD]]
    _, left = meta_and_data(sequence_config(max_sequence_length=4, padding="left"), ["a b c d e f", "a"])
    assert left.tolist() == [[SOS, a, b, c], [PAD, SOS, a, EOS]]
    metadata, data = meta_and_data(sequence_config(sequence_length=7), ["a b", "a"])
    assert metadata["max_sequence_length"] == 7 and data.shape == (2, 7)


def test_prediction_rows_longer_than_training_rows_are_truncated_to_the_training_width():
    metadata, data = meta_and_data(sequence_config(), ["a b", "b"], ["a a a a a a a", "b"])
    assert data.shape == (2, 4)
    a = metadata["str2idx"]["a"]
    assert data[0].tolist() == [SOS, a, a, a]


def test_unknown_empty_and_missing_values():
    config = sequence_config()
    metadata, data = meta_and_data(config, ["a b", "b"], ["zzz a", "", "   ", UNKNOWN_SYMBOL])
    a = metadata["str2idx"]["a"]
    assert data[0].tolist() == [SOS, UNK, a, EOS]
    assert data[1].tolist() == [SOS, EOS, PAD, PAD]  # an empty string is an empty sequence
    assert data[2].tolist() == [SOS, EOS, PAD, PAD]
    assert data[3].tolist() == [SOS, UNK, EOS, PAD]  # the fill value of missing values is one unknown token


def test_missing_value_fill_is_one_unknown_token_even_with_space_punct():
    config = text_config()
    tokens = strings_utils.tokenize_sequences(pd.Series(["<UNK>", "a <b>"]), get_tokenizer("space_punct"), True)
    assert tokens.tolist() == [[UNKNOWN_SYMBOL], ["a", "<", "b", ">"]]
    metadata, data = meta_and_data(config, ["hi there", UNKNOWN_SYMBOL], mixin=TextFeatureMixin)
    assert data[1].tolist()[:3] == [SOS, UNK, EOS]


def test_build_sequence_matrix_matches_a_per_row_reference():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    rows = [" ".join(rng.choice(words, size=rng.integers(0, 12))) for _ in range(200)]
    column = pd.Series(rows)
    tokens = tokenize_column(column, get_tokenizer("space"))
    vocab = strings_utils.create_vocabulary(tokens, most_common=20)
    for padding in ("right", "left"):
        matrix = strings_utils.build_sequence_matrix(tokens, vocab.idx2str, 9, padding=padding)
        for row, token_list in zip(matrix, tokens):
            content = [SOS] + [vocab.str2idx.get(t, UNK) for t in token_list] + [EOS]
            content = content[:9]
            pads = [PAD] * (9 - len(content))
            assert row.tolist() == (content + pads if padding == "right" else pads + content)


def test_build_sequence_matrix_rejects_unknown_padding():
    with pytest.raises(ValueError, match="padding 'middle'"):
        strings_utils.build_sequence_matrix(pd.Series([["a"]]), ["a"], 3, padding="middle")


def test_ids_producing_tokenizer_uses_its_own_vocabulary_and_pad_id():
    class IdsTokenizer:
        produces_ids = True
        pad_token, pad_token_id, unk_token = "[PAD]", 0, "[UNK]"

        def get_vocab(self):
            return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"]

        def __call__(self, text):
            return [2] + [4 if w == "a" else 5 if w == "b" else 1 for w in text.split()] + [3]

    tokens = pd.Series([IdsTokenizer()(t) for t in ["a b a", "b"]], dtype=object)
    vocab = strings_utils.vocabulary_from_tokenizer(IdsTokenizer(), tokens)
    assert vocab.pad_idx == 0 and vocab.max_sequence_length == 5 and vocab.str2freq["a"] == 2
    matrix = strings_utils.build_sequence_matrix(tokens, vocab.idx2str, 5, pad_idx=0, start_idx=None, stop_idx=None)
    assert matrix.tolist() == [[2, 4, 5, 4, 3], [2, 5, 3, 0, 0]]


# ---------------------------------------------------------------------------------------------------------
# Tokenizers


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("space", "a  b\tc", ["a", "b", "c"]),
        ("space_punct", "Hi, you!", ["Hi", ",", "you", "!"]),
        ("english_tokenize", "Don't pay 3.50 now!", ["Don't", "pay", "3.50", "now", "!"]),
        ("english_tokenize_filter", "Don't pay 3.50 to me now!", ["Don't", "pay", "now"]),
        ("english_tokenize_remove_stopwords", "The cat is on the mat", ["cat", "mat"]),
    ],
)
def test_word_tokenizers(name, text, expected):
    assert get_tokenizer(name)(text) == expected


def test_ngram_tokenizer_uses_ngram_size():
    config = sequence_config(tokenizer="ngram", ngram_size=3)
    tokenizer = strings_utils.tokenizer_from_preprocessing(config.preprocessing)
    assert tokenizer("a b c") == ["a", "b", "c", "a b", "b c", "a b c"]
    metadata, _ = meta_and_data(config, ["a b c"])
    assert "a b c" in metadata["str2idx"]


def test_spacy_and_sentencepiece_tokenizers_name_what_to_install():
    try:
        import spacy  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"'english_lemmatize' needs spaCy.*pip install spacy"):
            get_tokenizer("english_lemmatize")
        with pytest.raises(ImportError, match="de_core_news_sm"):
            get_tokenizer("german_tokenize")
    try:
        import sentencepiece  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install sentencepiece"):
            get_tokenizer("sentencepiece")


def test_unknown_tokenizer_is_a_validation_error_with_a_suggestion():
    from marshmallow import ValidationError

    with pytest.raises(ValidationError, match="Did you mean 'space_punct'"):
        sequence_config(tokenizer="space_pnuct")


def test_output_preprocessing_drops_rows_with_missing_targets():
    assert SequenceOutputPreprocessingConfig.from_dict({}).missing_value_strategy == "drop_row"
    text_output = TextOutputPreprocessingConfig.from_dict({})
    assert text_output.missing_value_strategy == "drop_row" and text_output.tokenizer == "space_punct"


# ---------------------------------------------------------------------------------------------------------
# Postprocessing of predicted id matrices


def test_postprocess_predictions_stops_at_the_stop_symbol():
    metadata, _ = meta_and_data(text_config(), ["hello world"], mixin=TextFeatureMixin)
    hello, world = metadata["str2idx"]["hello"], metadata["str2idx"]["world"]
    predictions = np.array([[SOS, hello, world, EOS, hello], [hello, EOS, PAD, PAD, PAD], [PAD] * 5])
    probabilities = np.array([[0.9, 0.5, 0.5, 0.8, 0.1], [0.5, 0.4, 1, 1, 1], [1] * 5])
    text = TextFeatureMixin.postprocess_predictions(
        "txt", {"predictions": predictions, "probabilities": probabilities}, metadata
    )
    assert text["txt_predictions"] == ["hello world", "hello", ""]
    assert text["txt_probabilities"][0] == [0.5, 0.5, 0.8]
    assert text["txt_probability"][1] == pytest.approx(np.log(0.5 * 0.4))
    sequence = SequenceFeatureMixin.postprocess_predictions("seq", {"predictions": predictions}, metadata)
    assert sequence["seq_predictions"][0] == ["hello", "world"]
    assert "seq_probabilities" not in sequence


# ---------------------------------------------------------------------------------------------------------
# Encoders


def build_encoder(feature_type, name, metadata, **options):
    config = encoder_config_registry.for_type(feature_type)[name].from_dict({"type": name, **options})
    return encoder_registry.for_type(feature_type)[name](config, metadata["max_sequence_length"], metadata)


def test_embed_encoder_sum_ignores_padding_and_keeps_sequence_when_not_reduced():
    metadata, data = meta_and_data(sequence_config(), ["a b c d", "a b"])
    encoder = build_encoder("sequence", "embed", metadata, embedding_size=8)
    short = torch.tensor(data[1:2], dtype=torch.long)
    longer = torch.cat([short, torch.full((1, 3), PAD)], dim=1)
    out_short, out_long = encoder(short)["encoder_output"], encoder(longer)["encoder_output"]
    assert out_short.shape == (1, 8) and encoder.output_size == 8
    assert torch.allclose(out_short, out_long)
    sequence = build_encoder("text", "embed", metadata, embedding_size=8, reduce_output=None)
    assert sequence(torch.tensor(data, dtype=torch.long))["encoder_output"].shape == (2, 6, 8)


def test_embed_encoder_sparse_and_pretrained_embeddings(tmp_path):
    metadata, data = meta_and_data(sequence_config(), ["a b", "b"])
    sparse = build_encoder("sequence", "embed", metadata, representation="sparse", embeddings_trainable=False)
    assert sparse.output_size == metadata["vocab_size"]
    out = sparse(torch.tensor(data, dtype=torch.long))["encoder_output"]
    assert metadata["idx2str"][4] == "b"
    assert out[1].tolist() == [1, 1, 0, 0, 1, 0]  # <EOS>, <SOS>, "b"; padding masked out
    glove = tmp_path / "glove.txt"
    glove.write_text("a 1 2 3\nb 4 5 6\n", encoding="utf-8")
    pretrained = build_encoder("sequence", "embed", metadata, pretrained_embeddings=str(glove), reduce_output=None)
    assert pretrained.output_size == 3
    vectors = pretrained(torch.tensor([[metadata["str2idx"]["b"]]]))["encoder_output"]
    assert vectors[0, 0].tolist() == [4.0, 5.0, 6.0]


def test_embed_encoder_on_cpu_keeps_the_table_on_cpu():
    metadata, data = meta_and_data(sequence_config(), ["a b", "b"])
    encoder = build_encoder("sequence", "embed", metadata, embedding_size=4, embeddings_on_cpu=True)
    encoder.to("meta")
    assert encoder.embed.embeddings.weight.device.type == "cpu"
    assert encoder(torch.tensor(data, dtype=torch.long))["encoder_output"].shape == (2, 4)


def test_passthrough_encoder_hands_ids_as_float_steps():
    metadata, data = meta_and_data(sequence_config(), ["a b", "b"])
    encoder = build_encoder("sequence", "passthrough", metadata)
    out = encoder(torch.tensor(data, dtype=torch.long))["encoder_output"]
    assert out.dtype == torch.float32 and out.shape == (2, 4, 1) and encoder.output_size == 1
    assert out[0, :, 0].tolist() == data[0].astype(float).tolist()
    summed = build_encoder("text", "passthrough", metadata, reduce_output="sum")
    assert summed(torch.tensor(data, dtype=torch.long))["encoder_output"].shape == (2, 1)


def test_global_max_sequence_length_caps_every_sequence_feature():
    from ludwig.schema.model_config import ModelConfig

    config = ModelConfig.from_dict(
        {
            "input_features": [
                {
                    "name": "s",
                    "type": "sequence",
                    "encoder": {"type": "embed"},
                    "preprocessing": {"max_sequence_length": 50},
                },
                {
                    "name": "t",
                    "type": "text",
                    "encoder": {"type": "embed"},
                    "preprocessing": {"max_sequence_length": 5},
                },
            ],
            "output_features": [{"name": "y", "type": "binary"}],
            "preprocessing": {"global_max_sequence_length": 10},
        }
    )
    assert [f.preprocessing.max_sequence_length for f in config.input_features] == [10, 5]


@pytest.mark.parametrize(
    "name", ["space", "space_punct", "english_tokenize", "english_tokenize_filter", "english_tokenize_remove_stopwords"]
)
@pytest.mark.parametrize("lowercase", [False, True])
def test_chunked_tokenization_matches_tokenizing_each_row(name, lowercase):
    plain = pd.Series(["Hello, World! It's 3.50", "", None, "  spaced\tout\n words ", "The THE the, a-b c_d"])
    tokenizer = get_tokenizer(name)
    fast = strings_utils.tokenize_sequences(plain, tokenizer, lowercase).tolist()
    assert fast == tokenize_column(plain, tokenizer, lowercase).tolist()
    with_unknown = pd.Series(["<UNK>", "so <UNK> it, is"])
    expected = [
        [
            t
            for chunk in text.split()
            for t in ([UNKNOWN_SYMBOL] if chunk == UNKNOWN_SYMBOL else tokenizer(chunk.lower() if lowercase else chunk))
        ]
        for text in with_unknown
    ]
    assert strings_utils.tokenize_sequences(with_unknown, tokenizer, lowercase).tolist() == expected


def test_split_on_whitespace_keeps_row_boundaries_and_survives_the_separator_in_the_data():
    chunks, counts = strings_utils.split_on_whitespace(["a b", "", "  c\td ", "e"])
    assert chunks.tolist() == ["a", "b", "c", "d", "e"] and counts.tolist() == [2, 0, 2, 1]
    tricky = ["x " + strings_utils._ROW_SEPARATOR, "y"]
    chunks, counts = strings_utils.split_on_whitespace(tricky)
    assert counts.tolist() == [2, 1]


def test_whole_float_column_values_are_integer_tokens():
    column = SequenceFeatureMixin.cast_column(pd.Series([3.0, np.nan, 12.0]))
    metadata, data = meta_and_data(sequence_config(), column.fillna(UNKNOWN_SYMBOL).tolist())
    assert metadata["idx2str"][4:] == ["12", "3"]
    assert data[0].tolist() == [SOS, metadata["str2idx"]["3"], EOS]
