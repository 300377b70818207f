"""Parsing a column of dates into the integer components date features are encoded from, column-wise."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# Layouts pandas cannot guess from a value (12-hour clocks), tried in order when it guesses none.
UNGUESSABLE_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %I:%M:%S %p",
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%d %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %I:%M %p",
)

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


def infer_datetime_format(column: pd.Series, dates: pd.Series | None = None) -> tuple[str | None, bool]:
    """A strptime format that reads the column as :func:`parse_dates` does, and whether pandas guesses it itself.

    For exports that cannot run pandas. The format pandas guesses from the first value when it reads that value
    (``parse_dates`` then reads the values following it with it, and the others one by one); else the first of
    :data:`UNGUESSABLE_FORMATS` that reads the first value and gives every value it reads the date ``dates`` holds
    for it (the column as Python read it, row for row; parsed here when not given). ``(None, False)`` when there
    is none, or the column holds datetimes rather than strings.
    """
    from pandas.tseries.api import guess_datetime_format

    if pd.api.types.is_datetime64_any_dtype(column):
        return None, False
    text = column.astype("string").str.strip()
    present = (text.notna() & (text != "")).to_numpy()
    strings = text[present].astype(object)
    if len(strings) == 0:
        return None, False
    first = strings.iloc[:1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas warns when it guesses day-first formats
        guessed = guess_datetime_format(first.iloc[0])
    if guessed is not None and _naive(_to_datetime(first, format=guessed)).notna().all():
        return guessed, True
    candidates = [fmt for fmt in UNGUESSABLE_FORMATS if _naive(_to_datetime(first, format=fmt)).notna().all()]
    if candidates:
        reference = (parse_dates(column) if dates is None else dates).to_numpy()[present]
        for fmt in candidates:
            parsed = _naive(_to_datetime(strings, format=fmt)).to_numpy()
            read = ~pd.isna(parsed)
            if (parsed[read] == reference[read]).all():
                return fmt, False
    return None, False


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
