"""``format="onnx"``: the ECD core as ``model.onnx`` with a dynamic batch axis, for ``onnxruntime``.

Inputs are named by the input features' ``proc_column``; outputs ``<feature>::predictions`` (and
``<feature>::probabilities`` for classifiers). Binary inputs are ``bool``, category inputs ``int64``, number
and vector inputs ``float32``, token ids as preprocessing makes them. The ``torch.export``-based exporter is used
when ``onnxscript`` is installed (``pip install 'ludwig[export]'``), the TorchScript-based one otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import warnings

import torch

from ludwig.model_export import register_exporter
from ludwig.model_export.core import build_core, output_names, write_sidecars

ONNX_FILE_NAME = "model.onnx"
ONNX_OPSET = 18


def dynamo_exporter_available() -> bool:
    return importlib.util.find_spec("onnxscript") is not None


@register_exporter("onnx")
def export_onnx(model, save_path: str, sample_input=None, dynamo: bool | None = None) -> str:
    """Write ``save_path/model.onnx``; ``dynamo`` picks the exporter (None: torch.export-based when available)."""
    if importlib.util.find_spec("onnx") is None:
        raise ImportError("export_model(format='onnx') needs onnx: pip install 'ludwig[export]'")
    if dynamo is None:
        dynamo = dynamo_exporter_available()
    core, sample = build_core(model, sample_input)
    os.makedirs(save_path, exist_ok=True)
    path = os.path.join(save_path, ONNX_FILE_NAME)
    inputs, outputs = core.input_columns, output_names(core.output_keys)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="The axis name: batch will not be used")
        if dynamo:
            batch = torch.export.Dim("batch", min=1)
            program = torch.onnx.export(
                core,
                sample,
                input_names=inputs,
                output_names=outputs,
                dynamic_shapes=(tuple({0: batch} for _ in sample),),
                opset_version=ONNX_OPSET,
                dynamo=True,
                verbose=False,
            )
            program.save(path)
        else:
            torch.onnx.export(
                core,
                sample,
                path,
                input_names=inputs,
                output_names=outputs,
                dynamic_axes={name: {0: "batch"} for name in inputs + outputs},
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
    write_sidecars(model, save_path, core.output_keys, inputs)
    return path
