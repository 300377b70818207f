"""Model soup (``trainer.model_soup``): the final weights are an average of the best checkpoints' weights
(Wortsman et al. 2022) instead of the single best checkpoint's.

The trainer keeps a checkpoint each time the validation metric improves. Since each is better than every one
before it, the latest ``model_soup_top_k`` are the best ones. Their weights are written next to the training
checkpoints as ``training_checkpoints/topk_<step>.safetensors`` (held in memory when the run saves no progress),
and their steps go into the ``latest`` checkpoint, so a resumed run keeps the same ingredients. The saved model
folder is unchanged: the soup is simply the model's weights at the end.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import torch
from safetensors.torch import load_file
from torch import nn

from ludwig.trainers.checkpoint import save_weights

logger = logging.getLogger(__name__)

StateDict = dict[str, torch.Tensor]

FILE_PREFIX = "topk_"


class SoupIngredients:
    """The weights of the latest ``top_k`` improving checkpoints, best (latest) first.

    Args:
        top_k: how many are kept.
        directory: where their weights are written; ``None`` keeps them in memory.
    """

    def __init__(self, top_k: int, directory: str | None):
        self.top_k = top_k
        self.directory = directory
        self.steps: list[int] = []
        self._in_memory: dict[int, StateDict] = {}

    def _path(self, step: int) -> str:
        return os.path.join(self.directory, f"{FILE_PREFIX}{step}.safetensors")

    def add(self, step: int, model: nn.Module) -> None:
        """Keep the model's current weights as the best ingredient, dropping the oldest beyond ``top_k``."""
        if self.directory is None:
            self._in_memory[step] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            os.makedirs(self.directory, exist_ok=True)
            save_weights(model, self._path(step))
        self.steps = [step, *(s for s in self.steps if s != step)][: self.top_k]
        self._in_memory = {s: self._in_memory[s] for s in self.steps if s in self._in_memory}

    def remove_dropped_files(self) -> None:
        """Delete the weight files of dropped ingredients; called once the ``latest`` checkpoint no longer names
        them, so a run killed in between still finds every file its checkpoint lists."""
        if self.directory is None or not os.path.isdir(self.directory):
            return
        kept = {os.path.basename(self._path(step)) for step in self.steps}
        for name in os.listdir(self.directory):
            if name.startswith(FILE_PREFIX) and name.endswith(".safetensors") and name not in kept:
                os.remove(os.path.join(self.directory, name))

    def state_dicts(self, device: torch.device | str = "cpu") -> list[StateDict]:
        """The kept weights, best first."""
        if self.directory is None:
            return [{k: v.to(device) for k, v in self._in_memory[step].items()} for step in self.steps]
        return [load_file(self._path(step), device=str(device)) for step in self.steps]


def uniform_soup(state_dicts: list[StateDict]) -> StateDict:
    """The mean of the floating-point tensors of ``state_dicts``; other tensors (counters) come from the first."""
    first = state_dicts[0]
    soup = {}
    for key, tensor in first.items():
        if tensor.is_floating_point():
            total = torch.stack([state[key].double() for state in state_dicts]).sum(dim=0)
            soup[key] = (total / len(state_dicts)).to(tensor.dtype)
        else:
            soup[key] = tensor.clone()
    return soup


def greedy_soup(state_dicts: list[StateDict], cost: Callable[[StateDict], float]) -> StateDict:
    """Start from the best checkpoint and add each next one (best first) only if the uniform soup of the
    ingredients so far plus it has a lower ``cost`` (the validation metric, lower is better) than the current soup.

    Args:
        state_dicts: the candidates, best first.
        cost: the validation cost of a state dict.
    """
    ingredients = [state_dicts[0]]
    soup, best = state_dicts[0], cost(state_dicts[0])
    for candidate in state_dicts[1:]:
        mixed = uniform_soup([*ingredients, candidate])
        value = cost(mixed)
        if value < best:
            ingredients.append(candidate)
            soup, best = mixed, value
    logger.info("Greedy model soup kept %d of %d checkpoints.", len(ingredients), len(state_dicts))
    return soup
