"""What a hyperparameter search returns: one ``TrialResults`` per trial, ordered best first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrialResults:
    """One trial: the sampled parameters (dotted config paths -> values) and how the trained model scored.

    Attributes:
        parameters: the values sampled for ``hyperopt.parameters``, keyed by their dotted paths.
        metric_score: ``hyperopt.metric`` of ``hyperopt.output_feature`` on ``hyperopt.split``.
        training_stats: the trial's training statistics (``training_statistics.json``).
        eval_stats: the trial's metrics on ``hyperopt.split`` (``{feature: {metric: value}}``).
        trial_dir: the folder holding the trial's results (model, statistics), when it was saved.
    """

    parameters: dict[str, Any]
    metric_score: float
    training_stats: dict[str, Any] = field(default_factory=dict)
    eval_stats: dict[str, Any] = field(default_factory=dict)
    trial_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "metric_score": self.metric_score,
            "training_stats": self.training_stats,
            "eval_stats": self.eval_stats,
            "trial_dir": self.trial_dir,
        }


@dataclass
class HyperoptResults:
    """Every trial, best first (by ``hyperopt.goal``), and the executor's own analysis object if it has one."""

    ordered_trials: list[TrialResults]
    experiment_analysis: Any = None
