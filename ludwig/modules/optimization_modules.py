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
        optimizer_config: a config registered in ``optimizer_config_registry``; its ``optimizer_kwargs`` are the
            keyword arguments of the optimizer class.
        learning_rate: the initial learning rate (``trainer.learning_rate``, already resolved from ``auto``).

    Raises:
        ImportError: the optimizer comes from an optional package (bitsandbytes, schedulefree) not installed.
    """
    optimizer_cls = _optimizer_class(optimizer_config)
    kwargs = optimizer_config.optimizer_kwargs(learning_rate)
    if _supports_foreach(optimizer_cls):
        # torch only picks its multi-tensor ("foreach") kernels by default on CUDA; on CPU the per-tensor Python
        # loop is several times slower for models with many small parameter tensors. Same arithmetic either way.
        kwargs.setdefault("foreach", True)
    return optimizer_cls(parameters, **kwargs)


def set_schedule_free_mode(optimizer: torch.optim.Optimizer, training: bool) -> None:
    """Put the weights of a schedule-free optimizer where training or evaluation needs them; others are left alone.

    A schedule-free optimizer (``schedulefree``) takes gradients at an interpolation of its fast iterate and its
    running average, so the weights in the model while training are not the ones to evaluate or save: its
    ``eval()`` swaps the average in, ``train()`` swaps the interpolation back. Both are no-ops when already there.
    """
    switch = getattr(optimizer, "train" if training else "eval", None)
    if switch is not None:
        switch()


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


def _optimizer_class(optimizer_config: BaseOptimizerConfig) -> type[torch.optim.Optimizer]:
    module_name, _, class_name = optimizer_config.optimizer_class_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        if optimizer_config.optional_package is None:
            raise
        raise ImportError(f"{optimizer_config.missing_package_message()} ({e})") from e
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
