"""Combiner config sections, registered by name."""

from __future__ import annotations

from ludwig.schema import utils as su
from ludwig.schema.common_fields import CombinerFCConfig
from ludwig.utils.registry import Registry

combiner_config_registry: Registry = Registry("combiner")


def CombinerField() -> su.BaseConfig:
    return su.TypeSelection(
        combiner_config_registry,
        "concat",
        description="How encoder outputs are combined; selected by `type`. Without a `combiner` section, "
        "a model with three or more input features gets `ft_transformer` (Ludwig 0.17's rule), otherwise `concat`.",
    )


@combiner_config_registry.register("concat")
@su.config_class
class ConcatCombinerConfig(CombinerFCConfig):
    """Concatenates the encoder outputs, then applies an optional fully connected stack."""

    type: str = su.ProtectedString("concat")
    flatten_inputs: bool = su.Boolean(False, description="Flatten inputs of rank > 2 before concatenating.")
    residual: bool = su.Boolean(False, description="Add residual connections between the FC layers.")
