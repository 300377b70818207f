"""Characters for the scripted date and h3 readers: TorchScript sees a ``str`` as UTF-8 bytes, so values are read as
lists of byte codes.

Scripted code reads no module globals, so characters are spelled ``ord("x")`` where they are compared: TorchScript
folds those calls to constants when it compiles.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.


def is_digit(c: int) -> bool:
    """Whether the byte ``c`` is an ASCII digit."""
    return c >= ord("0") and c <= ord("9")


def is_c_space(c: int) -> bool:
    """C ``isspace`` (space, tab, line feed, vertical tab, form feed, carriage return): what pandas' ISO parser
    skips."""
    return c == ord(" ") or (c >= ord("\t") and c <= ord("\r"))


def is_py_space(c: int) -> bool:
    """An ASCII character Python's ``str.strip`` and regular expression ``\\s`` count as whitespace: C ``isspace``
    and the file, group, record and unit separators (0x1C to 0x1F)."""
    return is_c_space(c) or (c >= 0x1C and c <= 0x1F)


def fold(c: int) -> int:
    """The byte ``c`` lowercased when it is an ASCII capital letter."""
    return c + (ord("a") - ord("A")) if c >= ord("A") and c <= ord("Z") else c


def stripped_codes(text: str) -> list[int]:
    """The byte codes of ``text.strip()`` (for the ASCII whitespace Python strips)."""
    codes = [ord(c) for c in text]
    start = 0
    end = len(codes)
    while start < end and is_py_space(codes[start]):
        start += 1
    while end > start and is_py_space(codes[end - 1]):
        end -= 1
    return codes[start:end]


def digit_run(s: list[int], start: int, most: int) -> int:
    """How many digits (at most ``most``) follow ``start``."""
    count = 0
    while start + count < len(s) and count < most and is_digit(s[start + count]):
        count += 1
    return count


def digits_value(s: list[int], start: int, end: int) -> int:
    """The decimal number the digits of ``s[start:end]`` spell (other characters are skipped; none: 0)."""
    value = 0
    for i in range(start, end):
        if is_digit(s[i]):
            value = value * 10 + s[i] - ord("0")
    return value


def padded_value(s: list[int], start: int, end: int, width: int) -> int:
    """The digits of ``s[start:end]`` (at most ``width``) as the leading digits of a ``width``-digit number: a
    fraction's digits scaled to a unit, e.g. "25" with width 6 is 250000 microseconds."""
    value = digits_value(s, start, end)
    for _ in range(width - (end - start)):
        value *= 10
    return value
