"""Field groups shared by several sections (fully connected stacks, feature preprocessing basics)."""

from __future__ import annotations

from typing import Any

from ludwig.schema import utils as su

ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "leakyRelu", "gelu", "selu", "softplus", "linear", None]
NORMS = ["batch", "layer", "ghost", None]
INITIALIZERS = [
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "uniform",
    "normal",
    "constant",
    "zeros",
    "ones",
    "orthogonal",
    "identity",
]
REDUCE_OPTIONS = ["sum", "mean", "avg", "max", "concat", "last", "attention", "none", None]


@su.config_class
class LayerOverridesConfig(su.BaseConfig):
    """The keys every per-layer entry (``fc_layers``, ``conv_layers``) may set; what is unset is inherited."""

    use_bias: bool | None = su.Boolean(None, allow_none=True, description="Whether the layer has a bias.")
    weights_initializer: str | None = su.StringOptions(INITIALIZERS, None, allow_none=True, description="Weights.")
    bias_initializer: str | None = su.StringOptions(INITIALIZERS, None, allow_none=True, description="Bias.")
    norm: str | None = su.StringOptions(NORMS, None, allow_none=True, description="Normalization.")
    norm_params: dict | None = su.Dict(None, allow_none=True, description="Parameters of the normalization.")
    activation: str | None = su.StringOptions(ACTIVATIONS, None, allow_none=True, description="Activation.")
    dropout: float | None = su.FloatRange(None, allow_none=True, description="Dropout probability.")


@su.config_class
class FCLayerConfig(LayerOverridesConfig):
    """One entry of ``fc_layers``: what that layer sets differently from the stack (unset keys are inherited)."""

    output_size: int | None = su.PositiveInteger(None, allow_none=True, max=su.MAX_WIDTH, description="Units.")


def FCLayers(description: str = "Per-layer dicts overriding the stack defaults.") -> Any:
    """The ``fc_layers`` field: per-layer overrides of a fully connected stack, each checked key by key."""
    return su.LayerList(FCLayerConfig, description=description)


def _fc_stack_fields(prefix: str, output_size: int) -> list[tuple[str, Any, Any]]:
    """Fields of a fully connected stack; per-layer keys take ``prefix`` (decoders write ``fc_output_size``)."""
    return [
        ("fc_layers", list | None, FCLayers()),
        (
            "num_fc_layers",
            int,
            su.NonNegativeInteger(0, description="Number of stacked fully connected layers.", max=su.MAX_LAYERS),
        ),
        (
            f"{prefix}output_size",
            int,
            su.PositiveInteger(output_size, description="Output size of each layer.", max=su.MAX_WIDTH),
        ),
        (f"{prefix}use_bias", bool, su.Boolean(True, description="Whether the layers use a bias vector.")),
        (
            f"{prefix}weights_initializer",
            str,
            su.StringOptions(INITIALIZERS, "xavier_uniform", description="Initializer of the weight matrices."),
        ),
        (
            f"{prefix}bias_initializer",
            str,
            su.StringOptions(INITIALIZERS, "zeros", description="Initializer of the bias vectors."),
        ),
        (
            f"{prefix}norm",
            str | None,
            su.StringOptions(NORMS, None, allow_none=True, description="Normalization after each layer."),
        ),
        (
            f"{prefix}norm_params",
            dict | None,
            su.Dict(None, allow_none=True, description="Parameters of the normalization layer."),
        ),
        (
            f"{prefix}activation",
            str | None,
            su.StringOptions(ACTIVATIONS, "relu", allow_none=True, description="Activation after each layer."),
        ),
        (f"{prefix}dropout", float, su.FloatRange(0.0, description="Dropout probability after each layer.")),
    ]


FCStackConfig = su.make_config_class("FCStackConfig", _fc_stack_fields("fc_", 256))
FCStackConfig.__doc__ = "Fully connected stack options, ``fc_``-prefixed (decoders, combiners)."
FCStackConfig.__module__ = __name__

CombinerFCConfig = su.make_config_class("CombinerFCConfig", _fc_stack_fields("", 256))
CombinerFCConfig.__doc__ = "Fully connected stack options as the concat-style combiners name them."
CombinerFCConfig.__module__ = __name__
