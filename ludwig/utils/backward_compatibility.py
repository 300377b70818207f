"""Upgrade configs, training progress and training set metadata written by older Ludwig versions.

Config upgrades are small functions, each registered with the first Ludwig version whose config format needs it.
``upgrade_config_dict_to_latest_version`` runs, in version order, every upgrade newer than the config's
``ludwig_version`` (all of them when the key is absent) on a deep copy of the config, then stamps the current
version. Each upgrade that changes something emits a ``DeprecationWarning`` naming the old and the new key.

Every upgrade must leave a config already in the current format untouched, because user-written configs usually
carry no ``ludwig_version`` and therefore go through every upgrade. When an old key and its new replacement are both
present, the new one wins and the old one is dropped with a warning.
"""

from __future__ import annotations

import copy
import difflib
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ludwig.constants import (
    AUDIO,
    BACKEND,
    BAG,
    BFILL,
    BINARY,
    CATEGORY,
    CATEGORY_DISTRIBUTION,
    COLUMN,
    DATE,
    DECODER,
    DEFAULTS,
    ENCODER,
    FFILL,
    H3,
    HYPEROPT,
    IMAGE,
    INPUT_FEATURES,
    LOSS,
    MODEL_ECD,
    MODEL_TYPE,
    NAME,
    NUMBER,
    OUTPUT_FEATURES,
    PREPROCESSING,
    SEQUENCE,
    SET,
    SPLIT,
    TEXT,
    TIMESERIES,
    TRAINER,
    TRAINING,
    TYPE,
    VECTOR,
)
from ludwig.error import ConfigValidationError
from ludwig.globals import LUDWIG_VERSION

ConfigDict = dict[str, Any]
Version = tuple[int, int, int]
Transform = Callable[[ConfigDict], None]

LUDWIG_VERSION_KEY = "ludwig_version"
_LEGACY_NUMBER_TYPE = "numerical"
_FEATURE_TYPES = frozenset(
    {
        AUDIO, BAG, BINARY, CATEGORY, CATEGORY_DISTRIBUTION, DATE, H3, IMAGE, NUMBER, SEQUENCE, SET, TEXT,
        TIMESERIES, VECTOR, "anomaly", _LEGACY_NUMBER_TYPE,
    }
)  # fmt: skip


@dataclass(frozen=True)
class _ConfigUpgrade:
    version: Version
    transform: Transform


@dataclass(frozen=True)
class _Section:
    """A feature, or a ``defaults.<type>`` entry: both hold preprocessing, encoder, decoder and loss."""

    path: str
    feature_type: Any
    body: ConfigDict


_CONFIG_UPGRADES: list[_ConfigUpgrade] = []


def _parse_version(version: Any) -> Version:
    """Returns (major, minor, patch) of a version such as "0.6", "0.10.4" or "0.7.dev0" (suffixes ignored)."""
    match = re.match(r"\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(version))
    if match is None:
        raise ConfigValidationError(
            f"{LUDWIG_VERSION_KEY}: cannot parse {version!r}; expected a version such as '0.6' or '0.10.4'."
        )
    major, minor, patch = (int(part or 0) for part in match.groups())
    return major, minor, patch


def _upgrade(version: str) -> Callable[[Transform], Transform]:
    """Registers a config upgrade needed by configs written before Ludwig ``version``."""

    def wrap(transform: Transform) -> Transform:
        _CONFIG_UPGRADES.append(_ConfigUpgrade(_parse_version(version), transform))
        return transform

    return wrap


def upgrade_config_dict_to_latest_version(config: ConfigDict) -> ConfigDict:
    """Upgrades a config written for an older Ludwig to the current format.

    Args:
        config: a user config or a saved ``model_hyperparameters.json``; it is not modified.

    Returns:
        An upgraded deep copy of ``config`` whose ``ludwig_version`` is the current Ludwig version.

    Raises:
        ConfigValidationError: when ``ludwig_version`` is present but is not a version number.
    """
    upgraded = copy.deepcopy(config)
    from_version = _parse_version(upgraded.get(LUDWIG_VERSION_KEY, "0.0"))
    for upgrade in sorted(_CONFIG_UPGRADES, key=lambda u: u.version):
        if upgrade.version > from_version:
            upgrade.transform(upgraded)
    upgraded[LUDWIG_VERSION_KEY] = LUDWIG_VERSION
    return upgraded


# ----------------------------------------------------------------------------------------------------------------
# Helpers shared by the upgrades


def _warn(message: str) -> None:
    warnings.warn(message, DeprecationWarning, stacklevel=3)


def _rename_key(section: ConfigDict, old: str, new: str, path: str = "") -> None:
    """Moves ``section[old]`` to ``section[new]``; an existing ``section[new]`` wins over the old key.

    Args:
        section: the dict holding the keys.
        old: the deprecated key.
        new: its replacement.
        path: where ``section`` sits in the config, for the warning ("" for the top level).
    """
    if old not in section:
        return
    prefix = f"{path}." if path else ""
    value = section.pop(old)
    if new in section:
        _warn(f"`{prefix}{old}` is deprecated and ignored because `{prefix}{new}` is also set.")
    else:
        section[new] = value
        _warn(f"`{prefix}{old}` was renamed to `{prefix}{new}`.")


def _dict_at(config: ConfigDict, key: str) -> ConfigDict | None:
    """Returns ``config[key]`` when it is a non-empty dict, else None."""
    value = config.get(key)
    return value if isinstance(value, dict) and value else None


def _ensure_dict(parent: ConfigDict, key: str) -> ConfigDict:
    """Returns ``parent[key]``, first replacing a missing or non-dict value by an empty dict."""
    if not isinstance(parent.get(key), dict):
        parent[key] = {}
    return parent[key]


def _features(config: ConfigDict, list_key: str) -> Iterator[_Section]:
    features = config.get(list_key)
    if not isinstance(features, list):
        return  # validation reports the wrong shape
    for index, feature in enumerate(features):
        if isinstance(feature, dict):
            yield _Section(f"{list_key}.{feature.get(NAME, index)}", feature.get(TYPE), feature)


def _all_features(config: ConfigDict) -> Iterator[_Section]:
    yield from _features(config, INPUT_FEATURES)
    yield from _features(config, OUTPUT_FEATURES)


def _type_defaults(config: ConfigDict) -> Iterator[_Section]:
    for feature_type, section in (_dict_at(config, DEFAULTS) or {}).items():
        if isinstance(section, dict):
            yield _Section(f"{DEFAULTS}.{feature_type}", feature_type, section)


def _feature_sections(config: ConfigDict, types: tuple[str, ...] | None = None) -> Iterator[_Section]:
    """Yields every feature and every ``defaults.<type>`` entry, restricted to ``types`` when given."""
    for section in (*_all_features(config), *_type_defaults(config)):
        if types is None or section.feature_type in types:
            yield section


def _sub_dict(section: _Section, key: str) -> tuple[str, ConfigDict] | None:
    """Returns (path, dict) of ``section.body[key]`` when it is a dict, else None."""
    value = section.body.get(key)
    return (f"{section.path}.{key}", value) if isinstance(value, dict) else None


def _walk_dicts(value: Any) -> Iterator[ConfigDict]:
    """Yields every dict nested anywhere in ``value`` (lists included), ``value`` itself first."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk_dicts(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk_dicts(child)


# ----------------------------------------------------------------------------------------------------------------
# 0.4: word_ / char_ level preprocessing keys

# When several old keys map to the same new key, the first one present in this order wins.
_LEVEL_KEY_RENAMES = {
    "sequence_length_limit": "max_sequence_length",
    "word_sequence_length_limit": "max_sequence_length",
    "char_sequence_length_limit": "max_sequence_length",
    "word_most_common": "most_common",
    "char_most_common": "most_common",
    "word_tokenizer": "tokenizer",
    "char_tokenizer": "tokenizer",
    "word_vocab_file": "vocab_file",
    "char_vocab_file": "vocab_file",
}
_SEQUENCE_LIKE_TYPES = (SEQUENCE, TEXT, AUDIO, TIMESERIES)


@_upgrade("0.4")
def _rename_level_preprocessing_keys(config: ConfigDict) -> None:
    """``word_tokenizer``, ``char_most_common``, ... became ``tokenizer``, ``most_common``, ..."""
    targets = [_sub_dict(section, PREPROCESSING) for section in _feature_sections(config, _SEQUENCE_LIKE_TYPES)]
    global_preprocessing = _dict_at(config, PREPROCESSING) or {}
    targets += [
        (f"{PREPROCESSING}.{feature_type}", global_preprocessing[feature_type])
        for feature_type in _SEQUENCE_LIKE_TYPES
        if isinstance(global_preprocessing.get(feature_type), dict)
    ]
    for path, preprocessing in filter(None, targets):
        for old, new in _LEVEL_KEY_RENAMES.items():
            _rename_key(preprocessing, old, new, path)


# ----------------------------------------------------------------------------------------------------------------
# 0.5

_EXECUTOR = "executor"
_SEARCH_ALG = "search_alg"
_SAMPLER = "sampler"
_RAY = "ray"


@_upgrade("0.5")
def _rename_training_section(config: ConfigDict) -> None:
    """The ``training`` section became ``trainer``."""
    _rename_key(config, TRAINING, TRAINER)


@_upgrade("0.5")
def _rename_training_in_hyperopt_parameters(config: ConfigDict) -> None:
    """Hyperopt parameters ``training.<key>`` became ``trainer.<key>``."""
    parameters = _dict_at(_dict_at(config, HYPEROPT) or {}, "parameters") or {}
    for name in [name for name in parameters if name.startswith(f"{TRAINING}.")]:
        _rename_key(parameters, name, f"{TRAINER}.{name[len(TRAINING) + 1 :]}", f"{HYPEROPT}.parameters")


@_upgrade("0.5")
def _move_type_preprocessing_to_defaults(config: ConfigDict) -> None:
    """``preprocessing.<type>`` sections moved to ``defaults.<type>.preprocessing``; existing defaults win."""
    preprocessing = _dict_at(config, PREPROCESSING) or {}
    for key in [key for key in preprocessing if key in _FEATURE_TYPES]:
        moved = preprocessing.pop(key)
        moved = moved if isinstance(moved, dict) else {}
        if isinstance(moved.get(PREPROCESSING), dict):
            moved = moved[PREPROCESSING]
        feature_type = NUMBER if key == _LEGACY_NUMBER_TYPE else key
        type_defaults = _ensure_dict(_ensure_dict(config, DEFAULTS), feature_type)
        type_defaults[PREPROCESSING] = {**moved, **_ensure_dict(type_defaults, PREPROCESSING)}
        _warn(f"`{PREPROCESSING}.{key}` was moved to `{DEFAULTS}.{feature_type}.{PREPROCESSING}`.")
    if PREPROCESSING in config and config[PREPROCESSING] == {}:
        del config[PREPROCESSING]


@_upgrade("0.5")
def _rename_numerical_type(config: ConfigDict) -> None:
    """Feature type ``numerical`` became ``number``, in features and as a ``defaults`` key."""
    for section in _all_features(config):
        if section.feature_type == _LEGACY_NUMBER_TYPE:
            section.body[TYPE] = NUMBER
            _warn(f"`{section.path}.type: {_LEGACY_NUMBER_TYPE}` was renamed to `{NUMBER}`.")
    defaults = _dict_at(config, DEFAULTS)
    if defaults is not None:
        _rename_key(defaults, _LEGACY_NUMBER_TYPE, NUMBER, DEFAULTS)


_BIAS_RENAMES = {"bias": "use_bias", "conv_bias": "conv_use_bias", "default_bias": "default_use_bias"}


@_upgrade("0.5")
def _rename_bias_keys(config: ConfigDict) -> None:
    """``bias``, ``conv_bias`` and ``default_bias`` became ``use_bias``, ``conv_use_bias``, ``default_use_bias``."""
    for section in _feature_sections(config):
        for nested in _walk_dicts(section.body):
            for old, new in _BIAS_RENAMES.items():
                _rename_key(nested, old, new, section.path)


@_upgrade("0.5")
def _unnest_audio_feature(config: ConfigDict) -> None:
    """Audio ``preprocessing.audio_feature`` keys moved up into ``preprocessing``."""
    for section in _feature_sections(config, (AUDIO,)):
        target = _sub_dict(section, PREPROCESSING)
        if target is None or not isinstance(target[1].get("audio_feature"), dict):
            continue
        path, preprocessing = target
        nested = preprocessing.pop("audio_feature")
        preprocessing.update({key: value for key, value in nested.items() if key not in preprocessing})
        _warn(f"`{path}.audio_feature` keys were moved up into `{path}`.")


@_upgrade("0.5")
def _coerce_hyperopt_executor_to_ray(config: ConfigDict) -> None:
    """The serial, parallel and fiber hyperopt executors were dropped in favour of ``ray``."""
    executor = _dict_at(_dict_at(config, HYPEROPT) or {}, _EXECUTOR) or {}
    executor_type = executor.get(TYPE)
    if executor_type in ("serial", "parallel", "fiber"):  # ``optuna`` is a current executor, left as it is.
        executor[TYPE] = _RAY
        _warn(f"`{HYPEROPT}.{_EXECUTOR}.type: {executor_type}` is no longer supported and was replaced by `{_RAY}`.")


@_upgrade("0.5")
def _promote_search_alg(config: ConfigDict) -> None:
    """``search_alg`` moved from ``executor`` or ``sampler`` to the top of ``hyperopt``; a name becomes a dict."""
    hyperopt = _dict_at(config, HYPEROPT) or {}
    for owner_key in (_EXECUTOR, _SAMPLER):
        owner = _dict_at(hyperopt, owner_key) or {}
        if _SEARCH_ALG not in owner:
            continue
        search_alg = owner.pop(_SEARCH_ALG)
        if _SEARCH_ALG in hyperopt:
            _warn(f"`{HYPEROPT}.{owner_key}.{_SEARCH_ALG}` is ignored because `{HYPEROPT}.{_SEARCH_ALG}` is set.")
            continue
        hyperopt[_SEARCH_ALG] = {TYPE: search_alg} if isinstance(search_alg, str) else search_alg
        _warn(f"`{HYPEROPT}.{owner_key}.{_SEARCH_ALG}` was moved to `{HYPEROPT}.{_SEARCH_ALG}`.")


@_upgrade("0.5")
def _remove_hyperopt_sampler(config: ConfigDict) -> None:
    """The ``sampler`` section was removed; its ``num_samples`` and ``scheduler`` moved to ``executor``."""
    hyperopt = _dict_at(config, HYPEROPT) or {}
    if _SAMPLER not in hyperopt:
        return
    sampler = hyperopt.pop(_SAMPLER)
    sampler = sampler if isinstance(sampler, dict) else {}
    executor = hyperopt.setdefault(_EXECUTOR, {TYPE: _RAY})
    for key in ("num_samples", "scheduler"):
        if sampler.get(key) and key not in executor:
            executor[key] = sampler[key]
    _warn(f"`{HYPEROPT}.{_SAMPLER}` was removed; `num_samples` and `scheduler` now live in `{HYPEROPT}.{_EXECUTOR}`.")


@_upgrade("0.5")
def _fill_hyperopt_executor_and_search_alg(config: ConfigDict) -> None:
    """Writes out the defaults ``executor: {type: ray}`` and ``search_alg: {type: variant_generator}``.

    Nothing deprecated is involved, so no warning: these are the values the schema would fill in anyway.
    """
    hyperopt = _dict_at(config, HYPEROPT)
    if hyperopt is not None:
        hyperopt.setdefault(_EXECUTOR, {TYPE: _RAY})
        hyperopt.setdefault(_SEARCH_ALG, {TYPE: "variant_generator"})


@_upgrade("0.5")
def _eval_batch_size_zero_to_none(config: ConfigDict) -> None:
    """``trainer.eval_batch_size: 0`` (meaning "same as batch_size") became ``None``."""
    trainer = _dict_at(config, TRAINER) or {}
    eval_batch_size = trainer.get("eval_batch_size")
    if eval_batch_size == 0 and not isinstance(eval_batch_size, bool):
        trainer["eval_batch_size"] = None
        _warn(f"`{TRAINER}.eval_batch_size: 0` was replaced by `None` (use the training batch size).")


_OLD_SPLIT_KEYS = ("force_split", "split_probabilities", "stratify")


@_upgrade("0.5")
def _upgrade_split_keys(config: ConfigDict) -> None:
    """``force_split``, ``split_probabilities`` and ``stratify`` became the ``preprocessing.split`` section.

    Old Ludwig used a ``split`` column of the data when present and ``force_split`` was false; the current
    default is a random split. A config cannot see the data, so ``force_split`` (true or false) maps to
    ``type: random``; users who relied on a ``split`` column must now write ``split: {type: fixed}``.
    """
    preprocessing = _dict_at(config, PREPROCESSING) or {}
    if not any(key in preprocessing for key in _OLD_SPLIT_KEYS):
        return
    force_split = preprocessing.pop("force_split", None)
    probabilities = preprocessing.pop("split_probabilities", None)
    stratify = preprocessing.pop("stratify", None)
    split: ConfigDict = {}
    if stratify is not None:
        split.update({TYPE: "stratify", COLUMN: stratify})
    elif force_split is not None:
        split[TYPE] = "random"
    if probabilities is not None:
        split["probabilities"] = probabilities
    existing = preprocessing.get(SPLIT)
    preprocessing[SPLIT] = {**split, **existing} if isinstance(existing, dict) else split
    _warn(
        f"`{PREPROCESSING}.force_split`, `split_probabilities` and `stratify` were replaced by "
        f"`{PREPROCESSING}.{SPLIT}` {{type, probabilities, column}}."
    )


# ----------------------------------------------------------------------------------------------------------------
# 0.6


@_upgrade("0.6")
def _move_cache_credentials(config: ConfigDict) -> None:
    """``backend.cache_credentials`` became ``backend.credentials.cache``."""
    backend = _dict_at(config, BACKEND)
    if backend is None or "cache_credentials" not in backend:
        return
    cache_credentials = backend.pop("cache_credentials")
    credentials = _ensure_dict(backend, "credentials")
    if "cache" in credentials:
        _warn(f"`{BACKEND}.cache_credentials` is ignored because `{BACKEND}.credentials.cache` is set.")
    else:
        credentials["cache"] = cache_credentials
        _warn(f"`{BACKEND}.cache_credentials` was renamed to `{BACKEND}.credentials.cache`.")


@_upgrade("0.6")
def _drop_scalar_class_weights(config: ConfigDict) -> None:
    """A scalar ``loss.class_weights`` (old "no weighting" form) became ``None``; only lists and dicts remain."""
    sections = (*_features(config, OUTPUT_FEATURES), *_type_defaults(config))
    for path, loss in filter(None, (_sub_dict(section, LOSS) for section in sections)):
        class_weights = loss.get("class_weights")
        if class_weights is not None and not isinstance(class_weights, (list, dict)):
            loss["class_weights"] = None
            _warn(f"`{path}.class_weights: {class_weights!r}` was replaced by `None`; use a list or a dict.")


# Keys that live on the feature itself; every other key of an old flat feature belongs to its encoder (inputs)
# or decoder (outputs). Beyond the keys of Ludwig 0.6 this also lists later feature-level keys (active,
# augmentation, softmax, horizon, threshold_percentile) so that current configs pass through untouched.
_FEATURE_LEVEL_KEYS = frozenset(
    {
        "name", "type", "column", "proc_column", "tied", "preprocessing", "encoder", "decoder", "loss",
        "reduce_input", "dependencies", "reduce_dependencies", "top_k", "threshold", "calibration", "clip",
        "vector_size", "weight", "default_validation_metric", "num_classes", "input_size", "active",
        "augmentation", "softmax", "horizon", "threshold_percentile",
    }
)  # fmt: skip
# Flat decoder keys that the current decoders spell `fc_<key>`; `fc_layers` and `num_fc_layers` keep their name.
_DECODER_FC_KEYS = frozenset(
    {
        "output_size", "use_bias", "weights_initializer", "bias_initializer", "norm", "norm_params",
        "activation", "dropout",
    }
)  # fmt: skip


def _misspelt_feature_key(key: str) -> bool:
    """A near miss of a feature-level key (``preprocesing``) stays put so validation can suggest the fix."""
    return bool(difflib.get_close_matches(key, _FEATURE_LEVEL_KEYS, n=1, cutoff=0.9))


def _nest_module_params(section: _Section, module_key: str) -> None:
    """Nests the flat params of a feature, and a module given by name, into ``section.body[module_key]``."""
    feature = section.body
    module = feature.get(module_key)
    if isinstance(module, str):
        feature[module_key] = {TYPE: module}
        _warn(f"`{section.path}.{module_key}: {module}` became `{section.path}.{module_key}: {{type: {module}}}`.")
    flat_keys = [key for key in feature if key not in _FEATURE_LEVEL_KEYS and not _misspelt_feature_key(key)]
    if not flat_keys:
        return
    module = _ensure_dict(feature, module_key)
    for key in flat_keys:
        value = feature.pop(key)
        module.setdefault(key, value)
        if module_key == DECODER and key in _DECODER_FC_KEYS:
            module.setdefault(f"fc_{key}", value)
    _warn(f"`{section.path}` keys {flat_keys} were moved into `{section.path}.{module_key}`.")


@_upgrade("0.6")
def _nest_encoder_params(config: ConfigDict) -> None:
    """Flat encoder params of input features (``encoder: rnn``, ``cell_type: lstm``) moved into ``encoder``."""
    for section in _features(config, INPUT_FEATURES):
        _nest_module_params(section, ENCODER)


@_upgrade("0.6")
def _nest_decoder_params(config: ConfigDict) -> None:
    """Flat decoder params of output features moved into ``decoder``; FC keys are also copied as ``fc_<key>``."""
    for section in _features(config, OUTPUT_FEATURES):
        _nest_module_params(section, DECODER)


_MISSING_VALUE_STRATEGY_RENAMES = {"backfill": BFILL, "pad": FFILL}


def _rename_missing_value_strategy(preprocessing: ConfigDict) -> str | None:
    """Replaces ``backfill``/``pad`` by ``bfill``/``ffill`` in ``preprocessing``; returns the old name if replaced."""
    old = preprocessing.get("missing_value_strategy")
    if not isinstance(old, str) or old not in _MISSING_VALUE_STRATEGY_RENAMES:
        return None
    preprocessing["missing_value_strategy"] = _MISSING_VALUE_STRATEGY_RENAMES[old]
    return old


@_upgrade("0.6")
def _rename_missing_value_strategies(config: ConfigDict) -> None:
    """Missing-value strategies ``backfill`` and ``pad`` became ``bfill`` and ``ffill``."""
    for path, preprocessing in filter(None, (_sub_dict(s, PREPROCESSING) for s in _feature_sections(config))):
        old = _rename_missing_value_strategy(preprocessing)
        if old is not None:
            _warn(f"`{path}.missing_value_strategy: {old}` was renamed to `{_MISSING_VALUE_STRATEGY_RENAMES[old]}`.")


@_upgrade("0.6")
def _rename_increase_batch_size_on_plateau_max(config: ConfigDict) -> None:
    """``trainer.increase_batch_size_on_plateau_max`` became ``trainer.max_batch_size``."""
    trainer = _dict_at(config, TRAINER)
    if trainer is not None:
        _rename_key(trainer, "increase_batch_size_on_plateau_max", "max_batch_size", TRAINER)


@_upgrade("0.6")
def _remove_ecd_trainer_type(config: ConfigDict) -> None:
    """ECD trainers lost their ``type`` key: the trainer follows ``model_type`` (LLM trainers keep theirs)."""
    trainer = _dict_at(config, TRAINER)
    if trainer is not None and TYPE in trainer and config.get(MODEL_TYPE, MODEL_ECD) == MODEL_ECD:
        old = trainer.pop(TYPE)
        _warn(f"`{TRAINER}.type: {old}` was removed; the trainer is chosen by `{MODEL_TYPE}`.")


# ----------------------------------------------------------------------------------------------------------------
# 0.7

_LR_SCHEDULER = "learning_rate_scheduler"
_LR_SCHEDULER_KEY_RENAMES = {
    "reduce_learning_rate_on_plateau": "reduce_on_plateau",
    "reduce_learning_rate_on_plateau_patience": "reduce_on_plateau_patience",
    "reduce_learning_rate_on_plateau_rate": "reduce_on_plateau_rate",
    "reduce_learning_rate_eval_metric": "reduce_eval_metric",
    "reduce_learning_rate_eval_split": "reduce_eval_split",
    "decay": "decay",
    "decay_steps": "decay_steps",
    "decay_rate": "decay_rate",
    "staircase": "staircase",
    "learning_rate_warmup_epochs": "warmup_evaluations",
}


def _scheduler_value(old_key: str, value: Any) -> Any:
    """Converts old value types: ``decay`` was a bool, ``reduce_learning_rate_on_plateau`` could be a float."""
    if old_key == "decay" and isinstance(value, bool):
        return "exponential" if value else None
    if old_key == "reduce_learning_rate_on_plateau" and isinstance(value, float):
        return int(value)
    return value


@_upgrade("0.7")
def _move_learning_rate_scheduler_keys(config: ConfigDict) -> None:
    """Learning-rate decay, warmup and plateau keys moved from ``trainer`` into ``trainer.learning_rate_scheduler``."""
    trainer = _dict_at(config, TRAINER) or {}
    old_keys = [key for key in _LR_SCHEDULER_KEY_RENAMES if key in trainer]
    if not old_keys:
        return
    scheduler = _ensure_dict(trainer, _LR_SCHEDULER)
    for old_key in old_keys:
        new_key = _LR_SCHEDULER_KEY_RENAMES[old_key]
        value = trainer.pop(old_key)
        if new_key in scheduler:
            _warn(f"`{TRAINER}.{old_key}` is ignored because `{TRAINER}.{_LR_SCHEDULER}.{new_key}` is set.")
            continue
        scheduler[new_key] = _scheduler_value(old_key, value)
        _warn(f"`{TRAINER}.{old_key}` was moved to `{TRAINER}.{_LR_SCHEDULER}.{new_key}`.")


def _rename_encoder_types(config: ConfigDict, feature_type: str, renames: dict[str, str]) -> list[tuple[str, dict]]:
    """Renames ``encoder.type`` in features and defaults of ``feature_type``.

    Returns:
        (old encoder type, encoder dict) for each encoder renamed.
    """
    renamed = []
    for section in _feature_sections(config, (feature_type,)):
        target = _sub_dict(section, ENCODER)
        if target is None or target[1].get(TYPE) not in renames:
            continue
        path, encoder = target
        old = encoder[TYPE]
        encoder[TYPE] = renames[old]
        _warn(f"`{path}.type: {old}` was renamed to `{renames[old]}`.")
        renamed.append((old, encoder))
    return renamed


@_upgrade("0.7")
def _rename_legacy_image_encoders(config: ConfigDict) -> None:
    """Image encoders ``_resnet_legacy`` and ``_vit_legacy`` became the torchvision ``resnet`` and ``vit``."""
    _rename_encoder_types(config, IMAGE, {"_resnet_legacy": "resnet", "_vit_legacy": "vit"})


@_upgrade("0.7")
def _remove_empty_hyperopt(config: ConfigDict) -> None:
    """``hyperopt: {}`` used to mean "no hyperopt"; the section is now simply left out (or null)."""
    if config.get(HYPEROPT) == {}:
        del config[HYPEROPT]
        _warn(f"`{HYPEROPT}: {{}}` was removed; leave the section out or set it to null to disable hyperopt.")


@_upgrade("0.7")
def _remove_type_in_defaults(config: ConfigDict) -> None:
    """Some 0.7 patch releases wrote a stray ``type`` into every ``defaults.<type>`` section."""
    for section in _type_defaults(config):
        if TYPE in section.body:
            del section.body[TYPE]
            _warn(f"`{section.path}.type` was removed; the section's key already names the feature type.")


# ----------------------------------------------------------------------------------------------------------------
# 0.11

# Default checkpoints of the removed encoders, so that auto_transformer loads the same model.
_REMOVED_TEXT_ENCODER_CHECKPOINTS = {
    "transformer_xl": "transfo-xl-wt103",
    "ctrl": "ctrl",
    "flaubert": "flaubert/flaubert_small_cased",
}


@_upgrade("0.11")
def _replace_removed_text_encoders(config: ConfigDict) -> None:
    """Text encoders ``transformer_xl``, ``ctrl`` and ``flaubert`` were removed in favour of ``auto_transformer``.

    The old encoder's default checkpoint becomes ``pretrained_model_name_or_path`` when none was given.
    """
    renames = dict.fromkeys(_REMOVED_TEXT_ENCODER_CHECKPOINTS, "auto_transformer")
    for old, encoder in _rename_encoder_types(config, TEXT, renames):
        encoder.setdefault("pretrained_model_name_or_path", _REMOVED_TEXT_ENCODER_CHECKPOINTS[old])


# ----------------------------------------------------------------------------------------------------------------
# Training progress and training set metadata (internal files: upgraded silently)

_EPOCH_TO_STEPS_KEYS = {
    "last_improvement_epoch": "last_improvement_steps",
    "last_learning_rate_reduction_epoch": "last_learning_rate_reduction_steps",
    "last_increase_batch_size_epoch": "last_increase_batch_size_steps",
}
_PROGRESS_DEFAULTS: dict[str, Any] = {
    "tune_checkpoint_num": 0,
    "checkpoint_number": 0,
    "best_eval_metric_steps": 0,
    "best_eval_metric_epoch": 0,
    "best_eval_metric_checkpoint_number": 0,
    "best_eval_train_metrics": {},
    "best_eval_validation_metrics": {},
    "best_eval_test_metrics": {},
}
_REMOVED_PROGRESS_KEYS = (
    "last_improvement",
    "best_reduce_learning_rate_eval_metric",
    "last_reduce_learning_rate_eval_metric_improvement",
)
_METRIC_GROUPS = ("train_metrics", "validation_metrics", "test_metrics")


def _to_metric_values(values: list[Any]) -> list[Any]:
    """Metric histories are one value per evaluation; ``[epoch, step, value]`` entries (Ludwig 0.7+) give their
    value."""
    return [v[-1] if isinstance(v, (list, tuple)) else v for v in values]


def upgrade_model_progress(progress: dict[str, Any]) -> dict[str, Any]:
    """Upgrades an old ``training_progress.json`` to the current progress tracker format.

    Old files counted in epochs; like Ludwig, epoch counters are converted to steps by multiplying by
    ``batch_size`` (an approximation kept for compatibility). ``vali_metrics`` became ``validation_metrics``;
    metric histories hold one value per evaluation (``[epoch, step, value]`` entries give their value);
    ``best_eval_metric`` became ``best_eval_metric_value``; counters and "best" snapshots added later are
    filled with their initial values;
    fields of the removed learning-rate logic are dropped.

    Args:
        progress: the loaded JSON; it is not modified.

    Returns:
        An upgraded deep copy.
    """
    upgraded = copy.deepcopy(progress)
    batch_size = upgraded.get("batch_size") or 1
    for old, new in _EPOCH_TO_STEPS_KEYS.items():
        if old in upgraded:
            upgraded[new] = upgraded.pop(old) * batch_size
    if "vali_metrics" in upgraded:
        upgraded["validation_metrics"] = upgraded.pop("vali_metrics")
    for group in _METRIC_GROUPS:
        for metrics in (upgraded.get(group) or {}).values():
            for name, values in metrics.items():
                metrics[name] = _to_metric_values(values)
    if "best_eval_metric" in upgraded:
        upgraded["best_eval_metric_value"] = upgraded.pop("best_eval_metric")
    for key, initial in _PROGRESS_DEFAULTS.items():
        upgraded.setdefault(key, copy.deepcopy(initial))
    for key in _REMOVED_PROGRESS_KEYS:
        upgraded.pop(key, None)
    return upgraded


def upgrade_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Upgrades an old ``training_set_metadata.json``.

    Each feature's metadata carries the preprocessing it was built with: ``missing_value_strategy`` values
    ``backfill``/``pad`` become ``bfill``/``ffill``, and image metadata (recognised by ``height`` and ``width`` in
    its preprocessing) gains ``standardize_image: None``, the behaviour of models trained before that option.

    Args:
        metadata: the loaded JSON; it is not modified.

    Returns:
        An upgraded deep copy.
    """
    upgraded = copy.deepcopy(metadata)
    for feature_metadata in upgraded.values():
        preprocessing = feature_metadata.get(PREPROCESSING) if isinstance(feature_metadata, dict) else None
        if not isinstance(preprocessing, dict):
            continue
        _rename_missing_value_strategy(preprocessing)
        if "height" in preprocessing and "width" in preprocessing:
            preprocessing.setdefault("standardize_image", None)
    return upgraded
