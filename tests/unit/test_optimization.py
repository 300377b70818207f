"""Optimizer configs, optimizer construction, gradient clipping and the learning rate schedule."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch
from marshmallow import ValidationError

from ludwig.modules.lr_scheduler import LRScheduler
from ludwig.modules.optimization_modules import clip_gradients, create_optimizer, scaled_learning_rate
from ludwig.schema import utils as su
from ludwig.schema.lr_scheduler import LRSchedulerConfig
from ludwig.schema.optimizers import (
    AdamOptimizerConfig,
    GradientClippingConfig,
    OptimizerField,
    optimizer_config_registry,
)

TORCH_OPTIMIZERS = ["sgd", "adam", "adamw", "adadelta", "adagrad", "adamax", "nadam", "rmsprop", "lbfgs", "radam"]
BITSANDBYTES_OPTIMIZERS = [
    "sgd_8bit",
    "adam_8bit",
    "paged_adam",
    "paged_adam_8bit",
    "adamw_8bit",
    "paged_adamw",
    "paged_adamw_8bit",
    "adagrad_8bit",
    "rmsprop_8bit",
    "lamb",
    "lamb_8bit",
    "lars",
    "lars_8bit",
    "lion",
    "lion_8bit",
    "paged_lion",
    "paged_lion_8bit",
]
# Tested in test_schedules_optimizers.py.
OTHER_OPTIMIZERS = ["adafactor", "muon", "schedule_free_adamw"]
HAS_BITSANDBYTES = importlib.util.find_spec("bitsandbytes") is not None


@dataclass
class TrainerSection(su.BaseConfig):
    """The smallest section holding an optimizer, to validate through the ``type`` selection."""

    optimizer: su.BaseConfig = OptimizerField()


def _optimizer(name: str, params: dict | None = None) -> su.BaseConfig:
    return optimizer_config_registry[name].from_dict({"type": name, **(params or {})})


def _tiny_problem(device: str = "cpu") -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1).to(device)
    x = torch.randn(32, 4, device=device)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]], device=device) + 1.0
    return model, x, y


def _take_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor) -> None:
    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    if isinstance(optimizer, torch.optim.LBFGS):
        optimizer.step(closure)
    else:
        closure()
        optimizer.step()


def _weights(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().cpu() for p in model.parameters()])


# ---------------------------------------------------------------------------------------------------------
# Optimizer configs and construction.


def test_registry_holds_every_optimizer_of_the_spec():
    assert set(optimizer_config_registry) == set(TORCH_OPTIMIZERS + BITSANDBYTES_OPTIMIZERS + OTHER_OPTIMIZERS)


@pytest.mark.parametrize("name", TORCH_OPTIMIZERS)
def test_torch_optimizer_builds_from_defaults_and_steps(name):
    model, x, y = _tiny_problem()
    optimizer = create_optimizer(model.parameters(), _optimizer(name), learning_rate=0.01)
    before = _weights(model)
    _take_step(model, optimizer, x, y)
    assert optimizer.param_groups[0]["lr"] == 0.01
    assert not torch.equal(before, _weights(model))


@pytest.mark.parametrize("name", BITSANDBYTES_OPTIMIZERS)
def test_bitsandbytes_optimizer(name):
    config = _optimizer(name)
    if not HAS_BITSANDBYTES:
        model, _, _ = _tiny_problem()
        with pytest.raises(ImportError) as error:
            create_optimizer(model.parameters(), config, learning_rate=0.01)
        message = str(error.value)
        assert repr(name) in message
        assert "pip install bitsandbytes" in message
        assert "CUDA" in message
        return
    if not torch.cuda.is_available():
        pytest.skip("bitsandbytes optimizers need a CUDA GPU")
    model, x, y = _tiny_problem("cuda")
    optimizer = create_optimizer(model.parameters(), config, learning_rate=0.01)
    before = _weights(model)
    _take_step(model, optimizer, x, y)
    assert not torch.equal(before, _weights(model))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("sgd", {"momentum": 0.0, "weight_decay": 0.0, "dampening": 0.0, "nesterov": False}),
        ("adam", {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}),
        ("adamw", {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False}),
        ("adadelta", {"rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
        ("adagrad", {"initial_accumulator_value": 0.0, "lr_decay": 0.0, "eps": 1e-10, "weight_decay": 0.0}),
        ("adamax", {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}),
        ("nadam", {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 0.004}),
        ("rmsprop", {"alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False, "weight_decay": 0.0}),
        (
            "lbfgs",
            {
                "max_iter": 20,
                "max_eval": None,
                "tolerance_grad": 1e-7,
                "tolerance_change": 1e-9,
                "history_size": 100,
                "line_search_fn": None,
            },
        ),
        ("radam", {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}),
    ],
)
def test_optimizer_defaults(name, expected):
    assert _optimizer(name).to_dict() == {"type": name, **expected}


def test_trainer_section_defaults_to_adam_and_accepts_a_bare_type_name():
    assert isinstance(TrainerSection.from_dict({}).optimizer, AdamOptimizerConfig)
    assert TrainerSection.from_dict({"optimizer": "sgd"}).optimizer.to_dict()["type"] == "sgd"


def test_config_values_reach_the_torch_optimizer():
    model, _, _ = _tiny_problem()
    config = _optimizer("adamw", {"betas": [0.8, 0.9], "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True})
    optimizer = create_optimizer(model.parameters(), config, learning_rate=0.003)
    assert isinstance(optimizer, torch.optim.AdamW)
    assert optimizer.defaults["betas"] == (0.8, 0.9)
    assert optimizer.defaults["eps"] == 1e-6
    assert optimizer.defaults["weight_decay"] == 0.1
    assert optimizer.defaults["amsgrad"] is True
    assert optimizer.defaults["lr"] == 0.003


def test_optimizer_accepts_param_groups():
    model, x, y = _tiny_problem()
    groups = [{"params": [model.weight]}, {"params": [model.bias], "lr": 0.5}]
    optimizer = create_optimizer(groups, _optimizer("sgd", {"momentum": 0.9, "nesterov": True}), learning_rate=0.1)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]
    _take_step(model, optimizer, x, y)


@pytest.mark.parametrize(
    "betas, found",
    [
        ([0.9, 1.0], "[0.9, 1.0]"),
        ([-0.1, 0.9], "[-0.1, 0.9]"),
        ([0.9, 0.99, 0.999], "[0.9, 0.99, 0.999]"),
        (0.9, "0.9"),
        (["a", 0.9], "['a', 0.9]"),
    ],
)
def test_bad_betas_are_rejected_showing_the_value(betas, found):
    with pytest.raises(ValidationError) as error:
        _optimizer("adam", {"betas": betas})
    messages = error.value.messages["betas"]
    assert any(found in m for m in messages), messages


def test_betas_given_as_a_tuple_are_stored_as_a_list():
    assert _optimizer("nadam", {"betas": (0.5, 0.6)}).betas == [0.5, 0.6]


@pytest.mark.parametrize("eps", [-1e-8, 0.0])
def test_eps_must_be_positive(eps):
    with pytest.raises(ValidationError) as error:
        _optimizer("adam", {"eps": eps})
    assert repr(eps) in error.value.messages["eps"][0]
    assert "> 0" in error.value.messages["eps"][0]


def test_negative_weight_decay_is_rejected():
    with pytest.raises(ValidationError) as error:
        _optimizer("sgd", {"weight_decay": -0.1})
    assert "-0.1" in error.value.messages["weight_decay"][0]


def test_unknown_optimizer_type_suggests_the_closest_name():
    with pytest.raises(ValidationError) as error:
        TrainerSection.from_dict({"optimizer": {"type": "adamm"}})
    lines = su.flatten_errors(error.value.messages)
    assert len(lines) == 1
    assert lines[0].startswith("optimizer.type: Unknown optimizer 'adamm'")
    assert "Did you mean 'adam'?" in lines[0]


def test_parameter_of_another_optimizer_is_rejected():
    with pytest.raises(ValidationError) as error:
        TrainerSection.from_dict({"optimizer": {"type": "sgd", "betas": [0.9, 0.99]}})
    assert su.flatten_errors(error.value.messages)[0].startswith("optimizer.betas: Unknown parameter 'betas'")


def test_nesterov_needs_momentum():
    with pytest.raises(ValidationError) as error:
        TrainerSection.from_dict({"optimizer": {"type": "sgd", "nesterov": True}})
    line = su.flatten_errors(error.value.messages)[0]
    assert line.startswith("optimizer.nesterov: ")
    assert "momentum 0.0" in line


def test_lbfgs_line_search_options():
    assert _optimizer("lbfgs", {"line_search_fn": "strong_wolfe"}).line_search_fn == "strong_wolfe"
    with pytest.raises(ValidationError) as error:
        _optimizer("lbfgs", {"line_search_fn": "armijo"})
    assert "'armijo'" in error.value.messages["line_search_fn"][0]


# A config naming an optimizer from an optional package is validated in a fresh interpreter where that package
# cannot be imported (whether or not it is installed here); the check must not import torch either.
_VALIDATE_WITHOUT_PACKAGE = """
import json, sys
sys.modules[sys.argv[2]] = None
from ludwig.error import ConfigValidationError
from ludwig.schema.model_config import ModelConfig
config = {
    "input_features": [{"name": "x", "type": "number"}],
    "output_features": [{"name": "y", "type": "binary"}],
    "trainer": {"optimizer": {"type": sys.argv[1]}},
}
model_config = ModelConfig.from_dict(config)  # a valid config: a model trained so loads anywhere
try:
    model_config.check_trainable()
    errors = []
except ConfigValidationError as e:
    errors = e.errors
print(json.dumps({"errors": errors, "torch_imported": "torch" in sys.modules}))
"""


def _validate_without(optimizer_type: str, package: str = "bitsandbytes") -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _VALIDATE_WITHOUT_PACKAGE, optimizer_type, package],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", ["adam_8bit", "paged_adamw_8bit", "lion"])
def test_bitsandbytes_optimizer_without_the_package_is_a_config_error(name):
    result = _validate_without(name)
    assert not result["torch_imported"]
    assert len(result["errors"]) == 1
    error = result["errors"][0]
    assert error.startswith(f"trainer.optimizer.type: {name!r}")
    assert "pip install bitsandbytes" in error
    assert "CUDA GPU" in error


def test_torch_optimizer_needs_no_bitsandbytes():
    assert _validate_without("adamw") == {"errors": [], "torch_imported": False}


def test_schedule_free_adamw_without_schedulefree_is_a_config_error():
    result = _validate_without("schedule_free_adamw", package="schedulefree")
    assert not result["torch_imported"]
    assert result["errors"] == [
        "trainer.optimizer.type: 'schedule_free_adamw' needs the schedulefree package, which is not installed. "
        "Install it with `pip install schedulefree`, or choose a torch optimizer such as 'adamw'."
    ]


@pytest.mark.parametrize(
    "scaling, world_size, expected",
    [
        ("linear", 1, 0.01),
        ("sqrt", 1, 0.01),
        ("constant", 1, 0.01),
        ("linear", 4, 0.04),
        ("sqrt", 4, 0.02),
        ("constant", 4, 0.01),
        ("linear", 3, 0.03),
        ("sqrt", 2, 0.01 * math.sqrt(2)),
    ],
)
def test_learning_rate_scales_with_the_number_of_workers(scaling, world_size, expected):
    assert scaled_learning_rate(0.01, scaling, world_size) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------------------------
# Gradient clipping.


def _params_with_grads(*grads: list[float]) -> list[torch.nn.Parameter]:
    params = []
    for grad in grads:
        param = torch.nn.Parameter(torch.zeros(len(grad)))
        param.grad = torch.tensor(grad)
        params.append(param)
    return params


def _clipping(**values) -> GradientClippingConfig:
    return GradientClippingConfig.from_dict({"clipglobalnorm": None, **values})


def test_gradient_clipping_defaults():
    assert GradientClippingConfig.from_dict({}).to_dict() == {
        "clipglobalnorm": 0.5,
        "clipnorm": None,
        "clipvalue": None,
    }


def test_gradient_clipping_rejects_negative_limits():
    with pytest.raises(ValidationError) as error:
        GradientClippingConfig.from_dict({"clipnorm": -1.0})
    assert "-1.0" in error.value.messages["clipnorm"][0]


def test_clipglobalnorm_scales_all_gradients_together():
    first, second = _params_with_grads([3.0, 0.0], [0.0, 4.0])  # global norm 5
    clip_gradients([first, second], _clipping(clipglobalnorm=1.0))
    assert torch.allclose(first.grad, torch.tensor([0.6, 0.0]), atol=1e-5)
    assert torch.allclose(second.grad, torch.tensor([0.0, 0.8]), atol=1e-5)


def test_clipnorm_limits_each_parameter_separately():
    large, small, medium = _params_with_grads([3.0, 4.0], [0.3, 0.4], [0.0, 2.0])  # norms 5, 0.5 and 2
    clip_gradients([large, small, medium], _clipping(clipnorm=1.0))
    assert torch.allclose(large.grad, torch.tensor([0.6, 0.8]), atol=1e-5)
    assert torch.equal(small.grad, torch.tensor([0.3, 0.4]))
    assert torch.allclose(medium.grad, torch.tensor([0.0, 1.0]), atol=1e-5)


def test_clipvalue_clamps_each_element():
    (param,) = _params_with_grads([-3.0, 0.2, 5.0])
    clip_gradients([param], _clipping(clipvalue=1.0))
    assert torch.equal(param.grad, torch.tensor([-1.0, 0.2, 1.0]))


@pytest.mark.parametrize("config", [None, _clipping(), _clipping(clipglobalnorm=0, clipnorm=0, clipvalue=0)])
def test_disabled_clipping_leaves_gradients_alone(config):
    (param,) = _params_with_grads([30.0, -40.0])
    clip_gradients([param], config)
    assert torch.equal(param.grad, torch.tensor([30.0, -40.0]))


def test_clipping_skips_parameters_without_gradients():
    with_grad, without_grad = _params_with_grads([3.0, 4.0]) + [torch.nn.Parameter(torch.ones(2))]
    clip_gradients([with_grad, without_grad], _clipping(clipnorm=1.0, clipvalue=0.7))
    assert without_grad.grad is None
    assert torch.allclose(with_grad.grad, torch.tensor([0.6, 0.7]), atol=1e-5)


# ---------------------------------------------------------------------------------------------------------
# Learning rate schedule.

BASE_LR = 0.1


def _scheduler(
    steps_per_checkpoint: int = 10, total_steps: int = 100, lrs: tuple[float, ...] = (BASE_LR,), **config
) -> LRScheduler:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    optimizer = torch.optim.SGD(params, lr=lrs[0])
    return LRScheduler(LRSchedulerConfig.from_dict(config), optimizer, steps_per_checkpoint, total_steps)


def _curve(scheduler: LRScheduler, steps: int) -> list[float]:
    """The learning rate before each of the next ``steps`` optimizer steps."""
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        scheduler.step()
    return lrs


def test_scheduler_config_defaults():
    assert LRSchedulerConfig.from_dict({}).to_dict() == {
        "decay": None,
        "decay_rate": 0.96,
        "decay_steps": 10000,
        "staircase": False,
        "reduce_on_plateau": 0,
        "reduce_on_plateau_patience": 10,
        "reduce_on_plateau_rate": 0.1,
        "warmup_evaluations": 0,
        "warmup_fraction": 0.0,
        "reduce_eval_metric": "loss",
        "reduce_eval_split": "training",
        "t_0": None,
        "t_mult": 1,
        "eta_min": 0.0,
        "max_lr": None,
        "pct_start": 0.3,
        "div_factor": 25.0,
        "final_div_factor": 10000.0,
        "inverse_sqrt_warmup_steps": 4000,
        "polynomial_power": 1.0,
        "polynomial_end_lr": 0.0,
        "wsd_warmup_fraction": 0.1,
        "wsd_stable_fraction": 0.8,
        "wsd_decay_fraction": 0.1,
    }


@pytest.mark.parametrize(
    "values, key, found",
    [
        ({"decay": "cosin"}, "decay", "Did you mean 'cosine'?"),
        ({"warmup_fraction": 1.5}, "warmup_fraction", "1.5"),
        ({"reduce_on_plateau": -1}, "reduce_on_plateau", "-1"),
        ({"reduce_on_plateau_rate": 0.0}, "reduce_on_plateau_rate", "0.0"),
        ({"reduce_eval_split": "train"}, "reduce_eval_split", "'train'"),
        ({"t_0": 0}, "t_0", "0"),
    ],
)
def test_scheduler_config_validation(values, key, found):
    with pytest.raises(ValidationError) as error:
        LRSchedulerConfig.from_dict(values)
    assert found in error.value.messages[key][0]


def test_constant_learning_rate_without_warmup_or_decay():
    assert _curve(_scheduler(), 5) == [BASE_LR] * 5


def test_warmup_evaluations_ramp_linearly():
    scheduler = _scheduler(steps_per_checkpoint=5, warmup_evaluations=2)  # 10 warmup steps
    assert scheduler.num_warmup_steps == 10
    assert _curve(scheduler, 13) == pytest.approx([BASE_LR * k / 10 for k in range(10)] + [BASE_LR] * 3)


def test_warmup_fraction_and_the_larger_warmup_wins():
    both = {"total_steps": 40, "warmup_fraction": 0.25, "warmup_evaluations": 2}
    assert _scheduler(total_steps=40, warmup_fraction=0.25).num_warmup_steps == 10
    assert _scheduler(steps_per_checkpoint=3, **both).num_warmup_steps == 10
    assert _scheduler(steps_per_checkpoint=7, **both).num_warmup_steps == 14
    assert _scheduler(total_steps=30, warmup_fraction=0.1).num_warmup_steps == 3


def test_optimizer_param_groups_follow_the_schedule():
    scheduler = _scheduler(lrs=(0.1, 0.02), steps_per_checkpoint=4, warmup_evaluations=1)
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.025, 0.005])
    assert [g["lr"] for g in scheduler.optimizer.param_groups] == scheduler.get_last_lr()


def test_exponential_decay():
    scheduler = _scheduler(decay="exponential", decay_rate=0.5, decay_steps=4)
    assert _curve(scheduler, 9) == pytest.approx([BASE_LR * 0.5 ** (k / 4) for k in range(9)])


def test_exponential_decay_staircase():
    scheduler = _scheduler(decay="exponential", decay_rate=0.5, decay_steps=4, staircase=True)
    assert _curve(scheduler, 9) == pytest.approx([BASE_LR * 0.5 ** (k // 4) for k in range(9)])


def test_decay_starts_after_warmup():
    scheduler = _scheduler(
        steps_per_checkpoint=2, warmup_evaluations=1, decay="exponential", decay_rate=0.5, decay_steps=1
    )
    assert _curve(scheduler, 5) == pytest.approx([0.0, BASE_LR / 2, BASE_LR, BASE_LR / 2, BASE_LR / 4])


def test_linear_decay_reaches_zero_at_the_last_step():
    scheduler = _scheduler(total_steps=10, decay="linear")
    assert _curve(scheduler, 12) == pytest.approx([BASE_LR * (10 - k) / 10 for k in range(11)] + [0.0])


def test_linear_decay_after_warmup():
    scheduler = _scheduler(total_steps=10, steps_per_checkpoint=2, warmup_evaluations=1, decay="linear")
    curve = _curve(scheduler, 11)
    assert curve[:3] == pytest.approx([0.0, BASE_LR / 2, BASE_LR])
    assert curve[6] == pytest.approx(BASE_LR / 2)
    assert curve[10] == pytest.approx(0.0)


def test_single_cosine_to_eta_min_over_training():
    eta_min = 0.01
    scheduler = _scheduler(total_steps=10, decay="cosine", eta_min=eta_min)
    curve = _curve(scheduler, 13)
    expected = [eta_min + (BASE_LR - eta_min) * (1 + math.cos(math.pi * min(k, 10) / 10)) / 2 for k in range(13)]
    assert curve == pytest.approx(expected)
    assert curve[5] == pytest.approx((BASE_LR + eta_min) / 2)
    assert curve[10:] == pytest.approx([eta_min] * 3)


def test_cosine_warm_restarts_with_growing_period():
    scheduler = _scheduler(decay="cosine", t_0=3, t_mult=2)  # periods of 3, 6, 12 steps
    curve = _curve(scheduler, 22)
    for restart in (0, 3, 9, 21):
        assert curve[restart] == pytest.approx(BASE_LR)
    assert curve[6] == pytest.approx(BASE_LR / 2)  # half way through the 6-step period
    assert curve[15] == pytest.approx(BASE_LR / 2)  # half way through the 12-step period
    assert curve[8] < curve[7] < curve[6]


def test_cosine_warm_restarts_with_a_fixed_period():
    scheduler = _scheduler(decay="cosine", t_0=4, eta_min=0.02)
    curve = _curve(scheduler, 12)
    assert curve[0] == curve[4] == curve[8] == pytest.approx(BASE_LR)
    assert curve[2] == curve[6] == curve[10] == pytest.approx((BASE_LR + 0.02) / 2)


def test_reduce_on_plateau_after_patience_and_at_most_the_limit():
    scheduler = _scheduler(reduce_on_plateau=2, reduce_on_plateau_patience=2, reduce_on_plateau_rate=0.5)
    metrics = [1.0, 1.0, 1.1, 0.9, 0.95, 0.9, 1.0, 1.0, 1.0, 1.0]
    reduced = [scheduler.eval_step(m, "minimize") for m in metrics]
    assert reduced == [False, False, True, False, False, True, False, False, False, False]
    assert scheduler.num_reductions == 2
    assert scheduler.get_last_lr() == pytest.approx([BASE_LR / 4])


def test_reduce_on_plateau_waits_for_the_patience():
    scheduler = _scheduler(reduce_on_plateau=5, reduce_on_plateau_patience=3)
    assert not any(scheduler.eval_step(m, "minimize") for m in [1.0, 2.0, 3.0, 0.5, 0.6, 0.7])
    assert scheduler.eval_step(0.8, "minimize")
    assert scheduler.get_last_lr() == pytest.approx([BASE_LR * 0.1])


def test_reduce_on_plateau_for_a_metric_to_maximize():
    scheduler = _scheduler(reduce_on_plateau=1, reduce_on_plateau_patience=1)
    assert not any(scheduler.eval_step(m, "maximize") for m in [0.5, 0.6, 0.7])
    assert scheduler.eval_step(0.65, "maximize")


def test_nan_metric_never_counts_as_improvement():
    scheduler = _scheduler(reduce_on_plateau=1, reduce_on_plateau_patience=1)
    assert scheduler.eval_step(float("nan"), "minimize")


def test_reduce_on_plateau_disabled_by_default():
    scheduler = _scheduler(reduce_on_plateau_patience=0)
    assert not any(scheduler.eval_step(1.0, "minimize") for _ in range(5))
    assert scheduler.get_last_lr() == [BASE_LR]


def test_reduction_scales_the_decayed_schedule():
    scheduler = _scheduler(
        total_steps=10, decay="linear", reduce_on_plateau=1, reduce_on_plateau_patience=0, reduce_on_plateau_rate=0.5
    )
    _curve(scheduler, 4)
    scheduler.eval_step(1.0, "minimize")
    assert scheduler.eval_step(1.0, "minimize")
    assert scheduler.get_last_lr() == pytest.approx([BASE_LR * 0.5 * 6 / 10])


def test_eval_step_rejects_an_unknown_objective():
    with pytest.raises(ValueError, match="'lower'"):
        _scheduler().eval_step(1.0, "lower")


def test_state_dict_round_trip_continues_the_schedule_exactly():
    config = {
        "steps_per_checkpoint": 3,
        "total_steps": 40,
        "warmup_evaluations": 1,
        "decay": "cosine",
        "t_0": 5,
        "t_mult": 2,
        "reduce_on_plateau": 3,
        "reduce_on_plateau_patience": 1,
        "reduce_on_plateau_rate": 0.5,
    }
    original = _scheduler(lrs=(0.1, 0.05), **config)
    _curve(original, 7)
    for metric in [1.0, 1.2, 0.8]:
        original.eval_step(metric, "minimize")
    state = json.loads(json.dumps(original.state_dict()))

    resumed = _scheduler(lrs=(0.7, 0.7), **config)  # different lrs at construction: the state's base lrs win
    resumed.load_state_dict(state)
    assert resumed.get_last_lr() == original.get_last_lr()
    for scheduler in (original, resumed):
        scheduler.eval_step(0.9, "minimize")
    assert _curve(resumed, 20) == _curve(original, 20)
    assert resumed.state_dict() == original.state_dict()


def test_schedule_drives_real_training():
    model, x, y = _tiny_problem()
    optimizer = create_optimizer(model.parameters(), _optimizer("adam"), learning_rate=0.05)
    scheduler = LRScheduler(
        LRSchedulerConfig.from_dict({"warmup_fraction": 0.1, "decay": "linear"}), optimizer, 10, 100
    )
    clipping = GradientClippingConfig.from_dict({})
    losses = []
    for _ in range(100):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        clip_gradients(model.parameters(), clipping)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 4
    assert scheduler.get_last_lr() == [0.0]


@pytest.mark.skipif(HAS_BITSANDBYTES, reason="checks the message given when bitsandbytes is missing")
def test_a_bitsandbytes_config_builds_a_model_object_but_refuses_to_train(tmp_path):
    # LudwigModel.load goes through the same constructor: a model trained with adam_8bit on a GPU machine must load
    # where bitsandbytes is missing. Training is what needs the package, and it says so before preprocessing.
    from ludwig.api import LudwigModel
    from ludwig.error import ConfigValidationError

    config = {
        "input_features": [{"name": "x", "type": "number"}],
        "output_features": [{"name": "y", "type": "binary"}],
        "trainer": {"optimizer": {"type": "adam_8bit"}},
    }
    model = LudwigModel(config)
    with pytest.raises(
        ConfigValidationError, match=r"trainer.optimizer.type: .adam_8bit.[^\n]*pip install bitsandbytes"
    ):
        model.train(dataset=str(tmp_path / "never_read.csv"), output_directory=str(tmp_path))
