"""Malformed data through the public API and the CLI: clear errors for what cannot be used, warnings for the rest.

Each test trains for real on a tiny frame (a couple of epochs) and asserts on the exception's type and message, or
on the text of the warning the ``ludwig`` logger gives.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from ludwig.api import LudwigModel
from ludwig.error import DatasetError, InputDataError

ROWS = 40
NUMBER_IN = {"name": "x", "type": "number"}
NUMBER_OUT = {"name": "y", "type": "number"}
TRAINER = {"epochs": 2, "batch_size": 8}


def warnings_text(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def numbers(seed: int = 0, rows: int = ROWS) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=rows).round(4)


def frame(**columns: Any) -> pd.DataFrame:
    """A frame of ``ROWS`` rows: ``x`` and ``y`` random numbers unless given."""
    data = {"x": numbers(0), "y": numbers(1)}
    data.update(columns)
    return pd.DataFrame(data)


def model(inputs: list[dict] | None = None, outputs: list[dict] | None = None) -> LudwigModel:
    config = {"input_features": inputs or [NUMBER_IN], "output_features": outputs or [NUMBER_OUT], "trainer": TRAINER}
    return LudwigModel(config, logging_level=logging.WARNING)


def train(ludwig_model: LudwigModel, tmp_path: Path, dataset=None, **kwargs) -> LudwigModel:
    ludwig_model.train(
        dataset=dataset,
        output_directory=str(tmp_path / "results"),
        skip_save_model=True,
        skip_save_progress=True,
        skip_save_log=True,
        skip_save_processed_input=True,
        **kwargs,
    )
    return ludwig_model


# ---------------------------------------------------------------------------------------------------------
# A target missing in every row


def test_all_missing_target_names_the_column_and_why_rows_were_dropped(tmp_path):
    with pytest.raises(DatasetError) as error:
        train(model(), tmp_path, frame(y=[np.nan] * ROWS))
    message = str(error.value)
    assert "training split is empty" in message
    assert 'output column "y"' in message
    assert "every row's target is missing" in message
    assert "drop_row" in message
    assert "fill the missing targets in" in message
    assert isinstance(error.value, ValueError)  # what callers caught before


def test_all_missing_drop_row_input_names_the_column(tmp_path):
    inputs = [{**NUMBER_IN, "preprocessing": {"missing_value_strategy": "drop_row"}}]
    with pytest.raises(DatasetError, match='input column "x" is missing in every row.*drop_row'):
        train(model(inputs), tmp_path, frame(x=[np.nan] * ROWS))


# ---------------------------------------------------------------------------------------------------------
# Values that are not numbers in number columns


@pytest.mark.parametrize("column", ["x", "y"], ids=["input", "output"])
def test_unreadable_numbers_become_missing_with_a_warning(tmp_path, ludwig_warnings, column):
    values = numbers(0).astype(object)
    values[[2, 5, 11]] = ["abc", "1,5", "inf"]
    ludwig_model = train(model(), tmp_path, frame(**{column: values}))
    text = warnings_text(ludwig_warnings)
    assert f'Number column "{column}": 3 of {ROWS} values cannot be read as finite numbers' in text
    assert "treated as missing" in text
    assert "['abc', '1,5', 'inf']" in text
    predictions, _ = ludwig_model.predict(frame(**{column: values}))
    assert len(predictions) == ROWS and np.isfinite(predictions["y_predictions"]).all()


@pytest.mark.parametrize("column", ["x", "y"], ids=["input", "output"])
def test_a_number_column_with_no_number_is_refused(tmp_path, column):
    with pytest.raises(InputDataError) as error:
        train(model(), tmp_path, frame(**{column: ["abc"] * ROWS}))
    assert error.value.column_name == column
    assert f'Column "{column}" as number feature' in str(error.value)
    assert "none of its 40 values can be read as a finite number, e.g. ['abc']" in str(error.value)


def test_missing_values_written_as_strings_are_not_reported(tmp_path, ludwig_warnings):
    values = numbers(0).astype(object)
    values[[1, 2, 3]] = ["", "NaN", "null"]
    train(model(), tmp_path, frame(x=values))
    assert 'Number column "x"' not in warnings_text(ludwig_warnings)


def test_binary_values_outside_the_training_labels_are_reported_at_predict(tmp_path, ludwig_warnings):
    labels = np.where(numbers(2) > 0, "spam", "ham")
    ludwig_model = train(model([{"name": "b", "type": "binary"}]), tmp_path, frame(b=labels))
    ludwig_warnings.clear()
    unseen = labels.copy().astype(object)
    unseen[:4] = ["maybe", "maybe", "??", "spam"]
    predictions, _ = ludwig_model.predict(frame(b=unseen))
    assert len(predictions) == ROWS
    text = warnings_text(ludwig_warnings)
    assert 'Binary column "b": 3 of 40 values are neither "ham" (true) nor "spam" (false)' in text
    assert "read as false, e.g. ['maybe', '??']" in text


def test_vector_entries_that_are_not_numbers_are_refused_naming_rows(tmp_path):
    vectors = np.array([f"{a} {b}" for a, b in zip(numbers(3), numbers(4), strict=True)], dtype=object)
    vectors[[5, 9]] = ["1.0 abc", "nan 2.0"]
    with pytest.raises(InputDataError) as error:
        train(model([{"name": "v", "type": "vector"}]), tmp_path, frame(v=vectors))
    assert error.value.column_name == "v"
    assert "2 of 40 rows hold values that are not finite numbers, e.g. ['abc', 'nan']" in str(error.value)
    assert "row 5: '1.0 abc'" in str(error.value)


def test_timeseries_entries_that_are_not_numbers_are_refused_naming_the_row(tmp_path):
    series = np.array([f"{a} {b}" for a, b in zip(numbers(3), numbers(4), strict=True)], dtype=object)
    series[7] = "1.0 abc"
    with pytest.raises(InputDataError, match=r'Column "s" as timeseries feature: row 7: \'abc\' is not a number'):
        train(model([{"name": "s", "type": "timeseries"}]), tmp_path, frame(s=series))


# ---------------------------------------------------------------------------------------------------------
# Data that trains but cannot give a useful model


def test_single_class_binary_target_warns(tmp_path, ludwig_warnings):
    train(model(outputs=[{"name": "b", "type": "binary"}]), tmp_path, frame(b=[True] * ROWS))
    text = warnings_text(ludwig_warnings)
    assert 'Output feature "b" (binary): all' in text
    assert 'training rows have the same value "True"' in text
    assert "can only learn to predict it" in text


def test_single_class_category_target_is_refused(tmp_path):
    with pytest.raises(InputDataError, match=r"needs at least 2 distinct values, found \['a'\]"):
        train(model(outputs=[{"name": "c", "type": "category"}]), tmp_path, frame(c=["a"] * ROWS))


@pytest.mark.parametrize("feature_type", ["number", "category"])
def test_all_missing_input_column_warns(tmp_path, ludwig_warnings, feature_type):
    inputs = [NUMBER_IN, {"name": "empty", "type": feature_type}]
    train(model(inputs), tmp_path, frame(empty=[None] * ROWS))
    text = warnings_text(ludwig_warnings)
    assert 'Input feature "empty": the column is missing in all' in text
    assert "the feature carries no information" in text


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_tiny_dataset_warns_with_the_row_count(tmp_path, ludwig_warnings, rows):
    train(model(), tmp_path, frame(x=numbers(0, rows), y=numbers(1, rows)))
    text = warnings_text(ludwig_warnings)
    assert f"The dataset has only {rows} row{'s' if rows > 1 else ''} (training " in text
    assert "too few to learn from or to measure a model on" in text


def test_a_normal_dataset_gives_no_data_warning(tmp_path, ludwig_warnings):
    train(model(outputs=[{"name": "b", "type": "binary"}]), tmp_path, frame(b=numbers(5) > 0))
    assert warnings_text(ludwig_warnings) == ""


def test_warnings_are_given_again_when_the_cache_is_reused(tmp_path, ludwig_warnings):
    path = tmp_path / "data.csv"
    frame(empty=[None] * ROWS).to_csv(path, index=False)
    inputs = [NUMBER_IN, {"name": "empty", "type": "number"}]
    for run in range(2):
        ludwig_warnings.clear()
        model(inputs).train(dataset=str(path), output_directory=str(tmp_path / f"results{run}"), skip_save_model=True)
        assert 'Input feature "empty": the column is missing in all' in warnings_text(ludwig_warnings), f"run {run}"
    assert (tmp_path / "data.meta.json").exists()


# ---------------------------------------------------------------------------------------------------------
# Columns: duplicated or missing


def duplicated_frame() -> pd.DataFrame:
    df = frame()
    return pd.concat([df, df[["x"]]], axis=1)  # columns x, y, x


DUPLICATE_MESSAGE = r'duplicated column names: "x" \(2 times\).*Columns are \[\'x\', \'y\', \'x\'\]'


def test_training_on_duplicated_columns_is_refused(tmp_path):
    with pytest.raises(DatasetError, match=DUPLICATE_MESSAGE):
        train(model(), tmp_path, duplicated_frame())


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_predict_and_evaluate_on_duplicated_columns_are_refused(tmp_path, command):
    ludwig_model = train(model(), tmp_path, frame())
    with pytest.raises(DatasetError, match=DUPLICATE_MESSAGE):
        getattr(ludwig_model, command)(duplicated_frame())


def test_csv_with_a_repeated_header_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("x,y,x\n" + "".join(f"{a},{b},{a}\n" for a, b in zip(numbers(0), numbers(1), strict=True)))
    with pytest.raises(DatasetError, match=r'duplicated column names: "x" \(2 times\)'):
        train(model(), tmp_path, str(path))


def test_a_missing_column_is_named_with_the_columns_there_are(tmp_path):
    with pytest.raises(InputDataError) as error:
        train(model([{"name": "xx", "type": "number"}]), tmp_path, frame())
    assert error.value.column_name == "xx"
    assert "not found in the dataset; its columns are ['x', 'y']. Did you mean 'x'?" in str(error.value)


def test_a_validation_set_missing_a_column_is_refused(tmp_path):
    with pytest.raises(InputDataError) as error:
        train(model(), tmp_path, training_set=frame(), validation_set=frame().drop(columns=["x"]))
    assert error.value.column_name == "x"
    assert "not found in the validation set; its columns are ['y']" in str(error.value)


# ---------------------------------------------------------------------------------------------------------
# The CLI shows the warnings at its default logging level


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run(
        [sys.executable, "-m", "ludwig", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_train_shows_data_warnings_and_errors(tmp_path):
    values = numbers(0).astype(object)
    values[[3, 7]] = "abc"
    frame(x=values, empty=[None] * ROWS, b=[True] * ROWS).to_csv(tmp_path / "bad.csv", index=False)
    frame(x=["abc"] * ROWS).to_csv(tmp_path / "no_numbers.csv", index=False)
    config = {
        "input_features": [NUMBER_IN, {"name": "empty", "type": "number"}],
        "output_features": [NUMBER_OUT, {"name": "b", "type": "binary"}],
        "trainer": TRAINER,
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))

    result = run_cli("train", "-c", "config.yaml", "--dataset", "bad.csv", "-od", "results", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert 'Number column "x": 2 of 40 values cannot be read as finite numbers' in output
    assert 'Input feature "empty": the column is missing in all' in output
    assert 'Output feature "b" (binary): all' in output

    result = run_cli("train", "-c", "config.yaml", "--dataset", "no_numbers.csv", "-od", "results", cwd=tmp_path)
    assert result.returncode != 0
    assert 'Column "x" as number feature: none of its 40 values can be read as a finite number' in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_leaves_out_rows_whose_target_is_missing(tmp_path, ludwig_warnings):
    df = frame()
    trained = train(model(), tmp_path, df)
    with_gaps = df.copy()
    with_gaps.loc[[3, 7, 11], "y"] = np.nan
    stats, predictions, _ = trained.evaluate(dataset=with_gaps, collect_predictions=True)
    expected, _, _ = trained.evaluate(dataset=df.drop(index=[3, 7, 11]))
    assert stats["y"]["mean_squared_error"] == pytest.approx(expected["y"]["mean_squared_error"], rel=1e-6)
    assert list(predictions.index) == [i for i in range(ROWS) if i not in (3, 7, 11)]
    assert 'Evaluating on 37 of 40 rows: the target is missing in the others (rows per column: "y" (3))' in (
        warnings_text(ludwig_warnings)
    )


def test_predict_reads_huge_numbers_in_category_h3_and_timeseries_columns(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "cat": rng.choice([1.0, 2.0, 3.0], size=ROWS),
            "cell": [576495936675512319] * ROWS,
            "series": [" ".join(map(str, rng.normal(size=3).round(3))) for _ in range(ROWS)],
            "y": numbers(1),
        }
    )
    inputs = [
        {"name": "cat", "type": "category"},
        {"name": "cell", "type": "h3"},
        {"name": "series", "type": "timeseries"},
    ]
    trained = train(model(inputs), tmp_path, df)
    huge = df.head(3).astype(object)
    huge.loc[0, "cat"] = 1e308  # beyond the 64-bit integers: an unseen category, predicted like <UNK>
    predictions, _ = trained.predict(dataset=huge)
    assert len(predictions) == 3 and np.isfinite(predictions["y_predictions"]).all()
    huge.loc[1, "cell"] = 1e308
    with pytest.raises(InputDataError, match='Column "cell" as h3 feature'):
        trained.predict(dataset=huge)
    huge.loc[1, "cell"] = df.loc[1, "cell"]
    huge.loc[2, "series"] = [10**400, 1.0, 2.0]
    with pytest.raises(InputDataError, match='Column "series" as timeseries feature'):
        trained.predict(dataset=huge)
