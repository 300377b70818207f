"""The state of a training run, saved as ``training_progress.json`` so a run can resume."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

MetricHistory = dict[str, dict[str, list[float]]]


@dataclass
class ProgressTracker:
    """Counters, best-so-far values and the metric history of a training run."""

    batch_size: int
    learning_rate: float | None
    epoch: int = 0
    steps: int = 0
    checkpoint_number: int = 0
    last_improvement_steps: int = 0
    best_eval_metric_value: float | None = None
    best_eval_metric_steps: int = 0
    best_eval_metric_epoch: int = 0
    best_eval_metric_checkpoint_number: int = 0
    evaluations_since_improvement: int = 0
    num_increases_batch_size: int = 0
    evaluations_since_batch_size_improvement: int = 0
    best_increase_batch_size_eval_metric: float | None = None
    train_metrics: MetricHistory = field(default_factory=dict)
    validation_metrics: MetricHistory = field(default_factory=dict)
    test_metrics: MetricHistory = field(default_factory=dict)
    best_eval_train_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    best_eval_validation_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    best_eval_test_metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    def metrics_for(self, split: str) -> MetricHistory:
        return {"training": self.train_metrics, "validation": self.validation_metrics, "test": self.test_metrics}[split]

    def append_metrics(self, split: str, metrics: dict[str, dict[str, float]]) -> None:
        history = self.metrics_for(split)
        for feature, values in metrics.items():
            for metric, value in values.items():
                history.setdefault(feature, {}).setdefault(metric, []).append(value)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgressTracker:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=2)

    @classmethod
    def load(cls, path: str) -> ProgressTracker:
        from ludwig.utils.backward_compatibility import upgrade_model_progress

        with open(path) as f:
            return cls.from_dict(upgrade_model_progress(json.load(f)))
