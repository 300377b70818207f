"""TorchScript preprocessing of number, binary, category and vector inputs."""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import math
from typing import Any

import torch
from torch import nn

from ludwig.constants import UNKNOWN_SYMBOL
from ludwig.features.binary_feature import STANDARD_STR2BOOL
from ludwig.model_export.torchscript.base import fill_string, is_finite_number, preprocessor_registry
from ludwig.model_export.torchscript.lowercasing import OptionalLowercase
from ludwig.model_export.torchscript.unicode_text import CharacterClasses


def finite_scale(value: float) -> float:
    """A divisor that is safe to use: ``value`` unless it is zero or not finite, else 1."""
    return value if value and math.isfinite(value) else 1.0


def normalisation(normalization: str | None, metadata: dict[str, Any]) -> tuple[float, float, bool]:
    """``(shift, scale, log1p)`` so that normalised = (x - shift) / scale (or log1p(x))."""
    if normalization == "zscore":
        return metadata["mean"], finite_scale(metadata["std"]), False
    if normalization == "minmax":
        return metadata["min"], finite_scale(metadata["max"] - metadata["min"]), False
    if normalization == "iq":
        return metadata["q2"], finite_scale(metadata["q3"] - metadata["q1"]), False
    return 0.0, 1.0, normalization == "log1p"


class NumberPreprocessor(nn.Module):
    def __init__(self, metadata: dict[str, Any]):
        super().__init__()
        preprocessing = metadata.get("preprocessing", {})
        fill = preprocessing.get("computed_fill_value")
        self.fill = float(fill) if fill is not None else 0.0
        bounds = preprocessing.get("computed_outlier_bounds")
        self.has_bounds = bounds is not None
        self.low, self.high = (float(bounds[0]), float(bounds[1])) if bounds is not None else (0.0, 0.0)
        outlier_fill = preprocessing.get("computed_outlier_fill_value")
        self.outlier_fill = float(outlier_fill) if outlier_fill is not None else self.fill
        self.shift, self.scale, self.log1p = normalisation(preprocessing.get("normalization"), metadata)

    def forward(self, values: list[str]) -> torch.Tensor:
        parsed: list[float] = []
        for value in values:
            text = value.strip()
            # As read_numbers: what is not a finite number (NaN, inf, "abc") is a missing value.
            number = float(text) if is_finite_number(text) else self.fill
            if self.has_bounds and (number < self.low or number > self.high):
                number = self.outlier_fill
            parsed.append(number)
        tensor = torch.tensor(parsed, dtype=torch.float64)
        if self.log1p:
            tensor = torch.log1p(tensor)
        else:
            tensor = (tensor - self.shift) / self.scale
        return tensor.to(torch.float32)


class BinaryPreprocessor(nn.Module):
    str2bool: dict[str, bool]
    standard: dict[str, bool]

    def __init__(self, name: str, metadata: dict[str, Any]):
        super().__init__()
        self.name = name
        self.str2bool: dict[str, bool] = {str(k): bool(v) for k, v in metadata.get("str2bool", {}).items()}
        self.standard: dict[str, bool] = dict(STANDARD_STR2BOOL)
        self.has_labels = "str2bool" in metadata
        self.true_label = str(metadata.get("fallback_true_label", ""))
        self.characters = CharacterClasses()
        self.fill = self._to_bool(fill_string(metadata).strip(), allow_missing=True)

    def _to_bool(self, text: str, allow_missing: bool = False) -> bool:
        if text in self.str2bool:
            return self.str2bool[text]
        if text.lower() in self.standard:
            return self.standard[text.lower()]
        if self.has_labels:
            return text == self.true_label
        if allow_missing:
            return False
        raise ValueError("binary feature '" + self.name + "': cannot read '" + text + "' as a boolean")

    def forward(self, values: list[str]) -> torch.Tensor:
        parsed: list[bool] = []
        for value in values:
            text = self.characters.strip(value)  # Unicode whitespace, as pandas' str.strip
            parsed.append(self.fill if text == "" else self._to_bool(text))
        return torch.tensor(parsed, dtype=torch.bool)


class CategoryPreprocessor(nn.Module):
    str2idx: dict[str, int]

    def __init__(self, metadata: dict[str, Any], lowercase: bool):
        super().__init__()
        self.str2idx: dict[str, int] = {str(k): int(v) for k, v in metadata["str2idx"].items()}
        self.unknown = int(metadata["str2idx"].get(UNKNOWN_SYMBOL, 0))
        self.characters = CharacterClasses()
        self.lowercase = OptionalLowercase(lowercase)
        self.fill = fill_string(metadata)

    def forward(self, values: list[str]) -> torch.Tensor:
        indices: list[int] = []
        for value in values:
            text = self.characters.strip(value)
            if text == "":
                text = self.characters.strip(self.fill)
            text = self.lowercase(text)
            if text not in self.str2idx and text.endswith(".0"):
                text = text[:-2]  # a whole float read from a CSV ("3.0") is the category "3", as in predict
            indices.append(self.str2idx.get(text, self.unknown))
        return torch.tensor(indices, dtype=torch.int64)


class VectorPreprocessor(nn.Module):
    def __init__(self, name: str, metadata: dict[str, Any]):
        super().__init__()
        self.name = name
        self.size = int(metadata["vector_size"])

    def forward(self, values: list[str]) -> torch.Tensor:
        rows: list[list[float]] = []
        for value in values:
            row = [float(v) for v in value.split()]
            if len(row) != self.size:
                raise ValueError(
                    "vector feature '" + self.name + "': expected " + str(self.size) + " values, found " + str(len(row))
                )
            rows.append(row)
        if len(rows) == 0:
            return torch.zeros(0, self.size)
        return torch.tensor(rows, dtype=torch.float32)


@preprocessor_registry.register("number")
def build_number(feature, metadata: dict[str, Any]) -> nn.Module:
    return NumberPreprocessor(metadata)


@preprocessor_registry.register("binary")
def build_binary(feature, metadata: dict[str, Any]) -> nn.Module:
    return BinaryPreprocessor(feature.name, metadata)


@preprocessor_registry.register("category")
def build_category(feature, metadata: dict[str, Any]) -> nn.Module:
    return CategoryPreprocessor(metadata, bool(feature.preprocessing.lowercase))


@preprocessor_registry.register("vector")
def build_vector(feature, metadata: dict[str, Any]) -> nn.Module:
    return VectorPreprocessor(feature.name, metadata)
