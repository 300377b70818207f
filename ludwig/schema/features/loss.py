"""Loss config sections of the output features, registered per feature type by name.

The ``loss`` section of an output feature is selected by its ``type``; every loss has a ``weight`` that scales
its contribution to the combined loss of a multi-output model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields

from ludwig.constants import (
    ANOMALY,
    BINARY,
    CATEGORY,
    CATEGORY_DISTRIBUTION,
    NUMBER,
    SEQUENCE,
    SET,
    TEXT,
    TIMESERIES,
    VECTOR,
)
from ludwig.schema import utils as su
from ludwig.utils.registry import TypedRegistry

loss_config_registry: TypedRegistry = TypedRegistry("loss")

DEFAULT_LOSS = {
    BINARY: "binary_weighted_cross_entropy",
    NUMBER: "mean_squared_error",
    CATEGORY: "softmax_cross_entropy",
    CATEGORY_DISTRIBUTION: "softmax_cross_entropy",
    ANOMALY: "deep_svdd",
    VECTOR: "mean_squared_error",
    SET: "sigmoid_cross_entropy",
    SEQUENCE: "sequence_softmax_cross_entropy",
    TEXT: "sequence_softmax_cross_entropy",
    TIMESERIES: "huber",
}


def LossField(feature_type: str) -> su.BaseConfig:
    """The ``loss`` section of an output feature of ``feature_type``."""
    return su.TypeSelection(
        loss_config_registry.for_type(feature_type),
        DEFAULT_LOSS[feature_type],
        description=f"Loss optimised for the {feature_type} output; selected by `type`.",
    )


def _is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_weight(value: Any, where: str) -> float:
    if not _is_number(value) or value < 0:
        raise ValidationError(f"Expected a number >= 0 for {where}, found {value!r}.")
    return float(value)


class _ClassWeightsField(fields.Field):
    """A list of per-class weights (by class index) or a mapping ``{class label: weight}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple):
            return [_check_weight(w, f"class_weights[{i}]") for i, w in enumerate(value)]
        if isinstance(value, Mapping):
            return {str(label): _check_weight(w, f"class_weights[{label!r}]") for label, w in value.items()}
        raise ValidationError(
            f"Expected a list of weights or a mapping {{class label: weight}}, found {type(value).__name__} {value!r}."
        )


class _SquareMatrixField(fields.Field):
    """A square matrix of numbers written as a list of rows."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list | tuple) or not all(isinstance(row, list | tuple) for row in value):
            raise ValidationError(f"Expected a list of lists of numbers, found {value!r}.")
        size = len(value)
        for i, row in enumerate(value):
            if len(row) != size:
                raise ValidationError(f"Expected a square matrix; row {i} has {len(row)} values instead of {size}.")
            bad = [v for v in row if not _is_number(v)]
            if bad:
                raise ValidationError(f"Expected numbers in row {i}, found {bad[0]!r}.")
        return [[float(v) for v in row] for row in value]


def _weight_field() -> Any:
    return su.NonNegativeFloat(1.0, description="Weight of this loss in the combined loss of all output features.")


@loss_config_registry.register("mean_squared_error", [NUMBER, VECTOR, TIMESERIES])
@su.config_class
class MSELossConfig(su.BaseConfig):
    """Mean of the squared differences between predictions and targets."""

    type: str = su.ProtectedString("mean_squared_error")
    weight: float = _weight_field()


@loss_config_registry.register("mean_absolute_error", [NUMBER, VECTOR, TIMESERIES])
@su.config_class
class MAELossConfig(su.BaseConfig):
    """Mean of the absolute differences between predictions and targets."""

    type: str = su.ProtectedString("mean_absolute_error")
    weight: float = _weight_field()


@loss_config_registry.register("mean_absolute_percentage_error", [NUMBER, VECTOR, TIMESERIES])
@su.config_class
class MAPELossConfig(su.BaseConfig):
    """Mean of the absolute differences relative to the absolute targets."""

    type: str = su.ProtectedString("mean_absolute_percentage_error")
    weight: float = _weight_field()


@loss_config_registry.register("root_mean_squared_error", [NUMBER, VECTOR])
@su.config_class
class RMSELossConfig(su.BaseConfig):
    """Square root of the mean squared error."""

    type: str = su.ProtectedString("root_mean_squared_error")
    weight: float = _weight_field()


@loss_config_registry.register("root_mean_squared_percentage_error", [NUMBER, VECTOR])
@su.config_class
class RMSPELossConfig(su.BaseConfig):
    """Square root of the mean squared difference relative to the targets."""

    type: str = su.ProtectedString("root_mean_squared_percentage_error")
    weight: float = _weight_field()


@loss_config_registry.register("huber", [NUMBER, VECTOR, TIMESERIES])
@su.config_class
class HuberLossConfig(su.BaseConfig):
    """Squared error for small differences, absolute error beyond ``delta``."""

    type: str = su.ProtectedString("huber")
    weight: float = _weight_field()
    delta: float = su.Float(
        1.0, min=0.0, min_inclusive=False, description="Difference at which the loss turns from quadratic to linear."
    )


def _robust_lambda_field() -> Any:
    return su.NonNegativeInteger(
        0,
        description="Mix the loss with that of a uniform prediction: "
        "(1 - robust_lambda) * loss + robust_lambda / num_classes.",
    )


def _confidence_penalty_field() -> Any:
    return su.NonNegativeFloat(
        0.0,
        description="Penalise confident predictions by this multiple of the "
        "normalised gap between maximum and predicted entropy.",
    )


@loss_config_registry.register("binary_weighted_cross_entropy", [BINARY])
@su.config_class
class BWCEWithLogitsLossConfig(su.BaseConfig):
    """Binary cross entropy on logits, optionally weighting the positive class."""

    type: str = su.ProtectedString("binary_weighted_cross_entropy")
    weight: float = _weight_field()
    positive_class_weight: float | None = su.Float(
        None,
        min=0.0,
        min_inclusive=False,
        allow_none=True,
        description="Weight of the positive class relative to the negative one; None weighs both equally.",
    )
    robust_lambda: int = _robust_lambda_field()
    confidence_penalty: float = _confidence_penalty_field()


@loss_config_registry.register("softmax_cross_entropy", [CATEGORY, CATEGORY_DISTRIBUTION, VECTOR])
@su.config_class
class SoftmaxCrossEntropyLossConfig(su.BaseConfig):
    """Cross entropy between the softmax of the logits and the target class (or target distribution)."""

    type: str = su.ProtectedString("softmax_cross_entropy")
    weight: float = _weight_field()
    class_weights: list | dict | None = su.config_field(
        None,
        _ClassWeightsField(allow_none=True),
        description="Per-class weights: a list ordered by class index or a mapping {class label: weight}.",
    )
    robust_lambda: int = _robust_lambda_field()
    confidence_penalty: float = _confidence_penalty_field()
    class_similarities: list | None = su.config_field(
        None,
        _SquareMatrixField(allow_none=True),
        description="Square matrix of similarities between classes (by class index) used to soften the "
        "target when class_similarities_temperature > 0.",
    )
    class_similarities_temperature: float = su.NonNegativeFloat(
        0.0, description="Temperature of the softmax over a row of class_similarities; 0 keeps hard targets."
    )
    label_smoothing: float = su.FloatRange(
        0.0, description="Mix the target with a uniform distribution over classes by this amount."
    )


def _unique_field() -> Any:
    return su.Boolean(False, description="Count each distinct token of a target sequence once (at its first position).")


@loss_config_registry.register("sequence_softmax_cross_entropy", [SEQUENCE, TEXT])
@su.config_class
class SequenceSoftmaxCrossEntropyLossConfig(SoftmaxCrossEntropyLossConfig):
    """Softmax cross entropy at every non-padding position of the target sequence (class = token)."""

    type: str = su.ProtectedString("sequence_softmax_cross_entropy")
    unique: bool = _unique_field()


@loss_config_registry.register("next_token_softmax_cross_entropy", [SEQUENCE, TEXT])
@su.config_class
class NextTokenSoftmaxCrossEntropyLossConfig(SoftmaxCrossEntropyLossConfig):
    """Sequence softmax cross entropy where the output at each step scores the next target token."""

    type: str = su.ProtectedString("next_token_softmax_cross_entropy")
    unique: bool = _unique_field()


@loss_config_registry.register("sigmoid_cross_entropy", [SET])
@su.config_class
class SigmoidCrossEntropyLossConfig(su.BaseConfig):
    """Binary cross entropy of each element's logit against its presence in the target set, averaged."""

    type: str = su.ProtectedString("sigmoid_cross_entropy")
    weight: float = _weight_field()
    class_weights: list | dict | None = su.config_field(
        None,
        _ClassWeightsField(allow_none=True),
        description="Weight of the positive (present) case of each element: a list ordered by vocabulary index "
        "or a mapping {element: weight}; elements left out of a mapping weigh 1.",
    )


# ---------------------------------------------------------------------------------------------------------
# Further classification losses. Binary outputs give them the two-class logits (0, z) of their logit z.


@loss_config_registry.register("focal_loss", [BINARY, CATEGORY])
@su.config_class
class FocalLossConfig(su.BaseConfig):
    """Cross entropy scaled by ``(1 - p_t) ** gamma``, so well-classified rows count less."""

    type: str = su.ProtectedString("focal_loss")
    weight: float = _weight_field()
    alpha: float = su.FloatRange(
        0.25,
        description="Binary outputs: weight of the positive rows (negative rows weigh 1 - alpha); "
        "category outputs ignore it.",
    )
    gamma: float = su.NonNegativeFloat(
        2.0, description="Focusing exponent; 0 gives plain cross entropy (times alpha for binary outputs)."
    )


def _background_class_field() -> Any:
    return su.Integer(
        None,
        min=0,
        allow_none=True,
        description="Index of the class holding unknown / background rows (for binary outputs 0 is false, "
        "1 true); those rows are pushed towards a uniform prediction. None treats every row as known.",
    )


@loss_config_registry.register("entropic_open_set", [BINARY, CATEGORY])
@su.config_class
class EntropicOpenSetLossConfig(su.BaseConfig):
    """Cross entropy on known rows plus negative entropy on background rows (Dhamija et al., 2018)."""

    type: str = su.ProtectedString("entropic_open_set")
    weight: float = _weight_field()
    background_class: int | None = _background_class_field()


@loss_config_registry.register("objectosphere", [BINARY, CATEGORY])
@su.config_class
class ObjectosphereLossConfig(EntropicOpenSetLossConfig):
    """The entropic open-set loss plus logit-norm terms: known rows are pushed to a norm of at least ``xi``,
    background rows towards norm 0 (Dhamija et al., 2018)."""

    type: str = su.ProtectedString("objectosphere")
    xi: float = su.NonNegativeFloat(
        10.0, description="Smallest logit L2 norm wanted for known rows; (xi - norm)^2 is added below it."
    )
    zeta: float = su.NonNegativeFloat(0.1, description="Weight of the squared logit norm of background rows.")


@loss_config_registry.register("poly_loss", [CATEGORY])
@su.config_class
class PolyLossConfig(su.BaseConfig):
    """Cross entropy plus ``epsilon * (1 - p_t)`` (Poly-1, Leng et al., 2022)."""

    type: str = su.ProtectedString("poly_loss")
    weight: float = _weight_field()
    epsilon: float = su.NonNegativeFloat(1.0, description="Weight of the (1 - p_t) term; 0 gives plain cross entropy.")


@loss_config_registry.register("sparsemax_loss", [CATEGORY])
@su.config_class
class SparsemaxLossConfig(su.BaseConfig):
    """The loss whose gradient is ``sparsemax(logits) - onehot(target)`` (Martins & Astudillo, 2016)."""

    type: str = su.ProtectedString("sparsemax_loss")
    weight: float = _weight_field()


@loss_config_registry.register("entmax15_loss", [CATEGORY])
@su.config_class
class Entmax15LossConfig(su.BaseConfig):
    """The loss whose gradient is ``entmax15(logits) - onehot(target)`` (Peters et al., 2019)."""

    type: str = su.ProtectedString("entmax15_loss")
    weight: float = _weight_field()


@loss_config_registry.register("corn", [CATEGORY])
@su.config_class
class CORNLossConfig(su.BaseConfig):
    """Conditional ordinal regression (Shi, Cao & Raschka, 2021): the classes are ordered by vocabulary index
    (list them in order in ``preprocessing.vocab``), the decoder gives one logit per boundary between
    neighbouring classes, and the predicted class is the median of the predicted distribution."""

    type: str = su.ProtectedString("corn")
    weight: float = _weight_field()


# ---------------------------------------------------------------------------------------------------------
# Anomaly losses: functions of the anomaly score d = ||z - c||^2 (N,) and the labels (N,): 0 normal, 1 anomaly,
# -1 unlabeled.


@loss_config_registry.register("deep_svdd", [ANOMALY])
@su.config_class
class DeepSVDDLossConfig(su.BaseConfig):
    """Deep SVDD (Ruff et al., 2018): the mean score (hard boundary, ``nu = 0``) or, soft boundary, ``R + mean(
    max(d - R, 0)) / nu`` with R the (1 - nu) quantile of the batch's scores (no gradient through R)."""

    type: str = su.ProtectedString("deep_svdd")
    weight: float = _weight_field()
    nu: float = su.FloatRange(
        0.1,
        min=0.0,
        max=1.0,
        description="Fraction of training rows allowed outside the hypersphere (soft boundary); 0 is the hard "
        "boundary, pulling every row towards the centre.",
    )


@loss_config_registry.register("deep_sad", [ANOMALY])
@su.config_class
class DeepSADLossConfig(su.BaseConfig):
    """Deep SAD (Ruff et al., 2020): mean over rows of ``d`` for normal and unlabeled rows and
    ``eta / (d + 1e-6)`` for rows labeled anomalous (1), which are pushed away from the centre."""

    type: str = su.ProtectedString("deep_sad")
    weight: float = _weight_field()
    eta: float = su.NonNegativeFloat(1.0, description="Weight of the repulsion term of the labeled anomalies.")


@loss_config_registry.register("drocc", [ANOMALY])
@su.config_class
class DROCCLossConfig(su.BaseConfig):
    """DROCC as Ludwig 0.17 computes it: the mean score plus ``perturbation_strength`` times the mean hinge
    ``max(d - d', 0)`` against randomly perturbed scores ``d' = d + perturbation_strength * std(d) * noise``."""

    type: str = su.ProtectedString("drocc")
    weight: float = _weight_field()
    perturbation_strength: float = su.NonNegativeFloat(
        0.1, description="Scale of the perturbations of the scores (typically 0.01 to 0.5)."
    )
    num_perturbation_steps: int = su.PositiveInteger(
        5, description="Gradient ascent steps of the perturbation; accepted as Ludwig does, which does not use it."
    )
