"""Files and folders: config files, JSON, numbered run directories."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np


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


def get_output_directory(output_directory: str, experiment_name: str, model_name: str) -> str:
    """Create and return ``<output_directory>/<experiment>_<model>``, adding ``_0``, ``_1``... if it exists."""
    base = os.path.join(output_directory, f"{experiment_name}_{model_name}" if model_name else experiment_name)
    path, suffix = base, 0
    while os.path.exists(path):
        path = f"{base}_{suffix}"
        suffix += 1
    os.makedirs(path)
    return path


def _json_default(value: Any) -> Any:
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
