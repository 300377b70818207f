"""The ``trainer`` section of an ECD model."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.lr_scheduler import LRSchedulerConfig
from ludwig.schema.optimizers import GradientClippingConfig, OptimizerField


class _FiniteNumber(fields.Field):
    """A list entry that must be a finite number."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> float:
        return su.finite_number(value)


@su.config_class
class ECDTrainerConfig(su.BaseConfig):
    """How the encoder-combiner-decoder model is trained."""

    epochs: int = su.PositiveInteger(100, description="Number of passes over the training set.")
    train_steps: int | None = su.PositiveInteger(
        None, allow_none=True, description="Number of training steps; overrides epochs when set."
    )
    eval_steps: int | None = su.PositiveInteger(
        None, allow_none=True, description="Batches evaluated per evaluation (all when null)."
    )
    steps_per_checkpoint: int = su.NonNegativeInteger(
        0, description="Evaluate and checkpoint every N steps; 0 means once per epoch."
    )
    checkpoints_per_epoch: int = su.NonNegativeInteger(
        0, description="Evaluate and checkpoint N times per epoch; alternative to steps_per_checkpoint."
    )
    early_stop: int = su.Integer(5, min=-1, description="Evaluations without improvement before stopping; -1 never.")
    batch_size: int | str = su.IntegerOrAuto("auto", description="Training batch size, or 'auto' to tune it.")
    max_batch_size: int = su.PositiveInteger(2**40, description="Upper bound for batch size tuning.")
    eval_batch_size: int | str | None = su.IntegerOrAuto(
        None, allow_none=True, description="Evaluation batch size (null: batch_size)."
    )
    effective_batch_size: int | str = su.IntegerOrAuto(
        "auto", description="batch_size x gradient_accumulation_steps; derived when 'auto'."
    )
    gradient_accumulation_steps: int | str = su.IntegerOrAuto(
        "auto", description="Batches whose gradients are summed before each optimizer step ('auto': 1)."
    )
    learning_rate: float | str = su.FloatOrAuto(
        0.001, min=0.0, max=1.0, description="Learning rate, or 'auto' for a range test."
    )
    learning_rate_scaling: str = su.StringOptions(
        ["constant", "sqrt", "linear"], "linear", description="How the learning rate scales with workers."
    )
    learning_rate_scheduler: su.BaseConfig = su.Nested(LRSchedulerConfig, description="Learning rate schedule.")
    optimizer: su.BaseConfig = OptimizerField()
    regularization_type: str | None = su.StringOptions(
        ["l1", "l2", "l1_l2", None], "l2", allow_none=True, description="Type of weight regularization."
    )
    regularization_lambda: float = su.NonNegativeFloat(0.0, description="Strength of the weight regularization.")
    gradient_clipping: su.BaseConfig = su.Nested(GradientClippingConfig, description="Gradient clipping.")
    validation_field: str | None = su.String(
        None, allow_none=True, description="Output feature (or 'combined') watched for early stop."
    )
    validation_metric: str | None = su.String(None, allow_none=True, description="Metric watched for early stop.")
    evaluate_training_set: bool = su.Boolean(False, description="Also evaluate the full training set each time.")
    should_shuffle: bool = su.Boolean(True, description="Shuffle the training set each epoch.")
    increase_batch_size_on_plateau: int = su.NonNegativeInteger(0, description="Times batch size may increase.")
    increase_batch_size_on_plateau_patience: int = su.NonNegativeInteger(5, description="Patience for that.")
    increase_batch_size_on_plateau_rate: float = su.Float(2.0, min=1.0, description="Batch size multiplier.")
    increase_batch_size_eval_metric: str = su.String("loss", description="Metric watched for batch size increase.")
    increase_batch_size_eval_split: str = su.StringOptions(
        ["training", "validation", "test"], "training", description="Split watched for batch size increase."
    )
    bucketing_field: str | None = su.String(None, allow_none=True, description="Feature used to bucket batches.")
    use_mixed_precision: bool = su.Boolean(False, description="Use automatic mixed precision (GPU only).")
    compile: bool = su.Boolean(False, description="Compile the model with torch.compile.")
    enable_gradient_checkpointing: bool = su.Boolean(False, description="Trade compute for memory.")
    layers_to_freeze_regex: str | None = su.String(
        None, allow_none=True, description="Parameters whose name matches are not trained."
    )
    skip_all_evaluation: bool = su.Boolean(False, description="Never evaluate; keep the last weights.")
    enable_profiling: bool = su.Boolean(False, description="Profile training with torch.profiler.")
    profiler: dict = su.Dict({}, description="torch.profiler schedule options.")
    loss_balancing: str = su.StringOptions(
        ["none", "log_transform", "uncertainty", "famo", "gradnorm", "nash_mtl", "pareto_mtl"],
        "none",
        description="How the output features' losses are combined: 'none' (static weighted sum), 'log_transform' "
        "(sum of log(1 + loss)), 'uncertainty' (learned per-task log-variances), 'famo' (softmax weights moved by "
        "each loss's change), 'gradnorm' (weights moved toward equal training rates), 'nash_mtl' (weights "
        "inversely proportional to the losses) or 'pareto_mtl' (linear + Tchebycheff mix under a preference vector).",
    )
    loss_balancing_alpha: float = su.Float(
        1.5, description="Asymmetry exponent of 'gradnorm' (also passed to 'famo', which does not use it)."
    )
    loss_balancing_lr: float = su.Float(0.01, description="Step size of the 'famo' weight updates.")
    loss_balancing_preference_vector: list | None = su.List(
        _FiniteNumber(),
        None,
        allow_none=True,
        description="'pareto_mtl' preference: one non-negative number per output feature, in output_features "
        "order, normalised to sum to 1; null means equal preference.",
    )
    loss_balancing_tchebycheff_weight: float = su.FloatRange(
        0.5,
        min=0.0,
        max=1.0,
        description="'pareto_mtl' share of the Tchebycheff (max) term; the rest goes to the linear (sum) term.",
    )
    modality_dropout: float = su.FloatRange(
        0.0,
        min=0.0,
        max=1.0,
        description="While training, probability that an input feature's whole encoder output is replaced, for "
        "the batch, by a learned missing-feature embedding; 0 disables it. Never applied at evaluation or predict.",
    )
    model_soup: str | None = su.StringOptions(
        ["uniform", "greedy"],
        None,
        allow_none=True,
        description="After training, average the weights of the best checkpoints: 'uniform' (all of the top k) or "
        "'greedy' (add each, best first, while the validation metric improves); null keeps the best checkpoint.",
    )
    model_soup_top_k: int = su.PositiveInteger(5, description="Number of best checkpoints kept for model_soup.")


@register_config_check
def check_preference_vector(config) -> list[str]:
    """With ``loss_balancing: pareto_mtl``, ``loss_balancing_preference_vector`` has one non-negative entry per
    output feature and a positive sum. Other strategies never read it, and Ludwig accepts it there unchecked."""
    vector = config.trainer.loss_balancing_preference_vector
    if vector is None or config.trainer.loss_balancing != "pareto_mtl":
        return []
    path = "trainer.loss_balancing_preference_vector"
    expected = len(config.output_features)
    if len(vector) != expected:
        return [
            f"{path}: found {len(vector)} entries {vector}, expected {expected} (one per output feature, in "
            f"output_features order)."
        ]
    if any(value < 0 for value in vector) or sum(vector) <= 0:
        return [f"{path}: entries must be non-negative with a positive sum, found {vector}."]
    return []
