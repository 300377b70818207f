"""``batch_size: auto``: pick the largest batch size that trains without running out of memory.

On a GPU the tuner doubles the batch size from a small start, running real training steps on a copy of the
model, until a step runs out of memory, the batch no longer fits the dataset, or ``max_batch_size`` is reached;
it keeps the last size that worked. On CPU there is no memory wall to find and large batches only slow
convergence, so ``auto`` means 128 (capped by the dataset and ``max_batch_size``), as Ludwig documents.
"""

from __future__ import annotations

import copy
import logging

import torch

from ludwig.data.dataset import Batcher, Dataset

logger = logging.getLogger(__name__)

CPU_BATCH_SIZE = 128
MIN_BATCH_SIZE = 2


def tune_batch_size(model: torch.nn.Module, dataset: Dataset, device: torch.device | str, max_batch_size: int) -> int:
    """The batch size to train ``model`` with on ``device``."""
    device = torch.device(device)
    upper = max(1, min(max_batch_size, len(dataset)))
    if device.type != "cuda":
        batch_size = min(CPU_BATCH_SIZE, upper)
        logger.info("batch_size=auto on CPU: using %d.", batch_size)
        return batch_size
    return _tune_on_gpu(model, dataset, device, upper)


def _tune_on_gpu(model: torch.nn.Module, dataset: Dataset, device: torch.device, upper: int) -> int:
    trial_model = copy.deepcopy(model).to(device).train()
    optimizer = torch.optim.SGD([p for p in trial_model.parameters() if p.requires_grad], lr=0.0)
    best = min(MIN_BATCH_SIZE, upper)
    batch_size = best
    while batch_size <= upper:
        try:
            for _, batch in zip(range(2), Batcher(dataset, batch_size, shuffle=True, device=device).epoch()):
                outputs = trial_model(batch)
                loss, _ = trial_model.train_loss(batch, outputs)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            torch.cuda.synchronize(device)
        except torch.OutOfMemoryError:
            logger.info("batch_size=%d ran out of GPU memory.", batch_size)
            break
        best = batch_size
        if batch_size == upper:
            break
        batch_size = min(batch_size * 2, upper)
    del trial_model, optimizer
    torch.cuda.empty_cache()
    logger.info("batch_size=auto: tuned to %d.", best)
    return best
