"""The `sequence_concat` and `sequence` combiners: combine inputs step by step instead of reducing them first."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

import ludwig.encoders.sequence_encoders  # noqa: F401  (registers the encoders the `sequence` combiner uses)
from ludwig.combiners.registry import combiner_registry
from ludwig.constants import SEQUENCE
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.reduction_modules import SequenceReducer
from ludwig.schema.combiners.sequence_combiners import SEQUENCE_INPUT_TYPES

ENCODER_OUTPUT = "encoder_output"
ENCODER_OUTPUT_STATE = "encoder_output_state"
ENCODER_OUTPUT_MASK = "encoder_output_mask"
COMBINER_OUTPUT = "combiner_output"


def _keeps_sequence(feature) -> bool:
    encoder = getattr(feature, "encoder_obj", None)
    reduce_output = getattr(getattr(encoder, "config", None), "reduce_output", "sum")
    feature_type = getattr(getattr(feature, "config", None), "type", None)
    return feature_type in SEQUENCE_INPUT_TYPES and reduce_output in (None, "none")


def _sequence_length(feature) -> int | None:
    """Number of steps the feature's encoder outputs, when the encoder tells."""
    encoder = feature.encoder_obj
    for owner, attribute in (
        (encoder, "output_sequence_length"),
        (encoder, "max_sequence_length"),
        (getattr(encoder, "reducer", None), "max_sequence_length"),
    ):
        value = getattr(owner, attribute, None)
        if value is not None:
            return int(value)
    return None


@combiner_registry.register("sequence_concat")
class SequenceConcatCombiner(nn.Module):
    """Concatenates along the hidden axis, at every step of the main sequence, the outputs of all inputs.

    Sequence outputs (``[batch, time, hidden]``) are padded with zeros or truncated to the main sequence's
    steps; vector outputs (``[batch, hidden]``) are repeated at every step. The main sequence comes first,
    then the others in input order. ``reduce_output`` then reduces the steps (None keeps them), skipping the
    main sequence's padding when its encoder reports its real-step mask (``encoder_output_mask``).

    Args:
        config: the ``combiner`` section.
        input_sizes: output size (last axis) of each input feature's encoder, in input order.
        input_features: the input feature modules by name, used to pick the main sequence and its length.
    """

    needs_input_features = True

    def __init__(self, config, input_sizes: dict[str, int], input_features: dict[str, Any] | None = None):
        super().__init__()
        self.config = config
        self.main_sequence_feature = config.main_sequence_feature
        self.sequence_length = None
        if input_features is not None:
            candidates = [
                name for name in input_sizes if name in input_features and _keeps_sequence(input_features[name])
            ]
            main = self.main_sequence_feature
            if main is None:
                if not candidates:
                    raise ValueError(
                        f"combiner.main_sequence_feature: the {config.type} combiner needs an input feature of "
                        f"type {'/'.join(SEQUENCE_INPUT_TYPES)} whose encoder has `reduce_output: null`; "
                        "this model has none."
                    )
                main = candidates[0]
            elif main not in candidates:
                raise ValueError(
                    f"combiner.main_sequence_feature: {main!r} does not output a sequence; expected one of "
                    f"{candidates} (sequence-like inputs whose encoder has `reduce_output: null`)."
                )
            self.main_sequence_feature = main
            self.sequence_length = _sequence_length(input_features[main])
        self.concat_size = sum(input_sizes.values())
        self.reducer = SequenceReducer(config.reduce_output, self.sequence_length, self.concat_size)
        if self.reducer.reduce_mode is not None and self.reducer.output_size is None:
            raise ValueError(
                "combiner.reduce_output: 'concat' needs the length of the main sequence, which its encoder "
                "does not report."
            )
        self.output_size = self.reducer.output_size or self.concat_size

    def _main_name(self, encoder_outputs: dict[str, dict[str, Any]]) -> str:
        if self.main_sequence_feature is not None:
            return self.main_sequence_feature
        for name, outputs in encoder_outputs.items():  # built without the input features: first sequence
            if outputs[ENCODER_OUTPUT].dim() == 3:
                return name
        raise ValueError(
            f"combiner.main_sequence_feature: no input hands the {self.config.type} combiner a sequence "
            "[batch, time, hidden]; set `reduce_output: null` on a sequence-like input's encoder."
        )

    def concatenate(self, encoder_outputs: dict[str, dict[str, Any]]) -> tuple[torch.Tensor, torch.Tensor | None, str]:
        """The unreduced ``[batch, main time, sum of hidden sizes]`` tensor, the main sequence's real-step mask
        (when its encoder gives one) and the main feature's name."""
        main_name = self._main_name(encoder_outputs)
        main = encoder_outputs[main_name][ENCODER_OUTPUT]
        if main.dim() != 3:
            raise ValueError(
                f"combiner.main_sequence_feature: {main_name!r} outputs shape {tuple(main.shape)}, not a sequence "
                "[batch, time, hidden]; set `reduce_output: null` on its encoder."
            )
        steps = main.shape[1]
        parts = [main]
        for name, outputs in encoder_outputs.items():
            if name == main_name:
                continue
            hidden = outputs[ENCODER_OUTPUT]
            if hidden.dim() == 3:
                if hidden.shape[1] > steps:
                    hidden = hidden[:, :steps]
                elif hidden.shape[1] < steps:
                    hidden = F.pad(hidden, (0, 0, 0, steps - hidden.shape[1]))
            else:
                hidden = hidden.reshape(hidden.shape[0], -1).unsqueeze(1).expand(-1, steps, -1)
            parts.append(hidden.to(main.dtype))
        mask = encoder_outputs[main_name].get(ENCODER_OUTPUT_MASK)
        if mask is not None and mask.shape != main.shape[:2]:
            mask = None
        return torch.cat(parts, dim=-1), mask, main_name

    def forward(self, encoder_outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        hidden, mask, main_name = self.concatenate(encoder_outputs)
        result = {COMBINER_OUTPUT: self.reducer(hidden, mask)}
        if len(encoder_outputs) == 1 and ENCODER_OUTPUT_STATE in encoder_outputs[main_name]:
            result[ENCODER_OUTPUT_STATE] = encoder_outputs[main_name][ENCODER_OUTPUT_STATE]
        return result


@combiner_registry.register("sequence")
class SequenceCombiner(nn.Module):
    """`sequence_concat` (unreduced), then the configured sequence encoder over the combined steps.

    The encoder reads the combined steps as float vectors (no embedding), masked like the main sequence, and
    reduces them with the combiner's ``reduce_output``.
    """

    needs_input_features = True

    def __init__(self, config, input_sizes: dict[str, int], input_features: dict[str, Any] | None = None):
        super().__init__()
        self.config = config
        concat_config = copy.copy(config)
        concat_config.reduce_output = None
        self.concat = SequenceConcatCombiner(concat_config, input_sizes, input_features)
        encoder_config = copy.deepcopy(config.encoder)
        encoder_config.reduce_output = config.reduce_output
        metadata = {"max_sequence_length": self.concat.sequence_length, "encoding_size": self.concat.output_size}
        encoder_cls = encoder_registry.for_type(SEQUENCE)[encoder_config.type]
        self.encoder = encoder_cls(encoder_config, self.concat.output_size, metadata)
        self.output_size = self.encoder.output_size

    def forward(self, encoder_outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        hidden, mask, _ = self.concat.concatenate(encoder_outputs)
        encoded = self.encoder(hidden, mask=mask)
        result = {COMBINER_OUTPUT: encoded[ENCODER_OUTPUT]}
        if ENCODER_OUTPUT_STATE in encoded:
            result[ENCODER_OUTPUT_STATE] = encoded[ENCODER_OUTPUT_STATE]
        return result
