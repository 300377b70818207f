"""TorchScript export: ``LudwigModel.to_torchscript`` / ``save_torchscript``.

``model_only=True`` traces the ECD core (preprocessed tensors in the input features' order in, the predictions
tuple out, as ``ExportableCore``). ``model_only=False`` scripts a full pipeline that predicts from raw values:
``forward(inputs: dict[str, list[str]])`` takes each input feature's column as a list of strings (as read from a
CSV; ``""`` is a missing value, filled as at training time) and returns
``{feature: {"predictions": ..., "probabilities": ..., "probability": ...}}``.

Each feature type has its TorchScript preprocessing (inputs) or postprocessing (outputs) in a module of this
package, registered by type in :mod:`.base`; a new type is one new module. ``to_torchscript`` lists every
feature, or feature option, without a TorchScript form, and then ``model_only=True`` is the way to export.
"""

from ludwig.model_export.torchscript.pipeline import TORCHSCRIPT_FILE_NAME, save_torchscript, to_torchscript

__all__ = ["TORCHSCRIPT_FILE_NAME", "save_torchscript", "to_torchscript"]
