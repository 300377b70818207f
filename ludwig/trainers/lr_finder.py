"""``learning_rate: auto``: a learning-rate range test.

On a copy of the model, the learning rate grows exponentially from ``MIN_LR`` to ``MAX_LR`` over ``NUM_STEPS``
training steps, taken as the trainer takes them (same optimizer, regularization and gradient clipping). After each
step the loss of a fixed probe set of training rows is measured, so the curve follows the weights rather than
which batch came up. The test stops once that loss diverges (not finite, or ``DIVERGENCE_FACTOR`` times the best).

The suggestion is the rate where the loss falls fastest against log(rate), before its minimum, slopes being taken
over ``SLOPE_SPAN`` steps either side so neither noise nor a range limit is ever chosen. A curve that never falls
by ``MIN_IMPROVEMENT`` suggests nothing: ``FALLBACK_LR`` is used. The model passed in is untouched.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math

import numpy as np
import torch

from ludwig.data.dataset import Batcher, Dataset
from ludwig.modules.optimization_modules import clip_gradients, create_optimizer

logger = logging.getLogger(__name__)

MIN_LR = 1e-8
MAX_LR = 1.0
NUM_STEPS = 100
PROBE_BATCHES = 4
DIVERGENCE_FACTOR = 4.0
SLOPE_SPAN = 2
MIN_IMPROVEMENT = 0.05
FALLBACK_LR = 1e-3


def find_learning_rate(
    model: torch.nn.Module, dataset: Dataset, trainer_config, batch_size: int, device: torch.device | str
) -> float:
    """Run the range test on a copy of ``model`` and return the suggested learning rate.

    Args:
        model: the model to train (left unchanged).
        dataset: the training set.
        trainer_config: the ``trainer`` section (optimizer, regularization, gradient clipping).
        batch_size: rows per training step.
        device: where to run the test.
    """
    trial_model = copy.deepcopy(model).to(device).train()
    parameters = [p for p in trial_model.parameters() if p.requires_grad]
    optimizer = create_optimizer(parameters, trainer_config.optimizer, MIN_LR)
    probe = _probe_batch(dataset, batch_size, device)
    growth = (MAX_LR / MIN_LR) ** (1.0 / (NUM_STEPS - 1))
    batches = _cycle(Batcher(dataset, batch_size, shuffle=True, seed=0, device=device))
    rates, losses = [], []
    for step, batch in zip(range(NUM_STEPS), batches):
        lr = MIN_LR * growth**step
        for group in optimizer.param_groups:
            group["lr"] = lr
        _train_step(trial_model, optimizer, parameters, batch, trainer_config)
        loss = _probe_loss(trial_model, probe)
        if not math.isfinite(loss):
            break
        rates.append(lr)
        losses.append(loss)
        if loss > DIVERGENCE_FACTOR * min(losses):
            break
    return suggest_learning_rate(rates, losses)


def suggest_learning_rate(rates: list[float], losses: list[float]) -> float:
    """The rate of ``rates`` where ``losses`` fall fastest against log(rate), before their minimum.

    Falls back to ``FALLBACK_LR`` when the test was too short or the loss never fell by ``MIN_IMPROVEMENT``.
    """
    span = SLOPE_SPAN
    if len(losses) < 2 * span + 2:
        logger.warning("Learning rate range test was too short; using %g.", FALLBACK_LR)
        return FALLBACK_LR
    loss = np.asarray(losses, dtype=np.float64)
    log_rate = np.log(np.asarray(rates, dtype=np.float64))
    lowest = int(np.argmin(loss))
    if loss[lowest] > (1.0 - MIN_IMPROVEMENT) * loss[0]:
        logger.warning("Learning rate range test: the loss never fell; using %g.", FALLBACK_LR)
        return FALLBACK_LR
    # slopes[j]: the slope at step j + span, from steps j and j + 2 * span. Candidates: inner steps up to the minimum.
    slopes = (loss[2 * span :] - loss[: -2 * span]) / (log_rate[2 * span :] - log_rate[: -2 * span])
    last_center = min(lowest, len(loss) - 1 - span)
    candidates = slopes[: max(1, last_center - span + 1)]
    return float(rates[span + int(np.argmin(candidates))])


def _train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    parameters: list[torch.nn.Parameter],
    batch: dict[str, torch.Tensor],
    trainer_config,
) -> None:
    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss, _ = model.train_loss(batch, model(batch))
        if trainer_config.regularization_lambda:
            loss = loss + model.regularization_loss(
                trainer_config.regularization_type, trainer_config.regularization_lambda
            )
        loss.backward()
        return loss

    if isinstance(optimizer, torch.optim.LBFGS):
        optimizer.step(closure)  # re-evaluates the loss itself; gradients are not clipped, as in the trainer
        return
    closure()
    clip_gradients(parameters, trainer_config.gradient_clipping)
    optimizer.step()


def _probe_batch(dataset: Dataset, batch_size: int, device: torch.device | str) -> dict[str, torch.Tensor]:
    """``PROBE_BATCHES`` batches' worth of training rows drawn at random (all rows of a small dataset)."""
    rows = min(len(dataset), PROBE_BATCHES * batch_size)
    indices = np.sort(np.random.default_rng(0).permutation(len(dataset))[:rows])
    return next(iter(Batcher(dataset.subset(indices), rows, device=device)))


def _probe_loss(model: torch.nn.Module, probe: dict[str, torch.Tensor]) -> float:
    model.eval()
    with torch.inference_mode():
        loss, _ = model.train_loss(probe, model(probe))
    model.train()
    return loss.item()


def _cycle(batcher: Batcher):
    for epoch in itertools.count():
        yield from batcher.epoch(epoch)
