"""Date features: date/time values parsed into their calendar components."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from ludwig.constants import DATE
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature
from ludwig.features.feature_registries import register_feature
from ludwig.utils.date_utils import DATE_VECTOR_LENGTH, date_components, infer_datetime_format, parse_dates

logger = logging.getLogger(__name__)

# What an empty value (a missing value filled with the default "") stands for when fill_value is not a date.
EMPTY_DATE = pd.Timestamp("1970-01-01")


def fill_date(config) -> pd.Timestamp | None:
    """``preprocessing.fill_value`` as a date, or None when it is empty or not a date."""
    fill_value = config.preprocessing.fill_value
    if fill_value in (None, ""):
        return None
    parsed = parse_dates(pd.Series([fill_value]), config.preprocessing.datetime_format)
    return None if pd.isna(parsed.iloc[0]) else parsed.iloc[0]


def column_dates(config, column: pd.Series) -> pd.Series:
    """The column parsed as dates, every value resolved.

    A value that cannot be parsed is replaced by ``fill_value`` when that is a date itself (as Ludwig does);
    otherwise an empty value stands for 1970-01-01 and any other value is an error naming its row.
    """
    rows = column.index  # the caller's row labels, for error messages
    column = column.reset_index(drop=True)
    dates = parse_dates(column, config.preprocessing.datetime_format)
    unparsed = dates.isna()
    if not unparsed.any():
        return dates
    fill = fill_date(config)
    text = column.astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy()
    bad = unparsed.to_numpy() & ~empty
    if fill is None and bad.any():
        first = int(np.flatnonzero(bad)[0])
        fmt = config.preprocessing.datetime_format
        hint = f"it does not follow datetime_format {fmt!r}" if fmt else "no date format reads it"
        raise InputDataError(
            config.column,
            DATE,
            f"row {rows[first]}: cannot parse {column.iloc[first]!r} as a date ({hint}; {int(bad.sum())} such "
            "rows). Set preprocessing.datetime_format, or a preprocessing.fill_value date to replace unreadable "
            "values.",
        )
    if bad.any():
        logger.warning(
            'Date "%s": %d values could not be parsed (first at row %s: %r); replaced by fill_value %r.',
            config.name,
            int(bad.sum()),
            rows[int(np.flatnonzero(bad)[0])],
            column.iloc[int(np.flatnonzero(bad)[0])],
            config.preprocessing.fill_value,
        )
    return dates.where(~unparsed, fill if fill is not None else EMPTY_DATE)


class DateFeatureMixin(BaseFeatureMixin):
    type = DATE

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        dates = column_dates(config, column)
        years = dates.dt.year.astype(np.float64)
        inferred, guessed = (None, False)
        if config.preprocessing.datetime_format is None:
            inferred, guessed = infer_datetime_format(column, dates)
        return {
            # Used by the encoders to standardise the year before their linear unit.
            "year_mean": float(years.mean()) if len(years) else 0.0,
            "year_std": float(years.std(ddof=0)) if len(years) > 1 else 1.0,
            # The format the training values follow, for exports that read dates without pandas (TorchScript).
            "inferred_datetime_format": inferred,
            "inferred_datetime_format_guessed": guessed,
        }

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        """The int32 ``[rows, 9]`` matrix of year, month, day, weekday, yearday, hour, minute, second and
        second of the day."""
        if len(column) == 0:
            return np.zeros((0, DATE_VECTOR_LENGTH), dtype=np.int32)
        return date_components(column_dates(config, column))


class DateInputFeature(InputFeature):
    @staticmethod
    def input_size(metadata: dict[str, Any]) -> int:
        return DATE_VECTOR_LENGTH


register_feature(DATE, DateFeatureMixin, DateInputFeature)
