"""TorchScript preprocessing of timeseries inputs: one float series per row, padded to the training length."""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import math
from typing import Any

import torch
from torch import nn

from ludwig.features.timeseries_feature import column_major_length
from ludwig.model_export.torchscript.base import fill_string, is_float_literal, preprocessor_registry
from ludwig.model_export.torchscript.tokenizers import build_tokenizer

# Tokens that stand for a missing value inside a series (stripped, lowercased), as ``_is_nan_token`` reads them.
MISSING_TOKENS = ("", "nan", "none", "null")


class TimeseriesPreprocessor(nn.Module):
    """Strings -> ``float32 [rows, width]``, as ``parse_series`` + ``pad_series`` (row-major values) or
    ``column_major_windows`` (one number per row, ``window_size`` > 0) make them.

    Row-major: each value is split by the tokenizer; missing values inside a series become ``padding_value``;
    longer series keep their first values; shorter ones are padded on the configured side. Column-major: the rows
    are one series in time order and row ``i`` gets the values of rows ``i - window_size + 1 .. i``.
    """

    def __init__(self, name: str, metadata: dict[str, Any], preprocessing, tokenizer: nn.Module):
        super().__init__()
        self.name = name
        self.tokenizer = tokenizer
        self.window_size = column_major_length(preprocessing)
        self.width = self.window_size if self.window_size > 0 else int(metadata["max_sequence_length"])
        self.padding_value = float(preprocessing.padding_value)
        self.pad_left = preprocessing.padding == "left"
        self.fill = fill_string(metadata)
        self.missing_tokens: list[str] = list(MISSING_TOKENS)

    def _error(self, row: int, token: str, hint: str) -> str:
        return "timeseries feature '" + self.name + "': row " + str(row) + ": '" + token + "' is not a number" + hint

    def _number(self, token: str, row: int) -> float:
        text = token.strip()
        if text.lower() in self.missing_tokens:
            return math.nan
        if not is_float_literal(text):
            raise ValueError(self._error(row, token, "."))
        return float(text)

    def _series(self, values: list[str]) -> list[list[float]]:
        rows: list[list[float]] = []
        for row, value in enumerate(values):
            text = self.fill if value == "" else value
            rows.append([self._number(token, row) for token in self.tokenizer(text)])
        return rows

    def _windows(self, values: list[str]) -> list[list[float]]:
        history: list[float] = [math.nan] * (self.window_size - 1)
        for row, value in enumerate(values):
            text = (self.fill if value == "" else value).strip()
            if text != "" and text.lower() in self.missing_tokens:
                # As Python: only a blank row is missing in a column of one number per row.
                raise ValueError(self._error(row, text, "; with window_size each row holds one number."))
            history.append(self._number(text, row))
        return [history[row : row + self.window_size] for row in range(len(values))]

    def forward(self, values: list[str]) -> torch.Tensor:
        series_rows = self._windows(values) if self.window_size > 0 else self._series(values)
        matrix: list[list[float]] = []
        for series in series_rows:
            kept = [self.padding_value if math.isnan(v) else v for v in series[: self.width]]
            padding = [self.padding_value] * (self.width - len(kept))
            matrix.append(padding + kept if self.pad_left else kept + padding)
        if len(matrix) == 0:
            return torch.zeros([0, self.width], dtype=torch.float32)
        return torch.tensor(matrix, dtype=torch.float64).to(torch.float32)


@preprocessor_registry.register("timeseries")
def build_timeseries(feature, metadata: dict[str, Any]) -> nn.Module:
    preprocessing = feature.preprocessing
    return TimeseriesPreprocessor(feature.name, metadata, preprocessing, build_tokenizer(preprocessing.tokenizer))
