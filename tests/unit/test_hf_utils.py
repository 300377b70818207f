"""Hugging Face pieces on a tiny local model: loading, the hf_tokenizer, text preprocessing, the encoders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("transformers")

from ludwig.encoders import text_encoders  # noqa: E402
from ludwig.encoders.registry import encoder_registry  # noqa: E402
from ludwig.error import ConfigValidationError  # noqa: E402
from ludwig.features.sequence_feature import SequenceFeatureMixin  # noqa: E402
from ludwig.features.text_feature import TextFeatureMixin  # noqa: E402
from ludwig.schema.encoders.base import encoder_config_registry  # noqa: E402
from ludwig.schema.encoders.text_encoders import HF_TEXT_ENCODERS  # noqa: E402
from ludwig.schema.model_config import ModelConfig  # noqa: E402
from ludwig.utils import hf_utils  # noqa: E402
from ludwig.utils.tokenizers import get_tokenizer, tokenize_column  # noqa: E402
from tests.hf_models import SPECIAL_TOKENS, TINY_ARCHITECTURE, WORDS, save_tiny_bert  # noqa: E402

PAD, UNK, CLS, SEP = 0, 1, 2, 3


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> str:
    return save_tiny_bert(str(tmp_path_factory.mktemp("tiny_bert")))


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _encoder(name: str, metadata: dict, **section):
    config = encoder_config_registry.for_type("text")[name].from_dict(section)
    return encoder_registry.for_type("text")[name](config, metadata["max_sequence_length"], metadata)


def _metadata(width: int = 6) -> dict:
    return {"vocab_size": len(SPECIAL_TOKENS) + len(WORDS), "pad_idx": PAD, "max_sequence_length": width}


def _ids(*rows: list[str], width: int = 6) -> torch.Tensor:
    vocab = {t: i for i, t in enumerate(SPECIAL_TOKENS + WORDS)}
    matrix = torch.full((len(rows), width), PAD, dtype=torch.long)
    for r, words in enumerate(rows):
        ids = [CLS] + [vocab[w] for w in words] + [SEP]
        matrix[r, : len(ids)] = torch.tensor(ids)
    return matrix


# ---------------------------------------------------------------------------------------------------------
# Loading


def test_missing_local_directory_names_the_parameter():
    with pytest.raises(OSError, match=r"pretrained_model_name_or_path: the directory '/nonexistent/x/model'"):
        hf_utils.load_pretrained_model("/nonexistent/x/model")
    with pytest.raises(OSError, match="pretrained_model_name_or_path.*does not exist"):
        hf_utils.load_pretrained_tokenizer("./no_such_model_dir/")


def test_hub_name_not_cached_offline_says_to_pass_a_local_directory():
    assert hf_utils.hub_offline()
    with pytest.raises(OSError) as error:
        hf_utils.load_pretrained_model("ludwig-tests-no-such-org/no-such-model")
    message = str(error.value)
    assert "pretrained_model_name_or_path" in message and "offline" in message and "local directory" in message


def test_directory_without_a_model_and_wrong_architecture_are_clear_errors(tiny_bert, tmp_path):
    with pytest.raises(OSError, match="pretrained_model_name_or_path: cannot load the model from the directory"):
        hf_utils.load_pretrained_model(str(tmp_path))
    with pytest.raises(ValueError, match="encoder 'gpt2' needs a 'gpt2' checkpoint, but .* holds a 'bert' model"):
        _encoder("gpt2", _metadata(), pretrained_model_name_or_path=tiny_bert)


def test_loads_model_and_tokenizer_from_a_local_directory(tiny_bert):
    model = hf_utils.load_pretrained_model(tiny_bert)
    assert type(model).__name__ == "BertModel" and model.config.hidden_size == 32
    tokenizer = hf_utils.load_pretrained_tokenizer(tiny_bert)
    assert tokenizer.pad_token_id == PAD
    assert hf_utils.tokenizer_vocabulary(tokenizer) == SPECIAL_TOKENS + WORDS


# ---------------------------------------------------------------------------------------------------------
# hf_tokenizer and text preprocessing


def test_hf_tokenizer_gives_ids_with_special_tokens(tiny_bert):
    tokenizer = get_tokenizer("hf_tokenizer", pretrained_model_name_or_path=tiny_bert)
    vocab = SPECIAL_TOKENS + WORDS
    assert tokenizer.produces_ids and tokenizer.get_vocab() == vocab
    assert (tokenizer.pad_token, tokenizer.pad_token_id, tokenizer.unk_token) == ("[PAD]", PAD, "[UNK]")
    ids = tokenizer("The movie was GOOD zzz")
    assert ids == [CLS, vocab.index("the"), vocab.index("movie"), vocab.index("was"), vocab.index("good"), UNK, SEP]
    column = pd.Series(["good film", "", None], index=[7, 8, 9])
    tokens = tokenize_column(column, tokenizer)
    assert list(tokens.index) == [7, 8, 9]
    assert tokens.tolist() == [tokenizer("good film"), [CLS, SEP], [CLS, SEP]]


def test_hf_tokenizer_needs_a_path():
    with pytest.raises(ValueError, match="pretrained_model_name_or_path"):
        get_tokenizer("hf_tokenizer")


def test_named_hf_tokenizers_take_a_local_path_or_name_their_default_checkpoint(tiny_bert):
    tokenizer = get_tokenizer("bert", pretrained_model_name_or_path=tiny_bert)
    assert tokenizer("good") == [CLS, (SPECIAL_TOKENS + WORDS).index("good"), SEP]
    # Offline and not cached: the error names the default checkpoint the tokenizer would need.
    with pytest.raises((OSError, ValueError), match="gpt2"):
        get_tokenizer("gpt2bpe")


def _text_input_config(tiny_bert: str, **preprocessing):
    config = ModelConfig.from_dict(
        {
            "input_features": [
                {
                    "name": "review",
                    "type": "text",
                    "encoder": {"type": "bert", "pretrained_model_name_or_path": tiny_bert},
                    "preprocessing": preprocessing,
                }
            ],
            "output_features": [{"name": "y", "type": "binary"}],
        }
    )
    return config.input_features[0]


def test_hf_encoder_renders_hf_tokenizer_preprocessing(tiny_bert):
    feature = _text_input_config(tiny_bert, tokenizer="space")
    assert feature.preprocessing.tokenizer == "hf_tokenizer"
    assert feature.preprocessing.pretrained_model_name_or_path == tiny_bert


def test_text_preprocessing_uses_the_tokenizer_vocabulary(tiny_bert):
    feature = _text_input_config(tiny_bert, max_sequence_length=6)
    train = pd.Series(["good movie", "the film was really very boring"])
    metadata = TextFeatureMixin.get_feature_meta(feature, train, is_input_feature=True)
    vocab = SPECIAL_TOKENS + WORDS
    assert metadata["idx2str"] == vocab and metadata["vocab_size"] == len(vocab)
    assert metadata["str2idx"]["good"] == vocab.index("good")
    assert (metadata["pad_idx"], metadata["padding_symbol"], metadata["unknown_symbol"]) == (PAD, "[PAD]", "[UNK]")
    assert metadata["max_sequence_length"] == 6  # longest row has 8 ids, capped by max_sequence_length
    assert metadata["str2freq"]["[CLS]"] == 2 and metadata["str2freq"]["good"] == 1
    matrix = TextFeatureMixin.feature_data(feature, pd.Series(["good movie", "awful xyz", ""]), metadata)
    assert matrix.dtype == np.int32 and matrix.shape == (3, 6)
    good, movie, awful = vocab.index("good"), vocab.index("movie"), vocab.index("awful")
    assert matrix.tolist() == [
        [CLS, good, movie, SEP, PAD, PAD],
        [CLS, awful, UNK, SEP, PAD, PAD],
        [CLS, SEP, PAD, PAD, PAD, PAD],
    ]


def test_config_errors_for_hf_text_inputs(tiny_bert):
    def config(encoder, preprocessing=None):
        feature = {"name": "t", "type": "text", "encoder": encoder, "preprocessing": preprocessing or {}}
        return {"input_features": [feature], "output_features": [{"name": "y", "type": "binary"}]}

    with pytest.raises(ConfigValidationError, match=r"input_features\[0\]\.encoder\.pretrained_model_name_or_path"):
        ModelConfig.from_dict(config({"type": "auto_transformer"}))
    with pytest.raises(ConfigValidationError, match=r"preprocessing\.pretrained_model_name_or_path: required"):
        ModelConfig.from_dict(config({"type": "embed"}, {"tokenizer": "hf_tokenizer"}))
    with pytest.raises(ConfigValidationError, match="cache_encoder_embeddings: the encoder is trainable"):
        ModelConfig.from_dict(
            config(
                {"type": "bert", "pretrained_model_name_or_path": tiny_bert, "trainable": True},
                {"cache_encoder_embeddings": True},
            )
        )
    with pytest.raises(ConfigValidationError, match="reduce_output"):
        ModelConfig.from_dict(config({"type": "bert", "reduce_output": "pooled"}))


# ---------------------------------------------------------------------------------------------------------
# Encoders


def test_named_encoders_default_checkpoints_and_hf_defaults():
    defaults = {name: encoder_config_registry.for_type("text")[name].from_dict({}) for name in HF_TEXT_ENCODERS}
    assert defaults["bert"].pretrained_model_name_or_path == "bert-base-uncased"
    assert defaults["albert"].pretrained_model_name_or_path == "albert-base-v2"
    assert defaults["distilbert"].pretrained_model_name_or_path == "distilbert-base-uncased"
    pooled = {"albert", "bert", "longformer", "roberta", "xlmroberta"}  # Ludwig sums the others' token vectors
    for name, section in defaults.items():
        reduce_output = "cls_pooled" if name in pooled else "sum"
        assert (section.use_pretrained, section.trainable, section.reduce_output) == (True, False, reduce_output), name
    auto = encoder_config_registry.for_type("text")["auto_transformer"].from_dict(
        {"pretrained_model_name_or_path": "x"}
    )
    assert (auto.trainable, auto.reduce_output) == (False, "sum")


@pytest.mark.parametrize("name", sorted(HF_TEXT_ENCODERS))
def test_every_named_encoder_builds_its_architecture(name):
    """use_pretrained false: the section's architecture keys build the model (no checkpoint needed)."""
    spec = HF_TEXT_ENCODERS[name]
    architecture = {key: TINY_ARCHITECTURE[key] for key, _, _ in spec.architecture if key in TINY_ARCHITECTURE}
    metadata = _metadata()
    encoder = _encoder(name, metadata, use_pretrained=False, reduce_output="mean", **architecture)
    assert type(encoder.transformer).__name__ == spec.model_class
    ids = _ids(["good", "movie"], ["bad"])
    output = encoder(ids)["encoder_output"]
    assert output.shape == (2, encoder.output_size) and torch.isfinite(output).all()


def test_reduce_modes(tiny_bert):
    metadata = _metadata()
    ids = _ids(["good", "movie"], ["bad"])
    mask = ids != PAD
    reference = hf_utils.load_pretrained_model(tiny_bert).eval()
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask.long())
    hidden = expected.last_hidden_state
    m = mask.unsqueeze(-1).float()
    wanted = {
        "cls_pooled": expected.pooler_output,
        "sum": (hidden * m).sum(1),
        "mean": (hidden * m).sum(1) / m.sum(1),
        "max": hidden.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1),
        "last": hidden[torch.arange(2), mask.sum(1) - 1],
        "concat": hidden.flatten(1),
        None: hidden,
    }
    for mode, value in wanted.items():
        encoder = _encoder("auto_transformer", metadata, pretrained_model_name_or_path=tiny_bert, reduce_output=mode)
        output = encoder(ids)["encoder_output"]
        torch.testing.assert_close(output, value, msg=f"reduce_output {mode}")
        assert output.shape[-1] == encoder.output_size


def test_cls_pooled_without_pooler_is_the_first_token():
    metadata = _metadata()
    architecture = {key: TINY_ARCHITECTURE[key] for key in ("dim", "n_layers", "n_heads", "hidden_dim")}
    encoder = _encoder("distilbert", metadata, use_pretrained=False, reduce_output="cls_pooled", **architecture)
    ids = _ids(["good"], ["bad", "plot"])
    with torch.no_grad():
        first = encoder.transformer(input_ids=ids, attention_mask=(ids != PAD).long()).last_hidden_state[:, 0]
    torch.testing.assert_close(encoder(ids)["encoder_output"], first)
    left = torch.stack([ids[1].roll(2), ids[0]])  # `padding: left`: [PAD, PAD, CLS, bad, plot, SEP]
    assert left[0, :3].tolist() == [PAD, PAD, CLS]
    with torch.no_grad():
        hidden = encoder.transformer(input_ids=left, attention_mask=(left != PAD).long()).last_hidden_state
    torch.testing.assert_close(encoder(left)["encoder_output"], torch.stack([hidden[0, 2], hidden[1, 0]]))


def test_padding_is_masked(tiny_bert):
    encoder = _encoder("auto_transformer", _metadata(8), pretrained_model_name_or_path=tiny_bert, reduce_output="mean")
    short, long = _ids(["good", "movie"], width=4), _ids(["good", "movie"], width=8)
    torch.testing.assert_close(encoder(short)["encoder_output"], encoder(long)["encoder_output"])


def test_frozen_encoder_has_no_trainable_weights_and_stays_in_eval_mode(tiny_bert):
    frozen = _encoder("bert", _metadata(), pretrained_model_name_or_path=tiny_bert, trainable=False)
    frozen.train()
    assert not any(p.requires_grad for p in frozen.parameters())
    assert not frozen.transformer.training
    output = frozen(_ids(["good"]))["encoder_output"]
    assert not output.requires_grad
    tuned = _encoder("bert", _metadata(), pretrained_model_name_or_path=tiny_bert, trainable=True)
    tuned.train()
    assert all(p.requires_grad for p in tuned.parameters()) and tuned.transformer.training
    assert tuned(_ids(["good"]))["encoder_output"].requires_grad


def test_pretrained_weights_are_loaded_unless_use_pretrained_is_false(tiny_bert):
    reference = hf_utils.load_pretrained_model(tiny_bert).state_dict()
    pretrained = _encoder("bert", _metadata(), pretrained_model_name_or_path=tiny_bert).transformer.state_dict()
    assert all(torch.equal(reference[k], pretrained[k]) for k in reference)
    random = _encoder(
        "bert",
        _metadata(),
        pretrained_model_name_or_path=tiny_bert,
        use_pretrained=False,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
    ).transformer
    weight = "embeddings.word_embeddings.weight"
    assert not torch.equal(random.state_dict()[weight], reference[weight])


def test_input_longer_than_the_position_embeddings_is_truncated(tiny_bert):
    encoder = _encoder("auto_transformer", _metadata(100), pretrained_model_name_or_path=tiny_bert)
    assert encoder.max_length == 64
    ids = torch.full((2, 100), 5, dtype=torch.long)
    assert encoder(ids)["encoder_output"].shape == (2, 32)


def test_precomputed_embeddings_match_the_encoder(tiny_bert):
    feature = _text_input_config(tiny_bert, cache_encoder_embeddings=True)
    column = pd.Series(["good movie", "the plot was dull", "awful"])
    metadata = TextFeatureMixin.get_feature_meta(feature, column, is_input_feature=True)
    assert metadata[text_encoders.EMBEDDINGS_CACHED] and metadata[text_encoders.EMBEDDINGS_OUTPUT_SIZE] == 32
    embeddings = TextFeatureMixin.feature_data(feature, column, metadata)
    assert embeddings.dtype == np.float32 and embeddings.shape == (3, 32)
    uncached = {k: v for k, v in metadata.items() if k != text_encoders.EMBEDDINGS_CACHED}
    ids = torch.from_numpy(SequenceFeatureMixin.feature_data(feature, column, uncached))
    direct = _encoder("bert", uncached, pretrained_model_name_or_path=tiny_bert)(ids)["encoder_output"]
    np.testing.assert_allclose(embeddings, direct.numpy(), rtol=1e-5, atol=1e-6)
    cached_encoder = _encoder("bert", metadata, pretrained_model_name_or_path=tiny_bert)
    assert cached_encoder.transformer is None and cached_encoder.output_size == 32
    out = cached_encoder(torch.from_numpy(embeddings))["encoder_output"]
    np.testing.assert_array_equal(out.numpy(), embeddings)
