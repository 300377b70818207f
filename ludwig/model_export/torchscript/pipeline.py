"""The scripted inference pipeline: raw columns -> preprocessors -> traced ECD core -> postprocessors."""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import os
import warnings
from typing import Any

import torch
from torch import nn

from ludwig.constants import NUMBER
from ludwig.model_export.core import build_core
from ludwig.model_export.torchscript.base import (
    ScriptedValue,
    Unscriptable,
    blank_non_numbers,
    postprocessor_registry,
    preprocessor_registry,
)
from ludwig.models.ecd import module_keys
from ludwig.utils.registry import import_submodules

TORCHSCRIPT_FILE_NAME = "inference_module.pt"


def fill_from_neighbours(values: list[str], strategy: str) -> list[str]:
    """``bfill``/``ffill`` over a batch as prediction does it: a missing value (``""``) takes the next (bfill) or
    previous (ffill) present value, then the other way round; other strategies leave ``values`` as they are."""
    if strategy != "bfill" and strategy != "ffill":
        return values
    filled = list(values)
    orders = [list(range(len(filled) - 1, -1, -1)), list(range(len(filled)))]
    if strategy == "ffill":
        orders = [orders[1], orders[0]]
    for order in orders:
        carried = ""
        for i in order:
            if filled[i] == "":
                filled[i] = carried
            else:
                carried = filled[i]
    return filled


class NeighbourFilled(nn.Module):
    """A preprocessor whose missing values are first filled from the neighbouring rows (bfill/ffill).

    For a number feature (``numeric``) a value that is not a finite number is missing too, as in prediction.
    """

    def __init__(self, preprocessor: nn.Module, strategy: str, numeric: bool):
        super().__init__()
        self.preprocessor = preprocessor
        self.strategy = strategy
        self.numeric = numeric

    def forward(self, values: list[str]) -> torch.Tensor:
        if self.numeric:
            values = blank_non_numbers(values)
        return self.preprocessor(fill_from_neighbours(values, self.strategy))


def _with_missing_value_strategy(preprocessor: nn.Module, feature_type: str, metadata: dict[str, Any]) -> nn.Module:
    strategy = metadata.get("preprocessing", {}).get("missing_value_strategy")
    if strategy not in ("bfill", "ffill"):
        return preprocessor
    return NeighbourFilled(preprocessor, strategy, numeric=feature_type == NUMBER)


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

    def forward(self, inputs: dict[str, list[str]]) -> dict[str, dict[str, ScriptedValue]]:
        tensors: list[torch.Tensor] = []
        for i, preprocessor in enumerate(self.preprocessors.values()):
            name = self.input_names[i]
            if name not in inputs:
                raise ValueError("missing input feature '" + name + "'")
            tensors.append(preprocessor(inputs[name]))
        with torch.no_grad():
            flat: list[torch.Tensor] = list(self.core(tensors))
        results: dict[str, dict[str, ScriptedValue]] = {}
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


def _traced(module: nn.Module, sample: tuple) -> torch.jit.ScriptModule:
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated, still the format asked for
        # Shape checks in the model's Python code become constants of the trace: right for the fixed feature widths.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return torch.jit.trace(module, sample, check_trace=False)


def trace_core(model, device: str | None = None) -> torch.jit.ScriptModule:
    """The ECD core traced over a metadata-shaped sample: positional preprocessed tensors -> predictions."""
    core, sample = build_core(model, None)
    core = core.to(device or "cpu")
    return _traced(core, tuple(t.to(device or "cpu") for t in sample))


def _build_all(features: list, registry, metadata: dict[str, Any], role: str, problems: list[str]) -> list:
    """Each feature's module from its type's builder; what cannot be built is added to ``problems``."""
    modules = []
    for feature in features:
        builder = registry.get(feature.type)
        if builder is None:
            problems.append(f"{feature.name!r} ({feature.type}): no TorchScript {role} for {feature.type} features")
            continue
        try:
            modules.append(builder(feature, metadata[feature.name]))
        except Unscriptable as e:
            problems.append(f"{feature.name!r} ({feature.type}): {e}")
    return modules


def to_torchscript(model, model_only: bool = False, device: str | None = None) -> torch.jit.ScriptModule:
    """``model_only=True``: the traced ECD core. ``model_only=False``: the scripted :class:`InferenceModule`.

    Raises:
        ValueError: listing every feature whose pre/postprocessing has no TorchScript form, and why.
    """
    if model_only:
        return trace_core(model, device)
    if device not in (None, "cpu"):
        raise ValueError("to_torchscript: the full pipeline (model_only=False) runs on the CPU; pass device='cpu'.")
    import_submodules("ludwig.model_export.torchscript")
    config, metadata = model.config_obj, model.training_set_metadata
    problems: list[str] = []
    preprocessors = _build_all(config.input_features, preprocessor_registry, metadata, "preprocessing", problems)
    postprocessors = _build_all(config.output_features, postprocessor_registry, metadata, "postprocessing", problems)
    if problems:
        raise ValueError(
            "to_torchscript: these features cannot be exported with their pre/postprocessing:\n  - "
            + "\n  - ".join(problems)
            + "\nUse model_only=True to export the model core over preprocessed tensors."
        )
    preprocessors = [
        _with_missing_value_strategy(p, f.type, metadata[f.name]) for f, p in zip(config.input_features, preprocessors)
    ]
    # ModuleDict keys cannot hold dots: key by sanitised names, keep the feature names in input/output_names.
    module_key = module_keys([f.name for f in config.input_features + config.output_features])
    core, sample = build_core(model, None)
    traced = _traced(_ListArgsCore(core), (list(sample),))
    output_names = list(core.output_keys)
    by_name = {f.name: module for f, module in zip(config.output_features, postprocessors)}
    module = InferenceModule(
        nn.ModuleDict({module_key[f.name]: m for f, m in zip(config.input_features, preprocessors)}),
        traced,
        nn.ModuleDict({module_key[name]: by_name[name] for name in output_names}),
        [f.name for f in config.input_features],
        output_names,
        [len(keys) for keys in core.output_keys.values()],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(module)


def save_torchscript(model, save_path: str, model_only: bool = False, device: str | None = None) -> str:
    """Write ``inference_module.pt`` (plus config and training set metadata) into ``save_path``."""
    module = to_torchscript(model, model_only, device)
    os.makedirs(save_path, exist_ok=True)
    path = os.path.join(save_path, TORCHSCRIPT_FILE_NAME)
    module.save(path)
    model._save_config_and_metadata(save_path)
    return path
