"""The `tabtransformer`, `comparator` and `project_aggregate` combiners: output shapes, parameter shapes, math,
config errors and end-to-end training."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.api import LudwigModel
from ludwig.combiners.comparator import ComparatorCombiner
from ludwig.combiners.project_aggregate import ProjectAggregateCombiner
from ludwig.combiners.tabtransformer import TabTransformerCombiner
from ludwig.error import ConfigValidationError
from ludwig.schema.combiners.comparator import ComparatorCombinerConfig
from ludwig.schema.combiners.project_aggregate import ProjectAggregateCombinerConfig
from ludwig.schema.combiners.transformer_combiners import TabTransformerCombinerConfig
from ludwig.schema.model_config import ModelConfig

BATCH = 4
# name -> (type, flattened encoder output size)
INPUTS = {"num_a": ("number", 1), "cat_a": ("category", 6), "bin_a": ("binary", 1), "cat_b": ("category", 3)}
SIZES = {name: size for name, (_, size) in INPUTS.items()}


def built_features(inputs: dict[str, tuple[str, int]] = INPUTS) -> dict[str, SimpleNamespace]:
    """Stand-ins for built input features: what the combiners read of them."""
    return {name: SimpleNamespace(config=SimpleNamespace(type=t), output_size=s) for name, (t, s) in inputs.items()}


def encoder_outputs(sizes: dict[str, int] = SIZES) -> dict[str, dict[str, torch.Tensor]]:
    return {name: {"encoder_output": torch.randn(BATCH, size)} for name, size in sizes.items()}


def tabtransformer(inputs: dict[str, tuple[str, int]] = INPUTS, **options) -> TabTransformerCombiner:
    config = TabTransformerCombinerConfig.from_dict({"hidden_size": 16, "num_heads": 4, **options})
    sizes = {name: size for name, (_, size) in inputs.items()}
    return TabTransformerCombiner(config, sizes, input_features=built_features(inputs))


# ------------------------------------------------------------------ tabtransformer


@pytest.mark.parametrize(
    "reduce_output, token_size", [("concat", 2 * 16), ("sum", 16), ("mean", 16), ("max", 16), ("attention", 16)]
)
def test_tabtransformer_output_size_per_reduction(reduce_output, token_size):
    combiner = tabtransformer(reduce_output=reduce_output)
    assert combiner.category_features == ["cat_a", "cat_b"]
    assert combiner.numeric_features == ["num_a", "bin_a"]
    assert combiner.output_size == token_size + 2  # the two number/binary values are concatenated unchanged
    out = combiner(encoder_outputs())["combiner_output"]
    assert out.shape == (BATCH, combiner.output_size)


def test_tabtransformer_without_reduction_keeps_one_vector_per_category_input():
    combiner = tabtransformer(reduce_output=None, num_fc_layers=1, output_size=8)
    out = combiner(encoder_outputs())["combiner_output"]
    assert combiner.output_size == 8
    assert out.shape == (BATCH, 2, 8)


@pytest.mark.parametrize("embed, name_size, projection_size", [("add", 16, 16), (4, 4, 12), (None, None, 16)])
def test_tabtransformer_feature_name_embedding(embed, name_size, projection_size):
    combiner = tabtransformer(embed_input_feature_name=embed, num_fc_layers=1, output_size=8)
    if name_size is None:
        assert combiner.feature_name_embedding is None
    else:
        assert combiner.feature_name_embedding.shape == (2, name_size)  # one row per category-like input
    assert {g.weight.shape[-1] for g in combiner.tokenizer.groups} == {projection_size}
    assert combiner.transformer_stack.projection is None  # tokens are hidden_size wide in every mode
    assert combiner(encoder_outputs())["combiner_output"].shape == (BATCH, 8)


def test_tabtransformer_layer_norms_the_numeric_inputs_together():
    combiner = tabtransformer(reduce_output="sum").eval()
    inputs = encoder_outputs()
    out = combiner(inputs)["combiner_output"]
    numeric = torch.cat([inputs["num_a"]["encoder_output"], inputs["bin_a"]["encoder_output"]], dim=-1)
    torch.testing.assert_close(out[:, -2:], torch.nn.functional.layer_norm(numeric, (2,)))


def test_tabtransformer_leaves_a_single_numeric_value_unnormalised():
    inputs = {"num": ("number", 1), "cat": ("category", 5)}
    combiner = tabtransformer(inputs, reduce_output="mean")
    assert combiner.layer_norm is None
    values = encoder_outputs({"num": 1, "cat": 5})
    torch.testing.assert_close(combiner(values)["combiner_output"][:, -1:], values["num"]["encoder_output"])


def test_tabtransformer_with_only_numeric_or_only_category_inputs():
    numeric = tabtransformer({"a": ("number", 1), "b": ("binary", 1)})
    assert numeric.transformer_stack is None and numeric.output_size == 2
    assert numeric(encoder_outputs({"a": 1, "b": 1}))["combiner_output"].shape == (BATCH, 2)
    category = tabtransformer({"c": ("category", 5), "s": ("set", 7)}, reduce_output="mean")
    assert category.layer_norm is None and category.output_size == 16
    assert category(encoder_outputs({"c": 5, "s": 7}))["combiner_output"].shape == (BATCH, 16)


def test_tabtransformer_embedding_must_fit_in_hidden_size():
    config = {
        "input_features": [{"name": "c", "type": "category"}],
        "output_features": [{"name": "y", "type": "binary"}],
        "combiner": {"type": "tabtransformer", "hidden_size": 16, "num_heads": 4, "embed_input_feature_name": 16},
    }
    with pytest.raises(ConfigValidationError, match=r"combiner.embed_input_feature_name: .*smaller than hidden_size"):
        ModelConfig.from_dict(config)
    config["combiner"]["embed_input_feature_name"] = "concat"
    with pytest.raises(ConfigValidationError, match=r"combiner.embed_input_feature_name: .*'add'"):
        ModelConfig.from_dict(config)


# ------------------------------------------------------------------ comparator


def comparator(**options) -> ComparatorCombiner:
    entities = {"entity_1": ["num_a", "cat_a"], "entity_2": ["bin_a", "cat_b"]}
    return ComparatorCombiner(ComparatorCombinerConfig.from_dict({**entities, **options}), SIZES)


def test_comparator_output_size_and_parameter_shapes():
    combiner = comparator(output_size=8)
    assert combiner.output_size == 2 * 8 + 2
    assert combiner.e1_fc_stack.layers[0].linear.weight.shape == (8, 1 + 6)
    assert combiner.e2_fc_stack.layers[0].linear.weight.shape == (8, 1 + 3)
    assert combiner.bilinear_weights.shape == (8, 8)
    assert "bilinear_weights" in combiner.state_dict()
    assert all(p is not combiner.bilinear_weights for p in combiner.parameters())
    assert combiner(encoder_outputs())["combiner_output"].shape == (BATCH, 18)


def test_comparator_last_fc_layer_sets_the_size():
    combiner = comparator(fc_layers=[{"output_size": 12}, {"output_size": 5}])
    assert combiner.output_size == 12
    assert combiner(encoder_outputs())["combiner_output"].shape == (BATCH, 12)


def test_comparator_math():
    combiner = comparator(output_size=6).eval()
    inputs = encoder_outputs()
    out = combiner(inputs)["combiner_output"]
    a = combiner.e1_fc_stack(torch.cat([inputs["num_a"]["encoder_output"], inputs["cat_a"]["encoder_output"]], 1))
    b = combiner.e2_fc_stack(torch.cat([inputs["bin_a"]["encoder_output"], inputs["cat_b"]["encoder_output"]], 1))
    torch.testing.assert_close(out[:, 0], (a * b).sum(1))
    torch.testing.assert_close(out[:, 1:7], a * b)
    torch.testing.assert_close(out[:, 7:13], (a - b).abs())
    expected = torch.stack([a[i] @ combiner.bilinear_weights @ b[i] for i in range(BATCH)])
    torch.testing.assert_close(out[:, 13], expected)


def comparator_config(**combiner) -> dict:
    return {
        "input_features": [{"name": n, "type": t} for n, (t, _) in INPUTS.items()],
        "output_features": [{"name": "y", "type": "binary"}],
        "combiner": {"type": "comparator", **combiner},
    }


@pytest.mark.parametrize(
    "combiner, message",
    [
        ({"entity_2": ["cat_b"]}, r"combiner.entity_1: .*non-empty list.*found None"),
        ({"entity_1": [], "entity_2": ["cat_b"]}, r"combiner.entity_1: .*non-empty list.*found \[\]"),
        ({"entity_1": ["num_a", "nope"], "entity_2": ["cat_a"]}, r"combiner.entity_1: 'nope' is not an input feature"),
        (
            {"entity_1": ["num_a", "cat_a", "bin_a"], "entity_2": ["cat_b", "num_a"]},
            r"combiner.entity_2: input feature 'num_a' is listed in combiner.entity_1 as well",
        ),
        (
            {"entity_1": ["num_a", "num_a", "cat_a"], "entity_2": ["bin_a", "cat_b"]},
            r"combiner.entity_1: input feature 'num_a' is listed twice",
        ),
        (
            {"entity_1": ["num_a"], "entity_2": ["cat_b"]},
            r"combiner.entity_2: input features \['cat_a', 'bin_a'\] are in neither entity",
        ),
        (
            {"entity_1": ["num_a", "cat_a"], "entity_2": ["bin_a", "cat_b"], "num_fc_layers": 0},
            r"combiner.num_fc_layers: .*at least one fully connected layer",
        ),
        ({"entity_1": ["num_a", 3], "entity_2": ["cat_b"]}, r"combiner.entity_1\[1\]: Not a valid string"),
    ],
)
def test_comparator_entity_errors(combiner, message):
    with pytest.raises(ConfigValidationError, match=message):
        ModelConfig.from_dict(comparator_config(**combiner))


def test_comparator_config_accepts_a_partition_and_fc_layers_instead_of_num_fc_layers():
    config = comparator_config(
        entity_1=["num_a", "cat_a"], entity_2=["bin_a", "cat_b"], num_fc_layers=0, fc_layers=[{"output_size": 4}]
    )
    assert ModelConfig.from_dict(config).combiner.entity_2 == ["bin_a", "cat_b"]


# ------------------------------------------------------------------ project_aggregate


def test_project_aggregate_defaults_and_shapes():
    config = ProjectAggregateCombinerConfig.from_dict({})
    assert (config.projection_size, config.num_fc_layers, config.output_size, config.norm) == (128, 2, 128, "layer")
    assert config.residual is True
    combiner = ProjectAggregateCombiner(config, SIZES)
    assert combiner.output_size == 128
    assert combiner(encoder_outputs())["combiner_output"].shape == (BATCH, 128)


def test_project_aggregate_is_the_mean_of_the_projections():
    config = ProjectAggregateCombinerConfig.from_dict({"projection_size": 5, "num_fc_layers": 0})
    combiner = ProjectAggregateCombiner(config, SIZES)
    assert combiner.output_size == 5
    inputs = encoder_outputs()
    out = combiner(inputs)["combiner_output"]
    projections = []
    for name in SIZES:  # each input's own Linear(size, projection_size), as the tokenizer stacks them
        group = combiner.projectors.group_sizes.index(SIZES[name])
        member = combiner.projectors.group_members[group].index(list(SIZES).index(name))
        weights = combiner.projectors.groups[group]
        projections.append(inputs[name]["encoder_output"] @ weights.weight[member] + weights.bias[member])
    torch.testing.assert_close(out, torch.stack(projections).mean(0))


def test_project_aggregate_fc_layers():
    config = ProjectAggregateCombinerConfig.from_dict({"fc_layers": [{"output_size": 32}, {"output_size": 7}]})
    combiner = ProjectAggregateCombiner(config, SIZES)
    assert combiner.output_size == 7
    assert combiner(encoder_outputs())["combiner_output"].shape == (BATCH, 7)


# ------------------------------------------------------------------ end to end


def synthetic_frame(rows: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "num_a": rng.normal(size=rows),
            "num_b": rng.normal(size=rows),
            "cat_a": rng.choice(["x", "y", "z"], size=rows),
            "bin_a": rng.choice([True, False], size=rows),
        }
    )
    frame["label"] = (frame["num_a"] + (frame["cat_a"] == "x") > 0.5).astype(bool)
    return frame


SMALL = {"hidden_size": 8, "num_heads": 2, "transformer_output_size": 16}


@pytest.mark.parametrize(
    "combiner",
    [
        {"type": "tabtransformer", **SMALL},
        {"type": "tabtransformer", "embed_input_feature_name": "add", "reduce_output": "mean", **SMALL},
        {"type": "tabtransformer", "embed_input_feature_name": 2, "num_fc_layers": 1, "output_size": 8, **SMALL},
        {"type": "comparator", "entity_1": ["num_a", "cat_a"], "entity_2": ["num_b", "bin_a"], "output_size": 8},
        {"type": "project_aggregate", "projection_size": 8, "output_size": 8},
    ],
    ids=["tabtransformer", "tabtransformer_add", "tabtransformer_int", "comparator", "project_aggregate"],
)
def test_trains_and_predicts(combiner, tmp_path):
    config = {
        "input_features": [
            {"name": "num_a", "type": "number"},
            {"name": "num_b", "type": "number"},
            {"name": "cat_a", "type": "category"},
            {"name": "bin_a", "type": "binary"},
        ],
        "output_features": [{"name": "label", "type": "binary"}],
        "combiner": combiner,
        "trainer": {"epochs": 2, "batch_size": 32},
    }
    frame = synthetic_frame()
    model = LudwigModel(config, logging_level=logging.ERROR)
    model.train(dataset=frame, output_directory=str(tmp_path))
    predictions, _ = model.predict(dataset=frame)
    assert len(predictions) == len(frame)
