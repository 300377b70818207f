"""Config sections of the combiners that fuse one token per input feature: `cross_attention`, `gated_fusion`,
`perceiver` and `hypernetwork` (Ludwig 0.17's keys and defaults)."""

from __future__ import annotations

from typing import Any

from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.combiners.base import combiner_config_registry
from ludwig.schema.common_fields import ACTIVATIONS, REDUCE_OPTIONS, CombinerFCConfig

#: Widest hypernetwork projection: its generator outputs ``hidden_size ** 2`` weights per row.
MAX_HYPERNETWORK_WIDTH = 4096


def _dropout(description: str) -> Any:
    """A dropout probability field, 0.1 by default (the fusion combiners' shared default)."""
    return su.FloatRange(0.1, description=description)


@combiner_config_registry.register("cross_attention")
@su.config_class
class CrossAttentionCombinerConfig(CombinerFCConfig):
    """Every input feature becomes a token that queries the tokens of all the other features with multi-head
    cross-attention; the attended tokens, concatenated, go through the FC stack."""

    type: str = su.ProtectedString("cross_attention")
    hidden_size: int = su.PositiveInteger(
        256,
        max=su.MAX_WIDTH,
        description="Size every input feature is projected to, and the width of the attention; divisible by "
        "`num_heads`.",
    )
    num_heads: int = su.PositiveInteger(8, max=su.MAX_LAYERS, description="Attention heads of each layer.")
    num_layers: int = su.PositiveInteger(
        1, max=su.MAX_LAYERS, description="Number of stacked cross-attention layers, each feeding the next."
    )
    dropout: float = _dropout("Dropout on the attention weights and after each FC layer.")


@combiner_config_registry.register("gated_fusion")
@su.config_class
class GatedFusionCombinerConfig(CombinerFCConfig):
    """Every input feature's token gets a projection of the other features' tokens added through a learned
    tanh gate that starts closed (Flamingo-style gated fusion); the tokens, concatenated, go through the FC stack."""

    type: str = su.ProtectedString("gated_fusion")
    hidden_size: int = su.PositiveInteger(
        256, max=su.MAX_WIDTH, description="Size every input feature is projected to before gating."
    )
    dropout: float = _dropout("Dropout after each FC layer.")


@combiner_config_registry.register("perceiver")
@su.config_class
class PerceiverCombinerConfig(CombinerFCConfig):
    """Learned latent vectors cross-attend to one token per input feature, then self-attend (Perceiver IO,
    Jaegle et al., 2022); the latents are reduced and go through the FC stack."""

    type: str = su.ProtectedString("perceiver")
    num_latents: int = su.PositiveInteger(32, max=su.MAX_WIDTH, description="Number of learned latent vectors.")
    latent_dim: int = su.PositiveInteger(
        256,
        max=su.MAX_WIDTH,
        description="Width of the latents and of every feature token; divisible by `num_heads`.",
    )
    num_heads: int = su.PositiveInteger(
        8, max=su.MAX_LAYERS, description="Attention heads of the cross-attention and of each self-attention layer."
    )
    num_self_attention_layers: int = su.PositiveInteger(
        2, max=su.MAX_LAYERS, description="Transformer blocks over the latents after the cross-attention."
    )
    dropout: float = _dropout("Dropout in the attention layers and after each FC layer.")
    reduce_output: str | None = su.StringOptions(
        REDUCE_OPTIONS,
        "mean",
        allow_none=True,
        description="How the latents are reduced before the FC stack; null keeps [batch, num_latents, latent_dim] "
        "and skips the FC stack.",
    )


@combiner_config_registry.register("hypernetwork")
@su.config_class
class HyperNetworkCombinerConfig(su.BaseConfig):
    """The first input feature generates, row by row, the weight matrix applied to every other feature's token
    (HyperFusion, arXiv 2403.13319); the tokens, concatenated, go through the FC stack."""

    type: str = su.ProtectedString("hypernetwork")
    hidden_size: int = su.PositiveInteger(
        128,
        max=MAX_HYPERNETWORK_WIDTH,
        description="Size every input feature is projected to; the generator outputs hidden_size x hidden_size "
        "weights per row.",
    )
    hyper_hidden_size: int = su.PositiveInteger(
        64, max=su.MAX_WIDTH, description="Hidden width of the weight generator."
    )
    output_size: int = su.PositiveInteger(128, max=su.MAX_WIDTH, description="Output size of each FC layer.")
    num_fc_layers: int = su.NonNegativeInteger(
        0, max=su.MAX_LAYERS, description="Number of fully connected layers after the fusion."
    )
    dropout: float = _dropout("Dropout after each FC layer.")
    activation: str | None = su.StringOptions(
        ACTIVATIONS, "relu", allow_none=True, description="Activation of each FC layer."
    )


#: The field whose width the attention heads split, per combiner section.
_HEAD_SPLIT_WIDTH = {CrossAttentionCombinerConfig: "hidden_size", PerceiverCombinerConfig: "latent_dim"}


@register_config_check
def check_attention_heads(config) -> list[str]:
    """The attention width of `cross_attention` and `perceiver` must split evenly across the heads."""
    combiner = config.combiner
    width_key = _HEAD_SPLIT_WIDTH.get(type(combiner))
    if width_key is None:
        return []
    width = getattr(combiner, width_key)
    if width % combiner.num_heads:
        return [
            f"combiner.num_heads: {width_key} {width} must be divisible by num_heads, found {combiner.num_heads}; "
            f"allowed: a divisor of {width}."
        ]
    return []
