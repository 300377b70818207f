"""Prediction values made JSON-ready for the servers' answers."""

import math
from typing import Any


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python ones, and NaN into ``None``."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class PredictedRows:
    """The predictions of one request, JSON-ready: the output column names, one list of values per row and the row
    labels."""

    __slots__ = ("columns", "rows", "index")

    def __init__(self, columns: list[str], rows: list[list[Any]], index: list[Any]):
        self.columns = columns
        self.rows = rows
        self.index = index

    def record(self, i: int = 0) -> dict[str, Any]:
        """Row ``i`` as ``{column: value}``."""
        return dict(zip(self.columns, self.rows[i]))

    def records(self) -> list[dict[str, Any]]:
        """Every row as ``{column: value}``, in order."""
        return [dict(zip(self.columns, row)) for row in self.rows]

    def split(self) -> dict[str, Any]:
        """The rows in pandas ``split`` orientation: ``{"index", "columns", "data"}``."""
        return {"index": self.index, "columns": self.columns, "data": self.rows}


def jsonable_rows(predictions: Any) -> tuple[list[str], list[list[Any]]]:
    """The column names of a predictions DataFrame and its rows as lists of JSON-ready values, column by column
    (``tolist`` turns numpy values into Python ones; arrays and non-finite floats are converted after)."""
    columns = [str(column) for column in predictions.columns]
    values = []
    for column in predictions.columns:
        series = predictions[column]
        items = series.tolist()
        if series.dtype.kind in "biu":  # bool and integer values need no conversion
            values.append(items)
        else:
            values.append([to_jsonable(item) for item in items])
    return columns, [list(row) for row in zip(*values)] if values else [[] for _ in range(len(predictions))]
