"""Result types returned by the Python API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


@dataclass
class EvaluationFrequency:
    """How often metrics were recorded: every ``frequency`` ``period`` ("epoch" or "step")."""

    frequency: float = 1.0
    period: str = "epoch"


@dataclass
class TrainingStats:
    """Metric histories per split: ``{feature or "combined": {metric: [value per evaluation]}}``."""

    training: dict[str, dict[str, list[float]]]
    validation: dict[str, dict[str, list[float]]]
    test: dict[str, dict[str, list[float]]]
    evaluation_frequency: EvaluationFrequency = field(default_factory=EvaluationFrequency)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PreprocessedDataset(NamedTuple):
    training_set: Any
    validation_set: Any
    test_set: Any
    training_set_metadata: dict[str, Any]


class TrainingResults(NamedTuple):
    train_stats: TrainingStats
    preprocessed_data: PreprocessedDataset
    output_directory: str
