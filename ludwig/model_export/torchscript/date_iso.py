"""pandas' ISO 8601 reader (``string_to_dts``) for the scripted date preprocessor: with a format (exactly) or
without one (any ISO layout).

Both this reader and the strptime reader give a parsed value as a list: [days since 1970-01-01, seconds of the day
(may pass 86399), nanoseconds, aware (0/1), UTC offset in seconds, nanosecond resolution (0/1), read by the ISO
parser (0/1)]; ``[]`` when the value is not read.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import re

from ludwig.model_export.torchscript.ascii_codes import digit_run, digits_value, is_c_space, is_digit, padded_value
from ludwig.model_export.torchscript.date_calendar import days_from_civil, days_in_month

# The formats pandas' ``format_is_iso`` accepts, those ending in a directive: prefixes of its template
# "%Y-%m-%d %H:%M:%S.%f%z" with one date separator ("-", "/", " ", "\\" or ".") or none, "T" or " " before the
# hour, and "%z" after the seconds or the fraction.
_ISO_FORMAT = re.compile(r"%Y(?:([-/ \\.]?)%m(?:\1%d(?:[ T]%H(?::%M(?::%S(?:%z|\.%f(?:%z)?)?)?)?)?)?)?")


def is_iso_format(fmt: str) -> bool:
    """Whether pandas reads values of the format ``fmt`` with its ISO parser first (pandas' ``format_is_iso``,
    which leaves out "%Y%m")."""
    return _ISO_FORMAT.fullmatch(fmt) is not None and fmt != "%Y%m"


def _follows(f: list[int], fi: int, expected: str, exact: bool) -> int:
    """``fi`` moved past ``expected`` in the format ``f`` (its byte codes); -1 when the format does not continue
    with it. Without ``exact``, ``fi`` unchanged."""
    if not exact:
        return fi
    if fi + len(expected) > len(f):
        return -1
    for k in range(len(expected)):
        if f[fi + k] != ord(expected[k]):
            return -1
    return fi + len(expected)


def _leading_number(s: list[int], i: int, most: int) -> tuple[int, int]:
    """The value and the count of the digits (at most ``most``) that follow ``i``."""
    count = digit_run(s, i, most)
    return digits_value(s, i, i + count), count


def _sexagesimal(s: list[int], i: int, colons: bool) -> tuple[int, int]:
    """The minutes or seconds at ``i`` and their digit count; count 0 when pandas rejects them (60 or more, or a
    single digit in a time without colons)."""
    value, count = _leading_number(s, i, 2)
    if (count == 1 and not colons) or value >= 60:
        return 0, 0
    return value, count


def _skip_spaces(s: list[int], i: int, f: list[int], fi: int, exact: bool) -> tuple[int, int]:
    """``i`` and ``fi`` moved past the C whitespace at ``i``, each character matching a space of the format; ``fi``
    is -1 when the format does not have it."""
    while i < len(s) and is_c_space(s[i]):
        i += 1
        fi = _follows(f, fi, " ", exact)
        if fi < 0:
            break
    return i, fi


def iso_read(s: list[int], f: list[int], exact: bool) -> list[int]:
    """pandas' ISO 8601 parser on the byte codes ``s`` of a stripped value: a parsed value (see the module
    docstring) or ``[]``; with ``exact``, the value must follow the format ``f`` (its byte codes) to its end."""
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
    negative = n > 0 and s[0] == ord("-")
    if negative:
        i = 1
    if i == n:
        return failed
    fi = _follows(f, 0, "%Y", exact)
    if fi < 0:
        return failed
    if negative:  # 1 to 4 digits
        year, count = _leading_number(s, i, 4)
        if count == 0:
            return failed
        year = -year
        i += count
    elif digit_run(s, i, 4) == 4:
        year = digits_value(s, i, i + 4)
        i += 4
    done = i == n
    separator = -1
    if not done:
        if not is_digit(s[i]):
            if s[i] not in [ord("-"), ord("."), ord("/"), ord("\\"), ord(" ")]:
                return failed
            separator = s[i]
            i += 1
            fi = _follows(f, fi, chr(separator), exact)
            if fi < 0 or i == n or not is_digit(s[i]):
                return failed
        fi = _follows(f, fi, "%m", exact)
        if fi < 0:
            return failed
        month, count = _leading_number(s, i, 2)
        i += count
        if count == 1 and separator < 0:
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
        fi = _follows(f, fi, chr(separator), exact)
        if fi < 0:
            return failed
    if not done:
        fi = _follows(f, fi, "%d", exact)
        if fi < 0 or not is_digit(s[i]):
            return failed
        day, count = _leading_number(s, i, 2)
        i += count
        if count == 1 and separator < 0:
            return failed
        if day < 1 or day > days_in_month(year, month):
            return failed
        done = i == n
    timezone = False
    two_digit_hour = False
    if not done:
        if (s[i] != ord("T") and s[i] != ord(" ")) or n - i == 1:
            return failed
        fi = _follows(f, fi, chr(s[i]), exact)
        if fi < 0:
            return failed
        i += 1
        fi = _follows(f, fi, "%H", exact)
        if fi < 0 or not is_digit(s[i]):
            return failed
        hour, count = _leading_number(s, i, 2)
        i += count
        two_digit_hour = count == 2
        if hour >= 24:
            return failed
        if i == n:
            if not two_digit_hour:
                return failed
            done = True
    colons = False
    if not done:
        if s[i] == ord(":"):
            colons = True
            i += 1
            if i == n or not is_digit(s[i]):
                return failed
            fi = _follows(f, fi, ":", exact)
            if fi < 0:
                return failed
        elif not is_digit(s[i]):
            if not two_digit_hour:
                return failed
            timezone = True
    if not done and not timezone:
        fi = _follows(f, fi, "%M", exact)
        minute, count = _sexagesimal(s, i, colons)
        if fi < 0 or count == 0:
            return failed
        i += count
        if i == n:
            done = True
        elif colons and s[i] == ord(":"):
            fi = _follows(f, fi, ":", exact)
            if fi < 0:
                return failed
            i += 1
            if i == n or not is_digit(s[i]):
                return failed
        elif colons or not is_digit(s[i]):
            timezone = True
    if not done and not timezone:
        fi = _follows(f, fi, "%S", exact)
        second, count = _sexagesimal(s, i, colons)
        if fi < 0 or count == 0:
            return failed
        i += count
        if i < n and s[i] == ord("."):
            i += 1
            fi = _follows(f, fi, ".%f", exact)
            if fi < 0:
                return failed
            # Up to 18 digits (down to attoseconds), in groups of 6; nanoseconds are the first 9.
            count = digit_run(s, i, 6)
            nanos = padded_value(s, i, i + count, 6) * 1000
            i += count
            if i < n and is_digit(s[i]):
                fine = 1
                count = digit_run(s, i, 6)
                nanos += padded_value(s, i, i + count, 6) // 1000
                i += count
                if i < n and is_digit(s[i]):
                    i += digit_run(s, i, 6)
        timezone = True
    if not done and timezone:
        i, fi = _skip_spaces(s, i, f, fi, exact)
        if fi < 0:
            return failed
        if i < n:
            if s[i] == ord("Z"):
                fi = _follows(f, fi, "%z", exact)
                if fi < 0:
                    return failed
                aware = 1
                i += 1
            elif s[i] == ord("+") or s[i] == ord("-"):
                fi = _follows(f, fi, "%z", exact)
                if fi < 0:
                    return failed
                sign = -1 if s[i] == ord("-") else 1
                i += 1
                hours, count = _leading_number(s, i, 2)
                if count == 0 or hours >= 24:
                    return failed
                i += count
                minutes = 0
                if i < n:
                    if s[i] == ord(":"):
                        i += 1
                    minutes, count = _leading_number(s, i, 2)
                    if count == 0 or minutes >= 60:
                        return failed
                    i += count
                aware = 1
                offset = sign * (hours * 3600 + minutes * 60)
            i, fi = _skip_spaces(s, i, f, fi, exact)
            if fi < 0:
                return failed
        if i != n:
            return failed
    if exact and fi != len(f):
        return failed
    return [days_from_civil(year, month, day), hour * 3600 + minute * 60 + second, nanos, aware, offset, fine, 1]
