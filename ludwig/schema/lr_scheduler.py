"""The ``trainer.learning_rate_scheduler`` section: warmup, decay and reduction on plateau."""

from __future__ import annotations

from ludwig.constants import LOSS, TEST, TRAINING, VALIDATION
from ludwig.schema import utils as su

DECAY_TYPES = ["linear", "exponential", "cosine", "one_cycle", "inverse_sqrt", "polynomial", "wsd"]

BUILT_IN_WARMUP_DECAYS = frozenset({"one_cycle", "wsd"})
"""Decays that ramp the learning rate up themselves: ``warmup_evaluations`` and ``warmup_fraction`` do not apply."""


@su.config_class
class LRSchedulerConfig(su.BaseConfig):
    """How the learning rate changes during training.

    The learning rate first ramps up linearly from 0 over the warmup steps, then follows ``decay``. Independently,
    ``reduce_on_plateau`` multiplies it by ``reduce_on_plateau_rate`` when the watched metric stops improving.
    """

    decay: str | None = su.StringOptions(
        DECAY_TYPES,
        None,
        allow_none=True,
        description=(
            "Decay applied after warmup: linear (to 0 at the last step), exponential, cosine, one_cycle, inverse_sqrt, "
            "polynomial or wsd (warmup-stable-decay); null: none. one_cycle and wsd have their own warmup."
        ),
    )
    decay_rate: float = su.FloatRange(
        0.96, description="Exponential decay: factor applied to the learning rate every `decay_steps` steps."
    )
    decay_steps: int = su.PositiveInteger(
        10000, description="Exponential decay: steps over which `decay_rate` applies."
    )
    staircase: bool = su.Boolean(
        False, description="Exponential decay: decay at discrete intervals of `decay_steps` instead of smoothly."
    )
    reduce_on_plateau: int = su.NonNegativeInteger(
        0, description="Maximum number of times the learning rate is reduced on a plateau; 0 disables it."
    )
    reduce_on_plateau_patience: int = su.NonNegativeInteger(
        10, description="Evaluations without improvement before the learning rate is reduced."
    )
    reduce_on_plateau_rate: float = su.Float(
        0.1,
        min=0.0,
        max=1.0,
        min_inclusive=False,
        description="Factor multiplying the learning rate at each reduction on plateau.",
    )
    warmup_evaluations: float = su.NonNegativeFloat(
        0, description="Number of evaluation periods (steps_per_checkpoint steps each) of linear warmup."
    )
    warmup_fraction: float = su.FloatRange(
        0.0, description="Fraction of the total training steps spent in linear warmup (the larger warmup wins)."
    )
    reduce_eval_metric: str = su.String(LOSS, description="Metric watched by reduce_on_plateau.")
    reduce_eval_split: str = su.StringOptions(
        [TRAINING, VALIDATION, TEST], TRAINING, description="Split whose metric reduce_on_plateau watches."
    )
    t_0: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Cosine decay: steps until the first warm restart; null: one cosine over all training steps.",
    )
    t_mult: int = su.PositiveInteger(1, description="Cosine decay: factor growing the period after each restart.")
    eta_min: float = su.NonNegativeFloat(0.0, description="Cosine decay: minimum learning rate.")
    max_lr: float | None = su.Float(
        None,
        min=0.0,
        min_inclusive=False,
        allow_none=True,
        description="one_cycle: peak learning rate; null: the optimizer's learning rate.",
    )
    pct_start: float = su.FloatRange(0.3, description="one_cycle: fraction of the steps spent rising to the peak.")
    div_factor: float = su.Float(
        25.0, min=0.0, min_inclusive=False, description="one_cycle: the first learning rate is the peak / div_factor."
    )
    final_div_factor: float = su.Float(
        1e4,
        min=0.0,
        min_inclusive=False,
        description="one_cycle: the last learning rate is the first one / final_div_factor.",
    )
    inverse_sqrt_warmup_steps: int = su.PositiveInteger(
        4000,
        description="inverse_sqrt: the learning rate is base / sqrt(max(step, inverse_sqrt_warmup_steps)).",
    )
    polynomial_power: float = su.Float(
        1.0, min=0.0, min_inclusive=False, description="polynomial: exponent of the decay (1: linear)."
    )
    polynomial_end_lr: float = su.NonNegativeFloat(
        0.0, description="polynomial: learning rate at the last step, as a fraction of the base learning rate."
    )
    wsd_warmup_fraction: float = su.FloatRange(
        0.1, description="wsd: fraction of the steps spent in linear warmup from 0."
    )
    wsd_stable_fraction: float = su.FloatRange(
        0.8, description="wsd: fraction of the steps at the constant base learning rate, after the warmup."
    )
    wsd_decay_fraction: float = su.FloatRange(
        0.1,
        description=(
            "wsd: fraction of the steps in the final cosine decay to 0; the three wsd fractions should sum to 1 "
            "(the decay always runs from the end of the stable phase to the last step)."
        ),
    )
