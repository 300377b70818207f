"""H3 features: 64-bit H3 cell indices, decoded into mode, edge, resolution, base cell and cell digits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ludwig.constants import H3
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.features.value_checks import fits_int64
from ludwig.utils.h3_utils import H3_VECTOR_LENGTH, h3_components, invalid_h3_reasons

_FLOAT_HINT = (
    " The column holds floating point numbers, which cannot represent 64-bit H3 indices exactly (a CSV column "
    "with missing values is read as floats): write the indices as strings (decimal or hexadecimal)."
)


def _parse_index(value: Any) -> int:
    """One H3 index from an int or a decimal/hexadecimal string; -1 when it is neither or out of range."""
    if isinstance(value, bool):
        return -1
    if isinstance(value, int | np.integer):
        number = int(value)
    elif isinstance(value, float | np.floating):
        number = int(value) if np.isfinite(value) and float(value).is_integer() else -1
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text) if text.isdigit() else int(text, 16)
        except ValueError:
            return -1
    else:
        return -1
    return number if 0 <= number < 1 << 63 else -1


def h3_indices(config, column: pd.Series) -> tuple[np.ndarray, bool]:
    """The column as uint64 H3 indices, and whether it held floats; an unreadable value is an error naming
    its row."""
    was_float = pd.api.types.is_float_dtype(column) or str(column.dtype) == "Int64"
    if pd.api.types.is_integer_dtype(column) and not column.isna().any():
        signed = column.to_numpy(dtype=np.int64)
    else:
        signed = column.astype(object).map(_parse_index).to_numpy(dtype=np.int64)
    if (signed < 0).any():
        first = int(np.flatnonzero(signed < 0)[0])
        raise InputDataError(
            config.column,
            H3,
            f"row {column.index[first]}: {column.iloc[first]!r} is not an H3 index (a non-negative 64-bit integer).",
        )
    return signed.astype(np.uint64), was_float


class H3FeatureMixin(BaseFeatureMixin):
    type = H3

    @staticmethod
    def cast_column(column: pd.Series) -> pd.Series:
        # Nullable integers, so filling missing values with the (64-bit) fill_value stays exact.
        if pd.api.types.is_float_dtype(column) and fits_int64(column.dropna()):
            return column.astype("Int64")
        return column

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        """The uint8 ``[rows, 19]`` matrix of mode, edge, resolution, base cell and 15 cell digits (7 past the
        resolution)."""
        if len(column) == 0:
            return np.zeros((0, H3_VECTOR_LENGTH), dtype=np.uint8)
        values, was_float = h3_indices(config, column)
        components = h3_components(values)
        reasons = invalid_h3_reasons(values, components)
        invalid = reasons != ""
        if invalid.any():
            first = int(np.flatnonzero(invalid)[0])
            raise InputDataError(
                config.column,
                H3,
                f"row {column.index[first]}: {int(values[first])} (hex {int(values[first]):x}) is not a valid H3 "
                f"index: {reasons[first]} "
                f"({int(invalid.sum())} invalid rows).{_FLOAT_HINT if was_float else ''}",
            )
        return components


class H3InputFeature(InputFeature):
    @staticmethod
    def input_size(metadata: dict[str, Any]) -> int:
        return H3_VECTOR_LENGTH


register_feature(H3, H3FeatureMixin, H3InputFeature)
