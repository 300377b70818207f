"""Keys that Ludwig 0.17 writes into every rendered config and that this version derives or does not need.

Ludwig saves a model with its fully rendered config (``model_hyperparameters.json``). Besides the user's
choices, that config carries values Ludwig computes while preprocessing and building the model (fill values,
vocabularies, input sizes) and switches of features it offers, all at their inert defaults. This version
recomputes the derived values from ``training_set_metadata.json``, so a section meeting one of these keys
drops it instead of refusing the config; the switches are dropped only at their inert value, and any other
value is refused with the value found and the one allowed, so no behaviour a user asked for goes missing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

_ANY: Callable[[Any], bool] = lambda value: True  # noqa: E731


def _equals(*inert: Any) -> Callable[[Any], bool]:
    return lambda value: any(value == allowed and type(value) is type(allowed) for allowed in inert)


def _empty(value: Any) -> bool:
    """``None``, an empty container, or a mapping of empties and zeros (Ludwig's unset nested sections)."""
    if isinstance(value, dict):
        return all(_empty(v) or (type(v) is int and v == 0) for v in value.values())
    return value in (None, [], "")


# Values Ludwig derives from the data or the model (recomputed here from the training set metadata) and
# bookkeeping of its own: dropped whatever their value.
_DERIVED = (
    "computed_fill_value",
    "computed_outlier_fill_value",
    "input_size",
    "vocab",
    "vocab_size",
    "num_classes",
    "str2idf",
    "str2freq",
    "pad_idx",
    "num_tokens",
    "saved_weights_in_checkpoint",
    "default_validation_metric",
    "teacher_forcing_decay_rate",
    "num_ensemble_members",
    "contrastive_pretrain_temperature",
    "contrastive_pretrain_projection_dim",
    "contrastive_pretrain_learnable_temperature",
    # defaults for feature types this version does not offer yet; a feature of such a type is refused
    "image",
    "audio",
)

# Switches of Ludwig features this version does not offer, with the inert value Ludwig renders.
_SWITCHES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "skip": (_equals(False), "false"),
    "active": (_equals(True), "true"),
    "adapter": (_empty, "null"),
    "prompt": (_empty, "null"),
    "calibration": (lambda v: v is None or v is False, "false"),
    "mc_dropout_samples": (_equals(0), "0"),
    "batch_ensemble": (_equals(False), "false"),
    "contrastive_pretrain_epochs": (_equals(0), "0"),
    # keys of sections whose counterpart here has no such option: Ludwig renders them unset
    "output_size": (_empty, "null"),
    "fc_layers": (_empty, "null"),
    "max_sequence_length": (_empty, "null"),
    "reduce_input": (_equals("sum"), "'sum'"),
    "teacher_forcing_decay": (_equals("none"), "'none'"),
}

# Keys of older Ludwig versions that Ludwig 0.17's schema accepts and ignores (its example configs still carry
# them); accepted here with a warning naming the key, and what replaced it where something did.
_IGNORED_LEGACY: dict[str, str] = {
    "fc_size": " The width of fully connected layers is now set with 'output_size'.",
    "weight_regularization": " Regularization is now set with trainer.regularization_type and regularization_lambda.",
    "bias_regularization": " Regularization is now set with trainer.regularization_type and regularization_lambda.",
    "activity_regularization": " Regularization is now set with trainer.regularization_type and regularization_lambda.",
    "use_keras_batch_norm": "",
    "bn_virtual_divider": " TabNet's ghost batch size is now set with 'bn_virtual_bs'.",
}

LUDWIG_RENDERED_KEYS: frozenset[str] = frozenset(_DERIVED) | frozenset(_SWITCHES) | frozenset(_IGNORED_LEGACY)


def check_rendered_key(key: str, value: Any) -> str | None:
    """Whether a key that a section does not declare may be dropped as one of Ludwig's rendered keys.

    Returns:
        ``None`` when the key is dropped; otherwise the error message to report for it.
    """
    if key in _DERIVED:
        return None
    if key in _IGNORED_LEGACY:
        warnings.warn(
            f"Config key {key!r} (found {value!r}) is from an older Ludwig; Ludwig 0.17 ignores it, and so does this "
            f"version.{_IGNORED_LEGACY[key]}",
            stacklevel=2,
        )
        return None
    accepts, inert = _SWITCHES[key]
    if accepts(value):
        return None
    return (
        f"Ludwig's {key!r} is not offered by this version for this section; found {value!r}, "
        f"allowed only its inert value {inert} (as Ludwig renders it)."
    )
