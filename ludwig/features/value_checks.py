"""Checks of raw values shared by the feature types: numbers that cannot be read, values outside a vocabulary.

What cannot be read as a number becomes missing, with one warning per column naming it, how many values and a few
examples; a column with nothing readable is refused. Vectorised (``pandas.to_numeric`` and masks): the work beyond
parsing is done only on the values that failed to parse.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ludwig.error import InputDataError

logger = logging.getLogger(__name__)

#: How many unreadable values a message quotes.
EXAMPLES = 5

#: Strings that stand for a missing value (compared stripped and lower-cased), as pandas' CSV reader reads them.
MISSING_TOKENS = frozenset({"", "nan", "-nan", "na", "n/a", "#n/a", "null", "none", "<na>"})


def fits_int64(values: pd.Series) -> bool:
    """Whether every float of ``values`` is a whole number a 64-bit integer holds (``3.0`` yes, ``1e308`` no)."""
    return bool(((values % 1 == 0) & (values.abs() < 2.0**63)).all())


def quoted_examples(values: pd.Series, limit: int = EXAMPLES) -> list[str]:
    """Up to ``limit`` distinct values as strings, in order of appearance, for an error or warning message."""
    return [str(v) for v in values.astype(str).unique()[:limit]]


def missing_tokens(values: pd.Series) -> np.ndarray:
    """Which values are strings standing for a missing value ("", "NaN", "null"...): a boolean mask."""
    return values.astype(str).str.strip().str.lower().isin(MISSING_TOKENS).to_numpy(dtype=bool)


def read_numbers(column: pd.Series, feature_type: str) -> pd.Series:
    """The column as float64: values that are not finite numbers become NaN (missing).

    Missing values and strings standing for them ("", "NaN", "null") stay missing without a word. Anything else
    that is not a finite number ("abc", "1,5", "inf") is counted and reported in one warning naming the column.

    Args:
        column: the raw column; its ``name`` is the dataset column named in messages.
        feature_type: the feature type reading it, named in the error.

    Returns:
        A float64 series with the column's index and name.

    Raises:
        InputDataError: the column has values but none of them is a number.
    """
    numbers = pd.to_numeric(column, errors="coerce").astype(np.float64)
    values = numbers.to_numpy()
    infinite = np.isinf(values)
    if pd.api.types.is_float_dtype(column.dtype):
        unreadable = infinite  # a float column has nothing to parse
    else:
        unparsed = np.isnan(values) & column.notna().to_numpy()
        if unparsed.any():
            unparsed[np.flatnonzero(unparsed)[missing_tokens(column[unparsed])]] = False
        unreadable = unparsed | infinite
    if not unreadable.any():
        return numbers
    count = int(unreadable.sum())
    examples = quoted_examples(column[unreadable])
    if not np.isfinite(values).any():
        raise InputDataError(
            str(column.name),
            feature_type,
            f"none of its {count} values can be read as a finite number, e.g. {examples}. Check that the feature "
            "reads the right column, or declare the column as a category or text feature.",
        )
    logger.warning(
        '%s column "%s": %d of %d values cannot be read as finite numbers and are treated as missing '
        "(filled by the feature's missing_value_strategy), e.g. %s.",
        feature_type.capitalize(),
        column.name,
        count,
        len(column),
        examples,
    )
    return numbers.mask(infinite)
