"""Prediction files: ``predictions.parquet`` (+ ``predictions.shapes.json``) and one CSV per column."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

from ludwig.globals import PREDICTIONS_PARQUET_FILE_NAME, PREDICTIONS_SHAPES_FILE_NAME
from ludwig.utils.fs_utils import join_inside


def save_prediction_outputs(predictions: pd.DataFrame, output_directory: str) -> None:
    """Write the predictions as Parquet and as ``<column>.csv`` files, like Ludwig's local backend.

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
    for column in table.columns:
        values = table[column]
        if column in shapes:
            values = values.map(lambda v: " ".join(str(x) for x in v))
        os.makedirs(os.path.dirname(csv_paths[column]), exist_ok=True)  # a feature name may hold a '/'
        values.to_frame(column).to_csv(csv_paths[column], index=False, header=False)
