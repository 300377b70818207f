"""Prediction files: ``predictions.parquet`` (+ ``predictions.shapes.json``) and one CSV per column."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

from ludwig.globals import PREDICTIONS_PARQUET_FILE_NAME, PREDICTIONS_SHAPES_FILE_NAME


def save_prediction_outputs(predictions: pd.DataFrame, output_directory: str) -> None:
    """Write the predictions as Parquet and as ``<column>.csv`` files, like Ludwig's local backend."""
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
        values.to_frame(column).to_csv(os.path.join(output_directory, f"{column}.csv"), index=False, header=False)
