"""Config section of the category_distribution output feature: targets are probability vectors over a vocab."""

from __future__ import annotations

from ludwig.constants import CATEGORY_DISTRIBUTION
from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.decoders.base import DecoderField
from ludwig.schema.features.base import BaseOutputFeatureConfig, output_feature_config_registry
from ludwig.schema.features.loss import LossField
from ludwig.schema.features.preprocessing import PreprocessingField


@output_feature_config_registry.register(CATEGORY_DISTRIBUTION)
@su.config_class
class CategoryDistributionOutputFeatureConfig(BaseOutputFeatureConfig):
    """A softmax over ``preprocessing.vocab`` trained against target distributions (soft labels)."""

    type: str = su.ProtectedString(CATEGORY_DISTRIBUTION)
    preprocessing: su.BaseConfig = PreprocessingField(CATEGORY_DISTRIBUTION, output=True)
    decoder: su.BaseConfig = DecoderField(CATEGORY_DISTRIBUTION)
    loss: su.BaseConfig = LossField(CATEGORY_DISTRIBUTION)
    top_k: int = su.PositiveInteger(3, description="k of the hits_at_k metric.", max=su.MAX_WIDTH)
    calibration: bool = su.Boolean(False, description="Fit temperature scaling on the validation set.")


@register_config_check
def check_category_distribution_vocab(config) -> list[str]:
    """A category_distribution output needs ``preprocessing.vocab``: the labels of its target vectors' entries."""
    errors = []
    for i, feature in enumerate(config.output_features):
        if feature.type == CATEGORY_DISTRIBUTION and not feature.preprocessing.vocab:
            errors.append(
                f"output_features[{i}].preprocessing.vocab: found {feature.preprocessing.vocab!r}; a "
                f"{CATEGORY_DISTRIBUTION} output ({feature.name!r}) needs the list of its class labels, one per "
                "entry of the target vectors."
            )
    return errors
