"""Prediction values made JSON-ready for the servers' answers."""

import math
from typing import Any


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python ones, and NaN into ``None``."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
