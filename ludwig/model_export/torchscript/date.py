"""TorchScript preprocessing of date inputs: date strings -> the ``int32 [rows, 9]`` components Python makes.

Python (:func:`ludwig.utils.date_utils.parse_dates`, then ``column_dates``) reads a column with pandas. The scripted
module reproduces, without pandas, what decides the result:

* a ``strptime`` reader with the semantics pandas gives a format (:mod:`.date_strptime`): for ISO 8601 formats
  pandas' ISO reader first; then the regular expression CPython's ``_strptime`` builds; then pandas' field rules;
* without ``preprocessing.datetime_format``: the format recorded at training time
  (``metadata["inferred_datetime_format"]``), and for the values that do not follow it (or for models without
  one) pandas' ISO 8601 reader (:mod:`.date_iso`), which pandas tries before dateutil;
* timezones as pandas resolves them in each parsing pass: if every aware value of the pass has the same offset
  and no value of the pass is naive, wall-clock time; else aware values are converted to UTC;
* the fill rules of ``column_dates``: an unreadable value becomes the ``fill_value`` date when that is a date,
  an empty one 1970-01-01, and any other is an error.

Not read (Python reads them; here they take the fill rules): values only dateutil understands (month names
without a matching format, "t" as the date/time separator, ...), "now"/"today", non-ASCII digits or whitespace,
``%Z`` zone names other than UTC/GMT and the fixed ``Etc/`` zones.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

from typing import Any

import pandas as pd
import torch
from torch import nn

from ludwig.features import date_feature
from ludwig.model_export.torchscript.ascii_codes import stripped_codes
from ludwig.model_export.torchscript.base import fill_string, preprocessor_registry
from ludwig.model_export.torchscript.date_calendar import date_vector
from ludwig.model_export.torchscript.date_iso import iso_read
from ludwig.model_export.torchscript.date_strptime import StrptimeReader
from ludwig.utils.date_utils import DATE_VECTOR_LENGTH, date_components


class DatePreprocessor(nn.Module):
    """Date strings -> ``int32 [rows, 9]``: year, month, day, weekday, yearday, hour, minute, second, second of
    the day, as ``DateFeatureMixin.feature_data`` makes them."""

    fill_date: list[int]
    empty_date: list[int]

    def __init__(
        self,
        name: str,
        metadata: dict[str, Any],
        reader: StrptimeReader,
        iso_fallback: bool,
        two_passes: bool,
        hint: str,
        fill_date: pd.Timestamp | None,
    ):
        """``reader`` reads the format (an empty one: none); ``iso_fallback``: values it does not read go to the
        ISO 8601 reader, in a second parsing pass when ``two_passes``; ``hint`` says in errors what was tried;
        ``fill_date`` replaces unreadable values (None: an empty value is 1970-01-01, any other an error)."""
        super().__init__()
        self.name = name
        self.fill = fill_string(metadata)
        self.reader = reader
        self.has_format = len(reader.kinds) > 0
        self.iso_fallback = iso_fallback
        self.two_passes = two_passes
        self.hint = hint
        self.has_fill_date = fill_date is not None
        self.width = DATE_VECTOR_LENGTH
        empty = date_feature.EMPTY_DATE
        components = date_components(pd.Series([empty if fill_date is None else fill_date, empty]))
        self.fill_date, self.empty_date = components.tolist()

    def _unreadable(self, value: str, empty: bool, row: int) -> list[int]:
        if self.has_fill_date:
            return self.fill_date
        if empty:
            return self.empty_date
        raise ValueError(
            "date feature '" + self.name + "': row " + str(row) + ": cannot parse '" + value + "' as a date ("
            + self.hint + "). Set preprocessing.fill_value to a date to replace unreadable values."
        )  # fmt: skip

    def forward(self, values: list[str]) -> torch.Tensor:
        """One row of components per value ("" is the training fill)."""
        texts: list[str] = []
        empty: list[bool] = []
        parsed: list[list[int]] = []
        passes: list[int] = []  # which parsing pass read the value: the format's (0) or the ISO reader's (1)
        no_format: list[int] = []
        for value in values:
            text = self.fill if value == "" else value
            codes = stripped_codes(text)
            texts.append(text)
            empty.append(len(codes) == 0)
            result: list[int] = []
            second_pass = 0
            if len(codes) > 0:
                if self.has_format:
                    result = self.reader.read(codes)
                if len(result) == 0 and self.iso_fallback:
                    result = iso_read(codes, no_format, False)
                    second_pass = 1 if self.two_passes else 0
            parsed.append(result)
            passes.append(second_pass)
        to_utc: list[bool] = []
        for which in range(2):
            counted = _drop_outside_nanosecond_range(parsed, passes, which)
            to_utc.append(_pass_to_utc(parsed, passes, which, counted))
        rows: list[list[int]] = []
        for i in range(len(parsed)):
            result = parsed[i]
            if len(result) == 0:
                rows.append(self._unreadable(texts[i], empty[i], i))
            else:
                # [days, seconds, nanoseconds, aware, offset, ...]: an aware value to UTC when its pass says so
                seconds = result[1] - result[4] if to_utc[passes[i]] and result[3] == 1 else result[1]
                rows.append(date_vector(result[0], seconds))
        if len(rows) == 0:
            return torch.zeros(0, self.width, dtype=torch.int32)
        return torch.tensor(rows, dtype=torch.int32)


def _in_nanosecond_range(days: int, seconds: int, nanos: int) -> bool:
    """Whether a time fits ``datetime64[ns]`` (1677-09-21 00:12:43.145224193 .. 2262-04-11 23:47:16.854775807)."""
    days = days + seconds // 86400
    seconds = seconds % 86400
    if days < -106752 or (days == -106752 and (seconds < 763 or (seconds == 763 and nanos < 145224193))):
        return False
    return not (days > 106751 or (days == 106751 and (seconds > 85636 or (seconds == 85636 and nanos > 854775807))))


def _drop_outside_nanosecond_range(parsed: list[list[int]], passes: list[int], which: int) -> list[int]:
    """pandas gives a parsing pass nanosecond resolution when a value has more than 6 fractional digits; values
    whose wall-clock or UTC time is then out of range are not read. Returns the offsets pandas still counts for the
    pass's timezone check (its ISO parser records an offset before converting to UTC)."""
    counted: list[int] = []
    unread: list[int] = []
    fine = False
    for i in range(len(parsed)):
        if passes[i] == which and len(parsed[i]) > 0 and parsed[i][5] == 1:
            fine = True
    if not fine:
        return counted
    for i in range(len(parsed)):
        p = parsed[i]
        if passes[i] == which and len(p) > 0:
            if not _in_nanosecond_range(p[0], p[1], p[2]):
                parsed[i] = unread
            elif not _in_nanosecond_range(p[0], p[1] - p[4], p[2]):
                parsed[i] = unread
                if p[6] == 1:
                    counted.append(p[4])
    return counted


def _pass_to_utc(parsed: list[list[int]], passes: list[int], which: int, offsets: list[int]) -> bool:
    """Whether pandas converts the aware values of a parsing pass to UTC: the pass has several offsets (``offsets``
    starts with those of values it did not read), or naive values besides aware ones."""
    naive = False
    for i in range(len(parsed)):
        if passes[i] == which and len(parsed[i]) > 0:
            if parsed[i][3] == 0:
                naive = True
            elif parsed[i][4] not in offsets:
                offsets.append(parsed[i][4])
    distinct: list[int] = []
    for offset in offsets:
        if offset not in distinct:
            distinct.append(offset)
    return len(distinct) > 1 or (len(distinct) == 1 and naive)


@preprocessor_registry.register("date")
def build_date(feature, metadata: dict[str, Any]) -> nn.Module:
    """The scripted preprocessor of a date feature: ``datetime_format`` (a ``strptime`` format, or pandas'
    "ISO8601"/"mixed"), else the format inferred at training, with the ISO 8601 reader for the values it does not
    read. Raises ``Unscriptable`` for a format the reader cannot read."""
    fmt = feature.preprocessing.datetime_format
    inferred = metadata.get("inferred_datetime_format")
    iso_fallback, two_passes = fmt is None, False
    if fmt in ("ISO8601", "mixed"):  # pandas' per-value formats (ISO 8601, then dateutil for "mixed")
        reader, iso_fallback = StrptimeReader("", "datetime_format"), True
        hint = f"it is not an ISO 8601 date, which is what datetime_format {fmt!r} reads in TorchScript"
    elif fmt is not None:
        reader, hint = (
            StrptimeReader(fmt, "preprocessing.datetime_format"),
            f"it does not follow datetime_format {fmt!r}",
        )
    elif inferred is not None:
        reader = StrptimeReader(inferred, "the datetime format inferred at training")
        two_passes = bool(metadata.get("inferred_datetime_format_guessed", False))
        hint = f"it follows neither the training values' format {inferred!r} nor ISO 8601"
    else:
        reader, hint = StrptimeReader("", "datetime_format"), "it is not an ISO 8601 date"
    return DatePreprocessor(
        feature.name, metadata, reader, iso_fallback, two_passes, hint, date_feature.fill_date(feature)
    )
