"""``format="safetensors"``: the model folder ``LudwigModel.load`` reads (weights as safetensors, no pickle)."""

from __future__ import annotations

import os

from ludwig.globals import MODEL_WEIGHTS_FILE_NAME
from ludwig.model_export import register_exporter


@register_exporter("safetensors")
def export_safetensors(model, save_path: str, sample_input=None) -> str:
    model.save(save_path)
    return os.path.join(save_path, MODEL_WEIGHTS_FILE_NAME)
