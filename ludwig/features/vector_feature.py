"""Vector features: fixed-size lists of floats, written as space-separated numbers or lists."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ludwig.constants import LOGITS, PREDICTIONS, VECTOR
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature, OutputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.features.value_checks import quoted_examples


def _as_lists(column: pd.Series, name: str) -> pd.Series:
    """Each row as a list of floats (strings are split on whitespace)."""
    is_string = column.map(lambda v: isinstance(v, str))
    lists = column.where(~is_string, column.astype(str).str.split())
    lengths = lists.map(lambda v: len(v) if hasattr(v, "__len__") else -1)
    if (lengths < 0).any():
        row = int(np.flatnonzero((lengths < 0).to_numpy())[0])
        raise InputDataError(
            name,
            VECTOR,
            f"row {column.index[row]}: expected a list or space-separated numbers, found {column.iloc[row]!r}.",
        )
    return lists


def _not_finite_error(name: str, column: pd.Series, lists: pd.Series) -> InputDataError:
    """The error naming how many rows hold values that are not finite numbers, a few of them and the first row."""
    flat = pd.Series(lists.to_numpy(), dtype=object).explode()
    with np.errstate(over="ignore"):
        numbers = pd.to_numeric(flat, errors="coerce").to_numpy(dtype=np.float64).astype(np.float32)
    bad = ~np.isfinite(numbers)
    rows = pd.unique(flat.index[bad])  # positions
    first = int(rows[0])
    return InputDataError(
        name,
        VECTOR,
        f"{len(rows)} of {len(lists)} rows hold values that are not finite numbers, e.g. "
        f"{quoted_examples(flat[bad])}; the first is row {column.index[first]}: {column.iloc[first]!r}. Every value "
        "of a vector must be a number.",
    )


class VectorFeatureMixin(BaseFeatureMixin):
    type = VECTOR

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        size = config.preprocessing.vector_size
        if size is None:
            lengths = _as_lists(column, config.column).map(len)
            lengths = lengths[lengths > 0]  # empty rows (missing vectors filled with "") say nothing of the size
            size = int(lengths.mode().iloc[0]) if len(lengths) else 0
        if size <= 0:
            raise InputDataError(config.column, VECTOR, "could not infer the vector size: no non-empty vectors.")
        return {"vector_size": size}

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        size = metadata["vector_size"]
        lists = _as_lists(column, config.column)
        lengths = lists.map(len).to_numpy()
        if (lengths != size).any():
            row = int(np.flatnonzero(lengths != size)[0])
            hint = ""
            if lengths[row] == 0:
                hint = (
                    " A missing vector is replaced by preprocessing.fill_value: set it to a vector of "
                    f"{size} numbers, or set missing_value_strategy to fill_with_mode or drop_row."
                )
            raise InputDataError(
                config.column,
                VECTOR,
                f"row {column.index[row]}: expected {size} values, found {lengths[row]} ({column.iloc[row]!r}).{hint}",
            )
        try:
            matrix = np.asarray(lists.tolist(), dtype=np.float32).reshape(len(lists), size)
        except (TypeError, ValueError):
            matrix = None
        if matrix is None or not np.isfinite(matrix).all():
            raise _not_finite_error(config.column, column, lists)
        return matrix

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        return {f"{name}_{PREDICTIONS}": list(outputs[PREDICTIONS].astype(np.float64))}


class VectorInputFeature(InputFeature):
    @staticmethod
    def input_size(metadata: dict[str, Any]) -> int:
        return metadata["vector_size"]


class VectorOutputFeature(OutputFeature):
    def predictions(self, logits):
        return {PREDICTIONS: logits, LOGITS: logits}


register_feature(VECTOR, VectorFeatureMixin, VectorInputFeature, VectorOutputFeature)
