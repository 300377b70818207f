"""Timeseries features through ``LudwigModel`` and the CLI: inputs, outputs with a horizon, forecasting, and the
shared ``co2`` and ``sunspots`` datasets."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ludwig.api import LudwigModel
from ludwig.constants import TIMESERIES

from .conftest import SHARED_DATASETS

REPO_ROOT = Path(__file__).resolve().parents[2]
FAST_TRAINER = {"epochs": 4, "batch_size": 32, "learning_rate": 0.005}


def history_frame(num_rows: int = 300, length: int = 8, seed: int = 0) -> pd.DataFrame:
    """Row-major histories (space-separated strings) with a target that depends on the last two values."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(num_rows, length))
    return pd.DataFrame(
        {
            "history": [" ".join(f"{v:.5f}" for v in row) for row in values],
            "target": 2.0 * values[:, -1] - values[:, -2] + 1.0,
        }
    )


def sine_frame(num_rows: int = 400) -> pd.DataFrame:
    """One observation per row (column-major) of a smooth periodic series."""
    t = np.arange(num_rows)
    return pd.DataFrame({"value": np.sin(t / 6.0) + 0.5 * np.cos(t / 17.0)})


def rolling_history_frame(num_rows: int = 300, length: int = 6) -> pd.DataFrame:
    """Row-major histories built from one series: row i's history is the ``length`` values before its target."""
    t = np.arange(num_rows + length)
    series = np.sin(t / 5.0)
    histories = [" ".join(f"{v:.6f}" for v in series[i : i + length]) for i in range(num_rows)]
    return pd.DataFrame({"history": histories, "next": [float(f"{v:.6f}") for v in series[length:]]})


def column_major_config(horizon: int = 3, window_size: int = 12) -> dict:
    return {
        "input_features": [
            {
                "name": "value_history",
                "column": "value",
                "type": TIMESERIES,
                "encoder": {"type": "dense", "output_size": 32},
                "preprocessing": {"window_size": window_size},
            }
        ],
        "output_features": [
            {"name": "value_future", "column": "value", "type": TIMESERIES, "preprocessing": {"horizon": horizon}}
        ],
        "trainer": FAST_TRAINER,
    }


def train(config: dict, df: pd.DataFrame, output_directory: Path) -> LudwigModel:
    model = LudwigModel(config, logging_level=logging.WARNING)
    model.train(dataset=df, output_directory=str(output_directory), random_seed=1)
    return model


def test_timeseries_input_with_dense_encoder_predicts_a_number(tmp_path):
    df = history_frame()
    config = {
        "input_features": [{"name": "history", "type": TIMESERIES, "encoder": {"type": "dense", "output_size": 32}}],
        "output_features": [{"name": "target", "type": "number"}],
        "trainer": FAST_TRAINER,
    }
    model = train(config, df, tmp_path)
    assert model.training_set_metadata["history"]["max_sequence_length"] == 8
    assert model.training_set_metadata["history"]["max_timeseries_length"] == 8
    eval_stats, _, _ = model.evaluate(df)
    print(f"timeseries input -> number: r2 {eval_stats['target']['r2']:.3f} (mean predictor: 0.0)")
    assert eval_stats["target"]["r2"] > 0.5
    predictions, _ = model.predict(df.head(7))
    assert len(predictions) == 7 and list(predictions.columns) == ["target_predictions"]


def test_passthrough_encoder_feeds_the_series_to_the_combiner(tmp_path):
    df = history_frame(num_rows=120)
    config = {
        "input_features": [{"name": "history", "type": TIMESERIES, "encoder": {"type": "passthrough"}}],
        "output_features": [{"name": "target", "type": "number"}],
        "trainer": {**FAST_TRAINER, "epochs": 1},
    }
    model = train(config, df, tmp_path)
    assert model.model.input_features["history"].output_size == 8
    predictions, _ = model.predict(df)
    assert len(predictions) == len(df)


def test_timeseries_output_with_horizon_saves_loads_and_predicts_lists(tmp_path):
    df = sine_frame()
    model = train(column_major_config(horizon=3), df, tmp_path / "results")
    eval_stats, _, _ = model.evaluate(df)
    metrics = eval_stats["value_future"]
    assert {"mean_squared_error", "mean_absolute_error", "root_mean_squared_error", "r2", "huber"} <= set(metrics)
    print(f"horizon-3 sine forecast: r2 {metrics['r2']:.3f} (mean predictor: 0.0)")
    assert metrics["r2"] > 0.5

    predictions, _ = model.predict(df.tail(20))
    values = predictions["value_future_predictions"]
    assert len(values) == 20 and all(isinstance(v, list) and len(v) == 3 for v in values)
    assert all(isinstance(x, float) for x in values.iloc[0])

    model.save(str(tmp_path / "model"))
    loaded = LudwigModel.load(str(tmp_path / "model"))
    reloaded, _ = loaded.predict(df.tail(20))
    np.testing.assert_allclose(np.stack(reloaded["value_future_predictions"]), np.stack(values), rtol=1e-6)
    assert loaded.config["output_features"][0]["horizon"] == 3


def test_forecast_column_major_returns_horizon_rows(tmp_path):
    df = sine_frame()
    model = train(column_major_config(horizon=3), df, tmp_path / "results")
    forecast = model.forecast(df, horizon=7, output_directory=str(tmp_path / "out"), output_format="csv")
    assert list(forecast.columns) == ["value"] and len(forecast) == 7
    assert np.isfinite(forecast["value"]).all()
    # The first step is the model's horizon prediction from the last row of the data.
    first, _ = model.predict(df.tail(12))
    np.testing.assert_allclose(forecast["value"][:3], first["value_future_predictions"].iloc[-1], rtol=1e-5)
    truth = np.sin(np.arange(400, 407) / 6.0) + 0.5 * np.cos(np.arange(400, 407) / 17.0)
    print(f"7-step forecast MAE {np.abs(forecast['value'] - truth).mean():.3f} (series std {df['value'].std():.3f})")
    assert len(pd.read_csv(tmp_path / "out" / "forecast.csv")) == 7


def test_forecast_row_major_history_continues_the_series(tmp_path):
    df = rolling_history_frame()
    config = {
        "input_features": [{"name": "history", "type": TIMESERIES, "encoder": {"type": "dense", "output_size": 32}}],
        "output_features": [{"name": "next", "type": "number"}],
        "trainer": {**FAST_TRAINER, "epochs": 8},
    }
    model = train(config, df, tmp_path / "results")
    forecast = model.forecast(df, horizon=5)
    assert list(forecast.columns) == ["next"] and len(forecast) == 5
    truth = np.sin(np.arange(306, 311) / 5.0)
    error = np.abs(forecast["next"].to_numpy() - truth).mean()
    print(f"5-step row-major forecast MAE {error:.3f} (series amplitude 1)")
    assert error < 0.5


def test_forecast_needs_an_output_that_continues_an_input(tmp_path):
    df = history_frame(num_rows=60)
    config = {
        "input_features": [{"name": "history", "type": TIMESERIES, "encoder": {"type": "dense"}}],
        "output_features": [{"name": "target", "type": "number"}],
        "trainer": {**FAST_TRAINER, "epochs": 1},
    }
    model = train(config, df, tmp_path)
    with pytest.raises(ValueError, match="continue"):
        model.forecast(df, horizon=2)
    with pytest.raises(ValueError, match="output_format"):
        model.forecast(df, horizon=2, output_format="xlsx")


def test_bad_value_in_a_timeseries_column_names_column_and_row(tmp_path):
    df = history_frame(num_rows=40)
    df.loc[5, "history"] = "1 2 oops"
    config = {
        "input_features": [{"name": "history", "type": TIMESERIES, "encoder": {"type": "dense"}}],
        "output_features": [{"name": "target", "type": "number"}],
        "trainer": {**FAST_TRAINER, "epochs": 1},
    }
    with pytest.raises(Exception, match=r"history.*row 5: 'oops' is not a number"):
        train(config, df, tmp_path)


def run_ludwig(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "ludwig", *args], capture_output=True, text=True, env=env, timeout=300)


def test_forecast_cli(tmp_path):
    df = sine_frame(200)
    dataset = tmp_path / "series.csv"
    df.to_csv(dataset, index=False)
    model = train(
        {**column_major_config(horizon=2, window_size=6), "trainer": {**FAST_TRAINER, "epochs": 1}}, df, tmp_path
    )
    model.save(str(tmp_path / "model"))
    result = run_ludwig(
        "forecast",
        "-n",
        "5",
        "--dataset",
        str(dataset),
        "-m",
        str(tmp_path / "model"),
        "-od",
        str(tmp_path / "fc"),
        "-of",
        "csv",
        "--logging_level",
        "warning",
    )
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(tmp_path / "fc" / "forecast.csv")
    assert list(forecast.columns) == ["value"] and len(forecast) == 5

    bad = run_ludwig("forecast", "-n", "0", "--dataset", str(dataset), "-m", str(tmp_path / "model"))
    assert bad.returncode != 0 and "horizon" in bad.stderr


# ---------------------------------------------------------------------------------------------------------
# Shared datasets: trained on the first 80% of the rows (in time order), evaluated on the last 20%.


#: (epochs, rows kept from the end, learning rate override) per dataset and encoder. The default parallel_cnn is
#: ~10x slower on CPU than dense; on co2's raw ppm values (timeseries have no normalization) it needs the config's
#: 100 epochs at the default learning rate, so the short run uses a larger one.
SHARED_BUDGETS = {
    ("co2", "dense"): (8, None, None),
    ("co2", "default"): (5, None, 0.01),
    ("sunspots", "dense"): (3, None, None),
    ("sunspots", "default"): (2, 1000, None),
}


@pytest.mark.parametrize("name, csv", [("co2", "co2_monthly_windows.csv"), ("sunspots", "sunspots_windows.csv")])
@pytest.mark.parametrize("encoder", ["default", "dense"])
def test_shared_timeseries_dataset(tmp_path, name, csv, encoder):
    epochs, rows, learning_rate = SHARED_BUDGETS[name, encoder]
    folder = SHARED_DATASETS / name
    if not (folder / csv).is_file():
        pytest.skip(f"shared dataset {folder / csv} not available")
    with open(folder / "config.yaml") as f:
        config = yaml.safe_load(f)
    config["trainer"]["epochs"] = epochs
    if learning_rate is not None:
        config["trainer"]["learning_rate"] = learning_rate
    if encoder == "dense":
        config["input_features"][0]["encoder"] = {"type": "dense"}
    df = pd.read_csv(folder / csv)
    if rows is not None:
        df = df.tail(rows).reset_index(drop=True)
    cut = int(len(df) * 0.8)
    train_df, test_df = df.iloc[:cut], df.iloc[cut:]
    model = LudwigModel(config, logging_level=logging.WARNING)
    model.train(training_set=train_df, test_set=test_df, output_directory=str(tmp_path), random_seed=1)
    eval_stats, _, _ = model.evaluate(test_df)
    target = config["output_features"][0]["name"]
    y = test_df[target].to_numpy()
    mean_r2 = 1.0 - np.square(y - train_df[target].mean()).sum() / np.square(y - y.mean()).sum()
    r2 = eval_stats[target]["r2"]
    print(f"{name} ({encoder} encoder, {epochs} epochs, {len(df)} rows): r2 {r2:.3f}, mean predictor r2 {mean_r2:.3f}")
    assert r2 > mean_r2
