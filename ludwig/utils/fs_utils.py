"""Files and folders: config files, JSON, numbered run directories, names kept inside their folder."""

from __future__ import annotations

import json
import math
import ntpath
import os
from typing import Any

from ludwig.error import UnsafePathError

#: What a user-given name joined to a folder (an experiment name, a model name...) may be.
PATH_NAME_ALLOWED = (
    "a relative name inside the output directory: folder names joined by '/', none of them '..' "
    "(e.g. 'my_experiment' or 'team/my_experiment')"
)


def load_config_file(path: str) -> dict[str, Any]:
    """Read a YAML (or JSON) config file into a dict."""
    import yaml

    if not os.path.exists(path):
        raise FileNotFoundError(f"Config file {path} does not exist.")
    with open(path) as f:
        try:
            config = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ValueError(f"Config file {path} is not valid YAML: {e}") from None
    if not isinstance(config, dict):
        raise ValueError(f"Config file {path} must hold a mapping, found {type(config).__name__}.")
    return config


def path_name_problem(name: Any) -> str | None:
    """Why ``name``, joined to a folder, would not stay inside it; None when it would.

    Refused, on every OS: absolute paths (``/x``, ``\\x``, ``C:\\x``), drive names (``C:x``), ``..`` parts (with
    ``/`` or ``\\`` as separator) and NUL characters.
    """
    if not isinstance(name, str):
        return f"it is a {type(name).__name__}, not a string"
    if "\x00" in name:
        return "it holds a NUL character"
    if os.path.isabs(name) or ntpath.isabs(name) or name.startswith(("/", "\\")):
        return "it is an absolute path"
    if ntpath.splitdrive(name)[0]:
        return "it names a drive"
    if ".." in name.replace("\\", "/").split("/"):
        return "it has a '..' part"
    return None


def check_path_name(name: Any, argument: str) -> Any:
    """Check that the user-given ``name`` of ``argument`` stays inside the folder it is joined to; returns it.

    None passes (no name given). See ``path_name_problem`` for what is refused.

    Raises:
        UnsafePathError: naming ``argument``, the value and what is allowed.
    """
    if name is None:
        return name
    problem = path_name_problem(name)
    if problem is not None:
        raise UnsafePathError(
            f"{argument}: {name!r} would leave the output directory: {problem}. Allowed: {PATH_NAME_ALLOWED}.",
            argument,
            name,
            problem,
        )
    return name


def join_inside(directory: str, name: str, argument: str) -> str:
    """``os.path.join(directory, name)`` once ``check_path_name(name, argument)`` passed."""
    return os.path.join(directory, check_path_name(name, argument))


def get_output_directory(output_directory: str, experiment_name: str, model_name: str) -> str:
    """Create and return ``<output_directory>/<experiment>_<model>``, adding ``_0``, ``_1``... if it exists.

    Raises:
        UnsafePathError: ``experiment_name`` or ``model_name`` would leave ``output_directory``.
    """
    check_path_name(experiment_name, "experiment_name")
    check_path_name(model_name, "model_name")
    base = os.path.join(output_directory, f"{experiment_name}_{model_name}" if model_name else experiment_name)
    path, suffix = base, 0
    while os.path.exists(path):
        path = f"{base}_{suffix}"
        suffix += 1
    os.makedirs(path)
    return path


def _json_default(value: Any) -> Any:
    import numpy as np  # here, so that the command line can check names without importing numpy

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _finite(value: Any) -> Any:
    """Replace NaN/inf (not valid JSON) with None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def save_json(path: str, data: Any) -> None:
    with open(path, "w") as f:
        json.dump(_finite(json.loads(json.dumps(data, default=_json_default))), f, indent=2, allow_nan=False)
