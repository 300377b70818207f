"""Temperature scaling of classifier outputs (``calibration: true`` on binary and category outputs).

After training, one temperature per calibrated output feature is fitted on the validation set by minimising
the negative log likelihood of ``logits / T``. It is stored in the output feature's ``temperature`` buffer, so it
is saved with the weights and applied to every later prediction. Accuracy is unchanged (T > 0 keeps the
ranking; for ``corn`` outputs, whose class is the median, a row near a boundary can move); probabilities become
better calibrated. Each feature supplies the negative log likelihood of its distribution.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import torch
from torch import Tensor

from ludwig.constants import LOGITS
from ludwig.data.dataset import Batcher, Dataset

logger = logging.getLogger(__name__)


def calibrate(model, validation_set: Dataset | None, batch_size: int, device: torch.device | str) -> None:
    """Fit the temperature of every output feature whose config sets ``calibration: true``."""
    features = [f for f in model.output_features.values() if getattr(f.config, "calibration", False)]
    # Anomaly outputs with threshold: auto take a percentile of the validation scores as their threshold.
    thresholded = [f for f in model.output_features.values() if getattr(f, "fits_threshold", False)]
    if not features and not thresholded:
        return
    if validation_set is None or len(validation_set) == 0:
        logger.warning(
            "calibration and threshold: auto need a validation set; %s left uncalibrated.",
            [f.name for f in features + thresholded],
        )
        return
    logits: dict[str, list[torch.Tensor]] = {f.name: [] for f in features + thresholded}
    model.eval()
    with torch.inference_mode():
        for batch in Batcher(validation_set, batch_size, device=device).epoch():
            outputs = model(batch)
            for name in logits:
                logits[name].append(outputs[name][LOGITS].float().cpu())
    for feature in thresholded:
        feature.fit_threshold(torch.cat(logits[feature.name]))
    for feature in features:
        targets = torch.from_numpy(validation_set.columns[feature.proc_column])
        temperature = fit_temperature(torch.cat(logits[feature.name]), targets, feature.negative_log_likelihood)
        feature.temperature.fill_(temperature)
        logger.info("Calibrated %s: temperature %.3f.", feature.name, temperature)


MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 20.0


def fit_temperature(
    logits: torch.Tensor, targets: torch.Tensor, negative_log_likelihood: Callable[[Tensor, Tensor], Tensor]
) -> float:
    """The temperature in [0.05, 20] minimising ``negative_log_likelihood(logits / T, targets)``.

    The bounds keep a perfectly separated validation set (where the NLL keeps falling as T -> 0) from producing
    a degenerate, infinitely confident model.
    """
    bounds = (math.log(MIN_TEMPERATURE), math.log(MAX_TEMPERATURE))
    log_t = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def nll() -> torch.Tensor:
        optimizer.zero_grad()
        loss = negative_log_likelihood(logits / log_t.clamp(*bounds).exp(), targets)
        loss.backward()
        return loss

    optimizer.step(nll)
    temperature = float(log_t.detach().clamp(*bounds).exp())
    return temperature if math.isfinite(temperature) else 1.0
