"""TorchScript preprocessing of h3 inputs: index strings -> the ``uint8 [rows, 19]`` components Python makes.

A value (stripped as Python strips it) is read as ``ludwig.features.h3_feature._parse_index`` reads a string:
all ASCII digits -> decimal, else hexadecimal as Python's ``int(text, 16)`` takes it (optional sign, optional
``0x`` prefix, single underscores between digits); the index must be in ``[0, 2**63)``. It is then decoded with
the bit layout of :mod:`ludwig.utils.h3_utils` and checked as ``invalid_h3_reasons`` checks it; an invalid value
is an error naming the feature, the row, the value and the reason. Not read (Python reads them): non-ASCII digits
or whitespace; a missing value ("") takes the training fill (``computed_fill_value``).
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

from typing import Any

import torch
from torch import nn

from ludwig.model_export.torchscript.ascii_codes import stripped_codes
from ludwig.model_export.torchscript.base import fill_string, preprocessor_registry
from ludwig.utils.h3_utils import H3_PADDING_VALUE, MAX_H3_RESOLUTION, NUM_BASE_CELLS


def _hex_value(c: int) -> int:
    """The value of an ASCII hexadecimal digit, -1 for any other character."""
    if c >= ord("0") and c <= ord("9"):
        return c - ord("0")
    if c >= ord("a") and c <= ord("f"):
        return c - ord("a") + 10
    if c >= ord("A") and c <= ord("F"):
        return c - ord("A") + 10
    return -1


def _digit_values(codes: list[int], base: int) -> list[int]:
    """The digits of ``int(text, base)``'s grammar after any sign and prefix: single underscores between digits
    (and after a ``0x`` prefix); ``[]`` when the text does not follow it."""
    digits: list[int] = []
    underscore = False
    for c in codes:
        if c == ord("_"):
            if underscore or len(digits) == 0:
                return []
            underscore = True
            continue
        value = _hex_value(c)
        if value < 0 or value >= base:
            return []
        digits.append(value)
        underscore = False
    if underscore:
        return []
    return digits


def _below(digits: list[int], limit: list[int]) -> bool:
    """Whether the number of ``digits`` (no leading zeros) is below the one of ``limit`` (same base)."""
    if len(digits) != len(limit):
        return len(digits) < len(limit)
    for i in range(len(digits)):
        if digits[i] != limit[i]:
            return digits[i] < limit[i]
    return False


def parse_h3_index(codes: list[int]) -> int:
    """A stripped string (its byte codes) as an H3 index in ``[0, 2**63)``, or -1 when ``_parse_index`` would
    reject it."""
    if len(codes) == 0:
        return -1
    decimal = True
    for c in codes:
        if c < 48 or c > 57:
            decimal = False
    negative = False
    if decimal:
        digits = [c - ord("0") for c in codes]
        base = 10
    else:
        start = 0
        if codes[0] == ord("+") or codes[0] == ord("-"):
            negative = codes[0] == ord("-")
            start = 1
        prefix = codes[start : start + 2]
        if len(prefix) == 2 and prefix[0] == ord("0") and (prefix[1] == ord("x") or prefix[1] == ord("X")):
            start += 2  # "0x": an underscore may follow it
            if start < len(codes) and codes[start] == ord("_"):
                start += 1
        digits = _digit_values(codes[start:], 16)
        base = 16
    if len(digits) == 0:
        return -1
    # Below 2**63 = 9223372036854775808 (0x8000000000000000): compare without overflowing int64.
    first = 0
    while first < len(digits) - 1 and digits[first] == 0:
        first += 1
    digits = digits[first:]
    limit = [9, 2, 2, 3, 3, 7, 2, 0, 3, 6, 8, 5, 4, 7, 7, 5, 8, 0, 8] if base == 10 else [8] + [0] * 15
    if not _below(digits, limit):
        return -1
    value = 0
    for d in digits:
        value = value * base + d
    if negative and value != 0:
        return -1
    return value


def h3_components(index: int) -> list[int]:
    """Mode, edge, resolution, base cell and digits 1..15 of a 63-bit index (``h3_utils.h3_components``)."""
    components = [(index >> 59) & 15, (index >> 56) & 7, (index >> 52) & 15, (index >> 45) & 127]
    for position in range(15):
        components.append((index >> (3 * (14 - position))) & 7)
    return components


def invalid_h3_reason(components: list[int], max_resolution: int, padding: int, base_cells: int) -> str:
    """Why the index is not a valid H3 cell or directed edge, "" when it is (``h3_utils.invalid_h3_reasons``:
    the most basic problem first). The high bit is never set: indices are below 2**63."""
    mode = components[0]
    edge = components[1]
    resolution = components[2]
    if mode != 1 and mode != 2:
        return "mode is neither 1 (cell) nor 2 (directed edge)"
    if mode == 1 and edge != 0:
        return "reserved bits of a cell are not 0"
    if mode == 2 and (edge == 0 or edge > 6):
        return "directed edge number not in 1..6"
    if components[3] >= base_cells:
        return "base cell >= " + str(base_cells)
    for position in range(1, max_resolution + 1):
        if position <= resolution and components[3 + position] == padding:
            return "a digit within the resolution is 7"
    for position in range(1, max_resolution + 1):
        if position > resolution and components[3 + position] != padding:
            return "digits past the resolution are not 7"
    return ""


def _hex(value: int) -> str:
    hex_digits = "0123456789abcdef"
    text = hex_digits[value % 16]
    value = value // 16
    while value > 0:
        text = hex_digits[value % 16] + text
        value = value // 16
    return text


class H3Preprocessor(nn.Module):
    """H3 index strings -> ``uint8 [rows, 19]``, as ``H3FeatureMixin.feature_data`` makes them."""

    def __init__(self, name: str, metadata: dict[str, Any]):
        super().__init__()
        self.name = name
        self.fill = fill_string(metadata)
        self.max_resolution = MAX_H3_RESOLUTION
        self.padding = H3_PADDING_VALUE
        self.base_cells = NUM_BASE_CELLS

    def forward(self, values: list[str]) -> torch.Tensor:
        rows: list[list[int]] = []
        for row, value in enumerate(values):
            text = self.fill if value == "" else value
            index = parse_h3_index(stripped_codes(text))
            if index < 0:
                raise ValueError(
                    "h3 feature '" + self.name + "': row " + str(row) + ": '" + text + "' is not an H3 index (a "
                    "non-negative 64-bit integer, as decimal or hexadecimal digits)."
                )
            components = h3_components(index)
            reason = invalid_h3_reason(components, self.max_resolution, self.padding, self.base_cells)
            if reason != "":
                raise ValueError(
                    "h3 feature '" + self.name + "': row " + str(row) + ": " + str(index) + " (hex " + _hex(index)
                    + ") is not a valid H3 index: " + reason + "."
                )  # fmt: skip
            rows.append(components)
        if len(rows) == 0:
            return torch.zeros(0, 4 + self.max_resolution, dtype=torch.uint8)
        return torch.tensor(rows, dtype=torch.uint8)


@preprocessor_registry.register("h3")
def build_h3(feature, metadata: dict[str, Any]) -> nn.Module:
    return H3Preprocessor(feature.name, metadata)
