"""Sequence encoders (parallel_cnn, stacked_cnn, stacked_parallel_cnn, rnn, cnnrnn, transformer) and their blocks.

Encoders are built from their schema config and a hand-made metadata entry laid out as the sequence features
write it (``<EOS>``, ``<SOS>``, ``<PAD>``, ``<UNK>`` first, ``pad_idx`` 2).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ludwig.schema.model_config  # noqa: F401  (registers every config section in the package-scan order)
from ludwig.constants import SEQUENCE, TEXT, TIMESERIES
from ludwig.encoders import sequence_encoders  # noqa: F401  (registers the encoders)
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.attention_modules import MultiHeadSelfAttention, TransformerStack
from ludwig.modules.convolutional_modules import Conv1DLayer, Conv1DStack, ParallelConv1D
from ludwig.modules.recurrent_modules import RecurrentStack
from ludwig.schema.encoders.base import encoder_config_registry
from ludwig.schema.encoders.sequence_encoders import sequence_encoder_config_registry

ENCODERS = ["parallel_cnn", "stacked_cnn", "stacked_parallel_cnn", "rnn", "cnnrnn", "transformer"]
REDUCTIONS = ["sum", "mean", "max", "last", "concat", "attention", None]
PAD = 2
VOCAB = ["<EOS>", "<SOS>", "<PAD>", "<UNK>"] + [f"tok{i}" for i in range(16)]

# Tiny sizes, per encoder (only the keys each one has).
TINY = {
    "embedding_size": 8,
    "num_filters": 8,
    "state_size": 8,
    "hidden_size": 8,
    "num_heads": 2,
    "transformer_output_size": 8,
    "output_size": 8,
}


def metadata(max_sequence_length: int = 12) -> dict:
    return {
        "idx2str": VOCAB,
        "str2idx": {t: i for i, t in enumerate(VOCAB)},
        "vocab_size": len(VOCAB),
        "max_sequence_length": max_sequence_length,
        "pad_idx": PAD,
    }


def config(name: str, **overrides):
    cls = sequence_encoder_config_registry[name]
    keys = cls.__dataclass_fields__
    return cls.from_dict({**{k: v for k, v in TINY.items() if k in keys}, **overrides})


def build(name: str, max_sequence_length: int = 12, feature_type: str = TEXT, **overrides):
    torch.manual_seed(0)
    encoder_cls = encoder_registry.for_type(feature_type)[name]
    return encoder_cls(config(name, **overrides), max_sequence_length, metadata(max_sequence_length))


def token_batch(lengths: list[int], width: int, seed: int = 0) -> torch.Tensor:
    """Rows of ``<SOS> tokens <EOS>`` right-padded with ``<PAD>`` to ``width``."""
    rng = np.random.default_rng(seed)
    batch = np.full((len(lengths), width), PAD, dtype=np.int64)
    for row, length in enumerate(lengths):
        batch[row, 0] = 1
        batch[row, 1 : length + 1] = rng.integers(4, len(VOCAB), size=length)
        batch[row, length + 1] = 0
    return torch.from_numpy(batch)


@pytest.mark.parametrize("name", ENCODERS)
def test_registered_for_sequence_text_and_timeseries(name):
    for feature_type in (SEQUENCE, TEXT, TIMESERIES):
        assert name in encoder_registry.for_type(feature_type)
        assert name in encoder_config_registry.for_type(feature_type)


def test_ludwig_defaults():
    parallel = sequence_encoder_config_registry["parallel_cnn"].from_dict({})
    assert (parallel.num_filters, parallel.filter_size, parallel.pool_function) == (256, 3, "max")
    assert (parallel.embedding_size, parallel.output_size, parallel.reduce_output) == (256, 256, "sum")
    assert (parallel.representation, parallel.embeddings_trainable, parallel.dropout) == ("dense", True, 0.0)
    stacked = sequence_encoder_config_registry["stacked_cnn"].from_dict({})
    assert (stacked.padding, stacked.strides, stacked.pool_padding, stacked.reduce_output) == ("same", 1, "same", "sum")
    rnn = sequence_encoder_config_registry["rnn"].from_dict({})
    assert (rnn.cell_type, rnn.num_layers, rnn.state_size, rnn.bidirectional) == ("rnn", 1, 256, False)
    assert (rnn.reduce_output, rnn.activation, rnn.num_fc_layers) == ("last", "tanh", 0)
    cnnrnn = sequence_encoder_config_registry["cnnrnn"].from_dict({})
    assert (cnnrnn.filter_size, cnnrnn.pool_size, cnnrnn.reduce_output) == (5, 2, "last")
    transformer = sequence_encoder_config_registry["transformer"].from_dict({})
    assert (transformer.num_layers, transformer.hidden_size, transformer.num_heads) == (1, 256, 8)
    assert (transformer.transformer_output_size, transformer.dropout, transformer.reduce_output) == (256, 0.1, "last")


@pytest.mark.parametrize("name", ENCODERS)
@pytest.mark.parametrize("reduce_output", REDUCTIONS)
def test_output_shapes(name, reduce_output):
    encoder = build(name, reduce_output=reduce_output)
    encoder.eval()
    out = encoder(token_batch([3, 10, 1], 12))["encoder_output"]
    assert out.shape[-1] == encoder.output_size
    if reduce_output is None:
        assert out.dim() == 3 and out.shape[0] == 3
        assert out.shape[1] == encoder.output_sequence_length
    else:
        assert out.shape[0] == 3 and out.dim() == 2
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ENCODERS)
def test_unreduced_outputs_carry_their_real_step_mask(name):
    encoder = build(name, max_sequence_length=30, reduce_output=None)
    out = encoder(token_batch([3, 26], 30))
    mask = out["encoder_output_mask"]
    assert mask.dtype == torch.bool and mask.shape == out["encoder_output"].shape[:2]
    assert mask[0].sum() < mask[1].sum()  # the shorter row has fewer real steps
    reduced = build(name)
    assert "encoder_output_mask" not in reduced(token_batch([3], 12))


def test_a_given_mask_applies_to_float_steps():
    encoder = encoder_registry.for_type(TIMESERIES)["rnn"](config("rnn"), 6, {"max_sequence_length": 6})
    encoder.eval()
    values = torch.randn(2, 6)
    mask = torch.tensor([[True] * 4 + [False] * 2, [True] * 6])
    with torch.no_grad():
        masked = encoder(values, mask=mask)["encoder_output"]
        cut = encoder(values[:1, :4])["encoder_output"]
    torch.testing.assert_close(masked[:1], cut)


@pytest.mark.parametrize(
    "name,overrides",
    [
        ("parallel_cnn", {}),
        ("stacked_cnn", {}),
        ("stacked_cnn", {"pool_function": "average"}),
        ("stacked_cnn", {"num_conv_layers": 2, "strides": 2, "pool_size": 2}),
        ("stacked_parallel_cnn", {}),
        ("rnn", {}),
        ("rnn", {"cell_type": "lstm", "bidirectional": True, "num_layers": 2}),
        ("rnn", {"cell_type": "gru"}),
        ("cnnrnn", {"cell_type": "gru", "bidirectional": True}),
        ("transformer", {"num_layers": 2}),
    ],
)
@pytest.mark.parametrize("reduce_output", ["mean", "max", "last"])
def test_extra_padding_does_not_change_the_reduced_output(name, overrides, reduce_output):
    encoder = build(name, max_sequence_length=20, reduce_output=reduce_output, **overrides)
    encoder.eval()
    lengths = [2, 7, 4]
    with torch.no_grad():
        short = encoder(token_batch(lengths, 11))["encoder_output"]
        long = encoder(token_batch(lengths, 20))["encoder_output"]
    torch.testing.assert_close(short, long, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ENCODERS)
def test_gradients_reach_the_embeddings(name):
    encoder = build(name)
    encoder.train()
    out = encoder(token_batch([3, 9], 12))["encoder_output"]
    out.pow(2).sum().backward()
    grad = encoder.embed.embeddings.weight.grad
    assert grad is not None and grad[4:].abs().sum() > 0
    # The padding row never receives gradient: padded steps are masked out.
    assert grad[PAD].abs().sum() == 0 or name == "transformer"
    assert all(p.grad is not None for p in encoder.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", ENCODERS)
def test_timeseries_floats_are_not_embedded(name):
    encoder = build(name, max_sequence_length=9, feature_type=TIMESERIES)
    assert encoder.embed is not None  # the text metadata has a vocabulary...
    encoder_cls = encoder_registry.for_type(TIMESERIES)[name]
    torch.manual_seed(0)
    series = encoder_cls(config(name), 9, {"max_sequence_length": 9})  # ...timeseries metadata has none
    assert series.embed is None
    values = torch.randn(5, 9, requires_grad=True)
    out = series(values)["encoder_output"]
    assert out.shape == (5, series.output_size)
    # A random weighting: a plain sum of layer-normalised outputs is constant, so its gradient is 0 up to rounding.
    (out * torch.randn_like(out)).sum().backward()
    assert values.grad.abs().sum() > 0


def test_rnn_returns_the_final_state():
    rnn = build("rnn", cell_type="gru", reduce_output="last")
    out = rnn(token_batch([3, 5], 12))
    assert out["encoder_output_state"].shape == (2, 8)
    lstm = build("rnn", cell_type="lstm", bidirectional=True, reduce_output=None)
    out = lstm(token_batch([3, 5], 12))
    hidden, cell = out["encoder_output_state"]
    assert hidden.shape == cell.shape == (2, 16)
    assert out["encoder_output"].shape == (2, 12, 16)
    assert "encoder_output_state" in build("cnnrnn")(token_batch([3], 12))


def test_final_state_is_taken_at_the_last_real_step():
    rnn = build("rnn", cell_type="gru", reduce_output="last", num_fc_layers=0)
    rnn.eval()
    with torch.no_grad():
        out = rnn(token_batch([4, 2], 12))
    # Unidirectional: the state after the last real step is the output at that step.
    torch.testing.assert_close(out["encoder_output_state"], out["encoder_output"])


def test_parallel_cnn_default_layers():
    encoder = build("parallel_cnn")
    widths = [layer.filter_size for layer in encoder.convolutions.layers]
    assert widths == [2, 3, 4, 5]
    assert encoder.convolutions.output_size == 4 * 8
    assert [layer.output_size for layer in encoder.fc_stack.layers] == [512, 256]
    assert encoder.output_size == 256
    no_fc = build("parallel_cnn", num_fc_layers=0)
    assert no_fc.output_size == 32
    custom = build("parallel_cnn", conv_layers=[{"filter_size": 3, "num_filters": 5}], fc_layers=[{"output_size": 7}])
    assert custom.convolutions.output_size == 5 and custom.output_size == 7


def test_stacked_cnn_default_layers_pool_the_sequence():
    encoder = build("stacked_cnn", max_sequence_length=30, reduce_output=None)
    assert [layer.filter_size for layer in encoder.convolutions.layers] == [7, 7, 3, 3, 3, 3]
    out = encoder(token_batch([20], 30))["encoder_output"]
    assert out.shape == (1, 30 // 3 // 3 // 3 + 1, 8) == (1, encoder.output_sequence_length, 8)


def test_stacked_parallel_cnn_layers():
    encoder = build("stacked_parallel_cnn", num_fc_layers=0)
    assert len(encoder.convolutions.banks) == 3 and encoder.output_size == 32
    two = build("stacked_parallel_cnn", num_stacked_layers=2, num_fc_layers=0)
    assert len(two.convolutions.banks) == 2
    custom = build("stacked_parallel_cnn", stacked_layers=[[{"filter_size": 2}], [{"filter_size": 3}] * 2])
    assert custom.convolutions.output_size == 16


def test_embedding_options(tmp_path):
    capped = build("rnn", embedding_size=500)
    assert capped.embed.output_size == len(VOCAB)
    sparse = build("parallel_cnn", representation="sparse")
    assert sparse.embed.output_size == len(VOCAB)
    assert torch.equal(sparse.embed.embeddings.weight, torch.eye(len(VOCAB)))
    frozen = build("rnn", embeddings_trainable=False)
    assert not frozen.embed.embeddings.weight.requires_grad
    glove = tmp_path / "glove.txt"
    glove.write_text("tok0 0.5 0.25 -1\ntok3 1 2 3\n")
    pretrained = build("cnnrnn", pretrained_embeddings=str(glove))
    weight = pretrained.embed.embeddings.weight
    assert weight.shape == (len(VOCAB), 3)
    torch.testing.assert_close(weight[VOCAB.index("tok3")], torch.tensor([1.0, 2.0, 3.0]))


def test_embeddings_on_cpu_stay_on_cpu_when_cast():
    encoder = build("rnn", embeddings_on_cpu=True)
    encoder.to(torch.float64)
    assert encoder.embed.embeddings.weight.dtype == torch.float32
    assert encoder.recurrent.rnn.weight_ih_l0.dtype == torch.float64


@pytest.mark.parametrize(
    "name,overrides,message",
    [
        ("transformer", {"hidden_size": 10, "num_heads": 4}, "divisible by encoder.num_heads"),
        ("parallel_cnn", {"conv_layers": [{}], "num_conv_layers": 2}, "either conv_layers or num_conv_layers"),
        ("parallel_cnn", {"fc_layers": [{}], "num_fc_layers": 1}, "either fc_layers or num_fc_layers"),
        (
            "parallel_cnn",
            {"conv_layers": [{"pool_size": 2}, {"pool_size": 3}]},
            "different lengths",
        ),
        ("parallel_cnn", {"conv_layers": [{"strides": 2}]}, r"encoder.conv_layers\[0\]: parallel convolutions keep"),
    ],
)
def test_bad_layer_settings_name_the_key(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        encoder = build(name, **overrides)
        encoder(token_batch([4], 12))


def test_schema_rejects_unknown_values():
    from marshmallow import ValidationError

    with pytest.raises(ValidationError, match="cell_type"):
        sequence_encoder_config_registry["rnn"].from_dict({"cell_type": "transformer"})
    with pytest.raises(ValidationError, match="padding"):
        sequence_encoder_config_registry["stacked_cnn"].from_dict({"padding": "full"})
    with pytest.raises(ValidationError, match="Unknown parameter 'kernel'"):
        sequence_encoder_config_registry["stacked_cnn"].from_dict({"conv_layers": [{"filter_size": 3}, {"kernel": 3}]})


# --------------------------------------------------------------------------------------------------------
# Blocks


@pytest.mark.parametrize(
    "params",
    [
        {"filter_size": 3},
        {"filter_size": 4},
        {"filter_size": 3, "strides": 2},
        {"filter_size": 5, "strides": 3, "dilation_rate": 2},
        {"filter_size": 3, "padding": "valid"},
        {"filter_size": 3, "padding": "valid", "strides": 2, "pool_size": 2},
        {"filter_size": 2, "pool_size": 3, "pool_padding": "same"},
        {"filter_size": 2, "pool_size": 3, "pool_strides": 2, "pool_padding": "valid"},
        {"filter_size": 9, "padding": "valid"},
    ],
)
@pytest.mark.parametrize("length", [1, 5, 12])
def test_conv_layer_output_length(params, length):
    layer = Conv1DLayer(4, 6, **params)
    mask = torch.ones(2, length, dtype=torch.bool)
    out, out_mask = layer(torch.randn(2, length, 4), mask)
    assert out.shape == (2, layer.output_length(length), 6)
    assert out_mask.shape == out.shape[:2]
    if params.get("padding", "same") == "same" and params.get("strides", 1) == 1 and "pool_size" not in params:
        assert out.shape[1] == length


def test_pooling_only_reads_real_steps():
    values = torch.tensor([[[1.0], [3.0], [-5.0], [100.0]]])
    mask = torch.tensor([[True, True, True, False]])
    average = Conv1DLayer(
        1, 1, 1, use_bias=False, weights_initializer="ones", activation=None, pool_function="average", pool_size=2
    )
    out, out_mask = average(values, mask)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([2.0, -5.0]))
    assert out_mask.tolist() == [[True, True]]
    maximum = Conv1DLayer(1, 1, 1, use_bias=False, weights_initializer="ones", activation=None, pool_size=2)
    out, _ = maximum(values, mask)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([3.0, -5.0]))


def test_conv_stack_and_parallel_sizes():
    stack = Conv1DStack(3, layers=[{"num_filters": 4}, {"num_filters": 5, "pool_size": 2}], filter_size=3)
    out, _ = stack(torch.randn(2, 10, 3))
    assert out.shape == (2, 5, 5) and stack.output_size == 5 and stack.output_length(10) == 5
    parallel = ParallelConv1D(3, layers=[{"filter_size": 2}, {"filter_size": 5}], num_filters=4)
    out, _ = parallel(torch.randn(2, 10, 3))
    assert out.shape == (2, 10, 8)


def test_recurrent_stack_handles_left_padding():
    torch.manual_seed(0)
    stack = RecurrentStack(3, 4, cell_type="lstm", bidirectional=True)
    stack.eval()
    steps = torch.randn(1, 3, 3)
    right = torch.cat([steps, torch.zeros(1, 2, 3)], dim=1)
    left = torch.cat([torch.zeros(1, 2, 3), steps], dim=1)
    right_mask = torch.tensor([[True, True, True, False, False]])
    with torch.no_grad():
        out_right, (h_right, _) = stack(right, right_mask)
        out_left, (h_left, _) = stack(left, right_mask.flip(1))
    torch.testing.assert_close(out_right[:, :3], out_left[:, 2:])
    torch.testing.assert_close(h_right, h_left)
    assert out_right[:, 3:].abs().sum() == 0


def test_attention_ignores_padded_keys():
    torch.manual_seed(0)
    attention = MultiHeadSelfAttention(4, 4, 2)
    real = torch.randn(1, 3, 4)
    padded = torch.cat([real, torch.randn(1, 2, 4) * 10], dim=1)
    mask = torch.tensor([[True, True, True, False, False]])
    with torch.no_grad():
        torch.testing.assert_close(attention(padded, mask)[:, :3], attention(real))
    stack = TransformerStack(3, 4, 2, 8, num_layers=2)
    assert stack(torch.randn(2, 5, 3), mask.expand(2, -1)).shape == (2, 5, 4)
    # A row with no real step attends everywhere instead of producing NaN.
    assert torch.isfinite(attention(padded, torch.zeros(1, 5, dtype=torch.bool))).all()
