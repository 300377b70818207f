"""The ``defaults`` section: per-type sections merged into every feature of that type."""

from __future__ import annotations

from typing import Any

from ludwig.schema import utils as su
from ludwig.schema.decoders.base import DEFAULT_DECODERS, DecoderField
from ludwig.schema.encoders.base import DEFAULT_ENCODERS, EncoderField
from ludwig.schema.features.loss import LossField
from ludwig.schema.features.preprocessing import PreprocessingField

FEATURE_SECTIONS = ("preprocessing", "encoder", "decoder", "loss")


def _type_defaults_class(feature_type: str) -> type[su.BaseConfig]:
    fields: list[tuple[str, Any, Any]] = [("preprocessing", su.BaseConfig, PreprocessingField(feature_type))]
    if feature_type in DEFAULT_ENCODERS:
        fields.append(("encoder", su.BaseConfig, EncoderField(feature_type)))
    if feature_type in DEFAULT_DECODERS:
        fields.append(("decoder", su.BaseConfig, DecoderField(feature_type)))
        fields.append(("loss", su.BaseConfig, LossField(feature_type)))
    cls = su.make_config_class(f"{feature_type.title()}DefaultsConfig", fields)
    cls.__module__ = __name__
    return cls


def build_defaults_config(feature_types: list[str]) -> type[su.BaseConfig]:
    """The ``defaults`` section class with one sub-section per feature type."""
    fields = [
        (t, su.BaseConfig, su.Nested(_type_defaults_class(t), description=f"Defaults for {t} features."))
        for t in feature_types
    ]
    cls = su.make_config_class("DefaultsConfig", fields)
    cls.__module__ = __name__
    return cls
