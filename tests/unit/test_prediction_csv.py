"""Per-column prediction CSVs in Ludwig's format: no header, comma-separated, csv-quoted, ``\\r\\n`` rows."""

from __future__ import annotations

import glob
import os

import numpy as np
import pandas as pd
import pytest

from ludwig.utils.results_io import save_prediction_outputs

LUDWIG_PREDICTIONS = sorted(glob.glob("/work/shared/ludwig_models/*/ludwig_predictions"))


@pytest.mark.skipif(not LUDWIG_PREDICTIONS, reason="no prediction folders written by real Ludwig here")
@pytest.mark.parametrize("folder", LUDWIG_PREDICTIONS, ids=lambda f: f.split(os.sep)[-2])
def test_byte_identical_to_ludwig(folder, tmp_path):
    """Given the predictions real Ludwig wrote (its parquet), every CSV comes out byte for byte as Ludwig's."""
    save_prediction_outputs(pd.read_parquet(os.path.join(folder, "predictions.parquet")), str(tmp_path))
    expected = sorted(glob.glob(os.path.join(folder, "*.csv")))
    assert expected
    for path in expected:
        with open(path, "rb") as ludwig_file, open(tmp_path / os.path.basename(path), "rb") as ours:
            assert ours.read() == ludwig_file.read(), os.path.basename(path)


def test_format(tmp_path):
    predictions = pd.DataFrame(
        {
            "y_predictions": ["a", "b, c"],
            "y_probabilities": [np.array([0.25, 0.75]), np.array([0.5, 0.5])],
            "y_probability": np.array([0.75, 0.5], dtype=np.float32),
            "t_predictions": [["the", "cat"], ["a"]],
            "b_predictions": [True, False],
        }
    )
    save_prediction_outputs(predictions, str(tmp_path))

    def read(name):
        with open(tmp_path / f"{name}.csv", "rb") as f:
            return f.read()

    assert read("y_predictions") == b'a\r\n"b, c"\r\n'
    assert read("y_probabilities") == b"0.25,0.75\r\n0.5,0.5\r\n"
    assert read("y_probability") == b"0.75\r\n0.5\r\n"
    assert read("t_predictions") == b"the,cat\r\na\r\n"  # ragged token lists: one row each
    assert read("b_predictions") == b"True\r\nFalse\r\n"
    assert pd.read_csv(tmp_path / "y_probabilities.csv", header=None).to_numpy().tolist() == [[0.25, 0.75], [0.5, 0.5]]
