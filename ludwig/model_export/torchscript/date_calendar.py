"""Calendar arithmetic for the scripted date reader: the proleptic Gregorian calendar, days counted from 1970-01-01.

The conversions between dates and day counts are Howard Hinnant's ``days_from_civil``/``civil_from_days``: years
start on 1 March (so a leap day ends its year), 146097 days make a 400-year era, and 0000-03-01 is 719468 days
before 1970-01-01.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    """How many days month ``month`` (1 to 12) of ``year`` has."""
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month == 4 or month == 6 or month == 9 or month == 11 else 31


def days_from_civil(year: int, month: int, day: int) -> int:
    """The days from 1970-01-01 to a date (negative before it)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _civil_from_days(days: int) -> list[int]:
    """Year, month and day of the date ``days`` after 1970-01-01."""
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


def date_vector(days: int, seconds: int) -> list[int]:
    """The date components of a time ``days`` after 1970-01-01 plus ``seconds`` (which may pass a day): year, month,
    day, weekday (Monday 0), yearday (from 1), hour, minute, second, second of the day."""
    days = days + seconds // 86400
    seconds = seconds % 86400
    ymd = _civil_from_days(days)
    yearday = days - days_from_civil(ymd[0], 1, 1) + 1
    hour = seconds // 3600
    minute = (seconds % 3600) // 60
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    return [ymd[0], ymd[1], ymd[2], weekday, yearday, hour, minute, seconds % 60, seconds]
