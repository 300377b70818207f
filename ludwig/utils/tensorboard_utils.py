"""TensorBoard event files: one writer per split under ``<model>/logs/{training,validation,test}``."""

from __future__ import annotations

import os


class MetricsWriter:
    """Writes scalar metrics per split, as ``<feature>/<metric>`` tags."""

    def __init__(self, log_dir: str):
        from torch.utils.tensorboard import SummaryWriter

        self._writers = {
            split: SummaryWriter(os.path.join(log_dir, split)) for split in ("training", "validation", "test")
        }

    def log(self, split: str, metrics: dict[str, dict[str, float]], step: int) -> None:
        writer = self._writers[split]
        for feature, values in metrics.items():
            for metric, value in values.items():
                writer.add_scalar(f"{feature}/{metric}", value, global_step=step)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
