"""``ludwig export_mlflow``: a real MLflow model folder whose pyfunc predicts like ``LudwigModel.predict``, its
registration in a local (sqlite) tracking store, and the errors when MLflow or the tracking store is missing."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ludwig.api import LudwigModel
from ludwig.export import cli_export_mlflow
from ludwig.globals import LUDWIG_VERSION

from .conftest import make_synthetic_frame
from .test_export import TABULAR_CONFIG as CONFIG
from .test_export import TABULAR_INPUTS as INPUTS

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def offline_mlflow(tmp_path, monkeypatch):
    """No telemetry, and a tracking store (and its artifacts) inside the test's folder, never the repository."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'tracking.db'}")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def mlflow():
    return pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[LudwigModel, Path]:
    folder = tmp_path_factory.mktemp("mlflow_export")
    model = LudwigModel(CONFIG, logging_level=40)
    model.train(
        dataset=make_synthetic_frame(120),
        output_directory=str(folder / "results"),
        skip_save_processed_input=True,
        skip_save_log=True,
        skip_save_progress=True,
    )
    model.save(str(folder / "model"))
    return model, folder / "model"


@pytest.fixture(scope="module")
def exported(mlflow, trained, tmp_path_factory) -> Path:
    """The model exported by the real command line, ``ludwig export_mlflow -m ... -o ...``."""
    _, model_dir = trained
    output = tmp_path_factory.mktemp("exported") / "mlflow_model"
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "ludwig", "export_mlflow", "-m", str(model_dir), "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return output


def tricky_rows() -> pd.DataFrame:
    """Rows in a shuffled index order, with an unseen category, a missing number and a missing binary."""
    frame = make_synthetic_frame(8, seed=5)[INPUTS].astype({"bin_in": object})
    frame.index = [70, 3, 55, 0, 12, 9, 41, 8]
    frame.loc[3, "cat_in"] = "never_seen"
    frame.loc[55, "num_in"] = np.nan
    frame.loc[0, "bin_in"] = None
    return frame


def assert_same_predictions(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(expected.columns)
    assert list(actual.index) == list(expected.index)
    for column in expected.columns:
        if expected[column].dtype == object and isinstance(expected[column].iloc[0], np.ndarray):
            np.testing.assert_allclose(np.stack(actual[column]), np.stack(expected[column]), atol=1e-6)
        elif expected[column].dtype.kind == "f":
            np.testing.assert_allclose(actual[column], expected[column], atol=1e-6)
        else:
            assert actual[column].tolist() == expected[column].tolist(), column


def test_export_writes_an_mlflow_model_folder(exported):
    mlmodel = yaml.safe_load((exported / "MLmodel").read_text())
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "ludwig.mlflow_model"
    assert mlmodel["flavors"]["ludwig"] == {"ludwig_version": LUDWIG_VERSION, "data": pyfunc["data"]}
    data = exported / pyfunc["data"]
    assert {"model_hyperparameters.json", "training_set_metadata.json", "model_weights.safetensors"} <= {
        p.name for p in data.iterdir()
    }
    requirements = (exported / "requirements.txt").read_text().split()
    assert requirements[0] == f"ludwig=={LUDWIG_VERSION}"
    for package in ("torch", "numpy", "pandas", "safetensors"):
        assert f"{package}=={importlib.metadata.version(package).split('+')[0]}" in requirements, package
    assert any(r.startswith(("mlflow==", "mlflow-skinny==")) for r in requirements)
    assert not any(r.startswith(("ray", "pytest", "fastapi")) for r in requirements)  # no optional extras
    conda = yaml.safe_load((exported / "conda.yaml").read_text())
    pip_section = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict))
    assert f"ludwig=={LUDWIG_VERSION}" in pip_section
    assert (exported / "python_env.yaml").exists()


def test_pyfunc_predicts_like_ludwig_model(mlflow, trained, exported):
    model, _ = trained
    pyfunc_model = mlflow.pyfunc.load_model(str(exported))
    rows = tricky_rows()
    expected, _ = model.predict(rows)
    actual = pyfunc_model.predict(rows)
    assert len(actual) == len(rows)
    assert_same_predictions(actual, expected)
    assert actual.loc[3, "cat_out_predictions"] == expected.loc[3, "cat_out_predictions"]
    # a dict of columns is read as a DataFrame (default index)
    columns = {column: rows[column].tolist() for column in INPUTS}
    assert_same_predictions(pyfunc_model.predict(columns), expected.reset_index(drop=True))


def test_ludwig_flavor_loads_the_ludwig_model_back(trained, exported):
    from ludwig.mlflow_model import load_model

    model, _ = trained
    reloaded = load_model(str(exported))
    assert isinstance(reloaded, LudwigModel)
    rows = tricky_rows()
    assert_same_predictions(reloaded.predict(rows)[0], model.predict(rows)[0])


def test_registered_model_name_registers_in_a_local_tracking_store(mlflow, trained, tmp_path, capsys):
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("alembic")
    model, model_dir = trained
    cli_export_mlflow(["-m", str(model_dir), "-o", str(tmp_path / "first"), "-rmn", "ludwig_synthetic"])
    cli_export_mlflow(["-m", str(model_dir), "-o", str(tmp_path / "second"), "-rmn", "ludwig_synthetic"])
    assert (tmp_path / "first" / "MLmodel").exists() and (tmp_path / "second" / "MLmodel").exists()
    client = mlflow.MlflowClient()
    versions = sorted(int(v.version) for v in client.search_model_versions("name='ludwig_synthetic'"))
    assert versions == [1, 2]
    registered = mlflow.pyfunc.load_model("models:/ludwig_synthetic/2")
    rows = tricky_rows()
    assert_same_predictions(registered.predict(rows), model.predict(rows)[0])
    assert (tmp_path / "tracking.db").exists()  # the store named by MLFLOW_TRACKING_URI, offline


def test_unusable_tracking_uri_is_a_clear_error(mlflow, trained, tmp_path, monkeypatch, capsys):
    _, model_dir = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "bogus://nowhere")
    with pytest.raises(SystemExit) as exit_info:
        cli_export_mlflow(["-m", str(model_dir), "-o", str(tmp_path / "out"), "-rmn", "name"])
    assert exit_info.value.code == 1
    error = capsys.readouterr().err
    assert "Could not register the model as 'name'" in error and "'bogus://nowhere'" in error
    assert f"saved to {tmp_path / 'out'}" in error and "MLFLOW_TRACKING_URI" in error
    assert (tmp_path / "out" / "MLmodel").exists()


def test_bad_model_folder_and_taken_output_path_are_clear_errors(mlflow, trained, tmp_path, capsys):
    _, model_dir = trained
    with pytest.raises(SystemExit) as exit_info:
        cli_export_mlflow(["-m", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")])
    assert exit_info.value.code == 1
    assert "not a Ludwig model folder" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x")
    with pytest.raises(SystemExit):
        cli_export_mlflow(["-m", str(model_dir), "-o", str(tmp_path / "taken")])
    error = capsys.readouterr().err
    assert f"{tmp_path / 'taken'} already exists and is not an empty folder" in error
    (tmp_path / "empty").mkdir()  # an empty folder is fine
    cli_export_mlflow(["-m", str(model_dir), "-o", str(tmp_path / "empty")])
    assert (tmp_path / "empty" / "MLmodel").exists()


def test_without_mlflow_export_says_how_to_install(trained, tmp_path, monkeypatch, capsys):
    _, model_dir = trained
    for name in [m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mlflow", None)  # makes `import mlflow` raise ImportError
    with pytest.raises(SystemExit) as exit_info:
        cli_export_mlflow(["-m", str(model_dir), "-o", str(tmp_path / "out")])
    assert exit_info.value.code == 1
    error = capsys.readouterr().err
    assert "ludwig export_mlflow: error:" in error and "pip install mlflow" in error
    assert not (tmp_path / "out").exists()
