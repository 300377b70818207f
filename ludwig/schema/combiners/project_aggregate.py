"""Config section of the `project_aggregate` combiner."""

from __future__ import annotations

from ludwig.schema import utils as su
from ludwig.schema.combiners.base import combiner_config_registry
from ludwig.schema.common_fields import CombinerFCConfig


@combiner_config_registry.register("project_aggregate")
@su.config_class
class ProjectAggregateCombinerConfig(CombinerFCConfig):
    """Projects every input feature to `projection_size`, averages the projections, then applies a fully
    connected stack."""

    type: str = su.ProtectedString("project_aggregate")
    projection_size: int = su.PositiveInteger(
        128, max=su.MAX_WIDTH, description="Size every input feature is projected to before the average."
    )
    residual: bool = su.Boolean(True, description="Add residual connections between the FC layers.")
    num_fc_layers: int = su.NonNegativeInteger(
        2, max=su.MAX_LAYERS, description="Number of fully connected layers after the average."
    )
    output_size: int = su.PositiveInteger(128, max=su.MAX_WIDTH, description="Output size of each FC layer.")
    norm: str = su.StringOptions(["batch", "layer"], "layer", description="Normalization of each FC layer.")
