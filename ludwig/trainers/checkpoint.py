"""Training checkpoints: model weights in safetensors, optimizer/scheduler/RNG state loaded without unpickling.

``training_checkpoints/latest.*`` is rewritten at every evaluation; ``best.*`` when the validation metric
improves. A checkpoint is ``<name>.safetensors`` (weights) plus ``<name>.ckpt`` (optimizer, scheduler and RNG
state, read with ``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import os
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn


def save_weights(model: nn.Module, path: str) -> None:
    """Write the model's state dict to a safetensors file (shared tensors are stored once per name)."""
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(state, path)


LEGACY_WEIGHTS_FILE_NAME = "model_weights"  # a torch state dict, as Ludwig before safetensors wrote it


def read_weights(path: str, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """A state dict from a safetensors file or, failing that, Ludwig's legacy ``model_weights`` beside it.

    The legacy file is read with ``torch.load(weights_only=True)``: tensors only, nothing unpickled that could
    run code.
    """
    if os.path.exists(path) or not path.endswith(".safetensors"):
        return load_file(path, device=str(device))
    legacy = os.path.join(os.path.dirname(path), LEGACY_WEIGHTS_FILE_NAME)
    if not os.path.isfile(legacy):
        raise FileNotFoundError(f"No model weights: neither {path} nor Ludwig's legacy {legacy} exists.")
    return torch.load(legacy, map_location=device, weights_only=True)


def load_weights(model: nn.Module, path: str, device: torch.device | str = "cpu") -> None:
    """Load weights written here, or by Ludwig 0.17 (its module names mapped, see ``ludwig_weights``)."""
    from ludwig.models.ludwig_weights import compute_as_ludwig, convert_ludwig_state_dict, is_ludwig_state_dict

    state = read_weights(path, device)
    if is_ludwig_state_dict(state):
        state = convert_ludwig_state_dict(state, model)
        compute_as_ludwig(model)
    model.load_state_dict(state)


class Checkpoint:
    """The checkpoints of one run, in ``directory``."""

    def __init__(self, directory: str):
        self.directory = directory

    def paths(self, name: str) -> tuple[str, str]:
        return os.path.join(self.directory, f"{name}.safetensors"), os.path.join(self.directory, f"{name}.ckpt")

    def exists(self, name: str = "latest") -> bool:
        return all(os.path.exists(p) for p in self.paths(name))

    def save(self, name: str, model: nn.Module, state: dict[str, Any]) -> None:
        os.makedirs(self.directory, exist_ok=True)
        weights_path, state_path = self.paths(name)
        save_weights(model, weights_path + ".tmp")
        torch.save(state, state_path + ".tmp")
        os.replace(weights_path + ".tmp", weights_path)
        os.replace(state_path + ".tmp", state_path)

    def load(self, name: str, model: nn.Module, device: torch.device | str = "cpu") -> dict[str, Any]:
        weights_path, state_path = self.paths(name)
        load_weights(model, weights_path, device)
        return torch.load(state_path, map_location=device, weights_only=True)

    def load_model_weights(self, name: str, model: nn.Module, device: torch.device | str = "cpu") -> None:
        load_weights(model, self.paths(name)[0], device)

    def weights(self, name: str, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """The model state dict of checkpoint ``name``, without loading it into a model."""
        return load_file(self.paths(name)[0], device=str(device))
