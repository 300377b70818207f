"""The ECD core as a flat module: positional preprocessed tensors in, a tuple of predictions tensors out.

``torch.export`` and ONNX want plain tensors at the boundary; ``ExportableCore`` fixes the order of both:
inputs in the config's input feature order (named by their ``proc_column``), outputs per output feature
``predictions`` then, for classifiers, ``probabilities``, named ``<feature>::<key>``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ludwig.constants import LOGITS
from ludwig.features.timeseries_feature import column_major_length

OUTPUT_SEPARATOR = "::"
SAMPLE_H3_CELL = 0x8928308280FFFFF  # a valid resolution-9 H3 cell


class ExportableCore(nn.Module):
    """Wraps an ``ECD`` model in eval mode for export.

    Args:
        ecd: the trained ECD model.
        output_keys: per output feature name, the prediction keys to return (see ``output_keys``).
    """

    def __init__(self, ecd: nn.Module, output_keys: dict[str, list[str]]):
        super().__init__()
        self.ecd = ecd
        self.input_columns = [f.proc_column for f in ecd.input_features.values()]
        self.output_keys = output_keys

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        batch = dict(zip(self.input_columns, inputs))
        predictions = self.ecd.predictions(self.ecd(batch))
        return tuple(predictions[name][key] for name, keys in self.output_keys.items() for key in keys)


def output_keys(ecd: nn.Module, sample: dict[str, torch.Tensor]) -> dict[str, list[str]]:
    """The prediction keys (all but logits) each output feature returns, found by running ``sample``."""
    with torch.inference_mode():
        predictions = ecd.predictions(ecd(sample))
    return {name: [k for k in values if k != LOGITS] for name, values in predictions.items()}


def output_names(keys: dict[str, list[str]]) -> list[str]:
    return [f"{name}{OUTPUT_SEPARATOR}{key}" for name, ks in keys.items() for key in ks]


def build_core(model, sample_input: dict[str, Any] | None) -> tuple[ExportableCore, tuple[torch.Tensor, ...]]:
    """The exportable core of a ``LudwigModel`` and the positional sample tensors to trace it with."""
    import copy

    # A copy, so exporting leaves the model (device, train/eval mode) as it was.
    ecd = copy.deepcopy(model.model).to("cpu").eval()
    ecd.requires_grad_(False)  # inference only: exported outputs carry no autograd history
    sample = sample_input if sample_input is not None else sample_from_metadata(model)
    columns = [f.proc_column for f in ecd.input_features.values()]
    missing = [c for c in columns if c not in sample]
    if missing:
        raise ValueError(
            f"export_model: sample_input lacks the preprocessed inputs {missing}; it needs one tensor per input "
            f"feature, keyed by proc_column: {columns}."
        )
    sample = {c: torch.as_tensor(sample[c]).cpu() for c in columns}
    if any(len(t) < 2 for t in sample.values()):
        # A one-row sample would let torch.export specialise the batch axis to 1; two rows keep it dynamic.
        sample = {c: t.repeat(2, *[1] * (t.dim() - 1))[: max(2, len(t))] for c, t in sample.items()}
    core = ExportableCore(ecd, output_keys(ecd, sample)).eval()
    return core, tuple(sample[c] for c in columns)


def _sample_values(feature, metadata: dict[str, Any]) -> list[Any] | None:
    """Raw values of ``feature`` that its training metadata can preprocess, or None for other types."""
    if feature.type == "number":
        return [0.0, 1.0]
    if feature.type == "binary":
        labels = metadata.get("bool2str")
        return list(labels) if labels else [False, True]
    if feature.type == "category":
        vocab = metadata["idx2str"]
        return [vocab[0], vocab[-1]]
    if feature.type == "vector":
        return [" ".join(["0"] * int(metadata["vector_size"]))] * 2
    if feature.type in ("text", "sequence") and "idx2str" in metadata:
        return ["a", "b"]
    if feature.type in ("set", "bag"):
        vocab = metadata["idx2str"]
        return [[vocab[0]], [vocab[-1]]]  # element lists, whatever the tokenizer
    if feature.type == "timeseries":
        if column_major_length(feature.preprocessing):
            return [0.0, 1.0]
        return [[0.0] * int(metadata["max_sequence_length"])] * 2
    if feature.type == "date":
        return list(pd.to_datetime(["2020-01-01 00:00:00", "2021-06-15 12:30:45"]))
    if feature.type == "h3":
        return [SAMPLE_H3_CELL, SAMPLE_H3_CELL]
    return None


def sample_from_metadata(model) -> dict[str, torch.Tensor]:
    """Two preprocessed rows per input feature, made by preprocessing raw values shaped from the metadata.

    Going through the features' own preprocessing gives the sample the dtypes and shapes of real batches.
    """
    from ludwig.features.feature_registries import base_type_registry, load_all_features

    load_all_features()
    tensors: dict[str, torch.Tensor] = {}
    for feature in model.config_obj.input_features:
        metadata = model.training_set_metadata[feature.name]
        values = _sample_values(feature, metadata)
        if values is None:
            raise ValueError(
                f"export_model: cannot build a sample input for {feature.type} feature {feature.name!r} from the "
                "metadata; pass sample_input (a dict of preprocessed tensors keyed by proc_column, e.g. "
                "preprocess_for_prediction(...)[0].tensors)."
            )
        mixin = base_type_registry[feature.type]
        column = mixin.cast_column(pd.Series(values, name=feature.column))
        tensors[feature.proc_column] = torch.from_numpy(np.array(mixin.feature_data(feature, column, metadata)))
    return tensors


def write_sidecars(model, folder: str, keys: dict[str, list[str]], inputs: list[str]) -> None:
    """Config, training set metadata and the input/output signature next to an exported program."""
    import os

    from ludwig.utils.fs_utils import save_json

    model._save_config_and_metadata(folder)
    save_json(
        os.path.join(folder, "export_signature.json"),
        {"inputs": inputs, "outputs": output_names(keys), "preprocessing": "python (ludwig)"},
    )
