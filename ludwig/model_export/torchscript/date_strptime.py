"""A ``strptime`` format read in TorchScript as pandas reads it.

For ISO 8601 formats pandas' ISO reader first; then the regular expression CPython's ``_strptime`` builds (the first
match of the pattern must cover the value; case-insensitive; a whitespace run matches any run; alternatives tried in
the same order); then pandas' field rules (``%I``/``%p``, ``%j``, the ``%y`` century, ``%z`` offsets, invalid
dates). ``%Z`` reads UTC/GMT and the fixed ``Etc/`` zones only.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import _strptime
import functools
import re
import zoneinfo
from datetime import datetime
from typing import Final, Optional

from torch import nn

from ludwig.model_export.torchscript.ascii_codes import (
    digit_run,
    digits_value,
    fold,
    is_digit,
    is_py_space,
    padded_value,
)
from ludwig.model_export.torchscript.base import Unscriptable
from ludwig.model_export.torchscript.date_calendar import days_from_civil, days_in_month
from ludwig.model_export.torchscript.date_iso import is_iso_format, iso_read

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


def _zone_offset(name: str) -> int | None:
    """The UTC offset of a zone name in seconds when it never changes (tzdata's fixed zones), else None."""
    if name not in _FIXED_ZONES and not name.startswith("Etc/"):
        return None
    delta = zoneinfo.ZoneInfo(name).utcoffset(datetime(2000, 1, 1))
    return None if delta is None else int(delta.total_seconds())


class StrptimeReader(nn.Module):
    """One ``strptime`` format read as pandas reads it (see the module docstring); ``read`` gives a parsed value
    (see :mod:`ludwig.model_export.torchscript.date_iso`) or ``[]``.

    The format is compiled to tokens: a kind each (``LITERAL``, ``WHITESPACE`` or a directive's letter code,
    ``ord("Y")``, ...) and, for a literal, its lowercased byte.
    """

    LITERAL: Final[int] = 0
    WHITESPACE: Final[int] = 1

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
        """``fmt``: the format (an empty one reads nothing); ``option``: the config option it comes from, for
        errors. Raises ``Unscriptable`` for a directive the reader does not read."""
        super().__init__()
        self.kinds = []
        self.literals = []
        self._compile(fmt, option)
        self.iso_first = is_iso_format(fmt)
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
                    self.kinds.append(self.LITERAL)
                    self.literals.append(ord("%"))
                else:
                    self.kinds.append(ord(directive))
                    self.literals.append(0)
                i += 2
            elif c.isspace():
                while i < len(fmt) and fmt[i].isspace():
                    i += 1
                self.kinds.append(self.WHITESPACE)
                self.literals.append(0)
            else:
                for byte in c.encode():
                    self.kinds.append(self.LITERAL)
                    self.literals.append(fold(byte))
                i += 1

    def _ends(self, k: int, s: list[int], p: int) -> list[int]:
        """Where token ``k`` can end when it starts at ``p``, in the order the regular expression tries."""
        kind = self.kinds[k]
        ends: list[int] = []
        n = len(s)
        if kind == self.LITERAL:
            if p < n and fold(s[p]) == self.literals[k]:
                ends.append(p + 1)
        elif kind == self.WHITESPACE:
            run = 0
            while p + run < n and is_py_space(s[p + run]):
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
        elif kind == ord("f"):  # [0-9]{1,9}
            for length in range(digit_run(s, p, 9), 0, -1):
                ends.append(p + length)
        elif kind == ord("z"):
            ends = _offset_ends(s, p)
        elif kind == ord("Z"):
            ends = _folded_ends(self.zone_names, s, p)
        else:
            ends = _folded_ends(self.names[kind], s, p)
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
            if kind == ord("Y"):
                year = digits_value(s, start, end)
            elif kind == ord("y"):  # 00-68 -> 20xx, 69-99 -> 19xx
                year = digits_value(s, start, end)
                year += 2000 if year <= 68 else 1900
            elif kind == ord("m"):
                month = digits_value(s, start, end)
            elif kind == ord("B") or kind == ord("b"):
                month = self._name_value(kind, s, start, end) + 1
            elif kind == ord("d"):
                day = digits_value(s, start, end)
            elif kind == ord("H"):
                hour = digits_value(s, start, end)
            elif kind == ord("I"):  # with %p (none is AM)
                hour = digits_value(s, start, end)
                pm = False
                if self.am_pm_token >= 0:
                    p_start = 0 if self.am_pm_token == 0 else ends[self.am_pm_token - 1]
                    pm = self._name_value(ord("p"), s, p_start, ends[self.am_pm_token]) == 1
                if pm and hour != 12:
                    hour += 12
                elif not pm and hour == 12:
                    hour = 0
            elif kind == ord("M"):
                minute = digits_value(s, start, end)
            elif kind == ord("S"):
                second = digits_value(s, start, end)
            elif kind == ord("f"):  # padded to nanoseconds
                nanos = padded_value(s, start, end, 9)
                fine = 1 if end - start > 6 else 0
            elif kind == ord("j"):
                julian = digits_value(s, start, end)
            elif kind == ord("z"):
                seconds = _offset_seconds(s, start, end)
                if seconds is None:
                    return failed
                offset = seconds
                aware = 1
            elif kind == ord("Z"):  # zone names are case-sensitive keys
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
            days = days_from_civil(year, 1, 1) + julian - 1
            if days > days_from_civil(9999, 12, 31):
                return failed
        else:
            if day > days_in_month(year, month):
                return failed
            days = days_from_civil(year, month, day)
        return [days, hour * 3600 + minute * 60 + second, nanos, aware, offset, fine, 0]

    def read(self, s: list[int]) -> list[int]:
        """The parsed value of the byte codes ``s`` of a stripped value, or ``[]`` when the format does not read
        it."""
        if self.iso_first:
            parsed = iso_read(s, self.format_codes, True)
            if len(parsed) > 0:
                return parsed
        ends = self._match(s)
        if len(ends) == 0:
            return ends
        return self._fields(s, ends)


def _matches_folded(s: list[int], p: int, name: list[int]) -> bool:
    """Whether ``name`` stands at ``p`` in ``s``, ignoring ASCII case."""
    if p + len(name) > len(s):
        return False
    for i in range(len(name)):
        if fold(s[p + i]) != fold(name[i]):
            return False
    return True


def _folded_ends(names: list[list[int]], s: list[int], p: int) -> list[int]:
    """The ends of the ``names`` that stand at ``p`` (ignoring ASCII case), in the order of ``names``."""
    ends: list[int] = []
    for name in names:
        if _matches_folded(s, p, name):
            ends.append(p + len(name))
    return ends


def _is_sexagesimal(s: list[int], p: int) -> bool:
    """Whether ``[0-5]\\d`` (minutes or seconds) stands at ``p``."""
    return p + 2 <= len(s) and s[p] >= ord("0") and s[p] <= ord("5") and is_digit(s[p + 1])


def _offset_ends(s: list[int], p: int) -> list[int]:
    """Ends of ``[+-]\\d\\d:?[0-5]\\d(:?[0-5]\\d(\\.\\d{1,6})?)?|(?-i:Z)`` at ``p``, in backtracking order."""
    ends: list[int] = []
    n = len(s)
    if p + 3 <= n and (s[p] == ord("+") or s[p] == ord("-")) and is_digit(s[p + 1]) and is_digit(s[p + 2]):
        q = p + 3
        if q < n and s[q] == ord(":"):
            q += 1
        if _is_sexagesimal(s, q):
            r = q + 2
            t = r + 1 if r < n and s[r] == ord(":") else r
            if _is_sexagesimal(s, t):
                u = t + 2
                if u < n and s[u] == ord("."):
                    for length in range(digit_run(s, u + 1, 6), 0, -1):
                        ends.append(u + 1 + length)
                ends.append(u)
            ends.append(r)
    if p < n and s[p] == ord("Z"):
        ends.append(p + 1)
    return ends


def _offset_seconds(s: list[int], start: int, end: int) -> Optional[int]:
    """pandas' ``%z`` rules: the offset in seconds (whole minutes), or None when pandas rejects it."""
    z = s[start:end]
    if len(z) == 1:  # "Z"
        return 0
    if z[3] == ord(":"):
        z = z[:3] + z[4:]
        if len(z) > 5:
            if z[5] != ord(":"):
                return None  # "Inconsistent use of :"
            z = z[:5] + z[6:]
    if len(z) > 5 and not (is_digit(z[5]) and is_digit(z[6])):
        return None  # int() of the seconds fails
    minutes = digits_value(z, 1, 3) * 60 + digits_value(z, 3, 5)
    if minutes >= 1440:
        return None  # timezone() takes offsets strictly within a day
    return -60 * minutes if z[0] == ord("-") else 60 * minutes
