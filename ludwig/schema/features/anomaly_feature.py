"""Config section of the anomaly output feature (Deep One-Class Classification)."""

from __future__ import annotations

from ludwig.constants import ANOMALY
from ludwig.schema import utils as su
from ludwig.schema.decoders.base import DecoderField
from ludwig.schema.features.base import BaseOutputFeatureConfig, output_feature_config_registry
from ludwig.schema.features.loss import LossField
from ludwig.schema.features.preprocessing import PreprocessingField


@output_feature_config_registry.register(ANOMALY)
@su.config_class
class AnomalyOutputFeatureConfig(BaseOutputFeatureConfig):
    """An anomaly score ``||z - c||^2`` per row (the squared distance of the latent vector to the hypersphere
    centre) and a boolean prediction ``score >= threshold``. Labels: 0 normal, 1 anomaly, -1 unlabeled."""

    type: str = su.ProtectedString(ANOMALY)
    preprocessing: su.BaseConfig = PreprocessingField(ANOMALY, output=True)
    decoder: su.BaseConfig = DecoderField(ANOMALY)
    loss: su.BaseConfig = LossField(ANOMALY)
    threshold: float | str = su.FloatOrAuto(
        "auto",
        min=0.0,
        description="Score from which a row is predicted anomalous; `auto` sets it after training to the "
        "threshold_percentile-th percentile of the validation set's scores.",
    )
    threshold_percentile: float = su.Float(
        95.0,
        min=0.0,
        max=100.0,
        description="With threshold `auto`: the percentile of the validation scores used as threshold (95 flags "
        "5% of the validation rows).",
    )
