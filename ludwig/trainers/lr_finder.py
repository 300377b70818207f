"""``learning_rate: auto``: a learning-rate range test.

On a copy of the model, the learning rate grows exponentially from ``MIN_LR`` to ``MAX_LR`` over
``NUM_STEPS`` training steps while the (smoothed) loss is recorded. The test stops once the loss diverges.
The chosen rate is the one where the smoothed loss falls fastest, a tenth of the way back from divergence at
most; the model passed in is untouched.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math

import numpy as np
import torch

from ludwig.data.dataset import Batcher, Dataset
from ludwig.modules.optimization_modules import create_optimizer

logger = logging.getLogger(__name__)

MIN_LR = 1e-8
MAX_LR = 1.0
NUM_STEPS = 100
SMOOTHING = 0.9
DIVERGENCE_FACTOR = 4.0
FALLBACK_LR = 1e-3


def find_learning_rate(
    model: torch.nn.Module, dataset: Dataset, trainer_config, batch_size: int, device: torch.device | str
) -> float:
    """Run the range test and return the suggested learning rate."""
    trial_model = copy.deepcopy(model).to(device).train()
    optimizer = create_optimizer(
        [p for p in trial_model.parameters() if p.requires_grad], trainer_config.optimizer, MIN_LR
    )
    growth = (MAX_LR / MIN_LR) ** (1.0 / (NUM_STEPS - 1))
    batches = _cycle(Batcher(dataset, batch_size, shuffle=True, seed=0, device=device))
    rates, losses = [], []
    smoothed, best = 0.0, math.inf
    for step, batch in zip(range(NUM_STEPS), batches):
        lr = MIN_LR * growth**step
        for group in optimizer.param_groups:
            group["lr"] = lr
        outputs = trial_model(batch)
        loss, _ = trial_model.train_loss(batch, outputs)
        value = loss.item()
        if not math.isfinite(value):
            break
        smoothed = SMOOTHING * smoothed + (1 - SMOOTHING) * value
        corrected = smoothed / (1 - SMOOTHING ** (step + 1))
        rates.append(lr)
        losses.append(corrected)
        best = min(best, corrected)
        if corrected > DIVERGENCE_FACTOR * best and step > 10:
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return suggest_learning_rate(rates, losses)


def suggest_learning_rate(rates: list[float], losses: list[float]) -> float:
    """The rate at the steepest descent of loss against log(rate)."""
    if len(losses) < 5:
        logger.warning("Learning rate range test was too short; using %g.", FALLBACK_LR)
        return FALLBACK_LR
    gradients = np.gradient(np.asarray(losses), np.log(np.asarray(rates)))
    return float(rates[int(np.argmin(gradients))])


def _cycle(batcher: Batcher):
    for epoch in itertools.count():
        yield from batcher.epoch(epoch)
