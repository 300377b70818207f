"""Decoder config sections for the tabular output types."""

from __future__ import annotations

from typing import ClassVar

from ludwig.constants import (
    ANOMALY,
    BINARY,
    CATEGORY,
    CATEGORY_DISTRIBUTION,
    NUMBER,
    SEQUENCE,
    SET,
    TEXT,
    TIMESERIES,
    VECTOR,
)
from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_renderer
from ludwig.schema.common_fields import ACTIVATIONS, INITIALIZERS, CombinerFCConfig, FCStackConfig
from ludwig.utils.registry import TypedRegistry

decoder_config_registry: TypedRegistry = TypedRegistry("decoder")

DEFAULT_DECODERS = {
    BINARY: "regressor",
    NUMBER: "regressor",
    CATEGORY: "classifier",
    CATEGORY_DISTRIBUTION: "classifier",
    ANOMALY: "anomaly",
    VECTOR: "projector",
    SET: "classifier",
    SEQUENCE: "generator",
    TEXT: "generator",
    TIMESERIES: "projector",
}


def DecoderField(feature_type: str) -> su.BaseConfig:
    """The ``decoder`` section of an output feature of ``feature_type``."""
    return su.TypeSelection(
        decoder_config_registry.for_type(feature_type),
        DEFAULT_DECODERS[feature_type],
        description=f"Decoder producing the {feature_type} output; selected by `type`.",
    )


@su.config_class
class _ProjectionConfig(FCStackConfig):
    # Prefix of the keys configuring the layers of the fully connected stack the output feature runs.
    fc_prefix: ClassVar[str] = "fc_"

    use_bias: bool = su.Boolean(True, description="Whether the output projection uses a bias.")
    weights_initializer: str = su.StringOptions(
        INITIALIZERS, "xavier_uniform", description="Initializer of the output projection."
    )
    bias_initializer: str = su.StringOptions(INITIALIZERS, "zeros", description="Initializer of the output bias.")


@decoder_config_registry.register("regressor", [BINARY, NUMBER])
@su.config_class
class RegressorConfig(_ProjectionConfig):
    """A linear projection to one value (a logit for binary outputs)."""

    type: str = su.ProtectedString("regressor")


@decoder_config_registry.register("classifier", [CATEGORY, CATEGORY_DISTRIBUTION, SET])
@su.config_class
class ClassifierConfig(_ProjectionConfig):
    """A linear projection to one logit per class."""

    type: str = su.ProtectedString("classifier")


@decoder_config_registry.register("projector", [VECTOR, TIMESERIES])
@su.config_class
class ProjectorConfig(_ProjectionConfig):
    """A linear projection to the vector size, with an optional activation and clipping."""

    type: str = su.ProtectedString("projector")
    activation: str | None = su.StringOptions(
        ACTIVATIONS, None, allow_none=True, description="Activation applied to the projected vector."
    )
    multiplier: float = su.Float(1.0, description="Factor the activated output is multiplied by.")
    clip: list | None = su.List(
        default=None, allow_none=True, description="[min, max] bounds the predicted values are clipped to."
    )


@decoder_config_registry.register("anomaly", [ANOMALY])
@su.config_class
class AnomalyDecoderConfig(FCStackConfig):
    """The squared distance ``||z - c||^2`` of the FC stack's output ``z`` to the hypersphere centre ``c``: the
    anomaly score (Deep SVDD, Ruff et al., 2018). No weights of its own; ``c`` is zero until set."""

    fc_prefix: ClassVar[str] = "fc_"

    type: str = su.ProtectedString("anomaly")
    input_size: int | None = su.PositiveInteger(
        None, allow_none=True, description="Size of the latent vector; set from the FC stack, leave null."
    )


@decoder_config_registry.register("mlp_classifier", [BINARY, CATEGORY])
@su.config_class
class MLPClassifierConfig(CombinerFCConfig):
    """``num_fc_layers`` hidden layers of ``output_size`` units, then a linear projection to the logits (one for
    binary outputs, one per class for category outputs). ``use_bias`` and the initializers apply to the
    projection too; ``fc_layers`` can override the hidden layers one by one."""

    fc_prefix: ClassVar[str] = ""

    type: str = su.ProtectedString("mlp_classifier")
    num_fc_layers: int = su.NonNegativeInteger(
        1,
        description="Number of hidden layers before the projection; 0 makes this a plain linear classifier.",
        max=su.MAX_LAYERS,
    )
    calibration: str | None = su.StringOptions(
        ["temperature_scaling"],
        None,
        allow_none=True,
        description="`temperature_scaling` fits one temperature dividing the logits on the validation set after "
        "training; the same as the output feature's `calibration: true`, which it turns on.",
    )


@register_config_renderer
def set_calibration_from_the_decoder(config) -> None:
    """``decoder.calibration: temperature_scaling`` (Ludwig's mlp_classifier key) turns on the output feature's
    temperature scaling, which does exactly that."""
    for feature in config.output_features:
        if getattr(feature.decoder, "calibration", None) == "temperature_scaling":
            feature.calibration = True
