"""Config sections of the timeseries-only encoders ``patchtst`` and ``nbeats`` (keys and defaults of Ludwig 0.17)."""

from __future__ import annotations

from ludwig.constants import TIMESERIES
from ludwig.schema import utils as su
from ludwig.schema.encoders.base import encoder_config_registry


@encoder_config_registry.register("patchtst", [TIMESERIES])
@su.config_class
class PatchTSTConfig(su.BaseConfig):
    """PatchTST (Nie et al., 2023): the series is cut into patches, each embedded, then a transformer encoder."""

    type: str = su.ProtectedString("patchtst")
    patch_size: int = su.PositiveInteger(16, description="Number of time steps per patch.", max=su.MAX_WIDTH)
    patch_stride: int = su.PositiveInteger(
        8, description="Steps between the starts of consecutive patches (< patch_size: overlapping).", max=su.MAX_WIDTH
    )
    d_model: int = su.PositiveInteger(128, description="Hidden size of the transformer.", max=su.MAX_WIDTH)
    num_heads: int = su.PositiveInteger(8, description="Attention heads (must divide d_model).", max=su.MAX_WIDTH)
    num_layers: int = su.PositiveInteger(3, description="Number of transformer encoder layers.", max=su.MAX_LAYERS)
    ffn_dim: int = su.PositiveInteger(
        256, description="Feed-forward width inside the transformer layers.", max=su.MAX_WIDTH
    )
    dropout: float = su.FloatRange(0.1, description="Dropout probability.")
    output_size: int = su.PositiveInteger(256, description="Size of the pooled output.", max=su.MAX_WIDTH)
    reduce_output: str = su.StringOptions(
        ["mean", "last", "first"], "mean", description="How the patch representations are pooled."
    )


@encoder_config_registry.register("nbeats", [TIMESERIES])
@su.config_class
class NBEATSConfig(su.BaseConfig):
    """N-BEATS (Oreshkin et al., 2020): MLP blocks with doubly residual stacking (backcast and forecast)."""

    type: str = su.ProtectedString("nbeats")
    num_stacks: int = su.PositiveInteger(2, description="Number of stacks.", max=su.MAX_LAYERS)
    num_blocks: int = su.PositiveInteger(3, description="Number of blocks per stack.", max=su.MAX_LAYERS)
    num_layers: int = su.PositiveInteger(4, description="Fully connected layers per block.", max=su.MAX_LAYERS)
    layer_size: int = su.PositiveInteger(256, description="Width of the layers of each block.", max=su.MAX_WIDTH)
    output_size: int = su.PositiveInteger(256, description="Size of the output representation.", max=su.MAX_WIDTH)
    dropout: float = su.FloatRange(0.0, description="Dropout inside the blocks.")
