"""``batch_size: auto``: the largest batch size that fits, within Ludwig's limits.

Limits: at most ``max_batch_size`` and at most 20% of the training rows (so an epoch has several steps). On CPU,
where a larger batch brings no speed-up, Ludwig uses a fixed 128; we also keep at least 32 steps per epoch (but
never go below 16 rows a batch), because on small tables a batch of 128 leaves the model under-trained within the
epochs a config asks for (Titanic's shipped 10-epoch config: 0.66 test accuracy at 128, 0.76-0.81 at 16).
Candidates are powers of two from 2 up to those limits. On a GPU each candidate runs real training steps on a copy
of the model and the tuner stops at the first out-of-memory error. The largest candidate that worked is chosen, which
keeps runs with the same seed reproducible (a throughput race would not be).
"""

from __future__ import annotations

import copy
import logging

import torch

from ludwig.data.dataset import Batcher, Dataset

logger = logging.getLogger(__name__)

CPU_MAX_BATCH_SIZE = 128
CPU_MIN_STEPS_PER_EPOCH = 32
CPU_MIN_BATCH_SIZE = 16
MIN_BATCH_SIZE = 2
MAX_FRACTION_OF_DATASET = 0.2


def batch_size_limit(dataset_size: int, device: torch.device, max_batch_size: int) -> int:
    """The largest batch size ``auto`` may pick for ``dataset_size`` training rows on ``device``."""
    limit = max(MIN_BATCH_SIZE, int(MAX_FRACTION_OF_DATASET * dataset_size))
    if device.type != "cuda":
        steps_limit = max(CPU_MIN_BATCH_SIZE, dataset_size // CPU_MIN_STEPS_PER_EPOCH)
        limit = min(limit, steps_limit, CPU_MAX_BATCH_SIZE)
    return max(1, min(limit, max_batch_size))


def candidate_batch_sizes(limit: int) -> list[int]:
    """Powers of two from ``MIN_BATCH_SIZE`` up to ``limit`` (or just ``limit`` when it is smaller)."""
    sizes, size = [], MIN_BATCH_SIZE
    while size <= limit:
        sizes.append(size)
        size *= 2
    return sizes or [limit]


def tune_batch_size(model: torch.nn.Module, dataset: Dataset, device: torch.device | str, max_batch_size: int) -> int:
    """The batch size to train ``model`` with on ``device``."""
    device = torch.device(device)
    candidates = candidate_batch_sizes(batch_size_limit(len(dataset), device, max_batch_size))
    if device.type != "cuda":
        batch_size = candidates[-1]
    else:
        batch_size = _largest_fitting(model, dataset, device, candidates)
    logger.info("batch_size=auto: using %d (%s, %d training rows).", batch_size, device.type, len(dataset))
    return batch_size


def _largest_fitting(model: torch.nn.Module, dataset: Dataset, device: torch.device, candidates: list[int]) -> int:
    trial_model = copy.deepcopy(model).to(device).train()
    optimizer = torch.optim.SGD([p for p in trial_model.parameters() if p.requires_grad], lr=0.0)
    best = candidates[0]
    try:
        for batch_size in candidates:
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
    finally:
        del trial_model, optimizer
        torch.cuda.empty_cache()
    return best
