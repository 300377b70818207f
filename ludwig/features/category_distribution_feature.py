"""category_distribution output features: each target is a probability vector over ``preprocessing.vocab``.

Targets are lists or space-separated numbers, one entry per label of the vocab, non-negative and summing to 1.
The model is a category classifier trained with soft targets (softmax cross entropy against the distribution);
predictions and their columns are those of a category output (``<name>_predictions`` the most probable label,
``<name>_probabilities``, ``<name>_probability``, ``<name>_probabilities_<label>``); the class metrics compare with
the most probable label of each target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ludwig.constants import CATEGORY_DISTRIBUTION
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin
from ludwig.features.category_feature import CategoryFeatureMixin, CategoryOutputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.features.vector_feature import _as_lists

#: How far from 1 the entries of a target may sum.
SUM_TOLERANCE = 1e-3


def _row_error(config, column: pd.Series, rows: np.ndarray, what: str) -> InputDataError:
    first = int(np.flatnonzero(rows)[0])
    return InputDataError(
        config.column,
        CATEGORY_DISTRIBUTION,
        f"{int(rows.sum())} of {len(rows)} target vectors {what}; the first is row {column.index[first]}: "
        f"{column.iloc[first]!r}.",
    )


class CategoryDistributionFeatureMixin(BaseFeatureMixin):
    """Data handling of target distributions; the vocab comes from the config, not the data."""

    type = CATEGORY_DISTRIBUTION

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        vocab = config.preprocessing.vocab
        if not vocab:
            raise InputDataError(
                config.column,
                CATEGORY_DISTRIBUTION,
                f"preprocessing.vocab is {vocab!r}; list the class labels, one per entry of the target vectors.",
            )
        vocab = [str(label) for label in vocab]
        return {"idx2str": vocab, "str2idx": {label: i for i, label in enumerate(vocab)}, "vocab_size": len(vocab)}

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        size = metadata["vocab_size"]
        lists = _as_lists(column, config.column)
        lengths = lists.map(len).to_numpy()
        wrong = lengths != size
        if wrong.any():
            raise _row_error(
                config, column, wrong, f"do not have {size} entries (one per label of {metadata['idx2str']})"
            )
        try:
            matrix = np.asarray(lists.tolist(), dtype=np.float64).reshape(len(lists), size)
        except (TypeError, ValueError):
            matrix = np.full((len(lists), size), np.nan)
            for i, values in enumerate(lists):
                matrix[i] = pd.to_numeric(pd.Series(list(values)), errors="coerce").to_numpy(dtype=np.float64)
        not_finite = ~np.isfinite(matrix).all(axis=1)
        if not_finite.any():
            raise _row_error(config, column, not_finite, "hold values that are not finite numbers")
        negative = (matrix < 0).any(axis=1)
        if negative.any():
            raise _row_error(config, column, negative, "hold negative probabilities")
        off = np.abs(matrix.sum(axis=1) - 1.0) > SUM_TOLERANCE
        if off.any():
            raise _row_error(config, column, off, f"do not sum to 1 (within {SUM_TOLERANCE})")
        return matrix.astype(np.float32)

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        return CategoryFeatureMixin.postprocess_predictions(name, outputs, metadata, threshold)

    @staticmethod
    def overall_statistics(
        outputs: dict[str, np.ndarray], targets: np.ndarray, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        """The category statistics (confusion matrix...) against the most probable label of each target."""
        return CategoryFeatureMixin.overall_statistics(outputs, np.asarray(targets).argmax(axis=-1), metadata)


class CategoryDistributionOutputFeature(CategoryOutputFeature):
    """A category classifier whose targets are distributions (N, C) instead of class indices."""

    def target_tensor(self, targets: torch.Tensor) -> torch.Tensor:
        return targets.to(torch.float32)

    def negative_log_likelihood(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross entropy ``-sum_c p_c log softmax(logits)_c`` of the target distributions (for calibration)."""
        return -(self.target_tensor(targets) * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()


register_feature(CATEGORY_DISTRIBUTION, CategoryDistributionFeatureMixin, None, CategoryDistributionOutputFeature)
