"""Config of ``preprocessing.split``: how rows are divided into training, validation and test sets.

Each split type is a config class registered under its ``type`` name in :data:`split_config_registry`; the
splitters that apply them live in ``ludwig/data/split.py`` under the same names.
"""

from __future__ import annotations

import math
from typing import Any

from marshmallow import ValidationError, fields

from ludwig.schema.utils import BaseConfig, ProtectedString, String, TypeSelection, config_class, config_field
from ludwig.utils.registry import Registry

split_config_registry: Registry[type[BaseConfig]] = Registry("split type")

DEFAULT_PROBABILITIES = [0.7, 0.1, 0.2]
PROBABILITIES_TOLERANCE = 1e-6


class ProbabilitiesField(fields.Field):
    """Three non-negative numbers summing to 1: the shares of training, validation and test rows."""

    def _deserialize(self, value, attr, data, **kwargs) -> list[float]:
        expected = "a list of 3 non-negative numbers (training, validation, test) summing to 1"
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise ValidationError(f"Expected {expected}, found {type(value).__name__} {value!r}.")
        if len(value) != 3:
            raise ValidationError(f"Expected {expected}, found {len(value)} values: {value!r}.")
        if not all(_is_number(p) for p in value):
            raise ValidationError(f"Expected {expected}, found non-numeric values in {value!r}.")
        if any(p < 0 for p in value):
            raise ValidationError(f"Expected {expected}, found negative values in {value!r}.")
        total = math.fsum(value)
        if abs(total - 1.0) > PROBABILITIES_TOLERANCE:
            raise ValidationError(f"Expected {expected}, found {value!r} which sums to {total:g}.")
        return [float(p) for p in value]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def Probabilities(description: str = "") -> Any:
    """The ``probabilities`` field of a split config (default ``[0.7, 0.1, 0.2]``)."""
    return config_field(DEFAULT_PROBABILITIES, ProbabilitiesField(), description)


_PROBABILITIES_DESCRIPTION = "Shares of rows for the training, validation and test sets; three numbers summing to 1."


@split_config_registry.register("random")
@config_class
class RandomSplitConfig(BaseConfig):
    """Shuffle the rows with the random seed and cut them by ``probabilities``."""

    type: str = ProtectedString("random", description="Random split.")
    probabilities: list[float] = Probabilities(_PROBABILITIES_DESCRIPTION)


@split_config_registry.register("fixed")
@config_class
class FixedSplitConfig(BaseConfig):
    """Take each row's split from a column (0/1/2 or training/validation/test)."""

    type: str = ProtectedString("fixed", description="Split given by a column of the dataset.")
    column: str = String(
        "split",
        description="Column holding each row's split: 0 (or 'train'/'training'), 1 ('validation'/'val'), 2 ('test').",
    )


@split_config_registry.register("stratify")
@config_class
class StratifySplitConfig(BaseConfig):
    """Random split within each class of ``column``, so every set keeps the class proportions."""

    type: str = ProtectedString("stratify", description="Stratified random split.")
    column: str | None = String(
        None, allow_none=True, description="Column whose class proportions are preserved (required)."
    )
    probabilities: list[float] = Probabilities(_PROBABILITIES_DESCRIPTION)


@split_config_registry.register("datetime")
@config_class
class DateTimeSplitConfig(BaseConfig):
    """Chronological split: the earliest rows go to training, then validation, the latest to test."""

    type: str = ProtectedString("datetime", description="Chronological split by a date/time column.")
    column: str | None = String(None, allow_none=True, description="Date/time column to order rows by (required).")
    probabilities: list[float] = Probabilities(_PROBABILITIES_DESCRIPTION)
    datetime_format: str | None = String(
        None,
        allow_none=True,
        description="strftime format of the column (e.g. '%Y-%m-%d'); inferred by pandas when not given.",
    )


@split_config_registry.register("hash")
@config_class
class HashSplitConfig(BaseConfig):
    """Deterministic split by a stable hash of a key column: a key always lands in the same set."""

    type: str = ProtectedString("hash", description="Split by a stable hash of a key column.")
    column: str | None = String(None, allow_none=True, description="Key column to hash, e.g. an id (required).")
    probabilities: list[float] = Probabilities(_PROBABILITIES_DESCRIPTION)


def SplitField() -> Any:
    """The ``preprocessing.split`` field: a split config chosen by ``type`` (default ``random``)."""
    return TypeSelection(
        split_config_registry,
        "random",
        description="How to split the dataset into training, validation and test sets: "
        f"one of {sorted(split_config_registry)}.",
    )
