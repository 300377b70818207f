"""The tabnet combiner: sparse activations, ghost batch norm, TabNet, the sparsity loss, config, end to end."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import torch

import ludwig.schema.model_config  # noqa: F401  (registers every config section)
from ludwig.api import LudwigModel
from ludwig.combiners.tabnet import TabNetCombiner
from ludwig.data.dataset import Batcher
from ludwig.data.preprocessing import preprocess_for_training
from ludwig.error import ConfigValidationError
from ludwig.models.ecd import COMBINER_LOSS, COMBINER_OUTPUTS, ECD
from ludwig.modules.ghost_batch_norm import GhostBatchNorm
from ludwig.modules.sparse_activations import EntmaxBisect, entmax15, entmax_bisect, sparsemax
from ludwig.modules.tabnet_modules import TabNet, mask_entropy
from ludwig.schema.combiners.tabnet import TabNetCombinerConfig
from ludwig.schema.model_config import ModelConfig

ROWS = 200
INPUTS = [
    {"name": "num", "type": "number"},
    {"name": "cat", "type": "category", "encoder": {"embedding_size": 3}},
    {"name": "flag", "type": "binary"},
]
TABNET_SETTINGS = [
    "num_steps",
    "num_total_blocks",
    "num_shared_blocks",
    "relaxation_factor",
    "bn_momentum",
    "bn_epsilon",
    "bn_virtual_bs",
    "entmax_mode",
    "entmax_alpha",
]
SMALL = {"type": "tabnet", "size": 8, "output_size": 8, "num_steps": 2, "bn_virtual_bs": 16}


def reference_entmax(z: torch.Tensor, alpha: float) -> torch.Tensor:
    """Alpha-entmax by a long float64 bisection on the threshold: ``sum([(alpha-1) z - tau]_+^(1/(alpha-1))) = 1``."""
    x = z.double() * (alpha - 1)
    hi = x.amax(dim=-1, keepdim=True)
    lo = hi - 1
    for _ in range(200):
        mid = (lo + hi) / 2
        above = torch.clamp(x - mid, min=0).pow(1 / (alpha - 1)).sum(dim=-1, keepdim=True) >= 1
        lo, hi = torch.where(above, mid, lo), torch.where(above, hi, mid)
    return torch.clamp(x - lo, min=0).pow(1 / (alpha - 1))


def scores(rows: int = 16, width: int = 9, seed: int = 0) -> torch.Tensor:
    return torch.randn(rows, width, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 2


@pytest.mark.parametrize(
    "fn,alpha",
    [(sparsemax, 2.0), (entmax15, 1.5), (lambda z: entmax_bisect(z, 1.25), 1.25), (lambda z: entmax_bisect(z, 2), 2.0)],
)
def test_sparse_activations_solve_the_projection(fn, alpha):
    z = scores()
    p = fn(z)
    torch.testing.assert_close(p, reference_entmax(z, alpha), atol=1e-10, rtol=0)
    torch.testing.assert_close(p.sum(dim=-1), torch.ones(len(z), dtype=z.dtype))
    assert (p >= 0).all()
    assert (p == 0).any(dim=-1).all()  # every row of these spread-out scores has zeros


def test_sparsemax_and_entmax_are_shift_invariant_work_along_any_axis_and_without_autograd():
    z = scores()
    for fn in (sparsemax, entmax15):
        torch.testing.assert_close(fn(z + 100.0), fn(z))
        torch.testing.assert_close(fn(z.T, dim=0), fn(z).T)
        with torch.no_grad():
            torch.testing.assert_close(fn(z), fn(z.requires_grad_()).detach())
    one_hot = sparsemax(torch.tensor([[10.0, 0.0, 0.0]]))
    torch.testing.assert_close(one_hot, torch.tensor([[1.0, 0.0, 0.0]]))


def test_gradients_match_finite_differences():
    z = scores(4, 6).requires_grad_()
    alpha = torch.tensor(1.4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(sparsemax, (z,))
    assert torch.autograd.gradcheck(entmax15, (z,))
    assert torch.autograd.gradcheck(entmax_bisect, (z, alpha))


def test_entmax_bisect_module_modes():
    z = scores().float()
    torch.testing.assert_close(EntmaxBisect(1.0)(z), torch.softmax(z, dim=-1))
    torch.testing.assert_close(EntmaxBisect(1.5)(z), entmax15(z), atol=1e-6, rtol=0)
    learned = EntmaxBisect(1.0, learnable=True)
    assert isinstance(learned.alpha, torch.nn.Parameter)
    assert float(learned.alpha.detach()) == pytest.approx(EntmaxBisect.MIN_LEARNED_ALPHA)
    (learned(z) * torch.arange(z.shape[1])).sum().backward()
    assert learned.alpha.grad is not None and torch.isfinite(learned.alpha.grad)


def test_ghost_batch_norm_normalizes_each_chunk_and_updates_running_stats_per_chunk():
    torch.manual_seed(0)
    x = torch.randn(10, 3) * 4 + 2
    ghost, plain = (
        GhostBatchNorm(3, momentum=0.1, epsilon=1e-3, virtual_batch_size=4),
        torch.nn.BatchNorm1d(3, 1e-3, 0.1),
    )
    out = ghost(x)
    expected = torch.cat([plain(chunk) for chunk in x.chunk(3)])  # ceil(10 / 4) = 3 chunks: 4, 4, 2 rows
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(ghost.running_mean, plain.running_mean)
    torch.testing.assert_close(ghost.running_var, plain.running_var)
    ghost.eval(), plain.eval()
    torch.testing.assert_close(ghost(x), plain(x))
    whole = GhostBatchNorm(3, momentum=0.1, epsilon=1e-3, virtual_batch_size=None)
    torch.testing.assert_close(whole(x), torch.nn.BatchNorm1d(3, 1e-3, 0.1)(x))


def test_ghost_batch_norm_single_row_chunk_uses_running_stats():
    ghost = GhostBatchNorm(2, momentum=0.05, epsilon=1e-3, virtual_batch_size=4)
    ghost.running_mean.fill_(1.0)
    row = torch.tensor([[3.0, 1.0]])
    torch.testing.assert_close(ghost(row), (row - 1.0) / torch.sqrt(torch.tensor(1.0 + 1e-3)))
    torch.testing.assert_close(ghost.running_mean, torch.ones(2))  # a single row leaves the statistics alone
    assert ghost(torch.randn(5, 2)).shape == (5, 2)  # chunks of 3 and 2 rows


@pytest.mark.parametrize("mode", ["sparsemax", "entmax15", "constant", "adaptive"])
def test_combiner_outputs_and_masks(mode):
    torch.manual_seed(0)
    config = TabNetCombinerConfig.from_dict({**SMALL, "num_steps": 3, "entmax_mode": mode, "entmax_alpha": 1.3})
    combiner = TabNetCombiner(config, {"a": 3, "b": 4})
    assert combiner.output_size == 8
    batch = {"a": {"encoder_output": torch.randn(20, 3)}, "b": {"encoder_output": torch.randn(20, 4)}}
    out = combiner(batch)
    assert list(out)[0] == "combiner_output" and out["combiner_output"].shape == (20, 8)
    assert out["aggregated_attention_masks"].shape == (20, 7)
    assert len(out["attention_masks"]) == 3
    for mask in out["attention_masks"]:
        assert mask.shape == (1, 20, 7, 1)
        torch.testing.assert_close(mask.sum(dim=2), torch.ones(1, 20, 1))
    expected = config.sparsity * mask_entropy([m[0, :, :, 0] for m in out["attention_masks"]])
    torch.testing.assert_close(out[COMBINER_LOSS], expected)
    out[COMBINER_LOSS].backward()
    combiner.eval()
    assert COMBINER_LOSS not in combiner(batch)


def test_tabnet_parameter_shapes_and_shared_layers():
    config = TabNetCombinerConfig.from_dict({"num_steps": 3, "entmax_mode": "adaptive"})
    settings = {k: getattr(config, k) for k in TABNET_SETTINGS}
    net = TabNet(7, 5, 6, **settings)
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert shapes["batch_norm.weight"] == (7,)
    assert shapes["feature_transforms.3.blocks.0.fc_layer.weight"] == (22, 7)  # 2 * (size + output_size)
    assert shapes["feature_transforms.3.blocks.3.fc_layer.weight"] == (22, 11)
    assert shapes["feature_transforms.3.blocks.3.batch_norm.running_var"] == (22,)
    assert shapes["attentive_transforms.2.feature_block.fc_layer.weight"] == (7, 5)
    assert shapes["attentive_transforms.2.entmax_module.alpha"] == ()
    assert shapes["final_projection.weight"] == (6, 6)
    assert len(net.feature_transforms) == 4 and len(net.attentive_transforms) == 3
    for transform in net.feature_transforms[1:]:
        assert transform.blocks[1].fc_layer is net.feature_transforms[0].blocks[1].fc_layer
        assert transform.blocks[2].fc_layer is not net.feature_transforms[0].blocks[2].fc_layer


def test_a_single_row_batch_trains():
    combiner = TabNetCombiner(TabNetCombinerConfig.from_dict(SMALL), {"a": 3})
    out = combiner({"a": {"encoder_output": torch.randn(1, 3)}})
    assert torch.isfinite(out["combiner_output"]).all()


def frame(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    num = rng.normal(size=rows)
    cat = rng.choice(["a", "b", "c"], rows)
    flag = rng.random(rows) < 0.5
    return pd.DataFrame({"num": num, "cat": cat, "flag": flag, "y": num + (cat == "a") - flag > 0})


def config_dict(**combiner) -> dict:
    return {
        "input_features": INPUTS,
        "output_features": [{"name": "y", "type": "binary"}],
        "combiner": {**SMALL, **combiner},
        "trainer": {"epochs": 2, "batch_size": 32},
    }


def test_sparsity_term_enters_the_training_loss():
    config = ModelConfig.from_dict(config_dict(sparsity=0.5))
    splits = preprocess_for_training(config, frame(60), skip_save_processed_input=True)
    torch.manual_seed(0)
    model = ECD(config, splits.metadata)
    batch = next(Batcher(splits.training, 16).epoch())
    model.train()
    outputs = model(batch)
    total, losses = model.train_loss(batch, outputs)
    penalty = outputs[COMBINER_OUTPUTS][COMBINER_LOSS]
    assert float(penalty.detach()) > 0
    torch.testing.assert_close(total, losses["y"] + penalty)
    model.combiner.config.sparsity = 0.0
    outputs = model(batch)
    assert COMBINER_OUTPUTS not in outputs
    total, losses = model.train_loss(batch, outputs)
    torch.testing.assert_close(total, losses["y"])


def test_config_defaults_and_errors():
    base = {"input_features": INPUTS, "output_features": [{"name": "y", "type": "binary"}]}
    combiner = ModelConfig.from_dict({**base, "combiner": {"type": "tabnet"}}).combiner
    expected = {
        "size": 32,
        "output_size": 128,
        "num_steps": 3,
        "num_total_blocks": 4,
        "num_shared_blocks": 2,
        "relaxation_factor": 1.5,
        "bn_epsilon": 1e-3,
        "bn_momentum": 0.05,
        "bn_virtual_bs": 1024,
        "sparsity": 1e-4,
        "entmax_mode": "sparsemax",
        "entmax_alpha": 1.5,
        "dropout": 0.05,
    }
    assert {k: getattr(combiner, k) for k in expected} == expected
    bad = [
        ({"sizee": 3}, "Did you mean 'size'"),
        ({"num_shared_blocks": 5}, "combiner.num_shared_blocks"),
        ({"entmax_alpha": 2.5}, "combiner.entmax_alpha"),
        ({"entmax_mode": "softmax"}, "combiner.entmax_mode"),
    ]
    for extra, message in bad:
        with pytest.raises(ConfigValidationError, match=message):
            ModelConfig.from_dict({**base, "combiner": {"type": "tabnet", **extra}})
    sequence = {"name": "seq", "type": "sequence", "encoder": {"type": "embed", "reduce_output": None}}
    with pytest.raises(ConfigValidationError, match=r"input_features\[3\].encoder.reduce_output"):
        ModelConfig.from_dict({**base, "input_features": [*INPUTS, sequence], "combiner": {"type": "tabnet"}})


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[LudwigModel, pd.DataFrame]:
    df = frame()
    model = LudwigModel(config_dict(), logging_level=logging.ERROR)
    model.train(dataset=df, output_directory=str(tmp_path_factory.mktemp("tabnet")))
    return model, df


def test_train_and_predict_end_to_end(trained, tmp_path):
    model, df = trained
    predictions, _ = model.predict(dataset=df, output_directory=str(tmp_path))
    assert len(predictions) == len(df)
    assert predictions["y_probability"].between(0, 1).all()


def test_collect_activations_returns_the_masks(trained):
    model, df = trained
    names = ["combiner.tabnet.attentive_transforms.0", "combiner.tabnet.attentive_transforms.1"]
    names.append("combiner.tabnet.mask_aggregator")
    activations = dict(model.collect_activations(names, df, batch_size=64))
    width = model.model.combiner.input_size
    for name in names:
        assert activations[name].shape == (len(df), width)
        assert np.isfinite(activations[name]).all() and (activations[name] >= 0).all()
    for name in names[:2]:
        np.testing.assert_allclose(activations[name].sum(axis=1), 1.0, rtol=1e-5)
