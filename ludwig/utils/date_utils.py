"""Parsing a column of dates into the integer components date features are encoded from, column-wise."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# The components of a preprocessed date, in Ludwig's order.
DATE_COMPONENTS = ("year", "month", "day", "weekday", "yearday", "hour", "minute", "second", "second_of_day")
DATE_VECTOR_LENGTH = len(DATE_COMPONENTS)


def _to_datetime(strings: pd.Series, **kwargs) -> pd.Series:
    with warnings.catch_warnings():
        # pandas warns when it falls back to dateutil per element; the fallback is what we ask for here.
        warnings.simplefilter("ignore", UserWarning)
        try:
            return pd.to_datetime(strings, errors="coerce", **kwargs)
        except (ValueError, TypeError):
            # Mixed UTC offsets cannot share a dtype; read them as UTC instead.
            return pd.to_datetime(strings, errors="coerce", utc=True, **kwargs)


def _naive(dates: pd.Series) -> pd.Series:
    """Timezone-aware dates as their wall-clock time (the components a reader of the value sees)."""
    return dates.dt.tz_localize(None) if getattr(dates.dt, "tz", None) is not None else dates


def parse_dates(column: pd.Series, datetime_format: str | None = None) -> pd.Series:
    """The column as ``datetime64`` values; NaT where a value is empty or cannot be read.

    With ``datetime_format`` every value must follow it (``strptime`` codes). Without, the format is inferred from
    the first value and applied to the whole column at once; values that do not follow it are parsed one by one
    (pandas' ``format="mixed"``), so columns mixing several formats still work.
    """
    if pd.api.types.is_datetime64_any_dtype(column):
        return _naive(column)
    text = column.astype("string").str.strip()
    present = text.notna() & (text != "")
    strings = text.astype(object).where(present, None)
    if datetime_format is not None:
        return _naive(_to_datetime(strings, format=datetime_format))
    parsed = _naive(_to_datetime(strings))
    failed = parsed.isna() & present
    if failed.any():
        parsed = parsed.where(~failed, _naive(_to_datetime(strings[failed], format="mixed")))
    return parsed


def date_components(dates: pd.Series) -> np.ndarray:
    """The ``[rows, 9]`` int32 matrix of :data:`DATE_COMPONENTS` of parsed (non-missing) dates.

    ``weekday`` is 0 for Monday; ``yearday`` counts from 1; ``second_of_day`` is seconds since midnight.
    """
    accessor = dates.dt
    hour, minute, second = accessor.hour, accessor.minute, accessor.second
    columns = [
        accessor.year,
        accessor.month,
        accessor.day,
        accessor.day_of_week,
        accessor.day_of_year,
        hour,
        minute,
        second,
        hour * 3600 + minute * 60 + second,
    ]
    return np.stack([c.to_numpy(dtype=np.int64) for c in columns], axis=1).astype(np.int32)
