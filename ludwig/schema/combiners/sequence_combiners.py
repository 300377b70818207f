"""Config sections of the `sequence_concat` and `sequence` combiners, and their cross-field check."""

from __future__ import annotations

from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.combiners.base import combiner_config_registry
from ludwig.schema.common_fields import REDUCE_OPTIONS
from ludwig.schema.encoders.sequence_encoders import sequence_encoder_config_registry

# Input types whose encoders can keep the time axis (``reduce_output: null``).
SEQUENCE_INPUT_TYPES = ("sequence", "text", "timeseries", "audio")
_UNREDUCED = (None, "none")


@combiner_config_registry.register("sequence_concat")
@su.config_class
class SequenceConcatCombinerConfig(su.BaseConfig):
    """Concatenates, step by step, the sequence outputs of the inputs with the main sequence's; vector outputs
    are repeated at every step."""

    type: str = su.ProtectedString("sequence_concat")
    main_sequence_feature: str | None = su.String(
        None,
        allow_none=True,
        description="Input feature whose steps the others are aligned to (a sequence, text or timeseries input "
        "whose encoder has `reduce_output: null`); by default the first such input.",
    )
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        None,
        allow_none=True,
        description="How the combined sequence is reduced; None keeps it [batch, time, hidden].",
    )


@combiner_config_registry.register("sequence")
@su.config_class
class SequenceCombinerConfig(SequenceConcatCombinerConfig):
    """`sequence_concat` followed by a sequence encoder over the combined steps."""

    type: str = su.ProtectedString("sequence")
    encoder: su.BaseConfig = su.TypeSelection(
        sequence_encoder_config_registry,
        "parallel_cnn",
        description="Sequence encoder applied to the combined steps; selected by `type`. Its `reduce_output` "
        "is replaced by the combiner's.",
    )


def sequence_inputs(config) -> list[str]:
    """Names of the input features that hand the combiner a sequence (sequence-like, unreduced encoder)."""
    return [
        f.name
        for f in config.input_features
        if f.type in SEQUENCE_INPUT_TYPES and getattr(f.encoder, "reduce_output", "sum") in _UNREDUCED
    ]


@register_config_check
def check_sequence_combiner(config) -> list[str]:
    """``combiner.main_sequence_feature`` must name (or there must be) an input that keeps its sequence."""
    combiner = config.combiner
    if combiner.type not in ("sequence_concat", "sequence"):
        return []
    candidates = sequence_inputs(config)
    main = combiner.main_sequence_feature
    if main is None:
        if candidates:
            return []
        return [
            f"combiner.main_sequence_feature: the {combiner.type} combiner needs an input feature of type "
            f"{'/'.join(SEQUENCE_INPUT_TYPES)} whose encoder has `reduce_output: null`; this config has none."
        ]
    names = [f.name for f in config.input_features]
    if main not in names:
        return [f"combiner.main_sequence_feature: {main!r} is not an input feature; expected one of {candidates}."]
    if main not in candidates:
        return [
            f"combiner.main_sequence_feature: {main!r} does not output a sequence; it must be a "
            f"{'/'.join(SEQUENCE_INPUT_TYPES)} input whose encoder has `reduce_output: null` "
            f"(inputs that do: {candidates})."
        ]
    return []
