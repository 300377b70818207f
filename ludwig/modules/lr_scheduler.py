"""The learning rate schedule: linear warmup, then a decay, with reductions when a metric plateaus.

The learning rate is a pure function of the step count, the number of reductions so far and the base learning
rate, so a schedule resumed from :meth:`LRScheduler.state_dict` continues exactly where it stopped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Literal

import torch

from ludwig.schema.lr_scheduler import BUILT_IN_WARMUP_DECAYS, LRSchedulerConfig
from ludwig.utils.registry import Registry

logger = logging.getLogger(__name__)

Objective = Literal["minimize", "maximize"]

DecayFn = Callable[[float, int, int, LRSchedulerConfig], float]
"""``(base_lr, steps since warmup ended, steps the decay spans, config) -> learning rate``."""

decay_registry: Registry[DecayFn] = Registry("learning rate decay")


@decay_registry.register("linear")
def linear_decay(base_lr: float, step: int, span: int, config: LRSchedulerConfig) -> float:
    """Straight line from ``base_lr`` to 0, reached at the last training step."""
    return base_lr * max(0.0, (span - step) / span)


@decay_registry.register("exponential")
def exponential_decay(base_lr: float, step: int, span: int, config: LRSchedulerConfig) -> float:
    """``base_lr * decay_rate ** (step / decay_steps)``, the exponent floored when ``staircase``."""
    exponent = step // config.decay_steps if config.staircase else step / config.decay_steps
    return base_lr * config.decay_rate**exponent


@decay_registry.register("cosine")
def cosine_decay(base_lr: float, step: int, span: int, config: LRSchedulerConfig) -> float:
    """Half cosine from ``base_lr`` down to ``eta_min``.

    With ``t_0`` the cosine restarts every period (``t_0`` steps, then multiplied by ``t_mult`` after each restart);
    without it a single cosine spans the training steps after warmup.
    """
    if config.t_0:
        position, period = _restart_position(step, config.t_0, config.t_mult)
    else:
        position, period = min(step, span), span
    return config.eta_min + (base_lr - config.eta_min) * (1 + math.cos(math.pi * position / period)) / 2


def _restart_position(step: int, t_0: int, t_mult: int) -> tuple[int, int]:
    """Steps into the current cosine period, and that period's length."""
    if t_mult == 1:
        return step % t_0, t_0
    period = t_0
    while step >= period:
        step -= period
        period *= t_mult
    return step, period


@decay_registry.register("one_cycle")
def one_cycle_decay(base_lr: float, step: int, span: int, config: LRSchedulerConfig) -> float:
    """The 1cycle policy: cosine rise from ``peak / div_factor`` to the peak over ``pct_start`` of the steps, then
    cosine fall to ``peak / div_factor / final_div_factor`` at the last step (as ``torch.optim.lr_scheduler.OneCycleLR``
    with ``anneal_strategy="cos"``). The peak is ``base_lr``, which is ``max_lr`` when that is set."""
    first = base_lr / config.div_factor
    last = first / config.final_div_factor
    peak_step = config.pct_start * span - 1
    if 0 < peak_step and step <= peak_step:
        return _cosine_between(first, base_lr, step / peak_step)
    return _cosine_between(base_lr, last, _progress(step - peak_step, span - 1 - peak_step))


@decay_registry.register("inverse_sqrt")
def inverse_sqrt_decay(base_lr: float, step: int, span: int, config: LRSchedulerConfig) -> float:
    """``base_lr / sqrt(max(step, inverse_sqrt_warmup_steps))``: constant up to that step, then ``1/sqrt(step)``."""
    return base_lr / math.sqrt(max(step, config.inverse_sqrt_warmup_steps))


@decay_registry.register("polynomial")
def polynomial_decay(base_lr: float, step: int, span: int, config: LRSchedulerConfig) -> float:
    """From ``base_lr`` down to ``base_lr * polynomial_end_lr`` at the last step along ``(1 - progress) ** power``."""
    end_lr = base_lr * config.polynomial_end_lr
    return end_lr + (base_lr - end_lr) * (1.0 - _progress(step, span)) ** config.polynomial_power


@decay_registry.register("wsd")
def wsd_decay(base_lr: float, step: int, span: int, config: LRSchedulerConfig) -> float:
    """Warmup-stable-decay: linear rise from 0 over ``wsd_warmup_fraction`` of the steps, ``base_lr`` for the next
    ``wsd_stable_fraction``, then a half cosine down to 0 at the last step."""
    warmup_end = config.wsd_warmup_fraction * span
    stable_end = warmup_end + config.wsd_stable_fraction * span
    if step < warmup_end:
        return base_lr * step / max(1.0, warmup_end)
    if step < stable_end:
        return base_lr
    return _cosine_between(base_lr, 0.0, min(1.0, (step - stable_end) / max(1.0, span - stable_end)))


def _cosine_between(start: float, end: float, progress: float) -> float:
    """Half cosine from ``start`` (progress 0) to ``end`` (progress 1)."""
    return end + (start - end) * (1 + math.cos(math.pi * progress)) / 2


def _progress(done: float, length: float) -> float:
    """``done / length`` clamped to [0, 1]; 1 for an empty phase."""
    return 1.0 if length <= 0 else min(1.0, max(0.0, done / length))


def num_warmup_steps(config: LRSchedulerConfig, steps_per_checkpoint: int, total_steps: int) -> int:
    """Warmup length in steps: the larger of ``warmup_evaluations`` and ``warmup_fraction``, rounded up; 0 for the
    decays with a warmup of their own (``one_cycle``, ``wsd``), which ignore both, with a warning."""
    if config.decay in BUILT_IN_WARMUP_DECAYS:
        if config.warmup_evaluations or config.warmup_fraction:
            logger.warning(
                "learning_rate_scheduler.decay: %r has its own warmup; warmup_evaluations and warmup_fraction "
                "are ignored.",
                config.decay,
            )
        return 0
    by_evaluations = config.warmup_evaluations * steps_per_checkpoint
    by_fraction = config.warmup_fraction * total_steps
    # Rounding first keeps float noise (0.1 * 30 = 3.0000000000000004) from adding a step.
    return math.ceil(round(max(by_evaluations, by_fraction), 6))


def _base_lr(config: LRSchedulerConfig, param_group: dict[str, Any]) -> float | None:
    """The learning rate the schedule scales: ``max_lr`` for ``one_cycle`` when set, else the param group's.

    None for a group without a learning rate: its optimizer sets the step size itself (Adafactor's
    ``relative_step``), so the schedule leaves it alone.
    """
    if param_group["lr"] is None:
        return None
    if config.decay == "one_cycle" and config.max_lr is not None:
        return config.max_lr
    return float(param_group["lr"])


def _warn_if_wsd_fractions_do_not_sum_to_one(config: LRSchedulerConfig) -> None:
    fractions = (config.wsd_warmup_fraction, config.wsd_stable_fraction, config.wsd_decay_fraction)
    if config.decay == "wsd" and not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        logger.warning(
            "learning_rate_scheduler: wsd_warmup_fraction + wsd_stable_fraction + wsd_decay_fraction = %g, not 1; "
            "the decay runs from the end of the stable phase to the last step.",
            sum(fractions),
        )


class LRScheduler:
    """Sets the learning rate of every optimizer param group, step by step.

    The learning rate at step ``s`` (the number of :meth:`step` calls so far) is ``base * s / W`` during the ``W``
    warmup steps, then the ``decay`` of ``base`` evaluated ``s - W`` steps after warmup (``W`` is 0 for ``one_cycle``
    and ``wsd``, which warm up themselves). ``base`` is the param group's learning rate at construction (``max_lr``
    for ``one_cycle`` when set) times ``reduce_on_plateau_rate`` to the number of reductions so far.

    Args:
        config: the ``trainer.learning_rate_scheduler`` section.
        optimizer: the optimizer whose param group learning rates are the base learning rates.
        steps_per_checkpoint: optimizer steps between evaluations (for ``warmup_evaluations``).
        total_steps: optimizer steps of the whole training (for ``warmup_fraction`` and the linear and cosine decays).
    """

    def __init__(
        self, config: LRSchedulerConfig, optimizer: torch.optim.Optimizer, steps_per_checkpoint: int, total_steps: int
    ):
        self.config = config
        self.optimizer = optimizer
        self.num_warmup_steps = num_warmup_steps(config, steps_per_checkpoint, total_steps)
        self._decay_span = max(1, total_steps - self.num_warmup_steps)
        self._decay = decay_registry[config.decay] if config.decay else None
        _warn_if_wsd_fractions_do_not_sum_to_one(config)
        self.base_lrs = [_base_lr(config, group) for group in optimizer.param_groups]
        self.num_steps = 0
        self.num_reductions = 0
        self.best_metric: float | None = None
        self.evals_without_improvement = 0
        self._apply()

    def step(self) -> None:
        """Advance the schedule by one optimizer step; call it after every ``optimizer.step()``."""
        self.num_steps += 1
        self._apply()

    def eval_step(self, metric_value: float, objective: Objective) -> bool:
        """Record the watched metric after an evaluation; reduce the learning rate on a plateau.

        After ``reduce_on_plateau_patience`` evaluations in a row without improving on the best value, the base
        learning rate is multiplied by ``reduce_on_plateau_rate``, at most ``reduce_on_plateau`` times in all.

        Args:
            metric_value: the value of ``reduce_eval_metric`` on ``reduce_eval_split``.
            objective: ``"minimize"`` or ``"maximize"``, whichever makes the metric better.

        Returns:
            Whether the learning rate was reduced.
        """
        if objective not in ("minimize", "maximize"):
            raise ValueError(f"Expected objective 'minimize' or 'maximize', found {objective!r}.")
        if not self.config.reduce_on_plateau:
            return False
        if self._improves(metric_value, objective):
            self.best_metric = float(metric_value)
            self.evals_without_improvement = 0
            return False
        self.evals_without_improvement += 1
        if (
            self.evals_without_improvement < self.config.reduce_on_plateau_patience
            or self.num_reductions >= self.config.reduce_on_plateau
        ):
            return False
        self.num_reductions += 1
        self.evals_without_improvement = 0
        self._apply()
        return True

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group, as set for the next optimizer step."""
        return list(self._last_lrs)

    def state_dict(self) -> dict[str, Any]:
        """The progress of the schedule, as JSON-serialisable data."""
        return {
            "num_steps": self.num_steps,
            "num_reductions": self.num_reductions,
            "best_metric": self.best_metric,
            "evals_without_improvement": self.evals_without_improvement,
            "base_lrs": list(self.base_lrs),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume the schedule from :meth:`state_dict` and set the optimizer's learning rates accordingly."""
        self.num_steps = state["num_steps"]
        self.num_reductions = state["num_reductions"]
        self.best_metric = state["best_metric"]
        self.evals_without_improvement = state["evals_without_improvement"]
        self.base_lrs = list(state["base_lrs"])
        self._apply()

    def _improves(self, value: float, objective: Objective) -> bool:
        if math.isnan(value):
            return False
        if self.best_metric is None:
            return True
        return value < self.best_metric if objective == "minimize" else value > self.best_metric

    def _lr(self, base_lr: float | None) -> float | None:
        if base_lr is None:
            return None
        base = base_lr * self.config.reduce_on_plateau_rate**self.num_reductions
        if self.num_steps < self.num_warmup_steps:
            return base * self.num_steps / self.num_warmup_steps
        if self._decay is None:
            return base
        return self._decay(base, self.num_steps - self.num_warmup_steps, self._decay_span, self.config)

    def _apply(self) -> None:
        self._last_lrs = [self._lr(base_lr) for base_lr in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, self._last_lrs):
            group["lr"] = lr
