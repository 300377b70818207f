"""Config section of the `comparator` combiner and the check that its two entities partition the inputs."""

from __future__ import annotations

from marshmallow import fields

from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.combiners.base import combiner_config_registry
from ludwig.schema.common_fields import CombinerFCConfig

ENTITY_KEYS = ("entity_1", "entity_2")


@combiner_config_registry.register("comparator")
@su.config_class
class ComparatorCombinerConfig(CombinerFCConfig):
    """Encodes two groups of input features ("entities") with one FC stack each, then compares the two vectors:
    their dot product, elementwise product, absolute difference and a bilinear product."""

    type: str = su.ProtectedString("comparator")
    entity_1: list | None = su.List(
        fields.String(),
        default=None,
        allow_none=True,
        description="Names of the input features making up the first entity. Required.",
    )
    entity_2: list | None = su.List(
        fields.String(),
        default=None,
        allow_none=True,
        description="Names of the input features making up the second entity. Required.",
    )
    num_fc_layers: int = su.NonNegativeInteger(
        1,
        max=su.MAX_LAYERS,
        description="Number of fully connected layers of each entity's stack; `fc_layers`, when given, sets the "
        "depth instead. The stacks need at least one layer.",
    )


def _entity_errors(key: str, entity: list | None, input_names: list[str], claimed: dict[str, str]) -> list[str]:
    """Problems of one entity list; ``claimed`` maps each feature already placed in an entity to that key."""
    if not entity:
        return [
            f"combiner.{key}: the comparator combiner needs a non-empty list of input feature names, "
            f"found {entity!r}; choose among {input_names}."
        ]
    errors = []
    for name in entity:
        if name not in input_names:
            errors.append(f"combiner.{key}: {name!r} is not an input feature; expected one of {input_names}.")
        elif name in claimed:
            where = "twice" if claimed[name] == key else f"in combiner.{claimed[name]} as well"
            errors.append(
                f"combiner.{key}: input feature {name!r} is listed {where}; each input feature belongs "
                "to exactly one entity."
            )
        else:
            claimed[name] = key
    return errors


@register_config_check
def check_comparator_entities(config) -> list[str]:
    """``entity_1`` and ``entity_2`` are disjoint lists of input feature names that together cover every input."""
    combiner = config.combiner
    if combiner.type != "comparator":
        return []
    input_names = [f.name for f in config.input_features]
    claimed: dict[str, str] = {}
    errors = [
        error for key in ENTITY_KEYS for error in _entity_errors(key, getattr(combiner, key), input_names, claimed)
    ]
    if not combiner.fc_layers and combiner.num_fc_layers == 0:
        errors.append(
            "combiner.num_fc_layers: the comparator combiner needs at least one fully connected layer per entity, "
            "found num_fc_layers 0 and no fc_layers; set num_fc_layers >= 1 or list fc_layers."
        )
    unplaced = [name for name in input_names if name not in claimed]
    if combiner.entity_1 and combiner.entity_2 and unplaced:
        errors.append(
            f"combiner.entity_2: input features {unplaced} are in neither entity; the comparator combiner compares "
            "all of its inputs, so add each of them to combiner.entity_1 or combiner.entity_2."
        )
    return errors
