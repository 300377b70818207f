"""Decoder config sections of the sequence and text output types: generator and tagger."""

from __future__ import annotations

from ludwig.constants import SEQUENCE, TEXT
from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.decoders.base import _ProjectionConfig, decoder_config_registry

RNN_CELL_TYPES = ["rnn", "lstm", "gru"]


@decoder_config_registry.register("generator", [SEQUENCE, TEXT])
@su.config_class
class SequenceGeneratorDecoderConfig(_ProjectionConfig):
    """A recurrent decoder started from the (reduced) combiner output.

    Training feeds the target sequence shifted right by one step (teacher forcing); prediction feeds back its own
    most likely token (greedy, or beam search when ``beam_width > 1``) until every row has emitted the stop
    symbol or the target length is reached.
    """

    type: str = su.ProtectedString("generator")
    cell_type: str = su.StringOptions(RNN_CELL_TYPES, "gru", description="Type of recurrent cell to use.")
    num_layers: int = su.PositiveInteger(1, description="The number of stacked recurrent layers.", max=su.MAX_LAYERS)
    beam_width: int = su.PositiveInteger(
        1,
        description="Width of the beam searched when predicting; 1 is greedy decoding. Larger values keep the "
        "beam_width most likely partial sequences at each step.",
        max=su.MAX_WIDTH,
    )
    beam_length_penalty: float = su.NonNegativeFloat(
        1.0,
        description="Exponent of the length normalisation of beam scores: log_prob / length ** "
        "beam_length_penalty. Only used when beam_width > 1.",
    )


@decoder_config_registry.register("tagger", [SEQUENCE, TEXT])
@su.config_class
class SequenceTaggerDecoderConfig(_ProjectionConfig):
    """One classification per time step of a sequence-shaped combiner output (``reduce_input: null``)."""

    type: str = su.ProtectedString("tagger")
    use_attention: bool = su.Boolean(
        False, description="Whether to apply a multi-head self attention layer before prediction."
    )
    attention_embedding_size: int = su.PositiveInteger(
        256, description="The embedding size of the multi-head self attention layer.", max=su.MAX_WIDTH
    )
    attention_num_heads: int = su.PositiveInteger(
        8, description="The number of attention heads in the multi-head self attention layer.", max=su.MAX_LAYERS
    )


@register_config_check
def check_tagger_decoders(config) -> list[str]:
    """The tagger decoder classifies every time step, so it needs a sequence-shaped combiner output."""
    taggers = [
        i
        for i, f in enumerate(config.output_features)
        if f.type in ("sequence", "text") and getattr(f.decoder, "type", None) == "tagger"
    ]
    if not taggers:
        return []
    errors = []
    for i in taggers:
        if config.output_features[i].reduce_input not in (None, "none"):
            errors.append(
                f"output_features[{i}].reduce_input: the tagger decoder needs non-reduced sequence input; set "
                f"reduce_input to null (found {config.output_features[i].reduce_input!r})."
            )
    unreduced = [
        f.name
        for f in config.input_features
        if f.type in ("sequence", "text") and getattr(f.encoder, "reduce_output", "sum") in (None, "none")
    ]
    if not unreduced:
        errors.append(
            f"output_features[{taggers[0]}].decoder.type: the tagger decoder needs non-reduced sequence input: at "
            "least one sequence or text input feature with encoder.reduce_output null."
        )
    return errors
