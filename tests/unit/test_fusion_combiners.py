"""The `cross_attention`, `gated_fusion`, `perceiver`, `hypernetwork` and `tabpfn_v2` combiners: shapes, the math
against torch's own attention, config errors, the `tabpfn` training check and training through the API."""

from __future__ import annotations

import importlib.util
import logging
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import ludwig.schema.model_config  # noqa: F401  (registers every config section in the package-scan order)
from ludwig.api import LudwigModel
from ludwig.combiners.cross_attention import CrossAttentionCombiner
from ludwig.combiners.gated_fusion import GatedFusionCombiner
from ludwig.combiners.hypernetwork import HyperNetworkCombiner
from ludwig.combiners.perceiver import PerceiverCombiner
from ludwig.combiners.tabpfn_v2 import TabPFNV2Combiner
from ludwig.error import ConfigValidationError
from ludwig.modules.cross_attention_modules import GroupedCrossAttention
from ludwig.schema.combiners.fusion_combiners import (
    CrossAttentionCombinerConfig,
    GatedFusionCombinerConfig,
    HyperNetworkCombinerConfig,
    PerceiverCombinerConfig,
)
from ludwig.schema.combiners.tabpfn_v2 import TabPFNV2CombinerConfig
from ludwig.schema.model_config import ModelConfig

SIZES = {"num": 1, "cat": 6, "vec": 4}
BATCH = 5


def encoder_outputs(sizes: dict[str, int] = SIZES) -> dict[str, dict[str, torch.Tensor]]:
    return {name: {"encoder_output": torch.randn(BATCH, size)} for name, size in sizes.items()}


def build(combiner_cls, config_cls, sizes: dict[str, int] = SIZES, **options):
    return combiner_cls(config_cls.from_dict(options), sizes).eval()


@pytest.mark.parametrize(
    "combiner_cls, config_cls, options, sizes, shape",
    [
        (CrossAttentionCombiner, CrossAttentionCombinerConfig, {"hidden_size": 16, "num_heads": 4}, SIZES, (48,)),
        (
            CrossAttentionCombiner,
            CrossAttentionCombinerConfig,
            {"hidden_size": 16, "num_heads": 2, "num_layers": 3, "num_fc_layers": 2, "output_size": 7},
            SIZES,
            (7,),
        ),
        (CrossAttentionCombiner, CrossAttentionCombinerConfig, {"hidden_size": 8, "num_heads": 2}, {"num": 1}, (8,)),
        (GatedFusionCombiner, GatedFusionCombinerConfig, {"hidden_size": 16}, SIZES, (48,)),
        (GatedFusionCombiner, GatedFusionCombinerConfig, {"num_fc_layers": 1, "output_size": 5}, SIZES, (5,)),
        (GatedFusionCombiner, GatedFusionCombinerConfig, {"hidden_size": 8}, {"num": 1}, (8,)),
        (PerceiverCombiner, PerceiverCombinerConfig, {"num_latents": 4, "latent_dim": 8, "num_heads": 2}, SIZES, (8,)),
        (
            PerceiverCombiner,
            PerceiverCombinerConfig,
            {"num_latents": 4, "latent_dim": 16, "num_heads": 4, "reduce_output": "concat", "num_fc_layers": 1},
            SIZES,
            (256,),
        ),
        (
            PerceiverCombiner,
            PerceiverCombinerConfig,
            {"num_latents": 4, "latent_dim": 16, "num_heads": 4, "reduce_output": None},
            SIZES,
            (4, 16),
        ),
        (HyperNetworkCombiner, HyperNetworkCombinerConfig, {"hidden_size": 8, "hyper_hidden_size": 4}, SIZES, (24,)),
        (HyperNetworkCombiner, HyperNetworkCombinerConfig, {"num_fc_layers": 2, "output_size": 6}, SIZES, (6,)),
        (HyperNetworkCombiner, HyperNetworkCombinerConfig, {"hidden_size": 8}, {"num": 1}, (8,)),
        (TabPFNV2Combiner, TabPFNV2CombinerConfig, {}, SIZES, (128,)),
        (TabPFNV2Combiner, TabPFNV2CombinerConfig, {"output_size": 9}, SIZES, (9,)),
    ],
    ids=[
        "cross_attention",
        "cross_attention_layers_fc",
        "cross_attention_single",
        "gated_fusion",
        "gated_fusion_fc",
        "gated_fusion_single",
        "perceiver",
        "perceiver_concat",
        "perceiver_no_reduction",
        "hypernetwork",
        "hypernetwork_fc",
        "hypernetwork_single",
        "tabpfn_v2",
        "tabpfn_v2_output_size",
    ],
)
def test_output_shape(combiner_cls, config_cls, options, sizes, shape):
    combiner = build(combiner_cls, config_cls, sizes, **options)
    out = combiner(encoder_outputs(sizes))["combiner_output"]
    assert out.shape == (BATCH, *shape)
    assert combiner.output_size == shape[-1]
    assert torch.isfinite(out).all()


def load_into_torch_attention(module: GroupedCrossAttention, group: int) -> torch.nn.MultiheadAttention:
    hidden = module.out_proj_weight.shape[-1]
    reference = torch.nn.MultiheadAttention(hidden, module.num_heads, batch_first=True)
    with torch.no_grad():
        reference.in_proj_weight.copy_(module.in_proj_weight[group])
        reference.in_proj_bias.copy_(module.in_proj_bias[group])
        reference.out_proj.weight.copy_(module.out_proj_weight[group])
        reference.out_proj.bias.copy_(module.out_proj_bias[group])
    return reference.eval()


def test_grouped_attention_is_torch_multihead_attention_per_group():
    torch.manual_seed(0)
    attention = GroupedCrossAttention(groups=3, hidden_size=8, num_heads=2).eval()
    with torch.no_grad():  # non-zero biases, so their mapping is checked too
        attention.in_proj_bias.normal_()
        attention.out_proj_bias.normal_()
    queries, context = torch.randn(4, 3, 2, 8), torch.randn(4, 5, 8)
    attend = torch.rand(3, 2, 5) > 0.4
    attend[..., 0] = True
    out = attention(queries, context, attend)
    for g in range(3):
        reference = load_into_torch_attention(attention, g)
        expected, _ = reference(queries[:, g], context, context, attn_mask=~attend[g])
        torch.testing.assert_close(out[:, g], expected)


def test_cross_attention_matches_one_attention_per_feature_over_the_others():
    torch.manual_seed(0)
    combiner = build(CrossAttentionCombiner, CrossAttentionCombinerConfig, hidden_size=8, num_heads=2)
    inputs = encoder_outputs()
    tokens = combiner.tokenizer(inputs)
    norm = combiner.norms[0]
    expected = []
    for i in range(len(SIZES)):
        others = torch.cat([tokens[:, :i], tokens[:, i + 1 :]], dim=1)
        attended, _ = load_into_torch_attention(combiner.attention[0], i)(tokens[:, i : i + 1], others, others)
        fused = torch.nn.functional.layer_norm(tokens[:, i] + attended[:, 0], (8,), norm.weight[i], norm.bias[i])
        expected.append(fused)
    torch.testing.assert_close(combiner(inputs)["combiner_output"], torch.cat(expected, dim=1))


def test_gated_fusion_starts_closed_and_adds_the_gated_projection_of_the_others():
    torch.manual_seed(0)
    combiner = build(GatedFusionCombiner, GatedFusionCombinerConfig, hidden_size=8)
    inputs = encoder_outputs()
    tokens = combiner.tokenizer(inputs)
    torch.testing.assert_close(combiner(inputs)["combiner_output"], tokens.flatten(start_dim=1))
    with torch.no_grad():
        combiner.gates.normal_()
    expected = []
    for i in range(len(SIZES)):
        others = torch.cat([tokens[:, j] for j in range(len(SIZES)) if j != i], dim=1)
        cross = others @ combiner.cross_weight[i].T + combiner.cross_bias[i]
        expected.append(tokens[:, i] + torch.tanh(combiner.gates[i]) * cross)
    torch.testing.assert_close(combiner(inputs)["combiner_output"], torch.cat(expected, dim=1))


def test_hypernetwork_applies_the_generated_matrix_to_every_other_feature():
    torch.manual_seed(0)
    combiner = build(HyperNetworkCombiner, HyperNetworkCombinerConfig, hidden_size=4, hyper_hidden_size=3)
    inputs = encoder_outputs()
    tokens = combiner.tokenizer(inputs)
    weights = combiner.hyper_net(tokens[:, 0]).view(BATCH, 4, 4)
    transformed = [torch.bmm(weights, tokens[:, i].unsqueeze(-1)).squeeze(-1) for i in (1, 2)]
    expected = torch.cat([tokens[:, 0], *transformed], dim=1)
    torch.testing.assert_close(combiner(inputs)["combiner_output"], expected)


def test_perceiver_latents_are_learned_and_every_feature_gets_a_gradient():
    combiner = build(PerceiverCombiner, PerceiverCombinerConfig, num_latents=3, latent_dim=8, num_heads=2).train()
    inputs = encoder_outputs()
    for out in inputs.values():
        out["encoder_output"].requires_grad_(True)
    combiner(inputs)["combiner_output"].sum().backward()
    assert combiner.latents.grad is not None and combiner.latents.grad.abs().sum() > 0
    assert all(out["encoder_output"].grad.abs().sum() > 0 for out in inputs.values())


def model_config(combiner: dict) -> dict:
    return {
        "input_features": [{"name": "a", "type": "number"}, {"name": "b", "type": "category"}],
        "output_features": [{"name": "y", "type": "binary"}],
        "combiner": combiner,
    }


@pytest.mark.parametrize(
    "combiner, message",
    [
        ({"type": "cross_attention", "hidden_size": 10, "num_heads": 4}, "combiner.num_heads: hidden_size 10"),
        ({"type": "perceiver", "latent_dim": 30, "num_heads": 8}, "combiner.num_heads: latent_dim 30"),
        ({"type": "perceiver", "reduce_output": "median"}, "combiner.reduce_output"),
        ({"type": "hypernetwork", "hidden_size": 5000}, "combiner.hidden_size"),
        ({"type": "hypernetwork", "fc_layers": [{"output_size": 4}]}, "combiner.fc_layers"),
        ({"type": "gated_fusion", "dropout": 1.5}, "combiner.dropout"),
        ({"type": "cross_attention", "num_layers": 0}, "combiner.num_layers"),
        ({"type": "tabpfn_v2", "device": "tpu"}, "combiner.device"),
    ],
    ids=[
        "heads_split_hidden",
        "heads_split_latent",
        "reduce",
        "hypernetwork_width",
        "hypernetwork_no_fc_layers",
        "dropout",
        "layers",
        "device",
    ],
)
def test_config_errors_name_the_path(combiner, message):
    with pytest.raises(ConfigValidationError, match=message):
        ModelConfig.from_dict(model_config(combiner))


def test_ludwig_defaults():
    assert ModelConfig.from_dict(model_config({"type": "perceiver"})).combiner.to_dict() == {
        **PerceiverCombinerConfig.from_dict({}).to_dict(),
        "num_latents": 32,
        "latent_dim": 256,
        "num_heads": 8,
        "num_self_attention_layers": 2,
        "dropout": 0.1,
        "reduce_output": "mean",
        "output_size": 256,
        "num_fc_layers": 0,
    }
    hyper = HyperNetworkCombinerConfig.from_dict({})
    assert (hyper.hidden_size, hyper.hyper_hidden_size, hyper.output_size, hyper.dropout) == (128, 64, 128, 0.1)
    tabpfn = TabPFNV2CombinerConfig.from_dict({})
    assert (tabpfn.output_size, tabpfn.tabpfn_hidden_size, tabpfn.n_estimators, tabpfn.device) == (128, 512, 4, "auto")
    cross = CrossAttentionCombinerConfig.from_dict({})
    assert (cross.hidden_size, cross.num_heads, cross.num_layers, cross.output_size) == (256, 8, 1, 256)
    assert GatedFusionCombinerConfig.from_dict({}).hidden_size == 256


def synthetic_frame(rows: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = rng.normal(size=rows)
    b = rng.choice(["x", "y", "z"], size=rows)
    c = rng.random(rows) > 0.5
    return pd.DataFrame({"a": a, "b": b, "c": c, "y": (a > 0) ^ c})


def training_config(combiner: dict) -> dict:
    return {
        "input_features": [
            {"name": "a", "type": "number"},
            {"name": "b", "type": "category"},
            {"name": "c", "type": "binary"},
        ],
        "output_features": [{"name": "y", "type": "binary"}],
        "combiner": combiner,
        "trainer": {"epochs": 2, "batch_size": 32},
    }


def test_tabpfn_v2_without_the_package_is_refused_before_training(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tabpfn", None)  # find_spec then reports the package as absent
    model = LudwigModel(training_config({"type": "tabpfn_v2"}), logging_level=logging.ERROR)
    with pytest.raises(ConfigValidationError) as error:
        model.train(dataset=synthetic_frame(), output_directory=str(tmp_path))
    message = str(error.value)
    assert "combiner.type: 'tabpfn_v2' needs the optional package `tabpfn`" in message
    assert "pip install tabpfn" in message and "No TabPFN checkpoint is needed" in message
    assert not any(tmp_path.iterdir())  # refused before anything was written


TRAINED = [
    {"type": "cross_attention", "hidden_size": 16, "num_heads": 2, "num_layers": 2},
    {"type": "gated_fusion", "hidden_size": 16, "num_fc_layers": 1, "output_size": 16},
    {"type": "perceiver", "num_latents": 8, "latent_dim": 16, "num_heads": 2},
    {"type": "hypernetwork", "hidden_size": 8, "num_fc_layers": 1, "output_size": 16},
    pytest.param(
        {"type": "tabpfn_v2", "output_size": 16},
        marks=pytest.mark.skipif(
            importlib.util.find_spec("tabpfn") is None,
            reason="the optional `tabpfn` package is not installed (pip install tabpfn)",
        ),
    ),
]


@pytest.mark.parametrize("combiner", TRAINED, ids=lambda c: c["type"])
def test_trains_and_predicts(combiner, tmp_path):
    frame = synthetic_frame()
    model = LudwigModel(training_config(combiner), logging_level=logging.ERROR)
    model.train(dataset=frame, output_directory=str(tmp_path))
    predictions, _ = model.predict(dataset=frame)
    assert len(predictions) == len(frame)
    assert model.config_obj.combiner.type == combiner["type"]
