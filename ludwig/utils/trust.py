"""Whether loading a model folder may run code: the ``trust_remote_code`` settings of a saved config.

A model folder from elsewhere is data, not code. The one way a saved config can make loading import Python is a
Hugging Face ``trust_remote_code: true`` in any ``*_kwargs`` section (an encoder's ``pretrained_kwargs``, for
instance): ``from_pretrained`` then imports the modelling code of the checkpoint it names. ``check_remote_code``
refuses such a config unless the person loading the folder opted in (``LudwigModel.load(..., trust_remote_code=True)``,
``--trust_remote_code`` on the command line).

Cheap to import (json and os only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, NamedTuple

from ludwig.error import UntrustedCodeError

TRUST_REMOTE_CODE = "trust_remote_code"
_FEATURE_LISTS = ("input_features", "output_features")
OPT_IN = "LudwigModel.load(..., trust_remote_code=True) or --trust_remote_code on the command line"


def remote_code_settings(config: Any) -> list[str]:
    """Where ``config`` sets ``trust_remote_code`` to a true value, one description each.

    For example ``input_features[0] (feature 'review'): encoder.pretrained_kwargs.trust_remote_code is True, for the
    checkpoint '/models/custom'``: the feature, the path of the setting within it, and the checkpoint named next to
    the setting's section (``pretrained_model_name_or_path``), when there is one.
    """
    return [_describe(found) for found in _find(config, (), {})]


def check_remote_code(config: Any, source: str, trust_remote_code: bool = False) -> None:
    """Refuse a config that would run code when it is loaded, unless ``trust_remote_code``.

    Args:
        config: the config saved in a model folder (a dict as read from ``model_hyperparameters.json``).
        source: the model folder the config comes from, named in the error.
        trust_remote_code: the opt-in of the person loading the folder.

    Raises:
        UntrustedCodeError: naming each setting, the feature it belongs to and how to opt in.
    """
    if trust_remote_code:
        return
    settings = remote_code_settings(config)
    if not settings:
        return
    listed = "\n".join(f"  - {setting}" for setting in settings)
    raise UntrustedCodeError(
        f"Loading the model folder {source!r} would run Python code: its config sets trust_remote_code, so "
        f"Hugging Face would import the modelling code of the checkpoint it names:\n{listed}\n"
        "A model folder is loaded as data; code from it, or from where its config points, runs only when you opt "
        f"in. If you trust that code, pass trust_remote_code=True: {OPT_IN}.",
        settings,
    )


def check_model_folder_trust(model_dir: str, config_file_name: str, trust_remote_code: bool = False) -> None:
    """``check_remote_code`` on the config file ``config_file_name`` of ``model_dir`` (skipped when it is missing)."""
    path = os.path.join(model_dir, config_file_name)
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        check_remote_code(json.load(f), model_dir, trust_remote_code)


class _Found(NamedTuple):
    """A true ``trust_remote_code``: its path, its value, and the feature and checkpoint it belongs to."""

    path: tuple[str | int, ...]
    value: Any
    feature: str | None
    checkpoint: str | None


def _find(value: Any, path: tuple[str | int, ...], context: dict[str, Any]) -> Iterator[_Found]:
    if isinstance(value, dict):
        checkpoint = value.get("pretrained_model_name_or_path")
        if isinstance(checkpoint, str):
            context = {**context, "checkpoint": checkpoint}
        if len(path) == 2 and path[0] in _FEATURE_LISTS and isinstance(value.get("name"), str):
            context = {**context, "feature": value["name"]}
        for key, item in value.items():
            if key == TRUST_REMOTE_CODE and _is_true(item):
                yield _Found((*path, key), item, context.get("feature"), context.get("checkpoint"))
            else:
                yield from _find(item, (*path, key), context)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _find(item, (*path, index), context)


def _is_true(value: Any) -> bool:
    # As Hugging Face reads it: any truthy value runs the code, the string "false" included.
    return bool(value)


def _format_path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(found: _Found) -> str:
    path = found.path
    if found.feature is not None:
        where = f"{_format_path(path[:2])} (feature {found.feature!r}): {_format_path(path[2:])}"
    else:
        where = _format_path(path)
    checkpoint = f", for the checkpoint {found.checkpoint!r}" if found.checkpoint else ""
    return f"{where} is {found.value!r}{checkpoint}"
