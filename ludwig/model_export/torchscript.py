"""TorchScript export: ``LudwigModel.to_torchscript`` / ``save_torchscript``.

``model_only=True`` traces the ECD core (preprocessed tensors in the input features' order in, the predictions
tuple out, as ``ExportableCore``). ``model_only=False`` scripts a full pipeline that predicts from raw values:
``forward(inputs: dict[str, list[str]])`` takes each input feature's column as a list of strings (as read from a
CSV; ``""`` is a missing value, filled as at training time) and returns
``{feature: {"predictions": ..., "probabilities": ..., "probability": ...}}``: label strings for category and
two-label binary outputs, a bool tensor for boolean binary outputs, float64 tensors for numbers (denormalised) and
probabilities. Number (normalisation, missing values, outliers), binary, category (vocabulary lookup) and vector
inputs, text and sequence inputs whose tokenizer needs no regex (``SCRIPTABLE_TOKENIZERS``), and number, binary and
category outputs have TorchScript pre/postprocessing; other types and tokenizers need ``model_only=True``. The
scripted tokenizers split, strip and lowercase as Python does for ASCII text (TorchScript's ``str.split``,
``str.strip`` and ``str.lower`` know ASCII whitespace and letters only).
"""

# No ``from __future__ import annotations`` here: TorchScript reads the annotations as real types.

import math
import warnings
from typing import Any, Union

import torch
from torch import nn

from ludwig.constants import UNKNOWN_SYMBOL
from ludwig.encoders.text_encoders import EMBEDDINGS_CACHED
from ludwig.features.binary_feature import STANDARD_STR2BOOL
from ludwig.model_export.core import build_core
from ludwig.models.ecd import module_keys
from ludwig.utils.strings_utils import START_SYMBOL, STOP_SYMBOL, UNK_IDX

TORCHSCRIPT_FILE_NAME = "inference_module.pt"
SCRIPTABLE_INPUTS = ("number", "binary", "category", "vector", "text", "sequence")
SEQUENCE_INPUTS = ("text", "sequence")
# Tokenizers of text/sequence inputs that TorchScript can run (no regex); the others need model_only=True.
SCRIPTABLE_TOKENIZERS = ("space", "characters", "comma", "underscore", "stripped", "untokenized")
SCRIPTABLE_OUTPUTS = ("number", "binary", "category")


def _scale(value: float) -> float:
    return value if value and math.isfinite(value) else 1.0


def _normalisation(normalization: str | None, metadata: dict[str, Any]) -> tuple[float, float, bool]:
    """``(shift, scale, log1p)`` so that normalised = (x - shift) / scale (or log1p(x))."""
    if normalization == "zscore":
        return metadata["mean"], _scale(metadata["std"]), False
    if normalization == "minmax":
        return metadata["min"], _scale(metadata["max"] - metadata["min"]), False
    if normalization == "iq":
        return metadata["q2"], _scale(metadata["q3"] - metadata["q1"]), False
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
        self.shift, self.scale, self.log1p = _normalisation(preprocessing.get("normalization"), metadata)

    def forward(self, values: list[str]) -> torch.Tensor:
        parsed: list[float] = []
        for value in values:
            text = value.strip()
            number = self.fill if text == "" or text.lower() == "nan" else float(text)
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
        fill = metadata.get("preprocessing", {}).get("computed_fill_value")
        self.fill = self._to_bool("" if fill is None else str(fill).strip(), allow_missing=True)

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
            text = value.strip()
            parsed.append(self.fill if text == "" else self._to_bool(text))
        return torch.tensor(parsed, dtype=torch.bool)


class CategoryPreprocessor(nn.Module):
    str2idx: dict[str, int]

    def __init__(self, metadata: dict[str, Any], lowercase: bool):
        super().__init__()
        self.str2idx: dict[str, int] = {str(k): int(v) for k, v in metadata["str2idx"].items()}
        self.unknown = int(metadata["str2idx"].get(UNKNOWN_SYMBOL, 0))
        self.lowercase = lowercase
        fill = metadata.get("preprocessing", {}).get("computed_fill_value")
        self.fill = "" if fill is None else str(fill)

    def forward(self, values: list[str]) -> torch.Tensor:
        indices: list[int] = []
        for value in values:
            text = value.strip()
            if text == "":
                text = self.fill.strip()
            if self.lowercase:
                text = text.lower()
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


class SequencePreprocessor(nn.Module):
    """Text/sequence strings -> ``int32 [batch, max_sequence_length]`` ids, as ``build_sequence_matrix`` makes
    them: start id, token ids (unknown tokens -> the unknown symbol's id), stop id, truncated to the width, then
    padded on the configured side."""

    str2idx: dict[str, int]

    def __init__(self, metadata: dict[str, Any], tokenizer: str, lowercase: bool, padding: str):
        super().__init__()
        if tokenizer not in SCRIPTABLE_TOKENIZERS:
            raise ValueError(f"tokenizer {tokenizer!r} has no TorchScript form; supported: {SCRIPTABLE_TOKENIZERS}")
        if padding not in ("right", "left"):
            raise ValueError(f"padding {padding!r} is not allowed; expected 'right' or 'left'.")
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.pad_left = padding == "left"
        # Ids are positions in idx2str (the first one of a repeated token), as build_sequence_matrix looks them up.
        self.str2idx: dict[str, int] = {}
        for i, token in enumerate(metadata["idx2str"]):
            self.str2idx.setdefault(str(token), i)
        str2idx = metadata["str2idx"]
        self.unknown_symbol = str(metadata["unknown_symbol"])
        self.unknown = int(str2idx.get(metadata["unknown_symbol"], UNK_IDX))
        self.start = int(str2idx[START_SYMBOL])
        self.stop = int(str2idx[STOP_SYMBOL])
        self.pad = int(metadata["pad_idx"])
        self.width = int(metadata["max_sequence_length"])
        fill = metadata.get("preprocessing", {}).get("computed_fill_value")
        self.fill = "" if fill is None else str(fill)

    def _characters(self, text: str) -> list[str]:
        # TorchScript iterates a str byte by byte: glue UTF-8 continuation bytes back onto their character.
        characters: list[str] = []
        for byte in text:
            code = ord(byte)
            if len(characters) > 0 and code >= 0x80 and code < 0xC0:
                characters[-1] = characters[-1] + byte
            else:
                characters.append(byte)
        return characters

    def _tokens(self, text: str) -> list[str]:
        if self.tokenizer == "space":
            # As tokenize_sequences: each whitespace chunk lowercased, except the unknown symbol itself.
            chunks = text.split()
            if self.lowercase:
                chunks = [chunk if chunk == self.unknown_symbol else chunk.lower() for chunk in chunks]
            return chunks
        if text.strip() == self.unknown_symbol:
            return [self.unknown_symbol]  # a filled missing value is the single unknown token
        if self.lowercase:
            text = text.lower()
        if self.tokenizer == "characters":
            return self._characters(text)
        if self.tokenizer == "comma" or self.tokenizer == "underscore":
            separator = "," if self.tokenizer == "comma" else "_"
            tokens: list[str] = []
            for part in text.split(separator):
                token = part.strip()
                if token != "":
                    tokens.append(token)
            return tokens
        if self.tokenizer == "stripped":
            stripped = text.strip()
            return [stripped] if stripped != "" else []
        return [text]  # untokenized

    def forward(self, values: list[str]) -> torch.Tensor:
        rows: list[list[int]] = []
        for value in values:
            text = self.fill if value == "" else value
            ids: list[int] = [self.start]
            for token in self._tokens(text):
                ids.append(self.str2idx.get(token, self.unknown))
            ids.append(self.stop)
            ids = ids[: self.width]
            padding = [self.pad] * (self.width - len(ids))
            rows.append(padding + ids if self.pad_left else ids + padding)
        if len(rows) == 0:
            return torch.zeros([0, self.width], dtype=torch.int32)
        return torch.tensor(rows, dtype=torch.int32)


class NumberPostprocessor(nn.Module):
    def __init__(self, metadata: dict[str, Any]):
        super().__init__()
        preprocessing = metadata.get("preprocessing", {})
        self.shift, self.scale, self.expm1 = _normalisation(preprocessing.get("normalization"), metadata)

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, Union[torch.Tensor, list[str]]]:
        values = predictions[0].to(torch.float64)
        values = torch.expm1(values) if self.expm1 else values * self.scale + self.shift
        return {"predictions": values}


class BinaryPostprocessor(nn.Module):
    def __init__(self, metadata: dict[str, Any]):
        super().__init__()
        labels = metadata.get("bool2str")
        self.has_labels = bool(labels)
        self.labels: list[str] = [str(v) for v in labels] if labels else ["False", "True"]

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, Union[torch.Tensor, list[str]]]:
        flags, p_true = predictions[0], predictions[1].to(torch.float64)
        result: dict[str, Union[torch.Tensor, list[str]]] = {}
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

    def forward(self, predictions: list[torch.Tensor]) -> dict[str, Union[torch.Tensor, list[str]]]:
        indices, probabilities = predictions[0], predictions[1].to(torch.float64)
        index_list: list[int] = indices.tolist()
        labels: list[str] = [self.idx2str[i] for i in index_list]
        return {"predictions": labels, "probabilities": probabilities, "probability": probabilities.max(dim=1).values}


class InferenceModule(nn.Module):
    """Raw values -> preprocessing -> traced ECD core -> postprocessing, all in TorchScript."""

    def __init__(
        self,
        preprocessors: nn.ModuleDict,
        core: torch.jit.ScriptModule,
        postprocessors: nn.ModuleDict,
        input_names: list[str],
        output_names: list[str],
        output_counts: list[int],
    ):
        super().__init__()
        self.preprocessors = preprocessors
        self.core = core
        self.postprocessors = postprocessors
        self.input_names = input_names
        self.output_names = output_names
        self.output_counts = output_counts

    def forward(self, inputs: dict[str, list[str]]) -> dict[str, dict[str, Union[torch.Tensor, list[str]]]]:
        tensors: list[torch.Tensor] = []
        for i, preprocessor in enumerate(self.preprocessors.values()):
            name = self.input_names[i]
            if name not in inputs:
                raise ValueError("missing input feature '" + name + "'")
            tensors.append(preprocessor(inputs[name]))
        with torch.no_grad():
            flat: list[torch.Tensor] = list(self.core(tensors))
        results: dict[str, dict[str, Union[torch.Tensor, list[str]]]] = {}
        start = 0
        for i, postprocessor in enumerate(self.postprocessors.values()):
            count = self.output_counts[i]
            results[self.output_names[i]] = postprocessor(flat[start : start + count])
            start += count
        return results


class _ListArgsCore(nn.Module):
    def __init__(self, core: nn.Module):
        super().__init__()
        self.core = core

    def forward(self, tensors: list[torch.Tensor]):
        return self.core(*tensors)


def trace_core(model, device: str | None = None) -> torch.jit.ScriptModule:
    """The ECD core traced over a metadata-shaped sample: positional preprocessed tensors -> predictions."""
    core, sample = build_core(model, None)
    core = core.to(device or "cpu")
    sample = tuple(t.to(device or "cpu") for t in sample)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated, still the format asked for
        return torch.jit.trace(core, sample, check_trace=False)


def to_torchscript(model, model_only: bool = False, device: str | None = None) -> torch.jit.ScriptModule:
    if model_only:
        return trace_core(model, device)
    config = model.config_obj
    unsupported = [f for f in config.input_features if f.type not in SCRIPTABLE_INPUTS]
    unsupported += [f for f in config.output_features if f.type not in SCRIPTABLE_OUTPUTS]
    if unsupported:
        names = ", ".join(f"{f.name!r} ({f.type})" for f in unsupported)
        raise ValueError(
            f"to_torchscript: features {names} have no TorchScript pre/postprocessing (supported: inputs "
            f"{list(SCRIPTABLE_INPUTS)}, outputs {list(SCRIPTABLE_OUTPUTS)}). Use model_only=True to export the "
            "model core over preprocessed tensors."
        )
    sequences = [f for f in config.input_features if f.type in SEQUENCE_INPUTS]
    unscriptable = [f for f in sequences if f.preprocessing.tokenizer not in SCRIPTABLE_TOKENIZERS]
    if unscriptable:
        names = ", ".join(f"{f.name!r} ({f.type}) with tokenizer {f.preprocessing.tokenizer!r}" for f in unscriptable)
        raise ValueError(
            f"to_torchscript: features {names} have no TorchScript preprocessing: the tokenizers that TorchScript "
            f"can run are {list(SCRIPTABLE_TOKENIZERS)}. Use one of them, or model_only=True to export the model "
            "core over preprocessed tensors."
        )
    cached = [f for f in sequences if model.training_set_metadata[f.name].get(EMBEDDINGS_CACHED)]
    if cached:
        names = ", ".join(f"{f.name!r} ({f.type})" for f in cached)
        raise ValueError(
            f"to_torchscript: features {names} cache their encoder embeddings (preprocessing."
            "cache_encoder_embeddings), which has no TorchScript preprocessing. Use model_only=True to export the "
            "model core over preprocessed tensors."
        )
    if device not in (None, "cpu"):
        raise ValueError("to_torchscript: the full pipeline (model_only=False) runs on the CPU; pass device='cpu'.")
    metadata = model.training_set_metadata
    # ModuleDict keys cannot hold dots: key by sanitised names, keep the feature names in input/output_names.
    module_key = module_keys([f.name for f in config.input_features + config.output_features])
    preprocessors = nn.ModuleDict()
    input_names: list[str] = []
    for feature in config.input_features:
        meta = metadata[feature.name]
        if feature.type == "number":
            pre: nn.Module = NumberPreprocessor(meta)
        elif feature.type == "binary":
            pre = BinaryPreprocessor(feature.name, meta)
        elif feature.type == "category":
            pre = CategoryPreprocessor(meta, bool(feature.preprocessing.lowercase))
        elif feature.type in SEQUENCE_INPUTS:
            preprocessing = feature.preprocessing
            pre = SequencePreprocessor(
                meta, preprocessing.tokenizer, bool(preprocessing.lowercase), str(preprocessing.padding)
            )
        else:
            pre = VectorPreprocessor(feature.name, meta)
        preprocessors[module_key[feature.name]] = pre
        input_names.append(feature.name)
    core, sample = build_core(model, None)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        traced = torch.jit.trace(_ListArgsCore(core), (list(sample),), check_trace=False)
    postprocessors = nn.ModuleDict()
    counts: list[int] = []
    for name, output_keys in core.output_keys.items():
        feature_type = model.model.output_feature(name).config.type
        meta = metadata[name]
        post = {"number": NumberPostprocessor, "binary": BinaryPostprocessor, "category": CategoryPostprocessor}
        postprocessors[module_key[name]] = post[feature_type](meta)
        counts.append(len(output_keys))
    module = InferenceModule(preprocessors, traced, postprocessors, input_names, list(core.output_keys), counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(module)


def save_torchscript(model, save_path: str, model_only: bool = False, device: str | None = None) -> str:
    """Write ``inference_module.pt`` (plus config and training set metadata) into ``save_path``."""
    import os

    module = to_torchscript(model, model_only, device)
    os.makedirs(save_path, exist_ok=True)
    path = os.path.join(save_path, TORCHSCRIPT_FILE_NAME)
    module.save(path)
    model._save_config_and_metadata(save_path)
    return path
