"""Number features: floats normalised with zscore, minmax, log1p or iq."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ludwig.constants import LOGITS, NUMBER, PREDICTIONS
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature, OutputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.features.value_checks import read_numbers


def _safe_scale(value: float) -> float:
    return value if value and np.isfinite(value) else 1.0


def normalize(values: np.ndarray, normalization: str | None, metadata: dict[str, Any]) -> np.ndarray:
    if normalization == "zscore":
        return (values - metadata["mean"]) / _safe_scale(metadata["std"])
    if normalization == "minmax":
        return (values - metadata["min"]) / _safe_scale(metadata["max"] - metadata["min"])
    if normalization == "iq":
        return (values - metadata["q2"]) / _safe_scale(metadata["q3"] - metadata["q1"])
    if normalization == "log1p":
        return np.log1p(values)
    return values


def denormalize(values: np.ndarray, normalization: str | None, metadata: dict[str, Any]) -> np.ndarray:
    if normalization == "zscore":
        return values * _safe_scale(metadata["std"]) + metadata["mean"]
    if normalization == "minmax":
        return values * _safe_scale(metadata["max"] - metadata["min"]) + metadata["min"]
    if normalization == "iq":
        return values * _safe_scale(metadata["q3"] - metadata["q1"]) + metadata["q2"]
    if normalization == "log1p":
        return np.expm1(values)
    return values


def _bin_edges_key(config) -> str | None:
    """The metadata key of the bin edges the feature's encoder needs (``ple``, ``bins``), or None."""
    return getattr(getattr(config, "encoder", None), "bin_edges_key", None)


class NumberFeatureMixin(BaseFeatureMixin):
    type = NUMBER

    @staticmethod
    def cast_column(column: pd.Series) -> pd.Series:
        return read_numbers(column, NUMBER)

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        values = column.to_numpy(dtype=np.float64)
        if values.size == 0:
            raise InputDataError(config.column, NUMBER, "the training split has no values.")
        q1, q2, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        metadata = {
            "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "min": float(values.min()),
            "max": float(values.max()),
            "q1": float(q1),
            "q2": float(q2),
            "q3": float(q3),
        }
        key = _bin_edges_key(config)
        if key is not None:
            edges = getattr(config.encoder, key)
            if edges is None:
                # Quantiles of the values as the encoder sees them, so each bin holds about as many training rows;
                # repeated values give tied edges (empty bins).
                with np.errstate(invalid="ignore", divide="ignore"):  # bad log1p inputs: refused by feature_data
                    normalized = normalize(values, config.preprocessing.normalization, metadata)
                edges = np.quantile(normalized, np.linspace(0.0, 1.0, config.encoder.num_bins + 1))
            metadata[key] = [float(edge) for edge in edges]
        return metadata

    @staticmethod
    def metadata_config(config) -> dict[str, Any]:
        key = _bin_edges_key(config)
        if key is None:
            return {}
        return {"num_bins": config.encoder.num_bins, key: getattr(config.encoder, key)}

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        values = column.to_numpy(dtype=np.float64)
        normalization = config.preprocessing.normalization
        if normalization == "log1p" and (values <= -1).any():
            bad = values[values <= -1][:5].tolist()
            raise InputDataError(config.column, NUMBER, f"log1p normalization needs values > -1, found {bad}.")
        return normalize(values, normalization, metadata).astype(np.float32)

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        normalization = metadata.get("preprocessing", {}).get("normalization")
        values = denormalize(outputs[PREDICTIONS].astype(np.float64), normalization, metadata)
        return {f"{name}_{PREDICTIONS}": values}


class NumberInputFeature(InputFeature):
    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.unsqueeze(-1)


class NumberOutputFeature(OutputFeature):
    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        predictions = logits
        if self.config.clip is not None:
            predictions = predictions.clamp(self.config.clip[0], self.config.clip[1])
        return {PREDICTIONS: predictions, LOGITS: logits}


register_feature(NUMBER, NumberFeatureMixin, NumberInputFeature, NumberOutputFeature)
