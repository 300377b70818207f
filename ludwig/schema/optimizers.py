"""The ``trainer.optimizer`` and ``trainer.gradient_clipping`` sections.

Each optimizer config is registered under its ``type`` and names the optimizer class it builds in
``optimizer_class_path``; every other field is passed to that class as a keyword argument of the same name (see
:func:`ludwig.modules.optimization_modules.create_optimizer`) unless the config maps its fields itself
(:meth:`BaseOptimizerConfig.optimizer_kwargs`). The bitsandbytes classes need the optional ``bitsandbytes``
package and a CUDA GPU; ``schedule_free_adamw`` needs the optional ``schedulefree`` package.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any, ClassVar

from marshmallow import ValidationError, fields

from ludwig.schema import utils as su
from ludwig.schema.checks import register_training_check
from ludwig.utils.registry import Registry

logger = logging.getLogger(__name__)

optimizer_config_registry: Registry = Registry("optimizer")

_TORCH = "torch.optim."
_BNB = "bitsandbytes.optim."

OPTIONAL_PACKAGES = {"bitsandbytes": " (its optimizers need a CUDA GPU)", "schedulefree": ""}
"""Packages some optimizer classes come from that Ludwig does not install, with a note for the install hint."""


def OptimizerField() -> Any:
    """The ``optimizer`` field of a trainer: an optimizer config chosen by ``type`` (default ``adam``)."""
    return su.TypeSelection(
        optimizer_config_registry, "adam", description="Optimizer updating the weights; selected by `type`."
    )


class BaseOptimizerConfig(su.BaseConfig):
    """Base of the optimizer configs.

    Attributes:
        optimizer_class_path: dotted path of the optimizer class built from this config.
    """

    optimizer_class_path: ClassVar[str]
    type: str

    @property
    def optional_package(self) -> str | None:
        """The optional package (one of ``OPTIONAL_PACKAGES``) the optimizer class comes from, or None."""
        package = self.optimizer_class_path.partition(".")[0]
        return package if package in OPTIONAL_PACKAGES else None

    def missing_package_message(self) -> str:
        """What to do when ``optional_package`` is not installed."""
        package = self.optional_package
        return (
            f"trainer.optimizer.type: {self.type!r} needs the {package} package, which is not installed. Install it "
            f"with `pip install {package}`{OPTIONAL_PACKAGES[package]}, or choose a torch optimizer such as 'adamw'."
        )

    def optimizer_kwargs(self, learning_rate: float) -> dict[str, Any]:
        """Keyword arguments of the optimizer class: ``lr`` and every field but ``type``, lists as tuples.

        Args:
            learning_rate: ``trainer.learning_rate``, already resolved from ``auto`` and scaled.
        """
        fields_ = {name: tuple(v) if isinstance(v, list) else v for name, v in self.to_dict().items() if name != "type"}
        return {"lr": learning_rate, **fields_}


# ---------------------------------------------------------------------------------------------------------
# Fields shared by several optimizers.


class _BetasField(fields.Field):
    """Two coefficients in [0, 1), given as a list (YAML) or a tuple (Python)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list | tuple) or len(value) != 2 or not all(_is_number(b) for b in value):
            raise ValidationError(f"Expected two numbers [beta1, beta2], found {value!r}.")
        if not all(0.0 <= b < 1.0 for b in value):
            raise ValidationError(f"Each beta must be in [0, 1), found {list(value)!r}.")
        return [float(b) for b in value]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _betas(default: tuple[float, float] = (0.9, 0.999)) -> Any:
    return su.config_field(
        list(default),
        _BetasField(),
        "Coefficients of the running averages of the gradient and of its square, each in [0, 1).",
    )


def _eps(default: float) -> Any:
    return su.Float(
        default, min=0.0, min_inclusive=False, description="Term added to the denominator for numerical stability."
    )


def _weight_decay(default: float = 0.0) -> Any:
    return su.NonNegativeFloat(default, description="Weight decay (L2 penalty).")


def _momentum() -> Any:
    return su.NonNegativeFloat(0.0, description="Momentum factor.")


def _block_wise(default: bool) -> Any:
    return su.Boolean(default, description="Quantize the optimizer state block by block.")


def _percentile_clipping() -> Any:
    return su.Integer(
        100, min=0, max=100, description="Clip the gradient at this percentile of recent gradient norms; 100: off."
    )


def _max_unorm() -> Any:
    return su.FloatRange(1.0, description="Maximum update norm relative to the weight norm.")


# ---------------------------------------------------------------------------------------------------------
# torch.optim optimizers.


@optimizer_config_registry.register("sgd")
@su.config_class
class SGDOptimizerConfig(BaseOptimizerConfig):
    """Stochastic gradient descent, with optional (Nesterov) momentum."""

    optimizer_class_path: ClassVar[str] = _TORCH + "SGD"

    type: str = su.ProtectedString("sgd")
    momentum: float = _momentum()
    weight_decay: float = _weight_decay()
    dampening: float = su.NonNegativeFloat(0.0, description="Dampening for momentum.")
    nesterov: bool = su.Boolean(False, description="Use Nesterov momentum (needs momentum > 0 and dampening 0).")

    def __post_init__(self) -> None:
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValidationError(
                {
                    "nesterov": [
                        "Nesterov momentum needs momentum > 0 and dampening 0, found "
                        f"momentum {self.momentum!r} and dampening {self.dampening!r}."
                    ]
                }
            )


@optimizer_config_registry.register("adam")
@su.config_class
class AdamOptimizerConfig(BaseOptimizerConfig):
    """Adam."""

    optimizer_class_path: ClassVar[str] = _TORCH + "Adam"

    type: str = su.ProtectedString("adam")
    betas: list[float] = _betas()
    eps: float = _eps(1e-8)
    weight_decay: float = _weight_decay()
    amsgrad: bool = su.Boolean(False, description="Use the AMSGrad variant.")


@optimizer_config_registry.register("adamw")
@su.config_class
class AdamWOptimizerConfig(AdamOptimizerConfig):
    """Adam with decoupled weight decay."""

    optimizer_class_path: ClassVar[str] = _TORCH + "AdamW"

    type: str = su.ProtectedString("adamw")
    weight_decay: float = _weight_decay(0.01)


@optimizer_config_registry.register("adadelta")
@su.config_class
class AdadeltaOptimizerConfig(BaseOptimizerConfig):
    """Adadelta."""

    optimizer_class_path: ClassVar[str] = _TORCH + "Adadelta"

    type: str = su.ProtectedString("adadelta")
    rho: float = su.FloatRange(0.9, description="Coefficient of the running average of squared gradients.")
    eps: float = _eps(1e-6)
    weight_decay: float = _weight_decay()


@optimizer_config_registry.register("adagrad")
@su.config_class
class AdagradOptimizerConfig(BaseOptimizerConfig):
    """Adagrad."""

    optimizer_class_path: ClassVar[str] = _TORCH + "Adagrad"

    type: str = su.ProtectedString("adagrad")
    initial_accumulator_value: float = su.NonNegativeFloat(0.0, description="Initial value of the accumulators.")
    lr_decay: float = su.NonNegativeFloat(0.0, description="Learning rate decay.")
    eps: float = _eps(1e-10)
    weight_decay: float = _weight_decay()


@optimizer_config_registry.register("adamax")
@su.config_class
class AdamaxOptimizerConfig(BaseOptimizerConfig):
    """Adamax (Adam based on the infinity norm)."""

    optimizer_class_path: ClassVar[str] = _TORCH + "Adamax"

    type: str = su.ProtectedString("adamax")
    betas: list[float] = _betas()
    eps: float = _eps(1e-8)
    weight_decay: float = _weight_decay()


@optimizer_config_registry.register("nadam")
@su.config_class
class NadamOptimizerConfig(BaseOptimizerConfig):
    """Adam with Nesterov momentum."""

    optimizer_class_path: ClassVar[str] = _TORCH + "NAdam"

    type: str = su.ProtectedString("nadam")
    betas: list[float] = _betas()
    eps: float = _eps(1e-8)
    weight_decay: float = _weight_decay()
    momentum_decay: float = su.NonNegativeFloat(0.004, description="Momentum decay.")


@optimizer_config_registry.register("rmsprop")
@su.config_class
class RMSPropOptimizerConfig(BaseOptimizerConfig):
    """RMSprop."""

    optimizer_class_path: ClassVar[str] = _TORCH + "RMSprop"

    type: str = su.ProtectedString("rmsprop")
    alpha: float = su.NonNegativeFloat(0.99, description="Smoothing constant.")
    eps: float = _eps(1e-8)
    momentum: float = _momentum()
    centered: bool = su.Boolean(False, description="Normalize the gradient by an estimate of its variance.")
    weight_decay: float = _weight_decay()


@optimizer_config_registry.register("lbfgs")
@su.config_class
class LBFGSOptimizerConfig(BaseOptimizerConfig):
    """L-BFGS; its ``step`` needs a closure re-evaluating the loss."""

    optimizer_class_path: ClassVar[str] = _TORCH + "LBFGS"

    type: str = su.ProtectedString("lbfgs")
    max_iter: int = su.PositiveInteger(20, description="Maximum number of iterations per optimizer step.")
    max_eval: int | None = su.PositiveInteger(
        None, allow_none=True, description="Maximum number of loss evaluations per step (null: max_iter * 1.25)."
    )
    tolerance_grad: float = su.NonNegativeFloat(1e-7, description="Termination tolerance on first order optimality.")
    tolerance_change: float = su.NonNegativeFloat(1e-9, description="Termination tolerance on loss/weight changes.")
    history_size: int = su.PositiveInteger(100, description="Update history size.")
    line_search_fn: str | None = su.StringOptions(
        ["strong_wolfe"], None, allow_none=True, description="Line search algorithm; null: none."
    )


@optimizer_config_registry.register("radam")
@su.config_class
class RAdamOptimizerConfig(BaseOptimizerConfig):
    """Rectified Adam."""

    optimizer_class_path: ClassVar[str] = _TORCH + "RAdam"

    type: str = su.ProtectedString("radam")
    betas: list[float] = _betas()
    eps: float = _eps(1e-8)
    weight_decay: float = _weight_decay()


@optimizer_config_registry.register("adafactor")
@su.config_class
class AdafactorOptimizerConfig(BaseOptimizerConfig):
    """Adafactor (``transformers.optimization.Adafactor``, as in Ludwig): factored second moments, so a matrix's
    state is a row and a column.

    ``relative_step: true`` computes its own step size, ``min(1e-2, 1/sqrt(step))`` (``1e-6 * step`` first with
    ``warmup_init``), and ignores ``trainer.learning_rate``; ``relative_step: false`` uses ``lr``, or
    ``trainer.learning_rate`` when ``lr`` is null. ``scale_parameter`` multiplies the step by the parameter's RMS.
    The fine-tuning recipe is ``scale_parameter: false, relative_step: false`` with an ``lr``.
    """

    optimizer_class_path: ClassVar[str] = "transformers.optimization.Adafactor"

    type: str = su.ProtectedString("adafactor")
    lr: float | None = su.FloatRange(
        None, allow_none=True, description="Step size with relative_step: false; null: trainer.learning_rate."
    )
    scale_parameter: bool = su.Boolean(True, description="Scale the step by the root mean square of the parameter.")
    relative_step: bool = su.Boolean(
        True,
        description="Step size min(1e-2, 1/sqrt(step)) instead of lr (a given lr is then ignored, with a warning).",
    )
    warmup_init: bool = su.Boolean(
        False, description="Ramp the relative step up as 1e-6 * step first; needs relative_step: true."
    )

    def __post_init__(self) -> None:
        if self.relative_step and self.lr is not None:
            # Ludwig renders this (its examples/optimizers/config_adafactor.yaml does it) and then fails in
            # transformers at the first step; here it trains, with the relative step, and says so.
            logger.warning(
                "trainer.optimizer.lr: %r is ignored while relative_step is true (the step size is then "
                "min(1e-2, 1/sqrt(step))); set relative_step: false to train with it.",
                self.lr,
            )
        errors = {}
        if self.warmup_init and not self.relative_step:
            errors["warmup_init"] = ["warmup_init: true ramps up the relative step; it needs relative_step: true."]
        if errors:
            raise ValidationError(errors)

    def optimizer_kwargs(self, learning_rate: float) -> dict[str, Any]:
        lr = None if self.relative_step else (learning_rate if self.lr is None else self.lr)
        return {
            "lr": lr,
            "scale_parameter": self.scale_parameter,
            "relative_step": self.relative_step,
            "warmup_init": self.warmup_init,
        }


@optimizer_config_registry.register("muon")
@su.config_class
class MuonOptimizerConfig(BaseOptimizerConfig):
    """Muon: momentum updates orthogonalized by Newton-Schulz iterations.

    ``torch.optim.Muon`` updates the 2-D weights; every other parameter (biases, norms, >2-D kernels) takes the same
    momentum update without the orthogonalization (see :mod:`ludwig.modules.muon`).
    """

    optimizer_class_path: ClassVar[str] = "ludwig.modules.muon.MuonWithMomentumSGD"

    type: str = su.ProtectedString("muon")
    momentum: float = su.FloatRange(0.95, description="Momentum factor applied before the orthogonalization.")
    nesterov: bool = su.Boolean(True, description="Use Nesterov momentum.")


@optimizer_config_registry.register("schedule_free_adamw")
@su.config_class
class ScheduleFreeAdamWOptimizerConfig(BaseOptimizerConfig):
    """Schedule-free AdamW (package ``schedulefree``): no learning rate decay needed; evaluation and the saved model
    use the average of the iterates."""

    optimizer_class_path: ClassVar[str] = "schedulefree.AdamWScheduleFree"

    type: str = su.ProtectedString("schedule_free_adamw")
    betas: list[float] = _betas()
    weight_decay: float = _weight_decay()
    warmup_steps: int = su.NonNegativeInteger(0, description="Steps of linear warmup built into the optimizer.")


# ---------------------------------------------------------------------------------------------------------
# bitsandbytes optimizers (8-bit and paged state; CUDA only).


@optimizer_config_registry.register("sgd_8bit")
@su.config_class
class SGD8BitOptimizerConfig(SGDOptimizerConfig):
    """SGD with 8-bit momentum state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "SGD8bit"

    type: str = su.ProtectedString("sgd_8bit")
    block_wise: bool = _block_wise(False)
    percentile_clipping: int = _percentile_clipping()


@optimizer_config_registry.register("adam_8bit")
@su.config_class
class Adam8BitOptimizerConfig(AdamOptimizerConfig):
    """Adam with 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "Adam8bit"

    type: str = su.ProtectedString("adam_8bit")
    block_wise: bool = _block_wise(True)
    percentile_clipping: int = _percentile_clipping()


@optimizer_config_registry.register("paged_adam")
@su.config_class
class PagedAdamOptimizerConfig(Adam8BitOptimizerConfig):
    """Adam with state paged between GPU and CPU memory (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "PagedAdam"

    type: str = su.ProtectedString("paged_adam")


@optimizer_config_registry.register("paged_adam_8bit")
@su.config_class
class PagedAdam8BitOptimizerConfig(Adam8BitOptimizerConfig):
    """Adam with paged 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "PagedAdam8bit"

    type: str = su.ProtectedString("paged_adam_8bit")


@optimizer_config_registry.register("adamw_8bit")
@su.config_class
class AdamW8BitOptimizerConfig(AdamWOptimizerConfig):
    """AdamW with 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "AdamW8bit"

    type: str = su.ProtectedString("adamw_8bit")
    block_wise: bool = _block_wise(True)
    percentile_clipping: int = _percentile_clipping()


@optimizer_config_registry.register("paged_adamw")
@su.config_class
class PagedAdamWOptimizerConfig(AdamW8BitOptimizerConfig):
    """AdamW with state paged between GPU and CPU memory (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "PagedAdamW"

    type: str = su.ProtectedString("paged_adamw")


@optimizer_config_registry.register("paged_adamw_8bit")
@su.config_class
class PagedAdamW8BitOptimizerConfig(AdamW8BitOptimizerConfig):
    """AdamW with paged 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "PagedAdamW8bit"

    type: str = su.ProtectedString("paged_adamw_8bit")


@optimizer_config_registry.register("adagrad_8bit")
@su.config_class
class Adagrad8BitOptimizerConfig(AdagradOptimizerConfig):
    """Adagrad with 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "Adagrad8bit"

    type: str = su.ProtectedString("adagrad_8bit")
    block_wise: bool = _block_wise(True)
    percentile_clipping: int = _percentile_clipping()


@optimizer_config_registry.register("rmsprop_8bit")
@su.config_class
class RMSProp8BitOptimizerConfig(RMSPropOptimizerConfig):
    """RMSprop with 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "RMSprop8bit"

    type: str = su.ProtectedString("rmsprop_8bit")
    block_wise: bool = _block_wise(True)
    percentile_clipping: int = _percentile_clipping()


@optimizer_config_registry.register("lamb")
@su.config_class
class LAMBOptimizerConfig(BaseOptimizerConfig):
    """Layer-wise adaptive moments for large batch training (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "LAMB"

    type: str = su.ProtectedString("lamb")
    bias_correction: bool = su.Boolean(True, description="Correct the bias of the moment estimates.")
    betas: list[float] = _betas()
    eps: float = _eps(1e-8)
    weight_decay: float = _weight_decay()
    amsgrad: bool = su.Boolean(False, description="Use the AMSGrad variant.")
    adam_w_mode: bool = su.Boolean(True, description="Decouple the weight decay as AdamW does.")
    percentile_clipping: int = _percentile_clipping()
    block_wise: bool = _block_wise(False)
    max_unorm: float = _max_unorm()


@optimizer_config_registry.register("lamb_8bit")
@su.config_class
class LAMB8BitOptimizerConfig(LAMBOptimizerConfig):
    """LAMB with 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "LAMB8bit"

    type: str = su.ProtectedString("lamb_8bit")


@optimizer_config_registry.register("lars")
@su.config_class
class LARSOptimizerConfig(BaseOptimizerConfig):
    """Layer-wise adaptive rate scaling (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "LARS"

    type: str = su.ProtectedString("lars")
    momentum: float = _momentum()
    dampening: float = su.NonNegativeFloat(0.0, description="Dampening for momentum.")
    weight_decay: float = _weight_decay()
    nesterov: bool = su.Boolean(False, description="Use Nesterov momentum.")
    percentile_clipping: int = _percentile_clipping()
    max_unorm: float = _max_unorm()


@optimizer_config_registry.register("lars_8bit")
@su.config_class
class LARS8BitOptimizerConfig(LARSOptimizerConfig):
    """LARS with 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "LARS8bit"

    type: str = su.ProtectedString("lars_8bit")


@optimizer_config_registry.register("lion")
@su.config_class
class LionOptimizerConfig(BaseOptimizerConfig):
    """Evolved sign momentum (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "Lion"

    type: str = su.ProtectedString("lion")
    betas: list[float] = _betas()
    weight_decay: float = _weight_decay()
    percentile_clipping: int = _percentile_clipping()
    block_wise: bool = _block_wise(True)


@optimizer_config_registry.register("lion_8bit")
@su.config_class
class Lion8BitOptimizerConfig(LionOptimizerConfig):
    """Lion with 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "Lion8bit"

    type: str = su.ProtectedString("lion_8bit")


@optimizer_config_registry.register("paged_lion")
@su.config_class
class PagedLionOptimizerConfig(LionOptimizerConfig):
    """Lion with state paged between GPU and CPU memory (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "PagedLion"

    type: str = su.ProtectedString("paged_lion")


@optimizer_config_registry.register("paged_lion_8bit")
@su.config_class
class PagedLion8BitOptimizerConfig(LionOptimizerConfig):
    """Lion with paged 8-bit state (bitsandbytes)."""

    optimizer_class_path: ClassVar[str] = _BNB + "PagedLion8bit"

    type: str = su.ProtectedString("paged_lion_8bit")


@register_training_check
def check_optimizer_package_installed(config) -> list[str]:
    """An optimizer from an optional package needs it: say so before training, before any data is preprocessed."""
    optimizer = getattr(config.trainer, "optimizer", None)
    if optimizer is None or optimizer.optional_package is None or importlib.util.find_spec(optimizer.optional_package):
        return []
    return [optimizer.missing_package_message()]


# ---------------------------------------------------------------------------------------------------------
# Gradient clipping.


@su.config_class
class GradientClippingConfig(su.BaseConfig):
    """Limits on the gradients, applied before each optimizer step; null or 0 disables a limit."""

    clipglobalnorm: float | None = su.NonNegativeFloat(
        0.5, allow_none=True, description="Maximum norm of all gradients taken together."
    )
    clipnorm: float | None = su.NonNegativeFloat(
        None, allow_none=True, description="Maximum norm of the gradient of each parameter tensor."
    )
    clipvalue: float | None = su.NonNegativeFloat(
        None, allow_none=True, description="Maximum absolute value of each gradient element."
    )
