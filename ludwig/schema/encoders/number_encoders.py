"""Encoder config sections of number inputs beyond passthrough/dense: ``ple``, ``periodic`` and ``bins``.

From Gorishniy et al., "On Embeddings for Numerical Features in Tabular Deep Learning" (NeurIPS 2022).
``ple`` and ``bins`` cut the (normalized) input range into ``num_bins`` bins. Their edges are the quantiles of
the training split's normalized values, computed once by preprocessing and saved in the feature's
``training_set_metadata`` under the key named by ``bin_edges_key`` (which is also the config key that can
give the edges explicitly instead).
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError

from ludwig.constants import NUMBER
from ludwig.schema import utils as su
from ludwig.schema.encoders.base import encoder_config_registry


def _bin_edges_field(encoder: str) -> Any:
    return su.List(
        default=None,
        allow_none=True,
        description=(
            f"num_bins + 1 non-decreasing edges of the {encoder} bins, in the normalized space the encoder sees; "
            "null: the quantiles of the training split, computed in preprocessing."
        ),
    )


class _BinnedEncoderConfig(su.BaseConfig):
    """Shared check of the encoders whose bins have edges: explicit edges must fit ``num_bins``."""

    #: Key of the edges in the config section and in the feature's training_set_metadata.
    bin_edges_key: ClassVar[str]
    num_bins: int

    def __post_init__(self) -> None:
        edges = getattr(self, self.bin_edges_key)
        if edges is None:
            return
        try:
            edges = [su.finite_number(edge) for edge in edges]
        except ValidationError as e:
            raise ValidationError({self.bin_edges_key: e.messages}) from None
        problem = None
        if len(edges) != self.num_bins + 1:
            problem = f"needs num_bins + 1 = {self.num_bins + 1} edges, found {len(edges)}"
        elif any(right < left for left, right in zip(edges, edges[1:])):
            problem = "must be non-decreasing"
        if problem:
            raise ValidationError({self.bin_edges_key: [f"The bin edges {problem}: {edges!r}."]})
        setattr(self, self.bin_edges_key, edges)


@encoder_config_registry.register("ple", [NUMBER])
@su.config_class
class PLEEncoderConfig(_BinnedEncoderConfig):
    """Piecewise linear encoding: per bin, how far the value is through it (0 before, 1 past), then a linear layer."""

    bin_edges_key: ClassVar[str] = "ple_bin_edges"

    type: str = su.ProtectedString("ple")
    num_bins: int = su.PositiveInteger(64, description="Number of quantile bins.", max=su.MAX_WIDTH)
    output_size: int = su.PositiveInteger(256, description="Size of the output embedding.", max=su.MAX_WIDTH)
    ple_bin_edges: list | None = _bin_edges_field("ple")


@encoder_config_registry.register("periodic", [NUMBER])
@su.config_class
class PeriodicEncoderConfig(su.BaseConfig):
    """Learned sinusoids ``sin(2*pi*f*x + phi)`` of the value, then a linear layer."""

    type: str = su.ProtectedString("periodic")
    num_frequencies: int = su.PositiveInteger(
        64, description="Number of learned frequencies (and phases).", max=su.MAX_WIDTH
    )
    output_size: int = su.PositiveInteger(256, description="Size of the output embedding.", max=su.MAX_WIDTH)
    sigma: float = su.Float(1.0, description="Standard deviation of the normal initialisation of the frequencies.")


@encoder_config_registry.register("bins", [NUMBER])
@su.config_class
class BinsEncoderConfig(_BinnedEncoderConfig):
    """The value's bin (equal-frequency bins of the training split), as a learned embedding per bin."""

    bin_edges_key: ClassVar[str] = "bins_bin_edges"

    type: str = su.ProtectedString("bins")
    num_bins: int = su.PositiveInteger(32, description="Number of bins.", max=su.MAX_WIDTH)
    output_size: int = su.PositiveInteger(256, description="Size of each bin's embedding.", max=su.MAX_WIDTH)
    bins_bin_edges: list | None = _bin_edges_field("bins")
