"""Applying sampled hyperopt parameters to a config, and checking the ``hyperopt`` section before any trial.

A parameter is a dotted path into the config:

- ``trainer.learning_rate``, ``combiner.num_fc_layers``, ``preprocessing.sample_ratio``: a key of a section;
- ``defaults.<type>.<section>.<key>``: a per-type default (``preprocessing.<type>.<key>``, the old spelling,
  means ``defaults.<type>.preprocessing.<key>``);
- ``<feature name>.<section>.<key>`` (``title.encoder.output_size``): a key of one feature; feature names may
  contain dots, the longest matching name wins;
- a whole section (``combiner``, ``trainer``, ``<feature name>.encoder``, or ``.`` for the whole config) whose
  value is a dict, typically from a ``choice`` of dicts. The dict is merged into the section; when it names
  another ``type`` than the section had, it replaces the section. A dict given for ``<section>.type`` is taken
  as the whole section.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ludwig.constants import COMBINED, INPUT_FEATURES, OUTPUT_FEATURES
from ludwig.error import ConfigValidationError
from ludwig.utils.registry import did_you_mean

ROOT = "."
TYPE = "type"
PARAMETERS_PATH = "hyperopt.parameters"
_LOSS = "loss"
_PREPROCESSING = "preprocessing"
_DEFAULTS = "defaults"
_LEGACY_TRAINING = "training."
# Encoders that bring their own tokenizer: changing them changes how a text column is preprocessed.
_PREPROCESSING_ENCODER_TYPES = ("text", "sequence", "image", "audio")


def _feature_types() -> list[str]:
    from ludwig.schema.model_config import input_feature_config_registry

    return sorted(input_feature_config_registry.keys())


def _features(config: Mapping[str, Any]) -> list[dict]:
    features = []
    for key in (INPUT_FEATURES, OUTPUT_FEATURES):
        value = config.get(key)
        if isinstance(value, list):
            features.extend(f for f in value if isinstance(f, dict))
    return features


def _split_path(config: Mapping[str, Any], path: str) -> tuple[dict, list[str]]:
    """The dict a ``path`` starts from (the config or a feature) and the keys below it."""
    if path == ROOT:
        return config, []
    if path.startswith(_LEGACY_TRAINING):
        path = "trainer." + path[len(_LEGACY_TRAINING) :]
    best: dict | None = None
    for feature in _features(config):
        name = feature.get("name")
        if isinstance(name, str) and (path == name or path.startswith(name + ".")):
            if best is None or len(name) > len(best["name"]):
                best = feature
    if best is not None:
        rest = path[len(best["name"]) + 1 :]
        return best, rest.split(".") if rest else []
    keys = path.split(".")
    if len(keys) >= 3 and keys[0] == _PREPROCESSING and keys[1] in _feature_types():
        keys = [_DEFAULTS, keys[1], _PREPROCESSING, *keys[2:]]
    return config, keys


def _merge(target: dict, value: Mapping[str, Any]) -> None:
    """Deep-merge ``value`` into ``target``; a nested dict naming another ``type`` replaces its section."""
    for key, new in value.items():
        old = target.get(key)
        if isinstance(old, str) and isinstance(new, Mapping):
            old = {TYPE: old}
        if isinstance(new, Mapping) and isinstance(old, dict) and not _changes_type(old, new):
            merged = copy.deepcopy(old)
            _merge(merged, new)
            target[key] = merged
        else:
            target[key] = copy.deepcopy(new)


def _changes_type(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return TYPE in new and TYPE in old and old[TYPE] != new[TYPE]


def _set(config: dict, path: str, value: Any, reset_on_type_change: bool = False) -> None:
    start, keys = _split_path(config, path)
    if keys and keys[-1] == TYPE and isinstance(value, Mapping):
        keys = keys[:-1]  # a dict chosen for ``<section>.type`` is the whole section
    if not keys:
        if isinstance(value, Mapping):
            _merge(start, value)
        else:
            raise ConfigValidationError(
                f"{PARAMETERS_PATH}.{path}: a value for a whole section must be a dict, found {value!r}."
            )
        return
    node = start
    for key in keys[:-1]:
        child = node.get(key)
        if isinstance(child, str):  # shorthand such as ``encoder: dense``
            child = {TYPE: child}
        elif not isinstance(child, dict):
            child = {}
        node[key] = child
        node = child
    last = keys[-1]
    if isinstance(value, Mapping):
        old = node.get(last)
        if isinstance(old, str):
            old = {TYPE: old}
        if isinstance(old, dict) and not _changes_type(old, value):
            merged = copy.deepcopy(old)
            _merge(merged, value)
            node[last] = merged
        else:
            node[last] = copy.deepcopy(dict(value))
    else:
        if reset_on_type_change and last == TYPE and node.get(TYPE) not in (None, value):
            kept = {k: node[k] for k in ("name", "column") if k in node}  # a feature keeps its name
            node.clear()  # a rendered section's other keys belong to the old type
            node.update(kept)
        node[last] = copy.deepcopy(value)


def _order(parameters: Mapping[str, Any]) -> list[str]:
    """Whole sections first, then types, then single keys, so a finer parameter wins over a coarser one."""

    def rank(path: str) -> tuple[int, int]:
        if path == ROOT:
            return (0, 0)
        if path.endswith(f".{TYPE}") or path == TYPE:
            return (2, path.count("."))
        return (1 if isinstance(parameters[path], Mapping) else 3, path.count("."))

    return sorted(parameters, key=rank)


def substitute_parameters(
    config_dict: Mapping[str, Any], parameters: Mapping[str, Any], reset_on_type_change: bool = False
) -> dict[str, Any]:
    """A copy of ``config_dict`` with each sampled value of ``parameters`` (dotted path -> value) applied.

    Args:
        config_dict: the user config (it is upgraded to the current format first; not modified).
        parameters: the values of one trial, keyed by the paths of ``hyperopt.parameters``.
        reset_on_type_change: when a ``<section>.type`` value changes the section's type, drop the section's
            other keys (for a fully rendered config, whose other keys belong to the old type).

    Returns:
        The trial's config dict.

    Raises:
        ConfigValidationError: when a whole-section path gets a value that is not a dict.
    """
    from ludwig.utils.backward_compatibility import upgrade_config_dict_to_latest_version

    config = upgrade_config_dict_to_latest_version(copy.deepcopy(dict(config_dict)))
    for path in _order(parameters):
        _set(config, path, parameters[path], reset_on_type_change)
    return config


def tunes_preprocessing(parameters: Mapping[str, Any] | list[str], config: Mapping[str, Any] | None = None) -> bool:
    """Whether a trial's data must be preprocessed again because a preprocessing parameter is tuned.

    Args:
        parameters: ``hyperopt.parameters`` (paths to space specs, or sampled values), or just the paths.
        config: the config; when given, tuning a feature's ``type`` or a text/sequence/image/audio encoder (which
            may bring its own tokenizer) also counts.
    """
    paths = list(parameters)
    for path in paths:
        if _PREPROCESSING in path.split("."):
            return True
        value = parameters[path] if isinstance(parameters, Mapping) else None
        if isinstance(value, Mapping) and _mentions_preprocessing(value):
            return True
    if config is None:
        return False
    for path in paths:
        start, keys = _split_path(config, path)
        if start is config:
            continue
        if not keys or keys == [TYPE]:
            return True
        if keys[0] == "encoder" and start.get(TYPE) in _PREPROCESSING_ENCODER_TYPES and keys[-1] in ("encoder", TYPE):
            return True
    return False


def _mentions_preprocessing(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(k == _PREPROCESSING or _mentions_preprocessing(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_mentions_preprocessing(v) for v in value)
    return False


# ---------------------------------------------------------------------------------------------------------
# Validation


def validate_hyperopt(config: Any) -> Any:
    """Check the ``hyperopt`` section of ``config`` against the rest of the config, before any trial.

    Checks the section's schema, that ``output_feature`` is an output feature or ``combined``, that ``metric``
    exists for that feature (``combined`` only has ``loss``), the parameter spaces, that every parameter path
    exists in the rendered config, and that the configs made with sampled values (each category; each range's
    bounds) are valid.

    Args:
        config: a ``ModelConfig`` or a user config dict.

    Returns:
        The rendered ``HyperoptConfig``.

    Raises:
        ConfigValidationError: listing every problem found, each with its config path.
    """
    from ludwig.hyperopt.search_space import search_space_errors
    from ludwig.schema.model_config import ModelConfig

    schema_errors = []
    if isinstance(config, ModelConfig):
        hyperopt = config.hyperopt
        base_dict = config.to_dict()
        reset = True
        model_config = config
    else:
        if not isinstance(config, Mapping):
            raise ConfigValidationError(f"The config must be a mapping, found {type(config).__name__}.")
        from ludwig.utils.backward_compatibility import upgrade_config_dict_to_latest_version

        base_dict = upgrade_config_dict_to_latest_version(copy.deepcopy(dict(config)))
        reset = False
        schema_errors: list[str] = []
        hyperopt = None
        raw_hyperopt = base_dict.get("hyperopt")
        if raw_hyperopt is not None:
            hyperopt, schema_errors = _load_hyperopt(raw_hyperopt)
        try:
            model_config = ModelConfig.from_dict({k: v for k, v in base_dict.items() if k != "hyperopt"})
        except ConfigValidationError as e:
            raise ConfigValidationError(errors=schema_errors + e.errors) from None

    if hyperopt is None:
        raise ConfigValidationError("hyperopt: missing; the config needs a hyperopt section with parameters to tune.")

    errors = list(schema_errors)
    errors.extend(_check_objective(hyperopt, model_config))
    spaces, space_errors = search_space_errors(hyperopt.parameters)
    errors.extend(space_errors)
    if not hyperopt.parameters:
        errors.append(f"{PARAMETERS_PATH}: empty; list at least one config path to tune.")
    errors.extend(_check_executor(hyperopt))
    rendered = model_config.to_dict()
    rendered.pop("hyperopt", None)
    base_dict = {k: v for k, v in base_dict.items() if k != "hyperopt"}
    for path, space in spaces.items():
        errors.extend(_check_parameter(path, space, spaces, base_dict, rendered, reset))
    if errors:
        raise ConfigValidationError(errors=errors)
    return hyperopt


def _load_hyperopt(raw: Any) -> tuple[Any, list[str]]:
    """The section rendered from its valid keys, and the schema errors of the others (spaces checked later)."""
    from marshmallow import ValidationError

    from ludwig.schema import utils as su
    from ludwig.schema.hyperopt import HyperoptConfig

    if not isinstance(raw, Mapping):
        raise ConfigValidationError(f"hyperopt: expected a mapping, found {raw!r}.")
    parameters = raw.get("parameters")
    if parameters is not None and not isinstance(parameters, Mapping):
        raise ConfigValidationError(
            f"hyperopt.parameters: expected a mapping of config paths to spaces, found {parameters!r}."
        )
    valid = {k: v for k, v in raw.items() if k != "parameters"}
    try:
        hyperopt = HyperoptConfig.from_dict(valid)
        errors: list[str] = []
    except ValidationError as e:
        errors = su.flatten_errors(e.messages, "hyperopt")
        bad = set(e.messages) if isinstance(e.messages, dict) else set(valid)
        hyperopt = HyperoptConfig.from_dict({k: v for k, v in valid.items() if k not in bad})
    hyperopt.parameters = {
        name: dict(spec) if isinstance(spec, Mapping) else spec for name, spec in (parameters or {}).items()
    }
    return hyperopt, errors


def _check_objective(hyperopt: Any, model_config: Any) -> list[str]:
    from ludwig.schema.metrics import metric_names

    outputs = {f.name: f.type for f in model_config.output_features}
    feature, metric = hyperopt.output_feature, hyperopt.metric
    if feature == COMBINED:
        if metric != _LOSS:
            return [
                f"hyperopt.metric: {metric!r} does not exist for output_feature 'combined', which has only "
                f"'{_LOSS}'; set output_feature to one of {sorted(outputs)} to optimise {metric!r}."
            ]
        return []
    if feature not in outputs:
        allowed = [COMBINED, *sorted(outputs)]
        return [
            f"hyperopt.output_feature: {feature!r} is not an output feature; expected one of {allowed}."
            f"{did_you_mean(feature, allowed)}"
        ]
    metrics = metric_names(outputs[feature])
    if metric not in metrics:
        return [
            f"hyperopt.metric: {metric!r} is not a metric of {outputs[feature]} output feature {feature!r}; "
            f"expected one of {metrics}.{did_you_mean(metric, metrics)}"
        ]
    return []


def _check_executor(hyperopt: Any) -> list[str]:
    import importlib.util

    executor = hyperopt.executor
    if executor.type == "optuna":
        needs = {"cmaes": "cmaes", "gp": "scipy"}.get(executor.sampler)
        if needs and importlib.util.find_spec(needs) is None:
            return [
                f"hyperopt.executor.sampler: {executor.sampler!r} needs the {needs!r} package; "
                f"install it with `pip install {needs}`."
            ]
    return []


def _representatives(space: Any) -> list[Any]:
    """A few values of ``space`` that together exercise what it can produce: every category, each bound."""
    from ludwig.hyperopt import search_space as ss

    if isinstance(space, ss._CategoricalSpace):
        return space.options
    if isinstance(space, ss._NormalSpace):
        return [space.mean]
    if isinstance(space, ss.IntSpace):
        if space.q is None:
            return [space.lower, space.upper]
        multiples = ss._multiples(space.lower, space.upper, space.q)
        return [multiples[0], multiples[-1]]
    if isinstance(space, ss.RandIntSpace | ss.LogRandIntSpace):
        return [space.lower, space.upper - 1]
    if hasattr(space, "q") and hasattr(space, "lower"):
        values = [ss._quantize(v, space.q, space.lower, space.upper) for v in (space.lower, space.upper)]
        return [int(v) for v in values] if isinstance(space, ss._IntegerSpace) else values
    return [space.lower, space.upper]


def _type_alternatives(path: str, spaces: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(parameter, value) pairs that change the ``type`` of a section above ``path``, or replace that section."""
    found = []
    for other, space in spaces.items():
        if other == path:
            continue
        prefix = other[: -len(f".{TYPE}")] if other.endswith(f".{TYPE}") else other
        if other == ROOT or path.startswith(prefix + "."):
            found.extend((other, value) for value in _representatives(space))
    return found


def _lookup(config: Mapping[str, Any], path: str) -> tuple[bool, str]:
    """Whether ``path`` names a key of the rendered ``config``; else the message saying what is there."""
    start, keys = _split_path(config, path)
    if start is config and keys and keys[0] in (INPUT_FEATURES, OUTPUT_FEATURES):
        return False, "features are tuned by name: write <feature name>.<section>.<key>."
    node: Any = start
    walked: list[str] = []
    for key in keys:
        if not isinstance(node, Mapping):
            return False, f"{'.'.join(walked)!r} is {node!r}, not a section."
        if key not in node:
            options = list(node)
            if start is config and not walked:
                names = [f["name"] for f in _features(config)]
                hint = did_you_mean(key, options + names)
                return False, (
                    f"{key!r} is not a config section or feature name; expected one of {sorted(options)} or a "
                    f"feature in {names}.{hint}"
                )
            where = ".".join(walked) if walked else "the feature"
            hint = did_you_mean(key, options)
            return False, f"{key!r} is not a key of {where}; expected one of {sorted(options)}.{hint}"
        node = node[key]
        walked.append(key)
    return True, ""


def _check_parameter(
    path: str,
    space: Any,
    spaces: Mapping[str, Any],
    base_dict: Mapping[str, Any],
    rendered: Mapping[str, Any],
    reset: bool,
) -> list[str]:
    from ludwig.schema.model_config import ModelConfig

    where = f"{PARAMETERS_PATH}.{path}"
    exists, message = _lookup(rendered, path)
    companions: list[dict[str, Any]] = [{}]
    if not exists:
        # The key may belong to another type of its section, chosen by another parameter.
        companions = []
        for other, value in _type_alternatives(path, spaces):
            try:
                candidate = ModelConfig.from_dict(substitute_parameters(base_dict, {other: value}, reset)).to_dict()
            except ConfigValidationError:
                continue
            if _lookup(candidate, path)[0]:
                companions.append({other: value})
        if not companions:
            return [f"{where}: the path does not exist in the config: {message}"]
    companion = companions[0]  # one compatible choice of the section's type is enough to check the values
    with_other = "".join(f" (with {k}={v!r})" for k, v in companion.items())
    errors = []
    for value in _representatives(space):
        try:
            ModelConfig.from_dict(substitute_parameters(base_dict, {**companion, path: value}, reset))
        except ConfigValidationError as e:
            errors.extend(f"{where}: value {value!r}{with_other} makes the config invalid: {err}" for err in e.errors)
    return errors
