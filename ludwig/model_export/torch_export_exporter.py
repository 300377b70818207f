"""``format="torch_export"``: a ``torch.export`` program of the ECD core saved as ``model.pt2``.

Reload with ``torch.export.load(path).module()`` and call it with the preprocessed tensors in the order of
``export_signature.json``'s ``inputs``; it returns the predictions tensors in the order of its ``outputs``.
"""

from __future__ import annotations

import os

import torch

from ludwig.model_export import register_exporter
from ludwig.model_export.core import build_core, write_sidecars

TORCH_EXPORT_FILE_NAME = "model.pt2"


@register_exporter("torch_export")
def export_torch_program(model, save_path: str, sample_input=None) -> str:
    core, sample = build_core(model, sample_input)
    batch = torch.export.Dim("batch", min=1)
    dynamic_shapes = tuple({0: batch} for _ in sample)
    with torch.no_grad():
        program = torch.export.export(core, sample, dynamic_shapes=(dynamic_shapes,))
    os.makedirs(save_path, exist_ok=True)
    path = os.path.join(save_path, TORCH_EXPORT_FILE_NAME)
    torch.export.save(program, path)
    write_sidecars(model, save_path, core.output_keys, core.input_columns)
    return path
