"""Bag features: like sets, but each element is weighted by how many times it occurs in the value."""

from __future__ import annotations

from ludwig.constants import BAG
from ludwig.features.feature_registries import register_feature
from ludwig.features.set_feature import SetFeatureMixin, SetInputFeature


class BagFeatureMixin(SetFeatureMixin):
    """Vocabulary as for sets; the preprocessed column is the float32 ``[rows, vocab_size]`` matrix of counts."""

    type = BAG
    counts = True


class BagInputFeature(SetInputFeature):
    """Hands the encoder the float counts of each element."""


register_feature(BAG, BagFeatureMixin, BagInputFeature)
