"""What every TorchScript pre/postprocessor module shares: the registries and the interface types.

A preprocessor turns one input feature's raw column (``list[str]``, as read from a CSV; ``""`` is a missing value)
into the tensor the model was trained on. A postprocessor turns one output feature's slice of the ECD core's
predictions into ``{"predictions": ..., "probabilities": ..., ...}``. Each feature type registers a builder
``build(feature_config, metadata) -> nn.Module`` under its type name; a builder raises :class:`Unscriptable` when an
option of the feature has no TorchScript form.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import math
from collections.abc import Callable
from typing import Any, Union

import torch
from torch import nn

from ludwig.utils.registry import Registry

#: A value of a postprocessor's result: a tensor, one string per row, or a list of strings or floats per row.
ScriptedValue = Union[torch.Tensor, list[str], list[list[str]], list[list[float]]]

Builder = Callable[[Any, dict[str, Any]], nn.Module]
preprocessor_registry: Registry[Builder] = Registry("TorchScript preprocessor")
postprocessor_registry: Registry[Builder] = Registry("TorchScript postprocessor")


class Unscriptable(ValueError):
    """A feature option that TorchScript cannot run; the message says which option and what would work."""


def fill_string(metadata: dict[str, Any]) -> str:
    """The training-time fill of missing values (``computed_fill_value``) as the raw string it stands for."""
    fill = metadata.get("preprocessing", {}).get("computed_fill_value")
    return "" if fill is None else str(fill)


def _digits_end(text: str, start: int) -> int:
    """The index after the run of ASCII digits that begins at ``start``."""
    end = start
    while end < len(text) and text[end] >= "0" and text[end] <= "9":
        end += 1
    return end


def is_float_literal(text: str) -> bool:
    """Whether ``float(text)`` reads the (stripped, ASCII) ``text``: a signed decimal with an optional exponent,
    or inf / infinity / nan. TorchScript has no ``try``, so values are checked before ``float`` sees them."""
    body = text[1:] if text.startswith("+") or text.startswith("-") else text
    if body.lower() in ["inf", "infinity", "nan"]:
        return True
    integer_end = _digits_end(body, 0)
    end = integer_end
    fraction_digits = 0
    if end < len(body) and body[end] == ".":
        fraction_end = _digits_end(body, end + 1)
        fraction_digits = fraction_end - end - 1
        end = fraction_end
    if integer_end == 0 and fraction_digits == 0:
        return False
    if end < len(body) and (body[end] == "e" or body[end] == "E"):
        exponent_start = end + 1
        if exponent_start < len(body) and (body[exponent_start] == "+" or body[exponent_start] == "-"):
            exponent_start += 1
        end = _digits_end(body, exponent_start)
        if end == exponent_start:
            return False
    return end == len(body)


def is_finite_number(text: str) -> bool:
    """Whether the stripped ``text`` reads as a finite number (not ``nan``, ``inf``, ``1e999`` or ``abc``)."""
    return is_float_literal(text) and math.isfinite(float(text))


def blank_non_numbers(values: list[str]) -> list[str]:
    """``values`` with every value that is not a finite number replaced by ``""``, the scripted missing value."""
    return [text if is_finite_number(text) else "" for text in [value.strip() for value in values]]
