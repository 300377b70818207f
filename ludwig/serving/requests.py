"""What a request may hold: ``RequestError`` and the checks that turn request values into typed DataFrames.

Pure Python (pandas is imported when a DataFrame is built), so every rule can be tested without a server. Empty
values and ``None`` are missing values, which the model fills as its preprocessing says.
"""

import math
from collections.abc import Sequence
from typing import Any

#: Input types whose raw values are files; they cannot be served until those feature types exist here.
FILE_INPUT_TYPES = ("image", "audio")
#: Input types read from a number (or an empty value, which is a missing one).
NUMBER_INPUT_TYPES = ("number",)
#: Input types whose single value may arrive as a JSON list or object.
LIST_INPUT_TYPES = ("vector", "timeseries", "set", "bag", "sequence")


class RequestError(Exception):
    """A request the client can fix: answered with ``status_code`` and ``{"error": message}``."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def input_feature_specs(model: Any) -> list[tuple[str, str]]:
    """``(column, type)`` of each input feature of ``model``, in config order."""
    return [(feature.column, feature.type) for feature in model.config_obj.input_features]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def clean_value(column: str, feature_type: str, value: Any, where: str = "") -> Any:
    """``value`` of input ``column`` checked against its type; raises ``RequestError`` (422) when it cannot be one.

    Empty values and ``None`` are missing values (the model fills them as its preprocessing says).
    """
    if feature_type in FILE_INPUT_TYPES:
        raise RequestError(
            400, f"Input feature {column!r} has type {feature_type!r}; file inputs are not supported by this server."
        )
    if _is_missing(value):
        return None
    if isinstance(value, (dict, list)) and feature_type not in LIST_INPUT_TYPES:
        raise RequestError(
            422, f"Input feature {column!r}{where} ({feature_type}) expects a single value, found {value!r}."
        )
    if feature_type in NUMBER_INPUT_TYPES:
        if isinstance(value, bool):
            raise RequestError(422, f"Input feature {column!r}{where} (number) expects a number, found {value!r}.")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RequestError(
                422, f"Input feature {column!r}{where} (number) expects a number, found {value!r}."
            ) from None
        if math.isinf(number):
            raise RequestError(422, f"Input feature {column!r}{where} (number) must be finite, found {value!r}.")
        return number
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return value


def check_features_present(columns: Sequence[str], specs: Sequence[tuple[str, str]], where: str = "") -> None:
    """Raise ``RequestError`` (400) naming the input features absent from ``columns``."""
    missing = [column for column, _ in specs if column not in columns]
    if missing:
        raise RequestError(
            400, f"Data received does not contain all input features. Missing features: {sorted(missing)}{where}."
        )


def clean_record(record: dict[str, Any], specs: Sequence[tuple[str, str]], where: str = "") -> dict[str, Any]:
    """The input values of one record, checked and cast; other keys are ignored.

    ``where`` (e.g. ``" in record 3"``) is added to error messages to say which record of a batch is wrong.
    """
    check_features_present(list(record), specs, where)
    return {column: clean_value(column, feature_type, record[column], where) for column, feature_type in specs}


def _typed_frame(columns: dict[str, list[Any]], specs: Sequence[tuple[str, str]], index: Any = None) -> Any:
    """A DataFrame of cleaned input values; number columns are float (missing values NaN)."""
    import pandas as pd

    frame = pd.DataFrame(columns, index=index)
    for column, feature_type in specs:
        if feature_type in NUMBER_INPUT_TYPES:
            frame[column] = frame[column].astype(float)
    return frame


def frame_of_records(records: Sequence[dict[str, Any]], specs: Sequence[tuple[str, str]]) -> Any:
    """A DataFrame of one row per record (JSON objects or form fields), with its input values checked and cast.

    Records of a batch (more than one) name their position in error messages.
    """
    if not records:
        raise RequestError(400, "The list of records is empty; send at least one record.")
    cleaned = []
    for i, record in enumerate(records):
        where = f" in record {i}" if len(records) > 1 else ""
        if not isinstance(record, dict):
            what = f"Record {i}" if where else "The record"
            raise RequestError(
                400, f"{what} must be a JSON object mapping input feature names to values, found {record!r}."
            )
        cleaned.append(clean_record(record, specs, where))
    return _typed_frame({column: [record[column] for record in cleaned] for column, _ in specs}, specs)


def parse_split_dataset(payload: Any, specs: Sequence[tuple[str, str]]) -> Any:
    """A DataFrame from a dataset in pandas ``split`` orientation, with its input columns checked and cast."""
    if not isinstance(payload, dict):
        raise RequestError(400, "Field 'dataset' must be a JSON object with 'columns' and 'data' (split orientation).")
    columns, data, index = payload.get("columns"), payload.get("data"), payload.get("index")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise RequestError(400, "Field 'dataset.columns' must be a list of column names.")
    if len(set(columns)) != len(columns):
        raise RequestError(400, f"Field 'dataset.columns' holds duplicate names: {columns}.")
    if not isinstance(data, list) or not data:
        raise RequestError(400, "Field 'dataset.data' must be a non-empty list of rows.")
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise RequestError(
                400, f"Row {i} of field 'dataset.data' must be a list of {len(columns)} values (one per column)."
            )
    if index is not None and (not isinstance(index, list) or len(index) != len(data)):
        raise RequestError(400, f"Field 'dataset.index' must be a list of {len(data)} labels (one per row).")
    check_features_present(columns, specs)
    positions = {column: columns.index(column) for column, _ in specs}
    cleaned = {
        column: [
            clean_value(column, feature_type, row[positions[column]], f" in row {i}") for i, row in enumerate(data)
        ]
        for column, feature_type in specs
    }
    return _typed_frame(cleaned, specs, index)
