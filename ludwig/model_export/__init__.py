"""Export a trained model for deployment: ``LudwigModel.export_model(save_path, format=...)``.

One module per format, each registering an exporter under its format name:

* ``safetensors``: the model folder (weights, config, training set metadata) that ``LudwigModel.load`` reads;
* ``torch_export``: ``torch.export`` program of the ECD core, saved as ``model.pt2``;
* ``onnx``: the ECD core as ``model.onnx`` with a dynamic batch axis, runnable in ``onnxruntime``.

The ``torch_export`` and ``onnx`` programs take *preprocessed* tensors (named by the input features'
``proc_column``) and return the output features' predictions tensors: preprocessing (vocabulary lookup,
normalisation) and postprocessing (labels, denormalisation) stay in Python, in ``training_set_metadata.json``
which is written next to the program.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ludwig.utils.registry import did_you_mean

if TYPE_CHECKING:
    from ludwig.api import LudwigModel

#: format name -> exporter(model, save_path, sample_input) -> path of the main file written
exporter_registry: dict[str, Callable[..., str]] = {}

EXPORT_FORMATS = ("safetensors", "torch_export", "onnx")


def register_exporter(name: str):
    def wrap(fn):
        exporter_registry[name] = fn
        return fn

    return wrap


def _load_exporters() -> None:
    from ludwig.model_export import onnx_exporter, safetensors_exporter, torch_export_exporter  # noqa: F401


def export_model(model: LudwigModel, save_path: str, format: str = "safetensors", sample_input: Any = None) -> str:
    """Export ``model`` to ``save_path`` in ``format``; returns the path of the main file (or folder) written.

    Raises:
        ValueError: for an unknown format.
    """
    _load_exporters()
    if format not in exporter_registry:
        raise ValueError(
            f"export_model: unknown format {format!r}.{did_you_mean(format, exporter_registry)} "
            f"Formats are {sorted(exporter_registry)}."
        )
    return exporter_registry[format](model, save_path, sample_input)
