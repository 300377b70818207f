"""Decoding 64-bit H3 indices into their components with numpy bit arithmetic (no ``h3`` dependency).

Layout of an H3 index, from the most significant bit: 1 reserved bit (0), 4 bits of mode, 3 bits of mode-dependent
data (the edge of a directed edge), 4 bits of resolution, 7 bits of base cell, then 15 digits of 3 bits, digit 1
first. A cell of resolution ``r`` uses digits 1..r (each 0..6); the digits after ``r`` are all 7.
"""

from __future__ import annotations

import numpy as np

MAX_H3_RESOLUTION = 15
H3_VECTOR_LENGTH = MAX_H3_RESOLUTION + 4  # mode, edge, resolution, base cell, 15 digits
H3_PADDING_VALUE = 7  # the digit of the resolutions a cell does not use
NUM_BASE_CELLS = 122
NUM_MODES = 3  # 0 (none), 1 (cell), 2 (directed edge): the sizes Ludwig's encoders embed

_MODE_OFFSET = 59
_EDGE_OFFSET = 56
_RESOLUTION_OFFSET = 52
_BASE_CELL_OFFSET = 45
_DIGIT_BITS = 3


def h3_components(indices: np.ndarray) -> np.ndarray:
    """The ``[rows, 19]`` uint8 matrix of ``mode, edge, resolution, base cell, digit 1 .. digit 15``.

    Digits past the resolution are 7, as H3 stores them. No validation: see :func:`invalid_h3_rows`.
    """
    values = np.asarray(indices, dtype=np.uint64)
    out = np.empty((len(values), H3_VECTOR_LENGTH), dtype=np.uint8)
    out[:, 0] = (values >> np.uint64(_MODE_OFFSET)) & np.uint64(0xF)
    out[:, 1] = (values >> np.uint64(_EDGE_OFFSET)) & np.uint64(0x7)
    out[:, 2] = (values >> np.uint64(_RESOLUTION_OFFSET)) & np.uint64(0xF)
    out[:, 3] = (values >> np.uint64(_BASE_CELL_OFFSET)) & np.uint64(0x7F)
    shifts = np.arange(MAX_H3_RESOLUTION - 1, -1, -1, dtype=np.uint64) * np.uint64(_DIGIT_BITS)
    out[:, 4:] = (values[:, None] >> shifts[None, :]) & np.uint64(0x7)
    return out


def invalid_h3_reasons(indices: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Per row, why the index is not a valid H3 cell or directed edge ("" when it is valid)."""
    values = np.asarray(indices, dtype=np.uint64)
    reasons = np.full(len(values), "", dtype=object)
    mode, edge, resolution, base_cell, digits = (
        components[:, 0],
        components[:, 1],
        components[:, 2],
        components[:, 3],
        components[:, 4:],
    )
    used = np.arange(1, MAX_H3_RESOLUTION + 1)[None, :] <= resolution[:, None]
    checks = [
        (((digits != H3_PADDING_VALUE) & ~used).any(axis=1), "digits past the resolution are not 7"),
        (((digits == H3_PADDING_VALUE) & used).any(axis=1), "a digit within the resolution is 7"),
        (base_cell >= NUM_BASE_CELLS, f"base cell >= {NUM_BASE_CELLS}"),
        ((mode == 2) & ((edge == 0) | (edge > 6)), "directed edge number not in 1..6"),
        ((mode == 1) & (edge != 0), "reserved bits of a cell are not 0"),
        ((mode != 1) & (mode != 2), "mode is neither 1 (cell) nor 2 (directed edge)"),
        ((values >> np.uint64(63)) != 0, "the high bit is set"),
    ]
    # Later checks overwrite earlier ones, so the most basic problem is the one reported.
    for failed, reason in checks:
        reasons[np.asarray(failed, dtype=bool)] = reason
    return reasons
