"""Model folders trained by the real Ludwig 0.17.10 (``../shared/ludwig_models``) load here and predict the same."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from ludwig.api import LudwigModel
from ludwig.schema.model_config import ModelConfig

FOLDERS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "ludwig_models")
NAMES = ["titanic_concat", "titanic_default", "text_cnn"]

pytestmark = pytest.mark.skipif(not os.path.isdir(FOLDERS), reason="../shared/ludwig_models is not checked out")


def _folder(name: str) -> str:
    return os.path.join(FOLDERS, name)


def _assert_same_predictions(ours: pd.DataFrame, ludwig: pd.DataFrame) -> None:
    assert len(ours) == len(ludwig)
    for column in ludwig.columns:
        expected, found = ludwig[column], ours[column]
        if isinstance(expected.iloc[0], (list, np.ndarray)):
            np.testing.assert_allclose(np.stack(found.values), np.stack(expected.values), atol=1e-5, err_msg=column)
        elif expected.dtype.kind == "f":
            np.testing.assert_allclose(found.to_numpy(float), expected.to_numpy(float), atol=1e-5, err_msg=column)
        else:
            assert list(found.astype(str)) == list(expected.astype(str)), column


@pytest.mark.parametrize("name", NAMES)
def test_ludwig_rendered_config_is_accepted(name):
    with open(os.path.join(_folder(name), "model", "model_hyperparameters.json")) as f:
        ModelConfig.from_dict(json.load(f))


@pytest.mark.parametrize("name", NAMES)
def test_ludwig_model_folder_predicts_as_ludwig(name):
    model = LudwigModel.load(os.path.join(_folder(name), "model"))
    predictions, _ = model.predict(dataset=pd.read_csv(os.path.join(_folder(name), "input.csv")))
    ludwig = pd.read_parquet(os.path.join(_folder(name), "ludwig_predictions", "predictions.parquet"))
    _assert_same_predictions(predictions, ludwig)


def test_cli_predict_and_evaluate_on_a_ludwig_folder(tmp_path):
    from ludwig.cli import main

    folder = _folder("titanic_concat")
    dataset = os.path.join(folder, "input.csv")
    main(["predict", "--model_path", os.path.join(folder, "model"), "--dataset", dataset, "-od", str(tmp_path / "p")])
    for written in sorted(os.listdir(os.path.join(folder, "ludwig_predictions"))):
        if written.endswith(".csv"):
            ours = pd.read_csv(tmp_path / "p" / written, header=None)
            ref = pd.read_csv(os.path.join(folder, "ludwig_predictions", written), header=None)
            assert ours.shape == ref.shape, written
            if ref.dtypes.iloc[0].kind == "f":
                np.testing.assert_allclose(ours.to_numpy(float), ref.to_numpy(float), atol=1e-5, err_msg=written)
            else:
                assert ours.astype(str).equals(ref.astype(str)), written
    main(["evaluate", "--model_path", os.path.join(folder, "model"), "--dataset", dataset, "-od", str(tmp_path / "e")])
    with open(tmp_path / "e" / "test_statistics.json") as f:
        statistics = json.load(f)
    assert {"Survived", "Embarked"} <= set(statistics)


def test_legacy_model_weights_file_is_read_without_unpickling(tmp_path):
    import shutil

    import torch
    from safetensors.torch import load_file

    model_dir = tmp_path / "model"
    shutil.copytree(os.path.join(_folder("titanic_concat"), "model"), model_dir)
    weights = load_file(model_dir / "model_weights.safetensors")
    (model_dir / "model_weights.safetensors").unlink()
    torch.save(weights, model_dir / "model_weights")
    model = LudwigModel.load(str(model_dir))
    predictions, _ = model.predict(dataset=pd.read_csv(os.path.join(_folder("titanic_concat"), "input.csv")))
    ludwig = pd.read_parquet(os.path.join(_folder("titanic_concat"), "ludwig_predictions", "predictions.parquet"))
    _assert_same_predictions(predictions, ludwig)


def test_serve_answers_with_ludwig_predictions():
    from fastapi.testclient import TestClient

    from ludwig.serve import server

    folder = _folder("titanic_concat")
    row = pd.read_csv(os.path.join(folder, "input.csv")).iloc[0]
    ludwig = pd.read_parquet(os.path.join(folder, "ludwig_predictions", "predictions.parquet")).iloc[0]
    client = TestClient(server(LudwigModel.load(os.path.join(folder, "model"))))
    fields = {name: str(row[name]) for name in ("Pclass", "Sex", "Age", "Fare")}
    answer = client.post("/predict", data=fields)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert str(body["Survived_predictions"]) == str(ludwig["Survived_predictions"])
    assert body["Survived_probability"] == pytest.approx(float(ludwig["Survived_probability"]), abs=1e-5)
