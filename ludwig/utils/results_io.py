"""Prediction files: ``predictions.parquet`` (+ ``predictions.shapes.json``) and one CSV per column."""

from __future__ import annotations

import csv
import json
import os
from typing import Any

import numpy as np
import pandas as pd

from ludwig.globals import PREDICTIONS_PARQUET_FILE_NAME, PREDICTIONS_SHAPES_FILE_NAME
from ludwig.utils.fs_utils import join_inside


def save_prediction_outputs(predictions: pd.DataFrame, output_directory: str) -> None:
    """Write the predictions as Parquet and as ``<column>.csv`` files, like Ludwig's local backend.

    Each CSV holds one column in Ludwig's format (see ``write_csv_column``): ``<feature>_probabilities.csv`` has
    one comma-separated row of class probabilities per prediction.

    Raises:
        UnsafePathError: a column, named after its output feature, would make a file outside ``output_directory``
            (nothing is written then).
    """
    # Feature names come from the config, which may come with a model folder from elsewhere.
    csv_paths = {
        column: join_inside(output_directory, f"{column}.csv", f"the prediction column {column!r}")
        for column in predictions.columns
    }
    shapes = {}
    table = predictions.copy()
    for column in table.columns:
        first = table[column].iloc[0] if len(table) else None
        if isinstance(first, np.ndarray | list):
            shapes[column] = list(np.shape(first))
            table[column] = [np.asarray(v).ravel().tolist() for v in table[column]]
    table.reset_index(drop=True).to_parquet(os.path.join(output_directory, PREDICTIONS_PARQUET_FILE_NAME))
    with open(os.path.join(output_directory, PREDICTIONS_SHAPES_FILE_NAME), "w") as f:
        json.dump(shapes, f)
    for column in predictions.columns:
        os.makedirs(os.path.dirname(csv_paths[column]), exist_ok=True)  # a feature name may hold a '/'
        write_csv_column(predictions[column], csv_paths[column])


def _column_rows(values: pd.Series) -> Any:
    """The rows Ludwig writes for one prediction column: the column stacked into one array when it can be.

    A column of equal-length vectors (probabilities) becomes a 2-D array, one row per prediction; a scalar column
    a 1-D array of numpy scalars (their ``str`` is the shortest repr of their own dtype, e.g. ``0.8933364`` for a
    float32). Ragged columns (token lists of different lengths) stay a list of the row values.
    """
    try:
        return np.stack(values.to_numpy())
    except ValueError:
        return values.to_list()


def write_csv_column(values: pd.Series, path: str) -> None:
    """Write one prediction column as Ludwig does: no header, no index, one row per prediction.

    The format is Python's default ``csv`` dialect, as Ludwig's ``save_csv`` writes it: comma-separated values
    (the elements of a vector or list on one row), quotes only where a value needs them, and ``\\r\\n`` line
    endings; each value is written with ``str``.

    Args:
        values: the prediction column.
        path: the CSV file to write.
    """
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        for row in _column_rows(values):
            if isinstance(row, str) or not isinstance(row, np.ndarray | list | tuple):
                row = [row]
            writer.writerow(row)
