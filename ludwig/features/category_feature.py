"""Category features: a vocabulary of string values ordered by frequency."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ludwig.constants import CATEGORY, LOGITS, PREDICTIONS, PROBABILITIES, PROBABILITY, UNKNOWN_SYMBOL
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature, OutputFeature, loss_with_class_weights
from ludwig.features.feature_registries import register_feature
from ludwig.features.value_checks import fits_int64
from ludwig.modules.corn import corn_negative_log_likelihood, corn_predictions
from ludwig.utils.metrics_utils import ConfusionMatrix
from ludwig.utils.tokenizers import lowercase_strings

logger = logging.getLogger(__name__)


def whole_floats_as_ints(column: pd.Series) -> pd.Series:
    """Whole floats (integers read from a CSV with gaps) become integers, so 3.0 is the category "3"; a column
    holding a float beyond the 64-bit integers (``1e308``) stays as it is."""
    if pd.api.types.is_float_dtype(column) and fits_int64(column.dropna()):
        return column.astype("Int64").astype(object).where(column.notna(), None)
    return column


def category_strings(column: pd.Series, lowercase: bool) -> pd.Series:
    """The column as stripped strings."""
    strings = whole_floats_as_ints(column).astype(str).str.strip()
    return lowercase_strings(strings) if lowercase else strings


class CategoryFeatureMixin(BaseFeatureMixin):
    type = CATEGORY

    @staticmethod
    def cast_column(column: pd.Series) -> pd.Series:
        # Before missing values are filled with a string, which would make the column an object column.
        return whole_floats_as_ints(column)

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        preprocessing = config.preprocessing
        strings = category_strings(column, preprocessing.lowercase)
        counts = strings.value_counts()
        # Most frequent first; ties broken by value so the vocabulary is deterministic.
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        explicit_vocab = getattr(preprocessing, "vocab", None)
        if explicit_vocab:
            vocab = [str(v) for v in explicit_vocab]
        else:
            vocab = [value for value, _ in ordered[: preprocessing.most_common]]
        truncated = not explicit_vocab and len(ordered) > len(vocab)
        if is_input_feature or truncated:
            vocab = [UNKNOWN_SYMBOL] + [v for v in vocab if v != UNKNOWN_SYMBOL]
        if not is_input_feature and len(counts) <= 1:
            raise InputDataError(
                config.column,
                CATEGORY,
                f"an output category needs at least 2 distinct values, found {list(counts.index)}.",
            )
        freq = dict(ordered)
        return {
            "idx2str": vocab,
            "str2idx": {value: i for i, value in enumerate(vocab)},
            "str2freq": {value: int(freq.get(value, 0)) for value in vocab},
            "vocab_size": len(vocab),
        }

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        strings = category_strings(column, config.preprocessing.lowercase)
        indices = strings.map(metadata["str2idx"])
        unseen = indices.isna()
        if unseen.any():
            fallback = metadata["str2idx"].get(UNKNOWN_SYMBOL, 0)
            logger.debug(
                'Category "%s": %d values not in the vocabulary mapped to index %d.',
                config.name,
                int(unseen.sum()),
                fallback,
            )
            indices = indices.fillna(fallback)
        return indices.to_numpy(dtype=np.int64)

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        vocab = np.asarray(metadata["idx2str"], dtype=object)
        columns: dict[str, Any] = {f"{name}_{PREDICTIONS}": vocab[outputs[PREDICTIONS].astype(np.int64)]}
        if PROBABILITIES in outputs:
            probabilities = outputs[PROBABILITIES].astype(np.float64)
            columns[f"{name}_{PROBABILITIES}"] = list(probabilities)
            # The predicted class's probability: the largest one, except for ordinal (corn) outputs.
            chosen = outputs[PREDICTIONS].astype(np.int64)
            columns[f"{name}_{PROBABILITY}"] = probabilities[np.arange(len(chosen)), chosen]
            for i, label in enumerate(vocab):
                columns[f"{name}_{PROBABILITIES}_{label}"] = probabilities[:, i]
        return columns

    @staticmethod
    def overall_statistics(
        outputs: dict[str, np.ndarray], targets: np.ndarray, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        matrix = ConfusionMatrix(
            targets.astype(np.int64), outputs[PREDICTIONS].astype(np.int64), labels=list(metadata["idx2str"])
        )
        return {
            "confusion_matrix": matrix.cm,
            "overall_stats": matrix.stats(),
            "per_class_stats": matrix.per_class_stats(),
        }


class CategoryInputFeature(InputFeature):
    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.long()


class CategoryOutputFeature(OutputFeature):
    """Softmax over one logit per class; with the ``corn`` loss, ordinal: one logit per boundary between
    neighbouring classes (see :mod:`ludwig.modules.corn`)."""

    def __init__(self, config, metadata: dict[str, Any], input_size: int):
        super().__init__(config, metadata, input_size)
        self.register_buffer("temperature", torch.ones(()))  # fitted when calibration is on
        if self.ordinal and not config.preprocessing.vocab:
            logger.warning(
                'Category "%s" uses the corn loss, which orders the classes as the vocabulary does: by frequency '
                "unless preprocessing.vocab lists them. Set preprocessing.vocab to the classes in order.",
                config.name,
            )

    @property
    def ordinal(self) -> bool:
        """Whether the classes are ordered and the logits are CORN boundary logits."""
        return self.config.loss.type == "corn"

    def decoder_metadata(self, metadata: dict[str, Any]) -> dict[str, Any]:
        if self.ordinal:
            return {**metadata, "vocab_size": metadata["vocab_size"] - 1}
        return metadata

    def loss_config(self, config, metadata: dict[str, Any]):
        return loss_with_class_weights(config, metadata, "classes")

    def _metric_instances_spec(self) -> dict[str, Any]:
        spec = dict(self.metric_classes)
        if "hits_at_k" in spec:
            top_k = self.config.top_k
            spec["hits_at_k"] = lambda cls=spec["hits_at_k"]: cls(k=top_k)
        return spec

    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.ordinal:
            predictions, probabilities = corn_predictions(logits / self.temperature)
        else:
            probabilities = torch.softmax(logits / self.temperature, dim=-1)
            predictions = probabilities.argmax(dim=-1)
        return {PREDICTIONS: predictions, PROBABILITIES: probabilities, LOGITS: logits}

    def negative_log_likelihood(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean ``-log P(target)`` under the class distribution of ``logits`` (what calibration minimises)."""
        targets = self.target_tensor(targets)
        if self.ordinal:
            return corn_negative_log_likelihood(logits, targets)
        return F.cross_entropy(logits, targets)

    def target_tensor(self, targets: torch.Tensor) -> torch.Tensor:
        return targets.long()


register_feature(CATEGORY, CategoryFeatureMixin, CategoryInputFeature, CategoryOutputFeature)
