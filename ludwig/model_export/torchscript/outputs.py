"""TorchScript postprocessing of output features: predictions back to labels and denormalised values."""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import math
from typing import Any

import torch
from torch import nn

from ludwig.constants import START_SYMBOL, STOP_SYMBOL, UNKNOWN_SYMBOL
from ludwig.model_export.torchscript.base import ScriptedValue, postprocessor_registry
from ludwig.model_export.torchscript.tabular import normalisation
from ludwig.utils.strings_utils import PAD_IDX


class NumberPostprocessor(nn.Module):
    def __init__(self, metadata: dict[str, Any]):
        super().__init__()
        preprocessing = metadata.get("preprocessing", {})
        self.shift, self.scale, self.expm1 = normalisation(preprocessing.get("normalization"), metadata)

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, ScriptedValue]:
        values = predictions[0].to(torch.float64)
        values = torch.expm1(values) if self.expm1 else values * self.scale + self.shift
        return {"predictions": values}


class BinaryPostprocessor(nn.Module):
    def __init__(self, metadata: dict[str, Any]):
        super().__init__()
        labels = metadata.get("bool2str")
        self.has_labels = bool(labels)
        self.labels: list[str] = [str(v) for v in labels] if labels else ["False", "True"]

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, ScriptedValue]:
        flags, p_true = predictions[0], predictions[1].to(torch.float64)
        result: dict[str, ScriptedValue] = {}
        # Like predict: label strings for two-label columns, booleans for boolean columns.
        if self.has_labels:
            flag_list: list[bool] = flags.tolist()
            result["predictions"] = [self.labels[int(flag)] for flag in flag_list]
        else:
            result["predictions"] = flags
        result["probabilities"] = torch.stack([1.0 - p_true, p_true], dim=1)
        result["probability"] = torch.where(flags, p_true, 1.0 - p_true)
        return result


class CategoryPostprocessor(nn.Module):
    def __init__(self, metadata: dict[str, Any]):
        super().__init__()
        self.idx2str: list[str] = [str(v) for v in metadata["idx2str"]]

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, ScriptedValue]:
        indices, probabilities = predictions[0], predictions[1].to(torch.float64)
        index_list: list[int] = indices.tolist()
        labels: list[str] = [self.idx2str[i] for i in index_list]
        # The predicted class's probability (not always the largest: corn outputs predict the median class).
        probability = probabilities.gather(1, indices.long().unsqueeze(1)).squeeze(1)
        return {"predictions": labels, "probabilities": probabilities, "probability": probability}


class VectorPostprocessor(nn.Module):
    """Vector and timeseries outputs: the predicted values as float64, one row per input row."""

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, ScriptedValue]:
        return {"predictions": predictions[0].to(torch.float64)}


class SetPostprocessor(nn.Module):
    """The predicted elements of each row in vocabulary order, and their probabilities (as predict gives them)."""

    def __init__(self, metadata: dict[str, Any]):
        super().__init__()
        self.idx2str: list[str] = [str(v) for v in metadata["idx2str"]]

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, ScriptedValue]:
        present, probabilities = predictions[0].to(torch.bool), predictions[1].to(torch.float32)
        elements: list[list[str]] = []
        kept: list[list[float]] = []
        for row in range(present.shape[0]):
            indices: list[int] = torch.nonzero(present[row]).flatten().tolist()
            elements.append([self.idx2str[i] for i in indices])
            row_probabilities: list[float] = probabilities[row][present[row]].to(torch.float64).tolist()
            kept.append(row_probabilities)
        return {"predictions": elements, "probabilities": kept}


class SequencePostprocessor(nn.Module):
    """Generated or tagged ids -> tokens up to the first stop symbol, without start and padding symbols.

    As predict: ``probabilities`` holds the predicted token's probability at each kept step (the stop step
    included) and ``probability`` the sum of their logs. Text outputs join their tokens with spaces.
    """

    def __init__(self, metadata: dict[str, Any], join_tokens: bool):
        super().__init__()
        self.idx2str: list[str] = [str(v) for v in metadata["idx2str"]]
        self.unknown_symbol = str(metadata.get("unknown_symbol", UNKNOWN_SYMBOL))
        str2idx = metadata["str2idx"]
        self.stop = int(str2idx.get(STOP_SYMBOL, -1))
        self.start = int(str2idx.get(START_SYMBOL, -1))
        self.pad = int(metadata.get("pad_idx", PAD_IDX))
        self.join_tokens = join_tokens

    def _token(self, index: int) -> str:
        return self.idx2str[index] if index >= 0 and index < len(self.idx2str) else self.unknown_symbol

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, ScriptedValue]:
        ids = predictions[0].to(torch.int64)
        if ids.dim() == 1:
            ids = ids.unsqueeze(1)
        has_probabilities = len(predictions) > 1
        step_probabilities = torch.zeros(ids.shape, dtype=torch.float64)
        if has_probabilities:
            step_probabilities = predictions[1].to(torch.float64)
            if step_probabilities.dim() == 3:
                step_probabilities = step_probabilities.max(dim=-1).values
            step_probabilities = step_probabilities.reshape(ids.shape[0], -1)
        tokens: list[list[str]] = []
        kept: list[list[float]] = []
        log_probability: list[float] = []
        for row in range(ids.shape[0]):
            row_ids: list[int] = ids[row].tolist()
            row_probabilities: list[float] = step_probabilities[row].tolist()
            row_tokens: list[str] = []
            row_kept: list[float] = []
            total = 0.0
            for step, index in enumerate(row_ids):
                is_stop = index == self.stop
                if index != self.pad and index != self.start:
                    if not is_stop:
                        row_tokens.append(self._token(index))
                    if step < len(row_probabilities):
                        row_kept.append(row_probabilities[step])
                        total += math.log(max(row_probabilities[step], 1e-45))
                if is_stop:
                    break
            tokens.append(row_tokens)
            kept.append(row_kept)
            log_probability.append(total)
        result: dict[str, ScriptedValue] = {}
        if self.join_tokens:
            result["predictions"] = [" ".join(row_tokens) for row_tokens in tokens]
        else:
            result["predictions"] = tokens
        if has_probabilities:
            result["probabilities"] = kept
            result["probability"] = torch.tensor(log_probability, dtype=torch.float64)
        return result


@postprocessor_registry.register("number")
def build_number(feature, metadata: dict[str, Any]) -> nn.Module:
    return NumberPostprocessor(metadata)


@postprocessor_registry.register("binary")
def build_binary(feature, metadata: dict[str, Any]) -> nn.Module:
    return BinaryPostprocessor(metadata)


@postprocessor_registry.register("category")
def build_category(feature, metadata: dict[str, Any]) -> nn.Module:
    return CategoryPostprocessor(metadata)


@postprocessor_registry.register("vector", "timeseries")
def build_vector(feature, metadata: dict[str, Any]) -> nn.Module:
    return VectorPostprocessor()


@postprocessor_registry.register("set")
def build_set(feature, metadata: dict[str, Any]) -> nn.Module:
    return SetPostprocessor(metadata)


@postprocessor_registry.register("sequence", "text")
def build_sequence(feature, metadata: dict[str, Any]) -> nn.Module:
    return SequencePostprocessor(metadata, join_tokens=feature.type == "text")
