"""Assign every row of a dataset to the training (0), validation (1) or test (2) set.

One splitter per ``preprocessing.split.type``, registered in :data:`splitter_registry` under the names of the
config classes in ``ludwig/schema/split.py``. All of them work on whole columns (no Python loop over rows)
and are deterministic for a given random seed.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from marshmallow import ValidationError

from ludwig.error import ConfigValidationError, InputDataError
from ludwig.schema.split import split_config_registry
from ludwig.schema.utils import BaseConfig, TypeSelectionField, flatten_errors
from ludwig.utils.registry import Registry, did_you_mean

logger = logging.getLogger(__name__)

TRAINING_SPLIT, VALIDATION_SPLIT, TEST_SPLIT = 0, 1, 2
SPLIT_NAMES = ("training", "validation", "test")

_SPLIT_FEATURE_TYPE = "split"
_CONFIG_PATH = "preprocessing.split"
# 16 bytes, fixed forever: changing it would move rows between sets for every hash split.
_HASH_KEY = "ludwig-split-v01"
_MAX_SHOWN = 5

splitter_registry: Registry[type[Splitter]] = Registry("split type")


def split_dataset(
    df: pd.DataFrame, split_config: BaseConfig | Mapping[str, Any] | None, random_seed: int
) -> np.ndarray:
    """Assign each row of ``df`` to a split.

    Args:
        df: the dataset.
        split_config: a split config object (``ludwig.schema.split``), the ``preprocessing.split`` dict or
            ``None`` for the default random split.
        random_seed: seed of the random and stratified splits.

    Returns:
        An ``int8`` array aligned with the rows of ``df``: 0 = training, 1 = validation, 2 = test.

    Raises:
        ConfigValidationError: the split config is invalid or lacks a column its type needs.
        InputDataError: the split column is missing or holds values that cannot be used.
    """
    return get_splitter(split_config).split(df, random_seed)


def get_splitter(split_config: BaseConfig | Mapping[str, Any] | None) -> Splitter:
    """The splitter for a split config object or dict (``None`` means the default random split)."""
    config = _to_split_config(split_config)
    return splitter_registry[config.type](config)


def _to_split_config(split_config: BaseConfig | Mapping[str, Any] | None) -> BaseConfig:
    if isinstance(split_config, BaseConfig):
        return split_config
    field = TypeSelectionField(split_config_registry, "random")
    try:
        return field.deserialize({} if split_config is None else split_config)
    except ValidationError as e:
        raise ConfigValidationError(errors=flatten_errors(e.messages, _CONFIG_PATH)) from None


class Splitter(ABC):
    """Base of the splitters; ``config`` is the split config of the matching type."""

    def __init__(self, config: BaseConfig):
        self.config = config

    @abstractmethod
    def split(self, df: pd.DataFrame, random_seed: int) -> np.ndarray:
        """Return the split (0/1/2, ``int8``) of every row of ``df``."""

    def required_columns(self) -> list[str]:
        """Dataset columns this splitter reads (to be kept when loading only the used columns)."""
        column = getattr(self.config, "column", None)
        return [] if column is None else [column]

    def _column(self, df: pd.DataFrame) -> pd.Series:
        """The configured column of ``df``, with clear errors when it is not configured or not there."""
        column = getattr(self.config, "column", None)
        if column is None:
            raise ConfigValidationError(
                f"{_CONFIG_PATH}.column: split type {self.config.type!r} needs a column, found None. "
                f"Set {_CONFIG_PATH}.column to one of the dataset columns."
            )
        if column not in df.columns:
            available = [str(c) for c in df.columns]
            raise InputDataError(
                column,
                _SPLIT_FEATURE_TYPE,
                f"column not found in the dataset (needed by the {self.config.type!r} split); "
                f"available columns: {available}.{did_you_mean(column, available)}",
            )
        return df[column]


@splitter_registry.register("random")
class RandomSplitter(Splitter):
    """The rows Ludwig 0.17 puts in each split for the same seed: ``RandomState(seed)``'s permutation of the rows
    (what Ludwig's ``df.sample(frac=1, random_state=seed)`` draws) cut where Ludwig cuts it, so a model trained
    here is tested on the same rows as one trained by Ludwig."""

    def split(self, df: pd.DataFrame, random_seed: int) -> np.ndarray:
        order = np.random.RandomState(random_seed).permutation(len(df))
        train_end, validation_end = ludwig_random_divisions(len(df), self.config.probabilities)
        splits = np.full(len(order), TEST_SPLIT, dtype=np.int8)
        splits[order[:train_end]] = TRAINING_SPLIT
        splits[order[train_end:validation_end]] = VALIDATION_SPLIT
        return splits


MIN_SPLIT_ROWS = 3
"""Ludwig moves training rows into a non-empty validation or test split smaller than this."""


def ludwig_random_divisions(num_rows: int, probabilities: Sequence[float]) -> tuple[int, int]:
    """Ends of the training and validation ranges of a shuffled dataset, as Ludwig 0.17 computes them: training
    takes ``ceil(p_train * n)`` rows, validation ``floor(p_val * n)`` (everything left when ``p_test`` is 0), and a
    non-empty validation or test split of fewer than ``MIN_SPLIT_ROWS`` rows takes rows from training."""
    train_end = int(np.ceil(probabilities[0] * num_rows))
    validation_end = train_end + int(probabilities[1] * num_rows) if probabilities[2] > 0 else num_rows
    sizes = [train_end, validation_end - train_end, num_rows - validation_end]
    if 0 < sizes[2] < MIN_SPLIT_ROWS and sizes[0] > 0:
        shift = min(MIN_SPLIT_ROWS - sizes[2], sizes[0])
        train_end, validation_end = train_end - shift, validation_end - shift
    if 0 < sizes[1] < MIN_SPLIT_ROWS and sizes[0] > 0:
        train_end -= min(MIN_SPLIT_ROWS - sizes[1], train_end)
    return min(train_end, num_rows), min(max(validation_end, train_end), num_rows)


@splitter_registry.register("fixed")
class FixedSplitter(Splitter):
    """Reads each row's split from a column: 0/1/2 (numbers or strings) or train/training/validation/val/test."""

    _WORDS = {
        "0": TRAINING_SPLIT,
        "train": TRAINING_SPLIT,
        "training": TRAINING_SPLIT,
        "1": VALIDATION_SPLIT,
        "val": VALIDATION_SPLIT,
        "validation": VALIDATION_SPLIT,
        "2": TEST_SPLIT,
        "test": TEST_SPLIT,
    }

    def split(self, df: pd.DataFrame, random_seed: int) -> np.ndarray:
        column = self._column(df)
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
            codes = column.where(column.isin([0, 1, 2]))
        else:
            text = column.astype(str).str.strip().str.lower().str.replace(r"^([012])\.0*$", r"\1", regex=True)
            codes = text.map(self._WORDS)
        bad = codes.isna().to_numpy()
        if bad.any():
            self._raise_bad_values(column, bad)
        return codes.to_numpy(dtype=np.int8)

    def _raise_bad_values(self, column: pd.Series, bad: np.ndarray) -> None:
        shown = _first_unique(column[bad])
        raise InputDataError(
            str(column.name),
            _SPLIT_FEATURE_TYPE,
            f"{int(bad.sum())} row(s) have a value that is not a split, e.g. {shown}; expected 0/1/2 or "
            "'train'/'training' (0), 'validation'/'val' (1), 'test' (2).",
        )


@splitter_registry.register("stratify")
class StratifySplitter(Splitter):
    """Random split within each class of the column: each set keeps the class proportions."""

    def split(self, df: pd.DataFrame, random_seed: int) -> np.ndarray:
        codes, _ = pd.factorize(self._column(df), use_na_sentinel=False)
        shuffle = np.random.default_rng(random_seed).random(len(codes))
        # Rows grouped by class, in random order within each class.
        order = np.lexsort((shuffle, codes))
        counts = np.bincount(codes)
        starts = np.cumsum(counts) - counts
        sorted_codes = codes[order]
        rank = np.arange(len(order)) - starts[sorted_codes]
        sizes = counts[sorted_codes]
        bounds = _cumulative_bounds(self.config.probabilities, sizes)
        splits = np.empty(len(order), dtype=np.int8)
        splits[order] = (rank >= bounds[0]).astype(np.int8) + (rank >= bounds[1]).astype(np.int8)
        return splits


@splitter_registry.register("datetime")
class DateTimeSplitter(Splitter):
    """Chronological split: earliest rows to training, then validation, latest to test (stable for ties).

    Rows whose date is missing are ordered last (so they land in the test set) and a warning is logged.
    """

    def split(self, df: pd.DataFrame, random_seed: int) -> np.ndarray:
        column = self._column(df)
        parsed = self._parse(column)
        missing = parsed.isna().to_numpy()
        if missing.any():
            logger.warning(
                "Column %r: %d row(s) have no date and are placed last (test set) by the datetime split.",
                column.name,
                int(missing.sum()),
            )
        instants = parsed.to_numpy(dtype="datetime64[us]").view(np.int64)
        order = np.lexsort((instants, missing))  # lexsort is stable: ties keep their row order.
        return _assign_in_order(order, self.config.probabilities)

    def _parse(self, column: pd.Series) -> pd.Series:
        datetime_format = self.config.datetime_format
        parsed = _to_datetime(column, datetime_format)
        unparsed = parsed.isna() & column.notna()
        if unparsed.any() and datetime_format is None:
            # Values in several formats: parse each on its own (slower, so only when needed).
            parsed = _to_datetime(column, "mixed")
            unparsed = parsed.isna() & column.notna()
        if unparsed.any():
            shown = _first_unique(column[unparsed.to_numpy()])
            expected = f"format {datetime_format!r}" if datetime_format else "a date/time pandas can parse"
            raise InputDataError(
                str(column.name),
                _SPLIT_FEATURE_TYPE,
                f"{int(unparsed.sum())} value(s) cannot be parsed as dates for the datetime split, e.g. {shown}; "
                f"expected {expected}. Set {_CONFIG_PATH}.datetime_format if the format is not inferred.",
            )
        return parsed


@splitter_registry.register("hash")
class HashSplitter(Splitter):
    """Split by a keyed SipHash of each value's string: the same key always gets the same split.

    The hash depends only on the value (not on row order, the seed or the process), so rows keep their set
    when the dataset grows or is shuffled.
    """

    def split(self, df: pd.DataFrame, random_seed: int) -> np.ndarray:
        unit = _stable_unit_hash(self._column(df))
        cut_points = np.cumsum(self.config.probabilities)[:2]
        return np.searchsorted(cut_points, unit, side="right").astype(np.int8)


# ---------------------------------------------------------------------------------------------------------
# Helpers.


def _cumulative_bounds(probabilities: Sequence[float], sizes: np.ndarray | int) -> tuple[Any, Any]:
    """End of the training and validation ranges for ``sizes`` rows, by rounding cumulative shares."""
    cumulative = np.cumsum(probabilities)
    sizes = np.asarray(sizes)
    train_end = np.rint(cumulative[0] * sizes).astype(np.int64)
    validation_end = np.maximum(np.rint(cumulative[1] * sizes).astype(np.int64), train_end)
    return np.minimum(train_end, sizes), np.minimum(validation_end, sizes)


def _assign_in_order(order: np.ndarray, probabilities: Sequence[float]) -> np.ndarray:
    """Give the first rows of ``order`` to training, the next to validation and the rest to test."""
    train_end, validation_end = _cumulative_bounds(probabilities, len(order))
    splits = np.full(len(order), TEST_SPLIT, dtype=np.int8)
    splits[order[:train_end]] = TRAINING_SPLIT
    splits[order[train_end:validation_end]] = VALIDATION_SPLIT
    return splits


def _to_datetime(column: pd.Series, datetime_format: str | None) -> pd.Series:
    with warnings.catch_warnings():
        # pandas warns when it falls back to parsing element by element; unparsed values are reported instead.
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(column, format=datetime_format, errors="coerce", utc=True)


def _stable_unit_hash(column: pd.Series) -> np.ndarray:
    """Map each value's string to [0, 1) with a keyed hash that is the same in every process."""
    text = column.astype(str).to_numpy(dtype=object)
    text[column.isna().to_numpy()] = ""  # pandas 3 keeps missing values missing through astype(str).
    hashes = pd.util.hash_array(text, hash_key=_HASH_KEY, categorize=True)
    # The top 53 bits give an exactly representable float in [0, 1).
    return (hashes >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _first_unique(values: pd.Series) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in pd.unique(values)[:_MAX_SHOWN]]
