"""Building optimizers from their configs and clipping gradients."""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable
from typing import Any

import torch

from ludwig.schema.optimizers import BaseOptimizerConfig, GradientClippingConfig

Params = Iterable[torch.Tensor] | Iterable[dict[str, Any]]


def create_optimizer(
    parameters: Params, optimizer_config: BaseOptimizerConfig, learning_rate: float
) -> torch.optim.Optimizer:
    """Build the optimizer described by ``optimizer_config``.

    Args:
        parameters: the tensors to optimize, or torch parameter group dicts.
        optimizer_config: a config registered in ``optimizer_config_registry``; every field but ``type`` is passed
            to the optimizer class as a keyword argument.
        learning_rate: the initial learning rate (``trainer.learning_rate``, already resolved from ``auto``).

    Raises:
        ImportError: the optimizer comes from bitsandbytes, which is not installed.
    """
    optimizer_cls = _optimizer_class(optimizer_config)
    kwargs = _optimizer_kwargs(optimizer_config)
    if _supports_foreach(optimizer_cls):
        # torch only picks its multi-tensor ("foreach") kernels by default on CUDA; on CPU the per-tensor Python
        # loop is several times slower for models with many small parameter tensors. Same arithmetic either way.
        kwargs.setdefault("foreach", True)
    return optimizer_cls(parameters, lr=learning_rate, **kwargs)


LEARNING_RATE_SCALING = {
    "constant": lambda world_size: 1.0,
    "sqrt": math.sqrt,
    "linear": float,
}


def scaled_learning_rate(learning_rate: float, scaling: str, world_size: int) -> float:
    """The learning rate for ``world_size`` workers training together (``trainer.learning_rate_scaling``).

    Each worker's batch adds to the effective batch, so the rate grows with the number of workers: ``linear``
    multiplies it by ``world_size``, ``sqrt`` by its square root, ``constant`` keeps it.

    Args:
        learning_rate: the rate configured for one worker (``trainer.learning_rate``, resolved from ``auto``).
        scaling: ``constant``, ``sqrt`` or ``linear``.
        world_size: number of workers (1 in a single process).
    """
    return learning_rate * LEARNING_RATE_SCALING[scaling](world_size)


def _supports_foreach(optimizer_cls: type) -> bool:
    import inspect

    return (
        optimizer_cls.__module__.startswith("torch.optim") and "foreach" in inspect.signature(optimizer_cls).parameters
    )


def _optimizer_kwargs(optimizer_config: BaseOptimizerConfig) -> dict[str, Any]:
    """The keyword arguments of the optimizer class: every config field but ``type``, lists as tuples."""
    return {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in optimizer_config.to_dict().items()
        if name != "type"
    }


def _optimizer_class(optimizer_config: BaseOptimizerConfig) -> type[torch.optim.Optimizer]:
    module_name, _, class_name = optimizer_config.optimizer_class_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        if not optimizer_config.requires_bitsandbytes:
            raise
        raise ImportError(
            f"Optimizer type {optimizer_config.type!r} needs the bitsandbytes package, which is not installed "
            f"({e}). Install it with `pip install bitsandbytes`; it also needs a CUDA GPU. Or choose a torch "
            "optimizer such as 'adamw'."
        ) from e
    return getattr(module, class_name)


def clip_gradients(parameters: Iterable[torch.Tensor], clipping_config: GradientClippingConfig | None) -> None:
    """Clip the gradients of ``parameters`` in place, as ``clipping_config`` asks.

    Applies, in order: ``clipglobalnorm`` (norm of all gradients together), ``clipnorm`` (norm of each parameter's
    gradient) and ``clipvalue`` (each element). A limit that is null or 0 is skipped; so is a null config.
    With mixed precision, unscale the gradients (``GradScaler.unscale_``) before calling this.
    """
    if clipping_config is None:
        return
    with_grads = [p for p in parameters if p.grad is not None]
    if not with_grads:
        return
    if clipping_config.clipglobalnorm:
        torch.nn.utils.clip_grad_norm_(with_grads, clipping_config.clipglobalnorm)
    if clipping_config.clipnorm:
        for parameter in with_grads:
            torch.nn.utils.clip_grad_norm_(parameter, clipping_config.clipnorm)
    if clipping_config.clipvalue:
        torch.nn.utils.clip_grad_value_(with_grads, clipping_config.clipvalue)
