"""What every feature type provides: data handling (the mixin) and the torch modules around encoders/decoders.

A feature type implements three pieces:

* ``<Type>FeatureMixin``: ``get_feature_meta`` (vocabularies, statistics) computed once on the training split,
  ``feature_data`` turning a cleaned raw column into a numpy array, and ``postprocess_predictions`` turning
  model outputs back into data space. Column-wise and vectorised: no Python loop over rows.
* ``<Type>InputFeature``: wraps the encoder.
* ``<Type>OutputFeature``: owns the FC stack, the decoder, the loss and the metrics.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from ludwig.constants import LOGITS, PREDICTIONS
from ludwig.decoders.registry import decoder_registry
from ludwig.encoders.registry import encoder_registry
from ludwig.error import InputDataError
from ludwig.modules.fully_connected import fc_stack_from_config
from ludwig.modules.loss_modules import build_loss
from ludwig.modules.metric_modules import MeanMetric, get_metric_classes
from ludwig.modules.reduction_modules import SequenceReducer


class BaseFeatureMixin:
    """Data handling of one feature type. All methods are static: metadata is plain data."""

    type: ClassVar[str]

    @staticmethod
    def cast_column(column: pd.Series) -> pd.Series:
        """Convert the raw column to the dtype ``feature_data`` expects; missing values stay missing."""
        return column

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        """Statistics/vocabularies computed from the (cleaned) training rows of the column."""
        return {}

    @staticmethod
    def metadata_config(config) -> dict[str, Any]:
        """Config values outside ``preprocessing`` that ``get_feature_meta`` reads (they key the dataset cache)."""
        return {}

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        """The preprocessed numpy array for the (cleaned) column."""
        raise NotImplementedError

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        """Prediction columns (``<name>_predictions``, ``<name>_probabilities``...) in data space."""
        return {f"{name}_{PREDICTIONS}": list(outputs[PREDICTIONS])}

    @staticmethod
    def overall_statistics(
        outputs: dict[str, np.ndarray], targets: np.ndarray, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        """Whole-dataset statistics for ``test_statistics.json`` beyond the metrics (confusion matrix...)."""
        return {}


def loss_with_class_weights(config, metadata: dict[str, Any], what: str):
    """A copy of the feature's ``loss`` section with ``class_weights`` as a list ordered by vocabulary index.

    ``class_weights`` may be given as ``{label: weight}`` (unnamed labels weigh 1) or as a list with one weight per
    vocabulary entry. ``what`` names the vocabulary entries in errors ("classes", "elements", "tokens").

    Raises:
        InputDataError: for labels not in the vocabulary or a list of the wrong length.
    """
    loss = config.loss.copy()
    weights = getattr(loss, "class_weights", None)
    vocab = metadata["idx2str"]
    if isinstance(weights, dict):
        unknown = sorted(set(map(str, weights)) - set(metadata["str2idx"]))
        if unknown:
            raise InputDataError(
                config.column, config.type, f"loss.class_weights names unknown {what} {unknown}; {what} are {vocab}."
            )
        by_label = {str(k): float(v) for k, v in weights.items()}
        loss.class_weights = [by_label.get(label, 1.0) for label in vocab]
    elif isinstance(weights, list) and len(weights) != len(vocab):
        raise InputDataError(
            config.column,
            config.type,
            f"loss.class_weights has {len(weights)} values but there are {len(vocab)} {what} {vocab}.",
        )
    return loss


class InputFeature(nn.Module):
    """An input feature: converts its batch tensor to the encoder's input and runs the encoder.

    Args:
        config: the feature's config section.
        metadata: the feature's ``training_set_metadata`` entry.
        encoder: an encoder module to share (for ``tied`` features); built from the config when None.
    """

    def __init__(self, config, metadata: dict[str, Any], encoder: nn.Module | None = None):
        super().__init__()
        self.config = config
        self.name = config.name
        self.proc_column = config.proc_column
        if encoder is None:
            encoder_cls = encoder_registry.for_type(config.type)[config.encoder.type]
            encoder = encoder_cls(config.encoder, self.input_size(metadata), metadata)
        self.encoder_obj = encoder

    @staticmethod
    def input_size(metadata: dict[str, Any]) -> int:
        """Size of the last dimension of the encoder input."""
        return 1

    @property
    def output_size(self) -> int:
        return self.encoder_obj.output_size

    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        """Turn the batch tensor into what the encoder expects (dtype, shape)."""
        return inputs

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.encoder_obj(self.prepare(inputs))


class OutputFeature(nn.Module):
    """An output feature: FC stack, decoder, loss and metrics.

    ``uses_targets``: whether ``forward`` wants the batch's targets while training (teacher forcing).

    Args:
        config: the feature's config section.
        metadata: the feature's ``training_set_metadata`` entry.
        input_size: size of the combiner output plus the hidden sizes of the features it depends on.
    """

    uses_targets: ClassVar[bool] = False

    def __init__(self, config, metadata: dict[str, Any], input_size: int):
        super().__init__()
        self.config = config
        self.name = config.name
        self.proc_column = config.proc_column
        decoder_config = config.decoder
        # A sequence-shaped combiner output ([batch, time, hidden]) is reduced first, unless reduce_input is None.
        self.input_reducer = SequenceReducer(config.reduce_input, encoding_size=input_size)
        reduce_dependencies = config.reduce_dependencies
        if reduce_dependencies in ("attention", "concat"):
            reduce_dependencies = None  # rejected in _reduce_dependency if a sequence dependency shows up
        self.dependency_reducer = SequenceReducer(reduce_dependencies)
        self.fc_stack = fc_stack_from_config(input_size, decoder_config, prefix=decoder_config.fc_prefix)
        decoder_cls = decoder_registry.for_type(config.type)[decoder_config.type]
        self.decoder_obj = decoder_cls(decoder_config, self.fc_stack.output_size, self.decoder_metadata(metadata))
        self.loss_fn = build_loss(self.loss_config(config, metadata))
        self.loss_weight = config.loss.weight
        self.metric_classes = get_metric_classes(config.type)
        self.metrics: dict[str, Any] = {}
        self.reset_metrics()

    @property
    def hidden_size(self) -> int:
        return self.fc_stack.output_size

    def decoder_metadata(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """The metadata the decoder is built from (types override to change the number of logits)."""
        return metadata

    def loss_config(self, config, metadata: dict[str, Any]):
        """The loss section as the loss module needs it (types override to resolve labels to indices)."""
        return config.loss

    def forward(self, hidden: torch.Tensor, targets: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Returns the decoder's ``logits`` and the FC stack's ``last_hidden`` (read by dependent outputs).

        ``targets`` (the batch's target tensor) is passed only while training and only to features whose
        ``uses_targets`` is true (teacher forcing of sequence generators).
        """
        if hidden.dim() > 2:
            hidden = self.input_reducer(hidden)
        last_hidden = self.fc_stack(hidden) if self.fc_stack.layers else hidden
        outputs = self.decode(last_hidden, targets)
        outputs["last_hidden"] = last_hidden
        return outputs

    def decode(self, last_hidden: torch.Tensor, targets: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """The decoder's outputs: ``logits`` and, for some decoders, more (generated token ids)."""
        return {LOGITS: self.decoder_obj(last_hidden)}

    def with_dependencies(self, combined: torch.Tensor, dependency_hiddens: list[torch.Tensor]) -> torch.Tensor:
        """The combiner output concatenated with the ``last_hidden`` of the features this one depends on.

        A sequence-shaped dependency joining a vector combiner output is reduced with ``reduce_dependencies``;
        a vector dependency joining a sequence-shaped combiner output is repeated at every step.
        """
        parts = [combined]
        for dependency in dependency_hiddens:
            if dependency.dim() == 3 and (combined.dim() == 2 or dependency.shape[1] != combined.shape[1]):
                dependency = self._reduce_dependency(dependency)
            if combined.dim() == 3 and dependency.dim() == 2:
                dependency = dependency.unsqueeze(1).expand(-1, combined.shape[1], -1)
            parts.append(dependency)
        return torch.cat(parts, dim=-1)

    def _reduce_dependency(self, hidden: torch.Tensor) -> torch.Tensor:
        mode = self.config.reduce_dependencies
        if mode in ("attention", "concat"):
            raise ValueError(
                f"output feature {self.name!r}: reduce_dependencies {mode!r} cannot reduce a sequence-shaped "
                "dependency (its size would change); use sum, mean, max or last."
            )
        if mode in (None, "none"):
            raise ValueError(
                f"output feature {self.name!r}: a sequence-shaped dependency must be reduced to join this "
                "feature's input; set reduce_dependencies (e.g. sum)."
            )
        return self.dependency_reducer(hidden)

    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        """``predictions`` plus, for classifiers, ``probabilities``."""
        raise NotImplementedError

    def output_predictions(self, outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Predictions from this feature's ``forward`` outputs (by default, from its logits)."""
        return self.predictions(outputs[LOGITS])

    def target_tensor(self, targets: torch.Tensor) -> torch.Tensor:
        """Convert the batch's target tensor to what the loss and metrics compare against."""
        return targets

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(logits, self.target_tensor(targets))

    def reset_metrics(self) -> None:
        self.metrics = {name: cls() for name, cls in self._metric_instances_spec().items()}
        self.metrics["loss"] = MeanMetric()

    def _metric_instances_spec(self) -> dict[str, Any]:
        return dict(self.metric_classes)

    def update_metrics(self, targets: torch.Tensor, outputs: dict[str, torch.Tensor], loss: torch.Tensor) -> None:
        """Accumulate every metric over one batch. ``outputs`` holds logits, predictions and probabilities."""
        target = self.target_tensor(targets)
        for name, metric in self.metrics.items():
            if name == "loss":
                metric.update(loss.detach(), batch_size=len(target))
            else:
                metric.update(outputs[metric.input_key].detach(), target)

    def get_metrics(self) -> dict[str, float]:
        return {name: float(metric.compute()) for name, metric in self.metrics.items()}
