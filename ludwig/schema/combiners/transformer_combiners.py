"""Config sections of the combiners that run self-attention over one token per input feature:
`ft_transformer`, `transformer` and `tabtransformer`."""

from __future__ import annotations

from typing import Any

from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.combiners.base import combiner_config_registry
from ludwig.schema.common_fields import ACTIVATIONS, INITIALIZERS, NORMS, REDUCE_OPTIONS, FCLayers


def _transformer_fields() -> list[tuple[str, Any, Any]]:
    """Fields shared by the transformer combiners: the transformer stack, then the FC stack after it."""
    return [
        ("dropout", float, su.FloatRange(0.1, description="Dropout inside every transformer block.")),
        (
            "transformer_output_size",
            int,
            su.NonNegativeInteger(
                256, max=su.MAX_WIDTH, description="Inner size of the feed-forward layer of every transformer block."
            ),
        ),
        (
            "hidden_size",
            int,
            su.NonNegativeInteger(
                256,
                max=su.MAX_WIDTH,
                description="Size every input feature is projected to, and the width of the transformer stack; "
                "divisible by `num_heads`.",
            ),
        ),
        ("num_layers", int, su.PositiveInteger(1, max=su.MAX_LAYERS, description="Number of transformer blocks.")),
        (
            "num_heads",
            int,
            su.NonNegativeInteger(8, max=su.MAX_LAYERS, description="Attention heads of every transformer block."),
        ),
        ("use_bias", bool, su.Boolean(True, description="Whether the FC layers use a bias vector.")),
        (
            "bias_initializer",
            str,
            su.StringOptions(INITIALIZERS, "zeros", description="Initializer of the FC layers' bias vectors."),
        ),
        (
            "weights_initializer",
            str,
            su.StringOptions(INITIALIZERS, "xavier_uniform", description="Initializer of the FC layers' weights."),
        ),
        (
            "num_fc_layers",
            int,
            su.NonNegativeInteger(
                0, max=su.MAX_LAYERS, description="Number of fully connected layers after the transformer stack."
            ),
        ),
        ("output_size", int, su.PositiveInteger(256, max=su.MAX_WIDTH, description="Units of each FC layer.")),
        ("norm", str | None, su.StringOptions(NORMS, None, allow_none=True, description="Normalization of FC layers.")),
        ("norm_params", dict | None, su.Dict(None, allow_none=True, description="Parameters of the normalization.")),
        ("fc_layers", list | None, FCLayers()),
        ("fc_dropout", float, su.FloatRange(0.0, description="Dropout after each FC layer.")),
        (
            "fc_activation",
            str | None,
            su.StringOptions(ACTIVATIONS, "relu", allow_none=True, description="Activation of each FC layer."),
        ),
        ("fc_residual", bool, su.Boolean(False, description="Add residual connections between the FC layers.")),
    ]


TransformerOptionsConfig = su.make_config_class("TransformerOptionsConfig", _transformer_fields())
TransformerOptionsConfig.__doc__ = "Transformer stack and FC stack options shared by the transformer combiners."
TransformerOptionsConfig.__module__ = __name__


@combiner_config_registry.register("ft_transformer")
@su.config_class
class FTTransformerCombinerConfig(TransformerOptionsConfig):
    """FT-Transformer (Gorishniy et al., 2021): every input feature becomes one token, a learned [CLS] token is
    prepended, and the [CLS] token's output after the transformer stack is the combined vector. Ludwig 0.17's
    default combiner for configs with three or more input features and no `combiner` section."""

    type: str = su.ProtectedString("ft_transformer")


@combiner_config_registry.register("transformer")
@su.config_class
class TransformerCombinerConfig(TransformerOptionsConfig):
    """Every input feature becomes one token; the transformer stack's outputs are reduced to one vector."""

    type: str = su.ProtectedString("transformer")
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        "mean",
        allow_none=True,
        description="How the tokens are reduced after the transformer stack; None keeps [batch, features, hidden].",
    )


@combiner_config_registry.register("tabtransformer")
@su.config_class
class TabTransformerCombinerConfig(TransformerOptionsConfig):
    """TabTransformer (Huang et al., 2020): the transformer stack contextualises the category-like inputs; its
    tokens are reduced and concatenated with the layer-normalised numeric inputs."""

    type: str = su.ProtectedString("tabtransformer")
    embed_input_feature_name: str | int | None = su.IntegerOrAuto(
        None,
        allow_none=True,
        extra=("add",),
        description="Add an embedding of each input feature's identity to its token: `add` (of `hidden_size`), "
        "an integer size smaller than `hidden_size` (concatenated), or null for none.",
    )
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        "concat",
        allow_none=True,
        description="How the transformer's tokens are reduced; None keeps one vector per category-like input.",
    )


@register_config_check
def check_transformer_sizes(config) -> list[str]:
    """``hidden_size`` must split evenly across the heads; an embedding size must fit inside ``hidden_size``."""
    combiner = config.combiner
    if not isinstance(combiner, TransformerOptionsConfig):
        return []
    errors = []
    if combiner.num_heads == 0 or combiner.hidden_size % combiner.num_heads:
        errors.append(
            f"combiner.num_heads: hidden_size {combiner.hidden_size} must be divisible by num_heads, "
            f"found {combiner.num_heads}."
        )
    embed = getattr(combiner, "embed_input_feature_name", None)
    if isinstance(embed, int) and embed >= combiner.hidden_size:
        errors.append(
            f"combiner.embed_input_feature_name: an embedding size must be smaller than hidden_size "
            f"({combiner.hidden_size}), found {embed}."
        )
    return errors
