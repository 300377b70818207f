"""The one_cycle, inverse_sqrt, polynomial and wsd schedules and the adafactor, muon and schedule_free_adamw
optimizers: their curves against their formulas, resuming, training end to end, and config errors."""

from __future__ import annotations

import json
import logging
import math
import os

import numpy as np
import pandas as pd
import pytest
import torch
from marshmallow import ValidationError

from ludwig.api import LudwigModel
from ludwig.callbacks import Callback
from ludwig.modules.lr_scheduler import LRScheduler
from ludwig.modules.muon import MUON_LR_RATIO
from ludwig.modules.optimization_modules import create_optimizer
from ludwig.schema.lr_scheduler import LRSchedulerConfig
from ludwig.schema.optimizers import optimizer_config_registry

BASE_LR = 0.1
TOTAL_STEPS = 100
SCHEDULES = {
    "one_cycle": {"decay": "one_cycle"},
    "inverse_sqrt": {"decay": "inverse_sqrt", "inverse_sqrt_warmup_steps": 16, "warmup_fraction": 0.1},
    "polynomial": {"decay": "polynomial", "polynomial_power": 2.0, "polynomial_end_lr": 0.1, "warmup_fraction": 0.1},
    "wsd": {"decay": "wsd"},
}


def _scheduler(lr: float = BASE_LR, total_steps: int = TOTAL_STEPS, **config) -> LRScheduler:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    return LRScheduler(LRSchedulerConfig.from_dict(config), optimizer, 10, total_steps)


def _curve(scheduler: LRScheduler, steps: int) -> list[float]:
    """The learning rate before each of the next ``steps`` optimizer steps."""
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        scheduler.step()
    return lrs


# -------------------------------------------------------------------------------------------------------------
# Schedules


def _torch_one_cycle_curve(max_lr: float, **options) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=max_lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=TOTAL_STEPS, cycle_momentum=False, **options
    )
    lrs = []
    for _ in range(TOTAL_STEPS):
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize(
    "options",
    [{}, {"pct_start": 0.5, "div_factor": 10.0, "final_div_factor": 100.0}, {"max_lr": 0.5}],
)
def test_one_cycle_follows_torch_one_cycle_lr(options):
    lrs = _curve(_scheduler(decay="one_cycle", **options), TOTAL_STEPS)
    peak = options.get("max_lr", BASE_LR)
    torch_options = {key: value for key, value in options.items() if key != "max_lr"}
    assert lrs == pytest.approx(_torch_one_cycle_curve(peak, **torch_options), rel=1e-9)


def test_one_cycle_formula_at_the_start_peak_and_end():
    lrs = _curve(_scheduler(decay="one_cycle"), TOTAL_STEPS)
    first = BASE_LR / 25.0
    assert lrs[0] == pytest.approx(first)
    assert lrs[29] == pytest.approx(BASE_LR)
    assert lrs[10] == pytest.approx(BASE_LR + (first - BASE_LR) * (1 + math.cos(math.pi * 10 / 29)) / 2)
    assert lrs[99] == pytest.approx(first / 1e4)


def test_one_cycle_and_wsd_ignore_the_generic_warmup(ludwig_warnings):
    scheduler = _scheduler(decay="one_cycle", warmup_fraction=0.2)
    assert scheduler.num_warmup_steps == 0
    assert "own warmup" in ludwig_warnings.text
    assert _scheduler(decay="wsd", warmup_evaluations=3).num_warmup_steps == 0


def test_inverse_sqrt_after_the_linear_warmup():
    lrs = _curve(_scheduler(**SCHEDULES["inverse_sqrt"]), TOTAL_STEPS + 1)
    warmup = 10  # warmup_fraction 0.1 of 100 steps
    assert lrs[:warmup] == pytest.approx([BASE_LR * s / warmup for s in range(warmup)])
    # base / sqrt(max(steps after warmup, inverse_sqrt_warmup_steps)):
    assert lrs[warmup] == pytest.approx(BASE_LR / math.sqrt(16))
    assert lrs[warmup + 16] == pytest.approx(BASE_LR / math.sqrt(16))
    assert lrs[warmup + 64] == pytest.approx(BASE_LR / math.sqrt(64))
    assert lrs[TOTAL_STEPS] == pytest.approx(BASE_LR / math.sqrt(90))


def test_inverse_sqrt_default_anchor():
    assert _curve(_scheduler(decay="inverse_sqrt"), 1) == pytest.approx([BASE_LR / math.sqrt(4000)])


def test_polynomial_from_base_to_its_end_fraction():
    lrs = _curve(_scheduler(**SCHEDULES["polynomial"]), TOTAL_STEPS + 1)
    end = BASE_LR * 0.1
    assert lrs[5] == pytest.approx(BASE_LR * 0.5)  # warmup
    assert lrs[10] == pytest.approx(BASE_LR)
    assert lrs[55] == pytest.approx(end + (BASE_LR - end) * 0.5**2)
    assert lrs[TOTAL_STEPS] == pytest.approx(end)


def test_polynomial_power_one_is_linear_to_zero():
    lrs = _curve(_scheduler(decay="polynomial"), TOTAL_STEPS + 1)
    assert lrs == pytest.approx([BASE_LR * (1 - s / TOTAL_STEPS) for s in range(TOTAL_STEPS + 1)])


def test_wsd_warmup_stable_then_cosine_to_zero():
    lrs = _curve(_scheduler(decay="wsd"), TOTAL_STEPS + 1)
    assert lrs[0] == 0.0
    assert lrs[5] == pytest.approx(BASE_LR * 0.5)
    assert lrs[10:91] == pytest.approx([BASE_LR] * 81)
    assert lrs[95] == pytest.approx(BASE_LR * 0.5)
    assert lrs[TOTAL_STEPS] == pytest.approx(0.0)


def test_wsd_fractions_not_summing_to_one_warn(ludwig_warnings):
    _scheduler(decay="wsd", wsd_stable_fraction=0.5)
    assert "not 1" in ludwig_warnings.text


def test_reduction_on_plateau_scales_one_cycle_with_max_lr():
    scheduler = _scheduler(decay="one_cycle", max_lr=0.5, reduce_on_plateau=1, reduce_on_plateau_patience=1)
    scheduler.eval_step(1.0, "minimize")
    scheduler.eval_step(2.0, "minimize")
    assert scheduler.get_last_lr()[0] == pytest.approx(0.5 * 0.1 / 25.0)


@pytest.mark.parametrize("name", SCHEDULES)
def test_resumed_schedule_continues_the_same_curve(name):
    expected = _curve(_scheduler(**SCHEDULES[name]), TOTAL_STEPS)
    first = _scheduler(**SCHEDULES[name])
    head = _curve(first, 37)
    state = json.loads(json.dumps(first.state_dict()))
    resumed = _scheduler(lr=1.0, **SCHEDULES[name])  # the base learning rate comes back from the state too
    resumed.load_state_dict(state)
    assert head + _curve(resumed, TOTAL_STEPS - 37) == pytest.approx(expected, rel=1e-12)


# -------------------------------------------------------------------------------------------------------------
# Optimizers


def _optimizer_config(name: str, **params):
    return optimizer_config_registry[name].from_dict({"type": name, **params})


def test_optimizer_defaults():
    assert _optimizer_config("adafactor").to_dict() == {
        "type": "adafactor",
        "lr": None,
        "scale_parameter": True,
        "relative_step": True,
        "warmup_init": False,
    }
    assert _optimizer_config("muon").to_dict() == {"type": "muon", "momentum": 0.95, "nesterov": True}
    assert _optimizer_config("schedule_free_adamw").to_dict() == {
        "type": "schedule_free_adamw",
        "betas": [0.9, 0.999],
        "weight_decay": 0.0,
        "warmup_steps": 0,
    }


def test_adafactor_lr_with_relative_step_is_ignored_with_a_warning(ludwig_warnings):
    """Ludwig's examples/optimizers/config_adafactor.yaml sets lr with the default relative_step: it trains."""
    config = _optimizer_config("adafactor", lr=0.001)
    assert "trainer.optimizer.lr: 0.001 is ignored while relative_step is true" in ludwig_warnings.text
    optimizer = create_optimizer([torch.nn.Parameter(torch.ones(3, 2))], config, 1e-3)
    assert optimizer.param_groups[0]["lr"] is None


@pytest.mark.parametrize(
    "params, expected_lr",
    [
        ({}, None),
        ({"relative_step": False}, 1e-3),
        ({"relative_step": False, "lr": 0.05}, 0.05),
        ({"relative_step": False, "scale_parameter": False, "lr": 0.05}, 0.05),
        ({"warmup_init": True}, None),
    ],
)
def test_adafactor_step_size(params, expected_lr):
    from transformers.optimization import Adafactor

    config = _optimizer_config("adafactor", **params)
    optimizer = create_optimizer([torch.nn.Parameter(torch.ones(3, 2))], config, 1e-3)
    assert isinstance(optimizer, Adafactor)
    group = optimizer.param_groups[0]
    assert group["lr"] == expected_lr
    assert (group["relative_step"], group["scale_parameter"], group["warmup_init"]) == (
        config.relative_step,
        config.scale_parameter,
        config.warmup_init,
    )


def test_muon_orthogonalizes_matrices_and_applies_momentum_to_the_rest():
    torch.manual_seed(0)
    model = torch.nn.Linear(6, 4)
    weight, bias = model.weight.detach().clone(), model.bias.detach().clone()
    optimizer = create_optimizer(model.parameters(), _optimizer_config("muon"), 0.01)
    assert [len(group["params"]) for group in optimizer.param_groups] == [1, 1]  # bias (SGD), then weight (Muon)
    model(torch.randn(8, 6)).pow(2).mean().backward()
    grad_w, grad_b = model.weight.grad.clone(), model.bias.grad.clone()
    optimizer.step()
    # Nesterov momentum after one step from a zero buffer: g + 0.95 * g.
    torch.testing.assert_close(model.bias.detach(), bias - 0.01 * 1.95 * grad_b)
    # The matrix update is roughly orthogonal (singular values near 1), scaled by sqrt(max(rows, cols)).
    update = (weight - model.weight.detach()) / (0.01 * MUON_LR_RATIO * 0.2 * math.sqrt(6))
    singular_values = torch.linalg.svdvals(update)
    assert singular_values.min() > 0.5 and singular_values.max() < 1.5
    assert not torch.allclose(update, grad_w / grad_w.norm())
    assert all(group["lr"] == 0.01 for group in optimizer.param_groups)


def test_muon_state_dict_round_trip():
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Linear(5, 1))
    optimizer = create_optimizer(model.parameters(), _optimizer_config("muon"), 0.01)
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    restored = create_optimizer(model.parameters(), _optimizer_config("muon"), 0.5)
    restored.load_state_dict(optimizer.state_dict())
    assert [group["lr"] for group in restored.param_groups] == [0.01, 0.01]
    for original, loaded in zip(optimizer.optimizers, restored.optimizers, strict=True):
        for p in original.state:
            for key, value in original.state[p].items():
                torch.testing.assert_close(loaded.state[p][key], value)


@pytest.mark.parametrize(
    "name, params, key, found",
    [
        ("adafactor", {"relative_stp": False}, "relative_stp", "Did you mean 'relative_step'?"),
        ("adafactor", {"warmup_init": True, "relative_step": False}, "warmup_init", "needs relative_step: true"),
        ("muon", {"momentun": 0.9}, "momentun", "Did you mean 'momentum'?"),
        ("muon", {"momentum": 1.5}, "momentum", "1.5"),
        ("schedule_free_adamw", {"warmup_step": 10}, "warmup_step", "Did you mean 'warmup_steps'?"),
        ("schedule_free_adamw", {"warmup_steps": -1}, "warmup_steps", "-1"),
    ],
)
def test_bad_optimizer_keys(name, params, key, found):
    with pytest.raises(ValidationError) as error:
        _optimizer_config(name, **params)
    assert found in error.value.messages[key][0]


@pytest.mark.parametrize(
    "config, key, found",
    [
        ({"decay": "one_cycl"}, "decay", "Did you mean 'one_cycle'?"),
        ({"decay": "wsd", "wsd_warmup_fration": 0.2}, "wsd_warmup_fration", "Did you mean 'wsd_warmup_fraction'?"),
        ({"decay": "one_cycle", "pct_strat": 0.2}, "pct_strat", "Did you mean 'pct_start'?"),
        ({"pct_start": 1.5}, "pct_start", "1.5"),
        ({"inverse_sqrt_warmup_steps": 0}, "inverse_sqrt_warmup_steps", "0"),
    ],
)
def test_bad_schedule_keys(config, key, found):
    with pytest.raises(ValidationError) as error:
        LRSchedulerConfig.from_dict(config)
    assert found in error.value.messages[key][0]


# -------------------------------------------------------------------------------------------------------------
# End to end through LudwigModel


def _frame(rows: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    color = rng.choice(["red", "green", "blue"], size=rows)
    y = 2.0 * x1 - x2 + (color == "red") + rng.normal(scale=0.1, size=rows)
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "y": y})


def _config(optimizer: dict, scheduler: dict | None = None, epochs: int = 2) -> dict:
    return {
        "input_features": [
            {"name": "x1", "type": "number"},
            {"name": "x2", "type": "number"},
            {"name": "color", "type": "category"},
        ],
        "output_features": [{"name": "y", "type": "number"}],
        "combiner": {"type": "concat", "output_size": 16},
        "trainer": {
            "epochs": epochs,
            "batch_size": 32,
            "learning_rate": 0.01,
            "optimizer": optimizer,
            "learning_rate_scheduler": scheduler or {},
        },
    }


class OptimizerModes(Callback):
    """Records whether a schedule-free optimizer holds its training weights at each point of the loop."""

    def __init__(self):
        self.after_steps: list[bool] = []
        self.at_evaluations: list[bool] = []
        self.at_checkpoints: list[bool] = []
        self.at_end: bool | None = None

    def on_batch_end(self, trainer, progress_tracker, save_path):
        self.after_steps.append(trainer.optimizer.param_groups[0].get("train_mode"))

    def on_eval_start(self, trainer, progress_tracker, save_path):
        self.at_evaluations.append(trainer.optimizer.param_groups[0].get("train_mode"))

    def on_checkpoint(self, trainer, progress_tracker):
        self.at_checkpoints.append(trainer.optimizer.param_groups[0].get("train_mode"))

    def on_trainer_train_teardown(self, trainer, progress_tracker, save_path, is_coordinator):
        self.at_end = trainer.optimizer.param_groups[0].get("train_mode")


@pytest.mark.parametrize(
    "optimizer, scheduler",
    [
        ({"type": "adafactor"}, None),
        ({"type": "muon"}, {"decay": "wsd"}),
        ({"type": "schedule_free_adamw"}, None),
        ({"type": "adamw"}, {"decay": "one_cycle"}),
    ],
    ids=["adafactor", "muon-wsd", "schedule_free_adamw", "adamw-one_cycle"],
)
def test_trains_end_to_end(tmp_path, optimizer, scheduler):
    modes = OptimizerModes()
    model = LudwigModel(_config(optimizer, scheduler), logging_level=logging.ERROR, callbacks=[modes])
    train_stats, _, _ = model.train(dataset=_frame(), output_directory=str(tmp_path))
    losses = train_stats["training"]["combined"]["loss"]
    assert len(losses) == 2
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[-1] < losses[0]
    if optimizer["type"] == "schedule_free_adamw":
        # Steps at the training weights; evaluation, checkpoints and the final model with the averaged ones.
        assert modes.after_steps and all(modes.after_steps)
        assert modes.at_evaluations and not any(modes.at_evaluations)
        assert modes.at_checkpoints and not any(modes.at_checkpoints)
        assert modes.at_end is False


class StopAfterFirstEpoch(Callback):
    def should_early_stop(self, trainer, progress_tracker, is_coordinator):
        return progress_tracker.epoch >= 1


@pytest.mark.parametrize(
    "optimizer, scheduler",
    [({"type": "schedule_free_adamw"}, None), ({"type": "muon"}, {"decay": "one_cycle"})],
    ids=["schedule_free_adamw", "muon-one_cycle"],
)
def test_resumed_training_ends_with_the_same_weights(tmp_path, optimizer, scheduler):
    df = _frame()
    config = _config(optimizer, scheduler)
    uninterrupted = LudwigModel(config, logging_level=logging.ERROR)
    uninterrupted.train(dataset=df, output_directory=str(tmp_path / "full"), skip_save_processed_input=True)
    interrupted = LudwigModel(config, logging_level=logging.ERROR, callbacks=[StopAfterFirstEpoch()])
    _, _, run_dir = interrupted.train(
        dataset=df, output_directory=str(tmp_path / "interrupted"), skip_save_processed_input=True
    )
    with open(os.path.join(run_dir, "model", "training_progress.json")) as f:
        assert json.load(f)["epoch"] == 1
    resumed = LudwigModel(config, logging_level=logging.ERROR)
    resumed.train(dataset=df, model_resume_path=run_dir, skip_save_processed_input=True)
    expected = uninterrupted.model.state_dict()
    for name, tensor in resumed.model.state_dict().items():
        torch.testing.assert_close(tensor, expected[name], msg=name)
