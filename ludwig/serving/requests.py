"""What a request may hold: ``RequestError`` and the checks that turn request values into typed input rows.

Pure Python (numpy and pandas are imported when a DataFrame is built), so every rule can be tested without a
server. Empty values and ``None`` are missing values, which the model fills as its preprocessing says. Each error
names the input feature (and the record or row of a batch) and shows the value found, shortened when it is long.
"""

import math
import sys
from collections.abc import Sequence
from typing import Any

#: Input types whose raw values are files; they cannot be served until those feature types exist here.
FILE_INPUT_TYPES = ("image", "audio")
#: Input types read from a number (or an empty value, which is a missing one).
NUMBER_INPUT_TYPES = ("number",)
#: Input types whose single value may arrive as a JSON list of values.
LIST_INPUT_TYPES = ("vector", "timeseries", "set", "bag", "sequence")
#: Input types read as floats, whose single value may also be a lone number (any finite one).
FLOAT_LIST_INPUT_TYPES = ("vector", "timeseries")
#: Numbers given to the other input types (category, binary, text, sequence, set, bag, date, h3) must lie strictly
#: within this bound: preprocessing reads whole numbers as 64-bit integers (a category ``3.0`` is ``"3"``), which
#: cannot hold larger ones.
INTEGER_BOUND = 2**63
_LARGEST_FLOAT = int(sys.float_info.max)
#: Longest value shown in an error message; longer ones are cut and their length given.
SHOWN_VALUE_CHARS = 80


class RequestError(Exception):
    """A request the client can fix: answered with ``status_code`` and ``{"error": message}``."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class UnreadableNumber:
    """A JSON number no input can hold: ``NaN``, ``Infinity``, ``-Infinity`` (which JSON itself does not allow) or an
    integer too long to read. ``ludwig.serving.bodies.parse_json`` puts it where the literal was, so that the check
    of the value can name the field it was sent for."""

    __slots__ = ("literal",)

    def __init__(self, literal: str):
        self.literal = literal

    def __repr__(self) -> str:
        if len(self.literal) > SHOWN_VALUE_CHARS:
            return f"{self.literal[:20]}... (an integer of {len(self.literal)} digits)"
        if self.literal in ("NaN", "Infinity", "-Infinity"):
            return f"{self.literal} (not valid JSON; null is a missing value)"
        return self.literal


class InputRows:
    """The checked input values of one request: a list of values per input column, and the row labels.

    ``index`` holds the labels a batch was sent with (None: ``0 .. num_rows - 1``). ``batch_key`` (see
    ``batch_key``) says which other requests' rows these may be predicted with in one call.
    """

    __slots__ = ("columns", "num_rows", "index", "batch_key")

    def __init__(
        self,
        columns: dict[str, list[Any]],
        num_rows: int,
        index: list[Any] | None = None,
        batch_key: tuple | None = None,
    ):
        self.columns = columns
        self.num_rows = num_rows
        self.index = index
        self.batch_key = batch_key

    def labels(self) -> list[Any]:
        """The row labels: ``index``, or ``0 .. num_rows - 1`` when none was sent."""
        return list(range(self.num_rows)) if self.index is None else self.index


def batch_key(columns: dict[str, list[Any]], specs: Sequence[tuple[str, str]]) -> tuple | None:
    """The Python types of each non-number input column's values: rows of requests with the same key give every
    column of a shared DataFrame the dtype it has for each request alone, so each row is read as it would be alone.

    None (never shared) when a non-number column holds a float: preprocessing reads a column of whole floats as
    integers (a category ``3.0`` is ``"3"``), a decision taken over the whole column. Number columns are always
    float64 and do not count.
    """
    key = []
    for column, feature_type in specs:
        if feature_type in NUMBER_INPUT_TYPES:
            continue
        types = frozenset(map(type, columns[column]))
        if float in types:
            return None
        key.append(types)
    return tuple(key)


def input_feature_specs(model: Any) -> list[tuple[str, str]]:
    """``(column, type)`` of each input feature of ``model``, in config order."""
    return [(feature.column, feature.type) for feature in model.config_obj.input_features]


def shown(value: Any) -> str:
    """``repr(value)``, cut to about ``SHOWN_VALUE_CHARS`` characters (with the full length) when longer."""
    text = repr(value)
    if len(text) <= SHOWN_VALUE_CHARS:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters as text"
    return f"{text[:SHOWN_VALUE_CHARS]}... ({size})"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _check_text(column: str, feature_type: str, value: str, where: str) -> None:
    # Only non-ASCII text can hold a lone surrogate (from a JSON escape such as "\ud800"), which is not Unicode.
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise RequestError(
                422,
                f"Input feature {column!r}{where} ({feature_type}) holds {value[e.start]!r} at character {e.start}, "
                "which is not a Unicode character (a lone surrogate).",
            ) from None


def _check_item(column: str, feature_type: str, item: Any, where: str) -> None:
    """One element of a list value: a string, a finite number, a boolean or null."""
    if isinstance(item, (dict, list)):
        raise RequestError(
            422, f"Input feature {column!r}{where} ({feature_type}) expects a flat list of values, found {shown(item)}."
        )
    if isinstance(item, UnreadableNumber) or (isinstance(item, float) and not math.isfinite(item)):
        raise RequestError(
            422, f"Input feature {column!r}{where} ({feature_type}) expects finite numbers, found {shown(item)}."
        )
    if isinstance(item, str):
        _check_text(column, feature_type, item, where)


def _readable(number: int | float, feature_type: str) -> bool:
    if feature_type in FLOAT_LIST_INPUT_TYPES:
        return abs(number) <= _LARGEST_FLOAT if isinstance(number, int) else math.isfinite(number)
    # abs() first: math.isfinite cannot convert an integer beyond the float range
    return abs(number) < INTEGER_BOUND and (isinstance(number, int) or math.isfinite(number))


def _clean_number(column: str, value: Any, where: str) -> float:
    if isinstance(value, UnreadableNumber):
        raise RequestError(422, f"Input feature {column!r}{where} (number) must be finite, found {shown(value)}.")
    if isinstance(value, bool):
        raise RequestError(422, f"Input feature {column!r}{where} (number) expects a number, found {shown(value)}.")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range
        number = math.inf
    except (TypeError, ValueError):
        raise RequestError(
            422, f"Input feature {column!r}{where} (number) expects a number, found {shown(value)}."
        ) from None
    if math.isinf(number):
        raise RequestError(422, f"Input feature {column!r}{where} (number) must be finite, found {shown(value)}.")
    return number


def clean_value(column: str, feature_type: str, value: Any, where: str = "") -> Any:
    """``value`` of input ``column`` checked against its type; raises ``RequestError`` (422) when it cannot be one.

    Empty values and ``None`` are missing values (the model fills them as its preprocessing says). Numbers must
    be finite, and those given to a type other than number, vector or timeseries must lie within
    ``INTEGER_BOUND``; text must be Unicode; a list (for the types of ``LIST_INPUT_TYPES``) is flat and becomes its
    values joined by spaces.
    """
    if feature_type in FILE_INPUT_TYPES:
        raise RequestError(
            400, f"Input feature {column!r} has type {feature_type!r}; file inputs are not supported by this server."
        )
    if _is_missing(value):
        return None
    if feature_type in NUMBER_INPUT_TYPES:
        if isinstance(value, (dict, list)):
            raise RequestError(
                422, f"Input feature {column!r}{where} (number) expects a single value, found {shown(value)}."
            )
        return _clean_number(column, value, where)
    if isinstance(value, str):
        _check_text(column, feature_type, value, where)
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, UnreadableNumber) or (isinstance(value, (int, float)) and not _readable(value, feature_type)):
        allowed = "numbers" if feature_type in FLOAT_LIST_INPUT_TYPES else "a number between -2**63 and 2**63"
        raise RequestError(
            422,
            f"Input feature {column!r}{where} ({feature_type}) expects a string or finite {allowed}, "
            f"found {shown(value)}.",
        )
    if isinstance(value, list) and feature_type in LIST_INPUT_TYPES:
        for item in value:
            _check_item(column, feature_type, item, where)
        return " ".join(str(item) for item in value)
    if isinstance(value, (dict, list)):
        expected = "a list of values or a string" if feature_type in LIST_INPUT_TYPES else "a single value"
        raise RequestError(
            422, f"Input feature {column!r}{where} ({feature_type}) expects {expected}, found {shown(value)}."
        )
    return value


def check_features_present(columns: Sequence[str], specs: Sequence[tuple[str, str]], where: str = "") -> None:
    """Raise ``RequestError`` (400) naming the input features absent from ``columns``."""
    present = set(columns)
    missing = [column for column, _ in specs if column not in present]
    if missing:
        raise RequestError(
            400, f"Data received does not contain all input features. Missing features: {sorted(missing)}{where}."
        )


def clean_record(record: dict[str, Any], specs: Sequence[tuple[str, str]], where: str = "") -> dict[str, Any]:
    """The input values of one record, checked and cast; other keys are ignored.

    ``where`` (e.g. ``" in record 3"``) is added to error messages to say which record of a batch is wrong.
    """
    check_features_present(record, specs, where)
    return {column: clean_value(column, feature_type, record[column], where) for column, feature_type in specs}


def rows_of_records(records: Sequence[Any], specs: Sequence[tuple[str, str]]) -> InputRows:
    """The input rows of a list of records (JSON objects or form fields), with their values checked and cast.

    Records of a batch (more than one) name their position in error messages.
    """
    if not records:
        raise RequestError(400, "The list of records is empty; send at least one record.")
    columns: dict[str, list[Any]] = {column: [] for column, _ in specs}
    for i, record in enumerate(records):
        where = f" in record {i}" if len(records) > 1 else ""
        if not isinstance(record, dict):
            what = f"Record {i}" if where else "The record"
            raise RequestError(
                400, f"{what} must be a JSON object mapping input feature names to values, found {shown(record)}."
            )
        for column, value in clean_record(record, specs, where).items():
            columns[column].append(value)
    return InputRows(columns, len(records), batch_key=batch_key(columns, specs))


def _check_index(index: Any, num_rows: int) -> list[Any] | None:
    if index is None:
        return None
    if not isinstance(index, list) or len(index) != num_rows:
        raise RequestError(400, f"Field 'dataset.index' must be a list of {num_rows} labels (one per row).")
    for i, label in enumerate(index):
        finite = not isinstance(label, float) or math.isfinite(label)
        if not isinstance(label, (str, int, float)) or isinstance(label, bool) or not finite:
            raise RequestError(
                400, f"Label {i} of field 'dataset.index' must be a string or a finite number, found {shown(label)}."
            )
        if isinstance(label, str) and not label.isascii():
            try:
                label.encode("utf-8")
            except UnicodeEncodeError:
                raise RequestError(
                    400, f"Label {i} of field 'dataset.index' is not Unicode text (it holds a lone surrogate)."
                ) from None
    return index


def rows_of_split_dataset(payload: Any, specs: Sequence[tuple[str, str]]) -> InputRows:
    """The input rows of a dataset in pandas ``split`` orientation, with its input columns checked and cast."""
    if not isinstance(payload, dict):
        raise RequestError(400, "Field 'dataset' must be a JSON object with 'columns' and 'data' (split orientation).")
    columns, data = payload.get("columns"), payload.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise RequestError(400, "Field 'dataset.columns' must be a list of column names.")
    if len(set(columns)) != len(columns):
        raise RequestError(400, f"Field 'dataset.columns' holds duplicate names: {shown(columns)}.")
    if not isinstance(data, list) or not data:
        raise RequestError(400, "Field 'dataset.data' must be a non-empty list of rows.")
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise RequestError(
                400, f"Row {i} of field 'dataset.data' must be a list of {len(columns)} values (one per column)."
            )
    index = _check_index(payload.get("index"), len(data))
    check_features_present(columns, specs)
    position = {column: i for i, column in enumerate(columns)}
    cleaned = {}
    for column, feature_type in specs:
        at = position[column]
        cleaned[column] = [clean_value(column, feature_type, row[at], f" in row {i}") for i, row in enumerate(data)]
    return InputRows(cleaned, len(data), index, batch_key(cleaned, specs))


def frame_of_rows(batches: Sequence[InputRows], specs: Sequence[tuple[str, str]]) -> Any:
    """One DataFrame of the rows of ``batches``, in order, indexed ``0 .. n - 1``; number columns are float64
    (missing values NaN), the others keep the values as sent (pandas infers their dtype)."""
    import numpy as np
    import pandas as pd

    columns = {}
    for column, feature_type in specs:
        values = batches[0].columns[column] if len(batches) == 1 else [v for b in batches for v in b.columns[column]]
        columns[column] = np.array(values, dtype=np.float64) if feature_type in NUMBER_INPUT_TYPES else values
    return pd.DataFrame(columns)
