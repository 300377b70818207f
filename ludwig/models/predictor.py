"""Batched inference and evaluation of an ECD model under ``torch.inference_mode``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ludwig.constants import COMBINED, LOGITS
from ludwig.data.dataset import Batcher, Dataset
from ludwig.models.ecd import ECD


class Predictor:
    """Runs a model over a dataset in batches.

    Args:
        model: the model.
        batch_size: rows per batch.
        device: where the model lives; batches are moved there.
    """

    def __init__(self, model: ECD, batch_size: int = 128, device: torch.device | str = "cpu"):
        self.model = model
        self.batch_size = batch_size
        self.device = device

    def batch_predict(self, dataset: Dataset) -> dict[str, dict[str, np.ndarray]]:
        """Predictions (and probabilities) of every output feature for every row, in order."""
        collected: dict[str, dict[str, list[torch.Tensor]]] = {}
        with self._inference():
            for batch in Batcher(dataset, self.batch_size, device=self.device).epoch():
                predictions = self.model.predictions(self.model(batch))
                for name, values in predictions.items():
                    for key, tensor in values.items():
                        if key != LOGITS:
                            collected.setdefault(name, {}).setdefault(key, []).append(tensor.cpu())
        return _concatenate(collected)

    def batch_evaluation(
        self,
        dataset: Dataset,
        collect_predictions: bool = False,
        max_batches: int | None = None,
    ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, np.ndarray]]]:
        """Metrics of every output feature (and the combined loss) over the dataset.

        Returns ``(metrics, predictions)``; predictions are empty unless ``collect_predictions``.
        Output features whose targets are absent from the dataset are skipped.
        """
        features = [f for f in self.model.output_features.values() if f.proc_column in dataset.columns]
        for feature in features:
            feature.reset_metrics()
        collected: dict[str, dict[str, list[torch.Tensor]]] = {}
        combined_loss, rows = 0.0, 0
        with self._inference():
            for step, batch in enumerate(Batcher(dataset, self.batch_size, device=self.device).epoch()):
                if max_batches is not None and step >= max_batches:
                    break
                outputs = self.model(batch)
                predictions = self.model.predictions(outputs)
                batch_size = len(next(iter(batch.values())))
                batch_loss = 0.0
                for feature in features:
                    targets = batch[feature.proc_column]
                    loss = feature.loss(outputs[feature.name][LOGITS], targets)
                    batch_loss = batch_loss + feature.loss_weight * loss
                    feature.update_metrics(targets, predictions[feature.name], loss)
                    if collect_predictions:
                        for key, tensor in predictions[feature.name].items():
                            if key != LOGITS:
                                collected.setdefault(feature.name, {}).setdefault(key, []).append(tensor.cpu())
                combined_loss += float(batch_loss) * batch_size
                rows += batch_size
        metrics = {feature.name: feature.get_metrics() for feature in features}
        metrics[COMBINED] = {"loss": combined_loss / rows if rows else 0.0}
        return metrics, _concatenate(collected)

    def _inference(self):
        self.model.eval()
        return torch.inference_mode()


def _concatenate(collected: dict[str, dict[str, list[torch.Tensor]]]) -> dict[str, dict[str, np.ndarray]]:
    result: dict[str, dict[str, Any]] = {}
    for name, values in collected.items():
        result[name] = {key: torch.cat(tensors).numpy() for key, tensors in values.items()}
    return result
