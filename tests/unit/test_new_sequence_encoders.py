"""The state space (mamba, mamba2, jamba), timeseries (patchtst, nbeats) and tf_idf encoders.

Each builds from its default config (with tiny sizes), returns the width it declares and, when it has weights,
passes gradients back; small ``LudwigModel`` runs train them end to end.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest
import torch

import ludwig.schema.model_config  # noqa: F401  (registers every config section)
from ludwig.constants import SEQUENCE, TEXT, TIMESERIES
from ludwig.encoders import state_space_encoders, tf_idf_encoders, timeseries_encoders  # noqa: F401
from ludwig.encoders.base import ENCODER_OUTPUT
from ludwig.encoders.registry import encoder_registry
from ludwig.encoders.sequence_encoders import ENCODER_OUTPUT_MASK
from ludwig.schema.encoders.base import encoder_config_registry
from ludwig.schema.model_config import ModelConfig

PAD = 2
VOCAB = ["<EOS>", "<SOS>", "<PAD>", "<UNK>"] + [f"tok{i}" for i in range(12)]
LENGTH = 10
TINY = {"d_model": 8, "embedding_size": 8, "n_layers": 2, "num_heads": 2, "ffn_size": 16, "output_size": 6}


def metadata(length: int = LENGTH) -> dict:
    return {
        "idx2str": VOCAB,
        "str2idx": {t: i for i, t in enumerate(VOCAB)},
        "vocab_size": len(VOCAB),
        "max_sequence_length": length,
        "pad_idx": PAD,
        "str2idf": {t: 1.0 + i / 10 for i, t in enumerate(VOCAB)},
    }


def build(name: str, feature_type: str, **overrides):
    """The encoder from its default config with ``TINY`` sizes; timeseries metadata has no vocabulary."""
    torch.manual_seed(0)
    config_cls = encoder_config_registry.for_type(feature_type)[name]
    keys = config_cls.__dataclass_fields__
    config = config_cls.from_dict({k: v for k, v in {**TINY, **overrides}.items() if k in keys})
    meta = {"max_sequence_length": LENGTH} if feature_type == TIMESERIES else metadata()
    return encoder_registry.for_type(feature_type)[name](config, LENGTH, meta)


def token_batch() -> torch.Tensor:
    ids = torch.randint(4, len(VOCAB), (3, LENGTH))
    ids[0, 6:] = PAD
    return ids


def check_gradients(encoder, output: torch.Tensor, unused: tuple[str, ...] = ()) -> None:
    output.pow(2).sum().backward()
    grads = [p.grad for n, p in encoder.named_parameters() if p.requires_grad and not n.startswith(unused)]
    assert grads and all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", ["mamba", "mamba2", "jamba"])
@pytest.mark.parametrize("feature_type", [TEXT, SEQUENCE])
def test_state_space_encoders_on_tokens(name, feature_type):
    encoder = build(name, feature_type)
    output = encoder(token_batch())[ENCODER_OUTPUT]
    assert output.shape == (3, encoder.output_size)
    expected = 8 if name == "mamba" else 6  # Ludwig's mamba has no FC layers: its output is d_model wide
    assert encoder.output_size == expected
    assert torch.isfinite(output).all()
    check_gradients(encoder, output)


@pytest.mark.parametrize("name", ["mamba", "mamba2", "jamba"])
def test_state_space_encoders_on_timeseries_and_unreduced(name):
    encoder = build(name, TIMESERIES)
    output = encoder(torch.randn(3, LENGTH))[ENCODER_OUTPUT]
    assert output.shape == (3, encoder.output_size)
    check_gradients(encoder, output)
    unreduced = build(name, TEXT, reduce_output=None)
    outputs = unreduced(token_batch())
    assert outputs[ENCODER_OUTPUT].shape == (3, LENGTH, unreduced.output_size)
    assert outputs[ENCODER_OUTPUT_MASK].shape == (3, LENGTH)


@pytest.mark.parametrize("name", ["mamba", "mamba2", "jamba"])
def test_state_space_encoders_are_causal(name):
    """Changing a later step (here: padding after the real tokens) leaves the earlier steps unchanged."""
    encoder = build(name, TEXT, reduce_output=None).eval()
    ids = token_batch()
    changed = ids.clone()
    changed[:, -1] = 5
    before, after = encoder(ids)[ENCODER_OUTPUT], encoder(changed)[ENCODER_OUTPUT]
    if name == "jamba":  # attention sees every real step; check the rows whose last step is padding in both
        before, after = before[:1], after[:1]
        changed = ids.clone()
        changed[0, -1] = 3
        after = encoder(changed)[ENCODER_OUTPUT][:1]
        torch.testing.assert_close(before[:, :6], after[:, :6])
    else:
        torch.testing.assert_close(before[:, :-1], after[:, :-1])


def test_mamba2_parallel_form_matches_the_recurrence():
    block = state_space_encoders.Mamba2Block(8, num_heads=2, d_conv=3, expand_factor=2, dropout=0.0)
    x, dt = torch.randn(2, 5, 2, 8), torch.rand(2, 5, 2)
    B, C = torch.randn(2, 5, 16), torch.randn(2, 5, 16)
    decay = torch.exp(dt * -torch.exp(block.A_log))
    state = torch.zeros(2, 2, 8, 16)
    expected = []
    for t in range(5):
        state = decay[:, t, :, None, None] * state + (dt[:, t, :, None] * x[:, t])[..., None] * B[:, t, None, None]
        expected.append(torch.einsum("bhds,bs->bhd", state, C[:, t]) + x[:, t] * block.D.view(1, -1, 1))
    torch.testing.assert_close(block.ssd(x, dt, B, C), torch.stack(expected, dim=1), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["patchtst", "nbeats"])
def test_timeseries_encoders(name):
    encoder = build(name, TIMESERIES, d_model=8, num_heads=2, patch_size=4, patch_stride=2, layer_size=8)
    output = encoder(torch.randn(3, LENGTH))[ENCODER_OUTPUT]
    assert output.shape == (3, encoder.output_size) == (3, 6)
    # N-BEATS: the last block's backcast feeds no later block.
    check_gradients(encoder, output, (f"blocks.{len(encoder.blocks) - 1}.backcast",) if name == "nbeats" else ())
    multichannel = encoder(torch.randn(3, LENGTH, 2))[ENCODER_OUTPUT]
    assert multichannel.shape == (3, 6)


def test_patchtst_defaults_and_short_series():
    encoder = build("patchtst", TIMESERIES, d_model=8, num_heads=2)  # patch_size 16 > LENGTH: padded to one patch
    assert encoder.output_size == 6
    assert encoder(torch.randn(2, LENGTH))[ENCODER_OUTPUT].shape == (2, 6)


def test_tf_idf_encoder():
    encoder = build("tf_idf", TEXT)
    ids = torch.tensor([[4, 4, 5, PAD, PAD], [6, 7, 8, 9, 6]])
    output = encoder(ids)[ENCODER_OUTPUT]
    assert output.shape == (2, len(VOCAB)) and encoder.output_size == len(VOCAB)
    idf = metadata()["str2idf"]
    assert output[0, 4].item() == pytest.approx(2 / 3 * idf["tok0"])
    assert output[0, 5].item() == pytest.approx(1 / 3 * idf["tok1"])
    assert output[0, PAD].item() == 0.0
    assert output[1, 6].item() == pytest.approx(2 / 5 * idf["tok2"])
    with pytest.raises(ValueError, match="compute_idf"):
        encoder_registry.for_type(TEXT)["tf_idf"](encoder.config, LENGTH, {"idx2str": VOCAB})


def test_defaults_are_ludwigs():
    mamba = encoder_config_registry.for_type(TEXT)["mamba"].from_dict({})
    assert (mamba.d_model, mamba.n_layers, mamba.d_state, mamba.d_conv, mamba.expand_factor) == (256, 4, 16, 4, 2)
    assert (mamba.dropout, mamba.reduce_output, mamba.output_size) == (0.1, "mean", 256)
    jamba = encoder_config_registry.for_type(TEXT)["jamba"].from_dict({})
    assert (jamba.n_layers, jamba.attention_every_k, jamba.num_heads, jamba.ffn_size) == (8, 4, 8, 1024)
    patchtst = encoder_config_registry.for_type(TIMESERIES)["patchtst"].from_dict({})
    assert (patchtst.patch_size, patchtst.patch_stride, patchtst.d_model, patchtst.ffn_dim) == (16, 8, 128, 256)
    nbeats = encoder_config_registry.for_type(TIMESERIES)["nbeats"].from_dict({})
    assert (nbeats.num_stacks, nbeats.num_blocks, nbeats.num_layers, nbeats.layer_size) == (2, 3, 4, 256)
    tf_idf = encoder_config_registry.for_type(TEXT)["tf_idf"].from_dict({})
    assert (tf_idf.ngram_range, tf_idf.max_df, tf_idf.min_df) == ([1, 1], 1.0, 1)


def test_ludwig_shaped_configs_render():
    """Encoder sections as in Ludwig's examples (mamba_encoders/, timeseries_forecasting/)."""
    config = ModelConfig.from_dict(
        {
            "input_features": [
                {
                    "name": "article",
                    "type": "text",
                    "encoder": {"type": "mamba2", "d_model": 256, "n_layers": 4, "num_heads": 8, "d_conv": 4},
                },
                {
                    "name": "review",
                    "type": "text",
                    "encoder": {"type": "jamba", "n_layers": 8, "attention_every_k": 4, "ffn_size": 1024},
                },
                {"name": "words", "type": "text", "encoder": {"type": "tf_idf"}},
                {
                    "name": "history",
                    "type": "timeseries",
                    "encoder": {"type": "patchtst", "patch_size": 16, "patch_stride": 8, "num_layers": 3},
                },
                {"name": "history2", "type": "timeseries", "encoder": {"type": "nbeats", "num_stacks": 2}},
                {"name": "tokens", "type": "sequence", "encoder": {"type": "mamba", "d_state": 16}},
            ],
            "output_features": [{"name": "category", "type": "category"}],
            "combiner": {"type": "concat", "num_fc_layers": 2, "output_size": 128},
        }
    )
    features = {f.name: f for f in config.input_features}
    assert features["words"].preprocessing.compute_idf is True
    assert features["article"].preprocessing.compute_idf is False
    assert features["history"].encoder.type == "patchtst"


def _train(input_features: list[dict], df: pd.DataFrame, tmp_path) -> dict:
    from ludwig.api import LudwigModel

    config = {
        "input_features": input_features,
        "output_features": [{"name": "label", "type": "binary"}],
        "combiner": {"type": "concat"},
        "trainer": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01},
    }
    model = LudwigModel(config, logging_level=logging.ERROR)
    stats, _, _ = model.train(
        dataset=df,
        output_directory=str(tmp_path),
        skip_save_model=True,
        skip_save_progress=True,
        skip_save_log=True,
        skip_save_processed_input=True,
    )
    predictions, _ = model.predict(df.head(8))
    assert len(predictions) == 8
    return stats


def _dataset(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    label = rng.random(rows) > 0.5
    words = ["good great fine", "bad awful poor"]
    text = [" ".join(rng.choice(words[int(not y)].split(), 4)) + " the" for y in label]
    series = [" ".join(f"{v:.3f}" for v in rng.normal(float(y), 1.0, 12)) for y in label]
    return pd.DataFrame({"text": text, "series": series, "label": label})


def test_train_tf_idf_patchtst_nbeats(tmp_path):
    tiny_ts = {"d_model": 8, "num_heads": 2, "num_layers": 1, "ffn_dim": 16, "output_size": 8}
    stats = _train(
        [
            {"name": "text", "type": "text", "encoder": {"type": "tf_idf"}},
            {"name": "series", "type": "timeseries", "encoder": {"type": "patchtst", "patch_size": 4, **tiny_ts}},
            {
                "name": "series2",
                "column": "series",
                "type": "timeseries",
                "encoder": {"type": "nbeats", "num_stacks": 1, "num_blocks": 2, "layer_size": 8, "output_size": 8},
            },
        ],
        _dataset(),
        tmp_path,
    )
    losses = stats["training"]["combined"]["loss"]
    assert all(math.isfinite(v) for v in losses)


def test_train_mamba(tmp_path):
    encoder = {"type": "mamba", "d_model": 8, "embedding_size": 8, "n_layers": 1, "d_state": 4}
    stats = _train([{"name": "text", "type": "text", "encoder": encoder}], _dataset(), tmp_path)
    assert all(math.isfinite(v) for v in stats["training"]["combined"]["loss"])
