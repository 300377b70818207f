"""TorchScript preprocessing of date inputs: date strings -> the ``int32 [rows, 9]`` components Python makes.

Python (:func:`ludwig.utils.date_utils.parse_dates`, then ``column_dates``) reads a column with pandas. The scripted
module reproduces, without pandas, what decides the result:

* a ``strptime`` reader with the semantics pandas gives a format: for ISO 8601 formats pandas' ISO reader first;
  then the regular expression CPython's ``_strptime`` builds (the first match of the pattern must cover the value;
  case-insensitive; a whitespace run matches any run; alternatives tried in the same order); then pandas' field
  rules (``%I``/``%p``, ``%j``, the ``%y`` century, ``%z`` offsets, invalid dates);
* without ``preprocessing.datetime_format``: the format recorded at training time
  (``metadata["inferred_datetime_format"]``), and for the values that do not follow it (or for models without
  one) pandas' ISO 8601 reader, which pandas tries before dateutil;
* timezones as pandas resolves them in each parsing pass: if every aware value of the pass has the same offset
  and no value of the pass is naive, wall-clock time; else aware values are converted to UTC;
* the fill rules of ``column_dates``: an unreadable value becomes the ``fill_value`` date when that is a date,
  an empty one 1970-01-01, and any other is an error.

Not read (Python reads them; here they take the fill rules): values only dateutil understands (month names
without a matching format, "t" as the date/time separator, ...), "now"/"today", non-ASCII digits or whitespace,
``%Z`` zone names other than UTC/GMT and the fixed ``Etc/`` zones.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import _strptime
import functools
import re
import zoneinfo
from datetime import datetime
from typing import Any, Optional

import pandas as pd
import torch
from torch import nn

from ludwig.features.date_feature import EMPTY_DATE, _fill_date
from ludwig.model_export.torchscript.base import Unscriptable, fill_string, preprocessor_registry
from ludwig.utils.date_utils import DATE_VECTOR_LENGTH, date_components

# Token kinds of a compiled format (scripted code spells them as numbers: TorchScript reads no globals): a
# directive's kind is the code of its letter (ord("Y"), ...).
_LITERAL = 0
_WHITESPACE = 1
SUPPORTED_DIRECTIVES = "YymdHIMSfpbBaAjzZ%"

_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Zone names with one offset forever, besides the Etc/ area (tzdata's fixed-offset zones).
_FIXED_ZONES = ("UTC", "GMT", "UCT", "Universal", "Zulu", "Greenwich", "GMT0", "GMT+0", "GMT-0")
_NUMERIC_DIRECTIVES = "YymIdHMSj"


@functools.cache
def _alternatives(directive: str) -> list[list[int]]:
    """The alternatives of CPython's regular expression for a numeric directive (e.g. ``3[0-1]|[1-2]\\d|...``
    for ``%d``), in order, each as the character ranges ``[low, high, low, high, ...]`` it matches."""
    pattern = _strptime.TimeRE()[directive]
    body = re.fullmatch(rf"\(\?P<{directive}>(.*)\)", pattern)
    unreadable = Unscriptable(
        f"%{directive} is {pattern!r} in this Python, which the TorchScript date reader cannot read"
    )
    if body is None:
        raise unreadable
    alternatives = []
    for alternative in body.group(1).split("|"):
        ranges: list[int] = []
        parts = list(re.finditer(r"\[(.)-(.)\]|\\d|[^\[\]\\(){}*+?.]", alternative))
        if "".join(part.group(0) for part in parts) != alternative:
            raise unreadable
        for part in parts:
            if part.group(0) == "\\d":
                ranges += [ord("0"), ord("9")]
            elif part.group(1):
                ranges += [ord(part.group(1)), ord(part.group(2))]
            else:
                ranges += [ord(part.group(0))] * 2
        alternatives.append(ranges)
    return alternatives


# The ISO 8601 formats pandas first reads with its ISO parser (pandas' ``format_is_iso``).
_ISO_FORMAT = re.compile(r"%Y(?:([-/ \\.]?)%m(?:\1%d(?:[ T]%H(?::%M(?::%S(?:%z|\.%f(?:%z)?)?)?)?)?)?)?")


# ---------------------------------------------------------------------------------------------------------
# Calendar arithmetic (proleptic Gregorian; days counted from 1970-01-01)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month == 4 or month == 6 or month == 9 or month == 11 else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _civil_from_days(days: int) -> list[int]:
    z = days + 719468
    era = z // 146097
    day_of_era = z - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    mp = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return [year, month, day]


def _components(days: int, seconds: int) -> list[int]:
    """Year, month, day, weekday (Monday 0), yearday (from 1), hour, minute, second, second of the day."""
    days = days + seconds // 86400
    seconds = seconds % 86400
    ymd = _civil_from_days(days)
    yearday = days - _days_from_civil(ymd[0], 1, 1) + 1
    hour = seconds // 3600
    minute = (seconds % 3600) // 60
    return [ymd[0], ymd[1], ymd[2], (days + 3) % 7, yearday, hour, minute, seconds % 60, seconds]


# ---------------------------------------------------------------------------------------------------------
# Characters (TorchScript sees a str as UTF-8 bytes: values are read as lists of byte codes)


def _is_digit(c: int) -> bool:
    return c >= 48 and c <= 57


def _is_c_space(c: int) -> bool:
    """C ``isspace``: what pandas' ISO parser skips."""
    return c == 32 or (c >= 9 and c <= 13)


def _is_py_space(c: int) -> bool:
    """An ASCII character Python's ``str.strip`` and regular expression ``\\s`` count as whitespace."""
    return c == 32 or (c >= 9 and c <= 13) or (c >= 28 and c <= 31)


def _fold(c: int) -> int:
    return c + 32 if c >= 65 and c <= 90 else c


def stripped_codes(text: str) -> list[int]:
    """The byte codes of ``text.strip()`` (for the ASCII whitespace Python strips)."""
    codes = [ord(c) for c in text]
    start = 0
    end = len(codes)
    while start < end and _is_py_space(codes[start]):
        start += 1
    while end > start and _is_py_space(codes[end - 1]):
        end -= 1
    return codes[start:end]


def _number(s: list[int], start: int, end: int) -> int:
    value = 0
    for i in range(start, end):
        if _is_digit(s[i]):
            value = value * 10 + s[i] - 48
    return value


def _digit_run(s: list[int], start: int, most: int) -> int:
    """How many digits (at most ``most``) follow ``start``."""
    count = 0
    while start + count < len(s) and count < most and _is_digit(s[start + count]):
        count += 1
    return count


# ---------------------------------------------------------------------------------------------------------
# pandas' ISO 8601 reader (string_to_dts): with a format (exact) or without (any ISO layout)

# A parsed value: [days since 1970-01-01, seconds of the day (may pass 86399), nanoseconds, aware (0/1),
# UTC offset in seconds, nanosecond resolution (0/1), read by the ISO parser (0/1)]; [] when the value is not read.


def _follows(f: list[int], fi: int, expected: list[int], exact: bool) -> int:
    """``fi`` moved past ``expected`` in the format ``f``; -1 when the format does not continue with it."""
    if not exact:
        return fi
    if fi + len(expected) > len(f):
        return -1
    for k in range(len(expected)):
        if f[fi + k] != expected[k]:
            return -1
    return fi + len(expected)


def _iso_read(s: list[int], f: list[int], exact: bool) -> list[int]:
    """pandas' ISO 8601 parser on a stripped value, following format ``f`` when ``exact``."""
    failed: list[int] = []
    n = len(s)
    i = 0
    year = 0
    month = 1
    day = 1
    hour = 0
    minute = 0
    second = 0
    nanos = 0
    aware = 0
    offset = 0
    fine = 0  # nanosecond resolution (more than 6 fractional digits)
    negative = n > 0 and s[0] == 45
    if negative:
        i = 1
    if i == n:
        return failed
    fi = _follows(f, 0, [37, 89], exact)  # %Y
    if fi < 0:
        return failed
    if negative:  # 1 to 4 digits
        count = _digit_run(s, i, 4)
        if count == 0:
            return failed
        year = -_number(s, i, i + count)
        i += count
    elif n - i >= 4 and _is_digit(s[i]) and _is_digit(s[i + 1]) and _is_digit(s[i + 2]) and _is_digit(s[i + 3]):
        year = _number(s, i, i + 4)
        i += 4
    done = i == n
    separator = -1
    if not done:
        if not _is_digit(s[i]):
            if s[i] not in [45, 46, 47, 92, 32]:  # - . / \ space
                return failed
            separator = s[i]
            i += 1
            fi = _follows(f, fi, [separator], exact)
            if fi < 0 or i == n or not _is_digit(s[i]):
                return failed
        fi = _follows(f, fi, [37, 109], exact)  # %m
        if fi < 0:
            return failed
        month = s[i] - 48
        i += 1
        if i < n and _is_digit(s[i]):
            month = month * 10 + s[i] - 48
            i += 1
        elif separator < 0:
            return failed
        if month < 1 or month > 12:
            return failed
        if i == n:
            if separator < 0:
                return failed
            done = True
    if not done and separator >= 0:
        if s[i] != separator or n - i == 1:
            return failed
        i += 1
        fi = _follows(f, fi, [separator], exact)
        if fi < 0:
            return failed
    if not done:
        fi = _follows(f, fi, [37, 100], exact)  # %d
        if fi < 0 or not _is_digit(s[i]):
            return failed
        day = s[i] - 48
        i += 1
        if i < n and _is_digit(s[i]):
            day = day * 10 + s[i] - 48
            i += 1
        elif separator < 0:
            return failed
        if day < 1 or day > _days_in_month(year, month):
            return failed
        done = i == n
    timezone = False
    two_digit_hour = False
    if not done:
        if (s[i] != 84 and s[i] != 32) or n - i == 1:  # "T" or " "
            return failed
        fi = _follows(f, fi, [s[i]], exact)
        if fi < 0:
            return failed
        i += 1
        fi = _follows(f, fi, [37, 72], exact)  # %H
        if fi < 0 or not _is_digit(s[i]):
            return failed
        hour = s[i] - 48
        i += 1
        two_digit_hour = i < n and _is_digit(s[i])
        if two_digit_hour:
            hour = hour * 10 + s[i] - 48
            i += 1
            if hour >= 24:
                return failed
        if i == n:
            if not two_digit_hour:
                return failed
            done = True
    colons = False
    if not done:
        if s[i] == 58:  # ":"
            colons = True
            i += 1
            if i == n or not _is_digit(s[i]):
                return failed
            fi = _follows(f, fi, [58], exact)
            if fi < 0:
                return failed
        elif not _is_digit(s[i]):
            if not two_digit_hour:
                return failed
            timezone = True
    if not done and not timezone:
        fi = _follows(f, fi, [37, 77], exact)  # %M
        if fi < 0:
            return failed
        minute = s[i] - 48
        i += 1
        if i < n and _is_digit(s[i]):
            minute = minute * 10 + s[i] - 48
            i += 1
            if minute >= 60:
                return failed
        elif not colons:
            return failed
        if i == n:
            done = True
        elif colons and s[i] == 58:
            fi = _follows(f, fi, [58], exact)
            if fi < 0:
                return failed
            i += 1
            if i == n or not _is_digit(s[i]):
                return failed
        elif colons or not _is_digit(s[i]):
            timezone = True
    if not done and not timezone:
        fi = _follows(f, fi, [37, 83], exact)  # %S
        if fi < 0:
            return failed
        second = s[i] - 48
        i += 1
        if i < n and _is_digit(s[i]):
            second = second * 10 + s[i] - 48
            i += 1
            if second >= 60:
                return failed
        elif not colons:
            return failed
        if i < n and s[i] == 46:  # "."
            i += 1
            fi = _follows(f, fi, [46], exact)
            if fi < 0:
                return failed
            fi = _follows(f, fi, [37, 102], exact)  # %f
            if fi < 0:
                return failed
            # Up to 18 digits (down to attoseconds), in groups of 6; nanoseconds are the first 9.
            for group in range(3):
                count = _digit_run(s, i, 6)
                if group == 1:
                    fine = 1
                if group == 0:
                    nanos = _number(s, i, i + count)
                    for _ in range(6 - count):
                        nanos *= 10
                    nanos *= 1000
                elif group == 1:
                    picos = _number(s, i, i + count)
                    for _ in range(6 - count):
                        picos *= 10
                    nanos += picos // 1000
                i += count
                if i == n or not _is_digit(s[i]):
                    break
        timezone = True
    if not done and timezone:
        while i < n and _is_c_space(s[i]):
            i += 1
            fi = _follows(f, fi, [32], exact)
            if fi < 0:
                return failed
        if i < n:
            if s[i] == 90:  # "Z"
                fi = _follows(f, fi, [37, 122], exact)  # %z
                if fi < 0:
                    return failed
                aware = 1
                i += 1
            elif s[i] == 43 or s[i] == 45:  # "+" "-"
                fi = _follows(f, fi, [37, 122], exact)
                if fi < 0:
                    return failed
                sign = -1 if s[i] == 45 else 1
                i += 1
                hours = 0
                minutes = 0
                count = _digit_run(s, i, 2)
                if count == 0:
                    return failed
                hours = _number(s, i, i + count)
                i += count
                if hours >= 24:
                    return failed
                if i < n:
                    if s[i] == 58:
                        i += 1
                    count = _digit_run(s, i, 2)
                    if count == 0:
                        return failed
                    minutes = _number(s, i, i + count)
                    i += count
                    if minutes >= 60:
                        return failed
                aware = 1
                offset = sign * (hours * 3600 + minutes * 60)
            while i < n and _is_c_space(s[i]):
                i += 1
                fi = _follows(f, fi, [32], exact)
                if fi < 0:
                    return failed
        if i != n:
            return failed
    if exact and fi != len(f):
        return failed
    return [_days_from_civil(year, month, day), hour * 3600 + minute * 60 + second, nanos, aware, offset, fine, 1]


# ---------------------------------------------------------------------------------------------------------
# The strptime reader


class StrptimeReader(nn.Module):
    """One ``strptime`` format read as pandas reads it (see the module docstring); ``read`` gives a parsed value
    (see ``_iso_read``) or ``[]``."""

    kinds: list[int]
    literals: list[int]
    format_codes: list[int]
    alternatives: dict[int, list[list[int]]]
    names: dict[int, list[list[int]]]
    name_values: dict[int, list[int]]
    zone_names: list[list[int]]
    zone_fixed: list[bool]
    zone_offsets: list[int]

    def __init__(self, fmt: str, option: str):
        super().__init__()
        self.kinds = []
        self.literals = []
        self._compile(fmt, option)
        self.iso_first = _ISO_FORMAT.fullmatch(fmt) is not None and fmt != "%Y%m"
        self.format_codes = list(fmt.encode())
        self.am_pm_token = self.kinds.index(ord("p")) if ord("p") in self.kinds else -1
        self.alternatives = {ord(d): _alternatives(d) for d in _NUMERIC_DIRECTIVES}
        self.names = {}
        self.name_values = {}
        for kind, names in (
            ("B", _MONTHS),
            ("b", [m[:3] for m in _MONTHS]),
            ("A", _WEEKDAYS),
            ("a", [w[:3] for w in _WEEKDAYS]),
            ("p", ("am", "pm")),
        ):
            # Alternatives longest first, as CPython's regular expression lists them.
            ordered = sorted(names, key=len, reverse=True)
            self.names[ord(kind)] = [list(name.encode()) for name in ordered]
            self.name_values[ord(kind)] = [list(names).index(name) for name in ordered]
        zones = sorted(zoneinfo.available_timezones(), key=len, reverse=True) if ord("Z") in self.kinds else []
        offsets = [_zone_offset(zone) for zone in zones]
        self.zone_names = [list(zone.encode()) for zone in zones]
        self.zone_fixed = [offset is not None for offset in offsets]
        self.zone_offsets = [offset or 0 for offset in offsets]

    def _compile(self, fmt: str, option: str) -> None:
        i = 0
        while i < len(fmt):
            c = fmt[i]
            if c == "%":
                directive = fmt[i + 1 : i + 2]
                if directive == "" or directive not in SUPPORTED_DIRECTIVES:
                    raise Unscriptable(
                        f"{option} {fmt!r} uses %{directive}, which the TorchScript date reader does not read "
                        f"(it reads {' '.join('%' + d for d in SUPPORTED_DIRECTIVES)} and literal characters)"
                    )
                if directive == "%":
                    self.kinds.append(_LITERAL)
                    self.literals.append(ord("%"))
                else:
                    self.kinds.append(ord(directive))
                    self.literals.append(0)
                i += 2
            elif c.isspace():
                while i < len(fmt) and fmt[i].isspace():
                    i += 1
                self.kinds.append(_WHITESPACE)
                self.literals.append(0)
            else:
                for byte in c.encode():
                    self.kinds.append(_LITERAL)
                    self.literals.append(byte + 32 if 65 <= byte <= 90 else byte)
                i += 1

    def _name_ends(self, kind: int, s: list[int], p: int) -> list[int]:
        ends: list[int] = []
        for name in self.names[kind]:
            if _matches_folded(s, p, name):
                ends.append(p + len(name))
        return ends

    def _ends(self, k: int, s: list[int], p: int) -> list[int]:
        """Where token ``k`` can end when it starts at ``p``, in the order the regular expression tries."""
        kind = self.kinds[k]
        ends: list[int] = []
        n = len(s)
        if kind == 0:  # a literal character
            if p < n and _fold(s[p]) == self.literals[k]:
                ends.append(p + 1)
        elif kind == 1:  # whitespace
            run = 0
            while p + run < n and _is_py_space(s[p + run]):
                run += 1
            for length in range(run, 0, -1):
                ends.append(p + length)
        elif kind in self.alternatives:
            for alternative in self.alternatives[kind]:
                length = len(alternative) // 2
                fits = p + length <= n
                for c in range(length):
                    if fits and (s[p + c] < alternative[2 * c] or s[p + c] > alternative[2 * c + 1]):
                        fits = False
                if fits:
                    ends.append(p + length)
        elif kind == 102:  # f: [0-9]{1,9}
            for length in range(_digit_run(s, p, 9), 0, -1):
                ends.append(p + length)
        elif kind == 122:  # z
            ends = _offset_ends(s, p)
        elif kind == 90:  # Z
            for zone in self.zone_names:
                if _matches_folded(s, p, zone):
                    ends.append(p + len(zone))
        else:
            ends = self._name_ends(kind, s, p)
        return ends

    def _match(self, s: list[int]) -> list[int]:
        """Each token's end in the first match of the pattern (backtracking as a regular expression does); ``[]``
        when there is none or it does not cover the whole value."""
        count = len(self.kinds)
        none: list[int] = []
        if count == 0:
            return none
        candidates: list[list[int]] = [self._ends(0, s, 0)]
        picks: list[int] = [0]
        while len(picks) > 0:
            k = len(picks) - 1
            if picks[k] >= len(candidates[k]):
                candidates.pop()
                picks.pop()
                if len(picks) > 0:
                    picks[-1] += 1
                continue
            end = candidates[k][picks[k]]
            if k == count - 1:
                if end != len(s):
                    return none  # "unconverted data remains"
                return [candidates[j][picks[j]] for j in range(count)]
            candidates.append(self._ends(k + 1, s, end))
            picks.append(0)
        return none

    def _name_value(self, kind: int, s: list[int], start: int, end: int) -> int:
        names = self.names[kind]
        for i in range(len(names)):
            if len(names[i]) == end - start and _matches_folded(s, start, names[i]):
                return self.name_values[kind][i]
        return -1

    def _fields(self, s: list[int], ends: list[int]) -> list[int]:
        """pandas' rules from the matched fields to a date and time."""
        failed: list[int] = []
        year = 1900
        month = 1
        day = 1
        hour = 0
        minute = 0
        second = 0
        nanos = 0
        julian = -1
        aware = 0
        offset = 0
        fine = 0
        start = 0
        for k in range(len(self.kinds)):
            kind = self.kinds[k]
            end = ends[k]
            if kind == 89:  # Y
                year = _number(s, start, end)
            elif kind == 121:  # y: 00-68 -> 20xx, 69-99 -> 19xx
                year = _number(s, start, end)
                year += 2000 if year <= 68 else 1900
            elif kind == 109:  # m
                month = _number(s, start, end)
            elif kind == 66 or kind == 98:  # B b
                month = self._name_value(kind, s, start, end) + 1
            elif kind == 100:  # d
                day = _number(s, start, end)
            elif kind == 72:  # H
                hour = _number(s, start, end)
            elif kind == 73:  # I, with %p (none is AM)
                hour = _number(s, start, end)
                pm = False
                if self.am_pm_token >= 0:
                    p_start = 0 if self.am_pm_token == 0 else ends[self.am_pm_token - 1]
                    pm = self._name_value(112, s, p_start, ends[self.am_pm_token]) == 1
                if pm and hour != 12:
                    hour += 12
                elif not pm and hour == 12:
                    hour = 0
            elif kind == 77:  # M
                minute = _number(s, start, end)
            elif kind == 83:  # S
                second = _number(s, start, end)
            elif kind == 102:  # f: padded to nanoseconds
                nanos = _number(s, start, end)
                for _ in range(9 - (end - start)):
                    nanos *= 10
                fine = 1 if end - start > 6 else 0
            elif kind == 106:  # j
                julian = _number(s, start, end)
            elif kind == 122:  # z
                seconds = _offset_seconds(s, start, end)
                if seconds is None:
                    return failed
                offset = seconds
                aware = 1
            elif kind == 90:  # Z: zone names are case-sensitive keys
                known = False
                for i in range(len(self.zone_names)):
                    if self.zone_names[i] == s[start:end] and self.zone_fixed[i]:
                        offset = self.zone_offsets[i]
                        known = True
                if not known:
                    return failed
                aware = 1
            start = end
        if year < 1 or year > 9999:
            return failed
        if julian >= 0:
            days = _days_from_civil(year, 1, 1) + julian - 1
            if days > _days_from_civil(9999, 12, 31):
                return failed
        else:
            if day > _days_in_month(year, month):
                return failed
            days = _days_from_civil(year, month, day)
        return [days, hour * 3600 + minute * 60 + second, nanos, aware, offset, fine, 0]

    def read(self, s: list[int]) -> list[int]:
        if self.iso_first:
            parsed = _iso_read(s, self.format_codes, True)
            if len(parsed) > 0:
                return parsed
        ends = self._match(s)
        if len(ends) == 0:
            return ends
        return self._fields(s, ends)


def _matches_folded(s: list[int], p: int, name: list[int]) -> bool:
    if p + len(name) > len(s):
        return False
    for i in range(len(name)):
        if _fold(s[p + i]) != _fold(name[i]):
            return False
    return True


def _offset_ends(s: list[int], p: int) -> list[int]:
    """Ends of ``[+-]\\d\\d:?[0-5]\\d(:?[0-5]\\d(\\.\\d{1,6})?)?|(?-i:Z)`` at ``p``, in backtracking order."""
    ends: list[int] = []
    n = len(s)
    if p + 3 <= n and (s[p] == 43 or s[p] == 45) and _is_digit(s[p + 1]) and _is_digit(s[p + 2]):
        q = p + 3
        if q < n and s[q] == 58:
            q += 1
        if q + 2 <= n and s[q] >= 48 and s[q] <= 53 and _is_digit(s[q + 1]):
            r = q + 2
            t = r + 1 if r < n and s[r] == 58 else r
            if t + 2 <= n and s[t] >= 48 and s[t] <= 53 and _is_digit(s[t + 1]):
                u = t + 2
                if u < n and s[u] == 46:
                    for length in range(_digit_run(s, u + 1, 6), 0, -1):
                        ends.append(u + 1 + length)
                ends.append(u)
            ends.append(r)
    if p < n and s[p] == 90:
        ends.append(p + 1)
    return ends


def _offset_seconds(s: list[int], start: int, end: int) -> Optional[int]:
    """pandas' ``%z`` rules: the offset in seconds (whole minutes), or None when pandas rejects it."""
    z = s[start:end]
    if len(z) == 1:  # "Z"
        return 0
    if z[3] == 58:
        z = z[:3] + z[4:]
        if len(z) > 5:
            if z[5] != 58:
                return None  # "Inconsistent use of :"
            z = z[:5] + z[6:]
    if len(z) > 5 and not (_is_digit(z[5]) and _is_digit(z[6])):
        return None  # int() of the seconds fails
    minutes = _number(z, 1, 3) * 60 + _number(z, 3, 5)
    if minutes >= 1440:
        return None  # timezone() takes offsets strictly within a day
    return -60 * minutes if z[0] == 45 else 60 * minutes


def _zone_offset(name: str) -> int | None:
    """The UTC offset of a zone name in seconds when it never changes (tzdata's fixed zones), else None."""
    if name not in _FIXED_ZONES and not name.startswith("Etc/"):
        return None
    delta = zoneinfo.ZoneInfo(name).utcoffset(datetime(2000, 1, 1))
    return None if delta is None else int(delta.total_seconds())


# ---------------------------------------------------------------------------------------------------------
# The preprocessor


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
        components = date_components(pd.Series([EMPTY_DATE if fill_date is None else fill_date, EMPTY_DATE]))
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
                    result = _iso_read(codes, no_format, False)
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
                seconds = result[1] - result[4] if to_utc[passes[i]] and result[3] == 1 else result[1]
                rows.append(_components(result[0], seconds))
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
    return DatePreprocessor(feature.name, metadata, reader, iso_fallback, two_passes, hint, _fill_date(feature))
