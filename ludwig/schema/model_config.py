"""``ModelConfig``: the whole validated config, with every default rendered.

``ModelConfig.from_dict`` is the single entry point turning what a user wrote (possibly in an old format) into
typed config objects. It upgrades old keys, merges the ``defaults`` section into each feature, validates every
section, runs the cross-field checks, and raises one ``ConfigValidationError`` listing every problem.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from ludwig.constants import COMBINED, INPUT_FEATURES, MODEL_ECD, OUTPUT_FEATURES
from ludwig.error import ConfigValidationError
from ludwig.globals import LUDWIG_VERSION
from ludwig.presets import PRESET_NAMES, apply_preset
from ludwig.schema import utils as su
from ludwig.schema.checks import run_config_checks, run_config_renderers, run_training_checks
from ludwig.schema.combiners.base import CombinerField
from ludwig.schema.defaults import FEATURE_SECTIONS, build_defaults_config
from ludwig.schema.encoders.text_encoders import uses_hf_encoder
from ludwig.schema.features.base import input_feature_config_registry, output_feature_config_registry
from ludwig.schema.hyperopt import HyperoptConfig, HyperoptField
from ludwig.schema.preprocessing import PreprocessingConfig
from ludwig.schema.trainer import ECDTrainerConfig
from ludwig.utils.registry import did_you_mean, import_submodules

# Schema modules register their sections on import; the feature sections must be known before `defaults`.
for _package in (
    "ludwig.schema.encoders",
    "ludwig.schema.decoders",
    "ludwig.schema.combiners",
    "ludwig.schema.features",
):
    import_submodules(_package)

MODEL_TYPES = [MODEL_ECD]
DEFAULT_COMBINER_MIN_INPUTS = 3
"""Ludwig 0.17: an ECD config with no `combiner` section and at least this many inputs gets `ft_transformer`."""

DefaultsConfig = build_defaults_config(sorted(input_feature_config_registry.keys()))


def _feature_list(registry) -> Any:
    item = su.TypeSelectionField(registry, default_type=None)
    return su.config_field(marshmallow_field=su._ListField(item), description=f"List of {registry.kind}s.")


@su.config_class
class ModelConfig(su.BaseConfig):
    """The full config of an ECD model."""

    input_features: list = _feature_list(input_feature_config_registry)
    output_features: list = _feature_list(output_feature_config_registry)
    model_type: str = su.StringOptions(MODEL_TYPES, MODEL_ECD, description="Kind of model: encoder-combiner-decoder.")
    combiner: su.BaseConfig = CombinerField()
    trainer: su.BaseConfig = su.Nested(ECDTrainerConfig, description="How the model is trained.")
    preprocessing: su.BaseConfig = su.Nested(PreprocessingConfig, description="Dataset-wide preprocessing.")
    defaults: su.BaseConfig = su.Nested(DefaultsConfig, description="Per-type defaults merged into features.")
    hyperopt: HyperoptConfig | None = HyperoptField(description="Hyperparameter search (optional).")
    backend: dict | str | None = su.Raw(None, description="Where preprocessing and training run.")
    ludwig_version: str = su.String(LUDWIG_VERSION, description="Ludwig version the config was written for.")
    preset: str | None = su.StringOptions(
        PRESET_NAMES,
        None,
        allow_none=True,
        description="Quality preset applied underneath the config (values written in the config win): "
        "`medium_quality` (concat + 2 FC layers), `high_quality` (transformer), `best_quality` (4-layer "
        "ft_transformer, model soup), `tabular_realmlp` (RealMLP-style MLP).",
    )

    @classmethod
    def from_dict(cls, config: Mapping[str, Any] | None) -> ModelConfig:
        """Upgrade, validate and render ``config``.

        Raises:
            ConfigValidationError: listing every problem with its config path.
        """
        from ludwig.utils.backward_compatibility import upgrade_config_dict_to_latest_version

        if not isinstance(config, Mapping):
            raise ConfigValidationError(f"The config must be a mapping, found {type(config).__name__}: {config!r}.")
        raw = upgrade_config_dict_to_latest_version(_with_preset(copy.deepcopy(dict(config))))
        errors = _check_top_level(raw)
        if errors:
            raise ConfigValidationError(errors=errors)
        _set_default_combiner(raw)
        if isinstance(raw.get("backend"), str):
            raw["backend"] = {"type": raw["backend"]}
        _merge_type_defaults(raw)
        try:
            model_config = super().from_dict(raw)
        except ValidationError as e:
            raise ConfigValidationError(errors=su.flatten_errors(e.messages)) from None
        errors = _cross_field_checks(model_config)
        if errors:
            raise ConfigValidationError(errors=errors)
        _render_derived_values(model_config)
        return model_config

    def check_trainable(self) -> None:
        """Check what training needs beyond a valid config (e.g. the package of a bitsandbytes optimizer).

        Raises:
            ConfigValidationError: listing each missing requirement with its config path.
        """
        errors = run_training_checks(self)
        if errors:
            raise ConfigValidationError(errors=errors)

    def get_feature(self, name: str):
        """The input or output feature section called ``name``."""
        for feature in self.input_features + self.output_features:
            if feature.name == name:
                return feature
        raise KeyError(f"No feature named {name!r}.")


def _with_preset(raw: dict) -> dict:
    """The config on top of its quality preset's defaults (applied before the upgrade, as Ludwig does)."""
    preset = raw.get("preset")
    if preset is None:
        return raw
    if not isinstance(preset, str) or preset not in PRESET_NAMES:
        raise ConfigValidationError(
            f"preset: value {preset!r} is not allowed; expected one of {PRESET_NAMES}."
            f"{did_you_mean(preset, PRESET_NAMES)}"
        )
    return apply_preset(raw, preset)


def _set_default_combiner(raw: dict) -> None:
    """Ludwig 0.17's default: an ECD config without a `combiner` section and with three or more input features
    gets the `ft_transformer` combiner; with fewer it gets `concat` (the schema default)."""
    if (
        "combiner" not in raw
        and raw.get("model_type", MODEL_ECD) == MODEL_ECD
        and len(raw[INPUT_FEATURES]) >= DEFAULT_COMBINER_MIN_INPUTS
    ):
        raw["combiner"] = {"type": "ft_transformer"}


def _check_top_level(raw: dict) -> list[str]:
    errors = []
    for key in (INPUT_FEATURES, OUTPUT_FEATURES):
        value = raw.get(key)
        if value is None:
            errors.append(f"{key}: missing; the config must list at least one {key[:-1].replace('_', ' ')}.")
        elif not isinstance(value, list) or not value:
            errors.append(f"{key}: expected a non-empty list of features, found {value!r}.")
        else:
            for i, feature in enumerate(value):
                if not isinstance(feature, Mapping):
                    errors.append(f"{key}[{i}]: expected a mapping with 'name' and 'type', found {feature!r}.")
                elif "name" not in feature:
                    errors.append(f"{key}[{i}]: missing 'name'.")
                elif "type" not in feature:
                    errors.append(f"{key}[{i}].type: missing; every feature needs a type.")
    backend = raw.get("backend")
    backend_type = backend.get("type", "local") if isinstance(backend, Mapping) else backend
    if backend is not None and not isinstance(backend_type, str):
        errors.append(
            f"backend: expected a backend name or a mapping with a 'type' name (e.g. 'local'), found {backend!r}."
        )
    model_type = raw.get("model_type", MODEL_ECD)
    if not isinstance(model_type, str) or model_type not in MODEL_TYPES:
        errors.append(
            f"model_type: value {model_type!r} is not allowed; expected one of {MODEL_TYPES}."
            f"{did_you_mean(model_type, MODEL_TYPES)}"
        )
    return errors


_SECTIONS_OF = {INPUT_FEATURES: ("preprocessing", "encoder"), OUTPUT_FEATURES: ("preprocessing", "decoder", "loss")}


def _merge_type_defaults(raw: dict) -> None:
    """Merge what the user wrote under ``defaults.<type>`` into each feature of that type (feature wins)."""
    defaults = raw.get("defaults")
    if not isinstance(defaults, Mapping):
        return
    for key in (INPUT_FEATURES, OUTPUT_FEATURES):
        for feature in raw[key]:
            feature_type = feature.get("type")
            type_defaults = defaults.get(feature_type) if isinstance(feature_type, str) else None
            if not isinstance(type_defaults, Mapping):
                continue
            for section in FEATURE_SECTIONS:
                default_section = type_defaults.get(section)
                if not isinstance(default_section, Mapping):
                    continue
                if section not in _SECTIONS_OF[key]:
                    continue
                own = feature.get(section)
                if isinstance(own, str):
                    own = {"type": own}
                if own is not None and not isinstance(own, Mapping):
                    continue  # validation reports the wrong shape
                own = dict(own or {})
                if "type" in own and "type" in default_section and own["type"] != default_section["type"]:
                    continue  # The feature chose another encoder/decoder: its defaults do not apply.
                if section == "preprocessing" and key == OUTPUT_FEATURES:
                    default_section = _output_preprocessing_keys(feature.get("type"), default_section)
                feature[section] = {**default_section, **own}


def _output_preprocessing_keys(feature_type: Any, section: Mapping) -> dict:
    """``section`` without the input-only keys (e.g. timeseries ``window_size``) an output feature lacks."""
    import dataclasses

    from ludwig.schema.features.preprocessing import output_preprocessing_config_registry

    config_cls = output_preprocessing_config_registry.get(feature_type) if isinstance(feature_type, str) else None
    if config_cls is None:
        return dict(section)
    known = {f.name for f in dataclasses.fields(config_cls)}
    return {k: v for k, v in section.items() if k in known}


def _cross_field_checks(config: ModelConfig) -> list[str]:
    errors: list[str] = []
    seen: dict[str, str] = {}
    for key in (INPUT_FEATURES, OUTPUT_FEATURES):
        for i, feature in enumerate(getattr(config, key)):
            path = f"{key}[{i}].name"
            if feature.name in seen:
                errors.append(f"{path}: duplicate feature name {feature.name!r} (also used at {seen[feature.name]}).")
            else:
                seen[feature.name] = path
    input_types = {f.name: f.type for f in config.input_features}
    for i, feature in enumerate(config.input_features):
        if feature.tied is not None and (feature.tied == feature.name or input_types.get(feature.tied) != feature.type):
            errors.append(
                f"input_features[{i}].tied: {feature.tied!r} must name another {feature.type} input feature; "
                f"{feature.type} inputs are {[n for n, t in input_types.items() if t == feature.type]}."
            )
    errors.extend(_check_tie_cycles(config))
    output_names = [f.name for f in config.output_features]
    for i, feature in enumerate(config.output_features):
        for dependency in feature.dependencies:
            if dependency not in output_names or dependency == feature.name:
                errors.append(
                    f"output_features[{i}].dependencies: {dependency!r} is not another output feature; "
                    f"expected one of {[n for n in output_names if n != feature.name]}."
                )
    preprocessing = config.preprocessing
    if preprocessing.sample_size is not None and preprocessing.sample_ratio < 1.0:
        errors.append("preprocessing: sample_ratio and sample_size are mutually exclusive; set only one.")
    if preprocessing.oversample_minority is not None and preprocessing.undersample_majority is not None:
        errors.append("preprocessing: oversample_minority and undersample_majority are mutually exclusive.")
    errors.extend(_check_validation_metric(config))
    errors.extend(_check_bucketing_field(config))
    errors.extend(run_config_checks(config))
    return errors


def _check_tie_cycles(config: ModelConfig) -> list[str]:
    tied_to = {f.name: f.tied for f in config.input_features if f.tied}
    errors = []
    for i, feature in enumerate(config.input_features):
        seen, current = {feature.name}, tied_to.get(feature.name)
        while current is not None and current not in seen:
            seen.add(current)
            current = tied_to.get(current)
        if current == feature.name and feature.tied != feature.name:
            errors.append(f"input_features[{i}].tied: tied encoders form a cycle through {feature.name!r}.")
    return errors


SEQUENCE_LIKE_TYPES = ("sequence", "text", "timeseries", "audio")


def _check_bucketing_field(config: ModelConfig) -> list[str]:
    """Bucketing groups rows of similar sequence length, so it needs a sequence-like input feature."""
    field = config.trainer.bucketing_field
    if field is None:
        return []
    allowed = [f.name for f in config.input_features if f.type in SEQUENCE_LIKE_TYPES]
    if field not in allowed:
        return [
            f"trainer.bucketing_field: {field!r} must name a {'/'.join(SEQUENCE_LIKE_TYPES)} input feature; "
            f"this config has {allowed or 'none'}."
        ]
    return []


def _check_validation_metric(config: ModelConfig) -> list[str]:
    from ludwig.schema.metrics import metric_names

    trainer = config.trainer
    output_types = {f.name: f.type for f in config.output_features}
    field = trainer.validation_field
    if field is not None and field != COMBINED and field not in output_types:
        allowed = [COMBINED, *output_types]
        return [
            f"trainer.validation_field: {field!r} is not an output feature; expected one of {allowed}."
            f"{did_you_mean(field, allowed)}"
        ]
    metric = trainer.validation_metric
    if metric is None:
        return []
    if field in (None, COMBINED) and (field == COMBINED or len(output_types) > 1):
        if metric != "loss":
            return [f"trainer.validation_metric: {metric!r} is not available for 'combined'; only 'loss' is."]
        return []
    feature_type = output_types[field or next(iter(output_types))]
    allowed = metric_names(feature_type)
    if metric not in allowed:
        return [
            f"trainer.validation_metric: {metric!r} is not a metric of {feature_type} output "
            f"{field or next(iter(output_types))!r}; expected one of {allowed}.{did_you_mean(metric, allowed)}"
        ]
    return []


def _render_derived_values(config: ModelConfig) -> None:
    """Fill the values whose defaults depend on the rest of the config."""
    from ludwig.schema.metrics import DEFAULT_VALIDATION_METRIC

    run_config_renderers(config)
    global_max_length = config.preprocessing.global_max_sequence_length
    for feature in config.input_features + config.output_features:
        if feature.column is None:
            feature.column = feature.name
        own_max_length = getattr(feature.preprocessing, "max_sequence_length", None)
        if global_max_length is not None and own_max_length:
            feature.preprocessing.max_sequence_length = min(own_max_length, global_max_length)
        feature.proc_column = f"{feature.name}_{preprocessing_hash(feature)}"
    trainer = config.trainer
    if trainer.validation_field is None:
        single = len(config.output_features) == 1
        trainer.validation_field = config.output_features[0].name if single else COMBINED
    if trainer.validation_metric is None:
        if trainer.validation_field == COMBINED:
            trainer.validation_metric = "loss"
        else:
            feature_type = config.get_feature(trainer.validation_field).type
            trainer.validation_metric = DEFAULT_VALIDATION_METRIC[feature_type]


def preprocessing_hash(feature) -> str:
    """A short hash of what determines a feature's preprocessed column (type, column, preprocessing)."""
    determined_by = {"type": feature.type, "column": feature.column, "preprocessing": feature.preprocessing.to_dict()}
    if getattr(feature.preprocessing, "cache_encoder_embeddings", False) and uses_hf_encoder(feature):
        determined_by["encoder"] = feature.encoder.to_dict()  # the column holds the encoder's outputs
    key = json.dumps(determined_by, sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:10]
