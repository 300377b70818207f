"""Backends decide where preprocessing, training and prediction run.

The API asks its backend for a trainer and a predictor; nothing above this layer knows where work happens.
Only the local backend exists today; a Ray backend plugs in by registering another class.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

import torch

from ludwig.error import ConfigValidationError
from ludwig.utils.registry import Registry

logger = logging.getLogger(__name__)

backend_registry: Registry = Registry("backend")


class Backend(ABC):
    """Where work runs. ``device`` is the torch device models live on."""

    def __init__(self, device: torch.device, cache_dir: str | None = None):
        self.device = device
        self.cache_dir = cache_dir

    @abstractmethod
    def create_trainer(self, model, trainer_config, **kwargs):
        """A trainer for ``model``."""

    @abstractmethod
    def create_predictor(self, model, batch_size: int):
        """A predictor for ``model``."""

    @property
    def df_engine(self) -> str:
        return "pandas"


@backend_registry.register("local")
class LocalBackend(Backend):
    """Everything in this process: pandas preprocessing, single-device torch training."""

    def create_trainer(self, model, trainer_config, **kwargs):
        from ludwig.trainers.trainer import Trainer

        return Trainer(model, trainer_config, device=self.device, **kwargs)

    def create_predictor(self, model, batch_size: int):
        from ludwig.models.predictor import Predictor

        return Predictor(model, batch_size=batch_size, device=self.device)


def select_device(gpus: Any = None, gpu_memory_limit: float | None = None) -> torch.device:
    """The device to use: the first of ``gpus`` (int, list or comma string), else CUDA if present, else CPU."""
    if gpus is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(gpus, str):
        gpus = [int(g) for g in gpus.split(",") if g.strip()]
    if isinstance(gpus, int):
        gpus = [gpus]
    if not gpus:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        logger.warning("gpus=%s asked for but no GPU is available; using the CPU.", gpus)
        return torch.device("cpu")
    device = torch.device(f"cuda:{gpus[0]}")
    if gpu_memory_limit is not None:
        total = torch.cuda.get_device_properties(device).total_memory
        fraction = min(1.0, float(gpu_memory_limit) * 1024**3 / total) if gpu_memory_limit > 1 else gpu_memory_limit
        torch.cuda.set_per_process_memory_fraction(fraction, device)
    return device


def initialize_backend(
    backend: Any = None, gpus: Any = None, gpu_memory_limit: float | None = None, allow_parallel_threads: bool = True
) -> Backend:
    """Build the backend named by ``backend`` (a name, a ``{type: ...}`` dict, a Backend, or None for local)."""
    if isinstance(backend, Backend):
        return backend
    options = {"type": backend} if isinstance(backend, str) else dict(backend or {})
    backend_type = options.pop("type", "local")
    if backend_type not in backend_registry:
        raise ConfigValidationError(f"backend.type: {backend_registry.unknown_message(backend_type)}")
    if not allow_parallel_threads:
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True, warn_only=True)
    return backend_registry[backend_type](select_device(gpus, gpu_memory_limit), cache_dir=options.get("cache_dir"))
