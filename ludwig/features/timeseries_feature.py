"""Timeseries features: one float series per row, padded to a fixed length.

Values are space-separated numbers (split by ``preprocessing.tokenizer``) or lists/arrays of numbers (row-major),
or one number per row (column-major) turned into windows by ``window_size`` (inputs) or ``horizon`` (outputs).
The preprocessed column is ``np.float32 [rows, T]``; missing values inside a series become ``padding_value``.
Unlike number features there is no normalization (Ludwig has none for timeseries).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
import torch

from ludwig.constants import LOGITS, PREDICTIONS, TIMESERIES
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature, OutputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.utils.tokenizers import get_tokenizer, tokenize_column


def column_major_length(preprocessing) -> int:
    """``window_size`` (inputs) or ``horizon`` (outputs): > 0 when the column holds one observation per row."""
    return int(getattr(preprocessing, "window_size", 0) or getattr(preprocessing, "horizon", 0) or 0)


def _bad_token_error(name: str, tokens: list, lengths: np.ndarray, values: pd.Series, rows: pd.Index) -> InputDataError:
    """The error naming the row (its label in ``rows``, the column's index) and the first value not a number."""
    bad = int(np.flatnonzero(values.isna().to_numpy() & ~_is_nan_token(pd.Series(tokens, dtype=object)))[0])
    row = int(np.searchsorted(np.cumsum(lengths), bad, side="right"))
    return InputDataError(name, TIMESERIES, f"row {rows[row]}: {tokens[bad]!r} is not a number.")


def _is_nan_token(tokens: pd.Series) -> np.ndarray:
    """Tokens that stand for a missing value inside a series (None, NaN, "nan", "")."""
    as_text = tokens.map(lambda t: "" if t is None else str(t)).str.strip().str.lower()
    return (tokens.isna() | as_text.isin(["", "nan", "none", "null"])).to_numpy()


def parse_series(column: pd.Series, tokenizer: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Every row's values, flattened: returns ``(values float64 [sum of lengths], lengths int [rows])``.

    Strings are split with ``tokenizer``; lists, tuples and arrays are taken as they are; a lone number is a
    series of one value. Missing values inside a series are NaN.

    Raises:
        InputDataError: naming the row of the first value that is not a number.
    """
    is_string = column.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    cells = column.to_numpy(dtype=object, copy=True)
    if is_string.any():
        tokenized = tokenize_column(column[is_string], get_tokenizer(tokenizer)).to_numpy(dtype=object)
        cells[np.flatnonzero(is_string)] = tokenized
    items = pd.Series(cells, dtype=object).map(
        lambda v: v if isinstance(v, list | tuple | np.ndarray) else ([] if _missing(v) else [v])
    )
    lengths = items.map(len).to_numpy(dtype=np.int64)
    tokens = list(chain.from_iterable(items))
    try:
        values = np.asarray(tokens, dtype=np.float64) if tokens else np.zeros(0)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer no float holds (10**400)
        in_range = [math.nan if isinstance(t, int) and abs(t) > sys.float_info.max else t for t in tokens]
        parsed = pd.to_numeric(pd.Series(in_range, dtype=object), errors="coerce")
        bad = parsed.isna().to_numpy() & ~_is_nan_token(pd.Series(tokens, dtype=object))
        if bad.any():
            raise _bad_token_error(name, tokens, lengths, parsed, column.index) from None
        values = parsed.to_numpy(dtype=np.float64)
    if values.ndim != 1:
        raise InputDataError(name, TIMESERIES, "expected a flat list of numbers per row, found nested lists.")
    return values, lengths


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def pad_series(
    values: np.ndarray, lengths: np.ndarray, width: int, padding_value: float, padding: str = "right"
) -> np.ndarray:
    """The ``float32 [rows, width]`` matrix of the flattened series; longer series keep their first values."""
    rows = len(lengths)
    matrix = np.full((rows, width), padding_value, dtype=np.float32)
    if rows == 0 or width == 0 or values.size == 0:
        return matrix
    starts = np.cumsum(lengths) - lengths
    row_ids = np.repeat(np.arange(rows), lengths)
    positions = np.arange(values.size) - np.repeat(starts, lengths)
    keep = positions < width
    if padding == "left":
        positions = positions + (width - np.minimum(lengths, width))[row_ids]
    filled = np.where(np.isnan(values), padding_value, values)
    matrix[row_ids[keep], positions[keep]] = filled[keep]
    return matrix


def column_major_windows(
    column: pd.Series, window_size: int, horizon: int, padding_value: float, name: str
) -> np.ndarray:
    """Windows over a column holding one observation per row (rows in time order).

    With ``window_size`` > 0 row ``i`` gets values ``i - window_size + 1 .. i`` (oldest first); with
    ``horizon`` > 0 it gets values ``i + 1 .. i + horizon``. Positions before the first or after the last row, and
    missing values, are ``padding_value``.
    """
    text = column.map(lambda v: v.strip() if isinstance(v, str) else v)
    blank = text.map(lambda v: isinstance(v, str) and v == "").to_numpy() | text.isna().to_numpy()
    numbers = pd.to_numeric(text.where(~blank, np.nan), errors="coerce")
    bad = numbers.isna().to_numpy() & ~blank
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            name,
            TIMESERIES,
            f"row {column.index[row]}: {column.iloc[row]!r} is not a number; with window_size/horizon each row "
            "holds one number.",
        )
    values = numbers.to_numpy(dtype=np.float64)
    if window_size > 0:
        padded = np.concatenate([np.full(window_size - 1, np.nan), values])
        windows = np.lib.stride_tricks.sliding_window_view(padded, window_size)
    else:
        padded = np.concatenate([values[1:], np.full(horizon, np.nan)])
        windows = np.lib.stride_tricks.sliding_window_view(padded, horizon)[: len(values)]
    return np.where(np.isnan(windows), padding_value, windows).astype(np.float32)


class TimeseriesFeatureMixin(BaseFeatureMixin):
    type = TIMESERIES

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        preprocessing = config.preprocessing
        length = column_major_length(preprocessing)
        if length == 0:
            _, lengths = parse_series(column, preprocessing.tokenizer, config.column)
            longest = int(lengths.max()) if len(lengths) else 0
            length = min(longest, preprocessing.timeseries_length_limit)
            if length == 0:
                raise InputDataError(
                    config.column, TIMESERIES, "the training rows hold no values: every series is empty or missing."
                )
        return {"max_sequence_length": length, "max_timeseries_length": length}

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        preprocessing = config.preprocessing
        window_size = getattr(preprocessing, "window_size", 0)
        horizon = getattr(preprocessing, "horizon", 0)
        if window_size or horizon:
            return column_major_windows(column, window_size, horizon, preprocessing.padding_value, config.column)
        values, lengths = parse_series(column, preprocessing.tokenizer, config.column)
        return pad_series(
            values, lengths, metadata["max_sequence_length"], preprocessing.padding_value, preprocessing.padding
        )

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        return {f"{name}_{PREDICTIONS}": outputs[PREDICTIONS].astype(np.float64).tolist()}


class TimeseriesInputFeature(InputFeature):
    """Hands the encoder a float ``[batch, T]`` tensor; ``input_size`` is T (what dense/passthrough consume)."""

    @staticmethod
    def input_size(metadata: dict[str, Any]) -> int:
        return metadata["max_sequence_length"]

    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.float()


class TimeseriesOutputFeature(OutputFeature):
    """Predicts ``max_sequence_length`` values per row (the horizon for column-major targets)."""

    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        return {PREDICTIONS: logits, LOGITS: logits}

    def target_tensor(self, targets: torch.Tensor) -> torch.Tensor:
        return targets.float()


register_feature(TIMESERIES, TimeseriesFeatureMixin, TimeseriesInputFeature, TimeseriesOutputFeature)


# ---------------------------------------------------------------------------------------------------------
# Forecasting: which predicted values continue which series (used by ``LudwigModel.forecast``).

#: Consecutive rows whose histories are compared to recognise a row-major history of an output column.
_LINK_CHECK_ROWS = 20


@dataclass
class ForecastPlan:
    """How ``forecast`` extends a dataset by one step.

    Column-major (``window_size`` inputs): a timeseries output reading the same column as a windowed input predicts
    the next ``horizon`` observations from the last row; they are appended as new rows of that column.
    Row-major: a number output whose column is continued by a timeseries input's history (row ``i + 1``'s history is
    row ``i``'s shifted by one with row ``i``'s target appended) predicts the last row's target; the value becomes
    that target and a new row with the shifted history is appended.

    Attributes:
        lookback: rows ``predict`` must see so the windows of the last row are complete.
        column_major: ``(output name, column)`` pairs rolled column-major.
        row_major: ``(output name, target column, history column)`` triples rolled row-major.
        tokenizers: the tokenizer of each row-major history column.
    """

    lookback: int
    column_major: list[tuple[str, str]] = field(default_factory=list)
    row_major: list[tuple[str, str, str]] = field(default_factory=list)
    tokenizers: dict[str, str] = field(default_factory=dict)

    @property
    def output_names(self) -> list[str]:
        return [name for name, _ in self.column_major] + [name for name, _, _ in self.row_major]

    @property
    def columns(self) -> list[str]:
        """The forecast columns, one per rolled output, named like the dataset columns."""
        return [column for _, column in self.column_major] + [column for _, column, _ in self.row_major]

    def prepare(self, df: pd.DataFrame) -> pd.DataFrame:
        """For row-major rolling, make the last row the first unknown step (append one if its target is known)."""
        if not self.row_major or len(df) == 0:
            return df
        last = df.iloc[-1]
        if all(_missing(last[target]) for _, target, _ in self.row_major):
            return df
        return pd.concat([df, self._shifted_row(last)], ignore_index=True)

    def step(self, df: pd.DataFrame, predictions: pd.Series) -> tuple[pd.DataFrame, dict[str, list[float]]]:
        """Extend ``df`` with the last row's ``predictions``; returns the new frame and the values per column."""
        last = df.iloc[-1]
        values: dict[str, list[float]] = {}
        if self.column_major:
            for name, column in self.column_major:
                values[column] = [float(v) for v in np.ravel(predictions[f"{name}_{PREDICTIONS}"])]
            steps = min(len(v) for v in values.values())
            rows = pd.DataFrame([last.to_dict()] * steps)
            for column in values:
                values[column] = values[column][:steps]
                rows[column] = values[column]
            return pd.concat([df, rows], ignore_index=True), values
        df = df.copy()
        for name, target, _ in self.row_major:
            values[target] = [float(np.ravel(predictions[f"{name}_{PREDICTIONS}"])[0])]
            df.iloc[-1, df.columns.get_loc(target)] = values[target][0]
        return pd.concat([df, self._shifted_row(df.iloc[-1])], ignore_index=True), values

    def _shifted_row(self, last: pd.Series) -> pd.DataFrame:
        """The row after ``last``: each linked history shifted by ``last``'s target; targets unknown."""
        row = last.to_dict()
        for _, target, history in self.row_major:
            tokenizer = self.tokenizers.get(history, "space")
            values, _ = parse_series(pd.Series([last[history]], dtype=object), tokenizer, history)
            row[history] = [*values[1:].tolist(), float(last[target])]
            row[target] = np.nan
        return pd.DataFrame([row])


def _history_matrix(column: pd.Series, tokenizer: str, name: str) -> np.ndarray | None:
    """The rows' series as a matrix when they all have the same non-zero length, else None."""
    values, lengths = parse_series(column, tokenizer, name)
    if len(lengths) == 0 or lengths[0] == 0 or (lengths != lengths[0]).any():
        return None
    return values.reshape(len(lengths), int(lengths[0]))


def _continues(history: np.ndarray, target: np.ndarray) -> bool:
    """Whether each row's history is the previous row's, shifted by one, with the previous target appended."""
    if len(history) < 2 or np.isnan(target[:-1]).any():
        return False
    shifted = np.allclose(history[1:, :-1], history[:-1, 1:], rtol=1e-5, atol=1e-8, equal_nan=True)
    return shifted and np.allclose(history[1:, -1], target[:-1], rtol=1e-5, atol=1e-8)


def forecast_plan(config, df: pd.DataFrame) -> ForecastPlan:
    """Which outputs of the model ``config`` roll which columns of ``df`` forward (see :class:`ForecastPlan`).

    Raises:
        ValueError: the model has no output that continues one of its timeseries inputs.
    """
    windowed = {f.column: f.preprocessing.window_size for f in config.input_features if f.type == TIMESERIES}
    lookback = max([size for size in windowed.values() if size] + [1])
    column_major = [
        (f.name, f.column)
        for f in config.output_features
        if f.type == TIMESERIES and f.preprocessing.horizon > 0 and windowed.get(f.column)
    ]
    if column_major:
        return ForecastPlan(lookback, column_major=column_major)
    histories = [f for f in config.input_features if f.type == TIMESERIES and not f.preprocessing.window_size]
    row_major, tokenizers = [], {}
    tail = df.tail(_LINK_CHECK_ROWS)
    for output in config.output_features:
        if output.type != "number" or output.column not in df.columns:
            continue
        target = pd.to_numeric(tail[output.column], errors="coerce").to_numpy(dtype=np.float64)
        for history in histories:
            if history.column not in df.columns:
                continue
            matrix = _history_matrix(tail[history.column], history.preprocessing.tokenizer, history.column)
            if matrix is not None and _continues(matrix, target):
                row_major.append((output.name, output.column, history.column))
                tokenizers[history.column] = history.preprocessing.tokenizer
                break
    if not row_major:
        raise ValueError(
            "forecast needs a model whose outputs continue one of its timeseries inputs: either a timeseries output "
            "with preprocessing.horizon > 0 on the column of a timeseries input with preprocessing.window_size > 0, "
            "or a number output whose column the history of a timeseries input continues (row i+1's history is row "
            f"i's shifted by one with row i's target appended, checked on the last {_LINK_CHECK_ROWS} rows)."
        )
    return ForecastPlan(lookback, row_major=row_major, tokenizers=tokenizers)
