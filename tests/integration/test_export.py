"""Export round trips: safetensors, torch.export, ONNX (onnxruntime) and TorchScript give predict's predictions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.api import LudwigModel
from ludwig.model_export.onnx_exporter import export_onnx

from .conftest import make_synthetic_frame
from .test_torchscript_types import MIXED_CONFIG, mixed_frame, tricky_rows
from .torchscript_utils import preprocessed, raw_strings, train, word_level_tokenizer

REPO_ROOT = Path(__file__).resolve().parents[2]
TABULAR_INPUTS = ["num_in", "cat_in", "bin_in", "vec_in"]
WORDS = ["alpha", "beta", "gamma", "delta", "eps"]

TABULAR_CONFIG = {
    "input_features": [
        {"name": "num_in", "type": "number"},
        {"name": "cat_in", "type": "category"},
        {"name": "bin_in", "type": "binary"},
        {"name": "vec_in", "type": "vector"},
    ],
    "output_features": [
        {"name": "bin_out", "type": "binary"},
        {"name": "cat_out", "type": "category"},
        {"name": "num_out", "type": "number"},
    ],
    "trainer": {"epochs": 2, "batch_size": 32, "learning_rate": 0.01},
}

TEXT_CONFIG = {
    "input_features": [{"name": "txt", "type": "text", "encoder": {"type": "embed", "embedding_size": 8}}],
    "output_features": [{"name": "label", "type": "category"}],
    "trainer": {"epochs": 2, "batch_size": 32, "learning_rate": 0.02},
}


def text_frame(num_rows: int = 90, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.choice(["x", "y", "z"], size=num_rows)
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(1, 5))) + f" {label}" for label in labels]
    return pd.DataFrame({"txt": texts, "label": labels})


@pytest.fixture(scope="module")
def tabular(tmp_path_factory):
    df = make_synthetic_frame(num_rows=120)
    model, model_dir = train(TABULAR_CONFIG, df, tmp_path_factory.mktemp("tabular"))
    return model, model_dir, df.iloc[:25].reset_index(drop=True)


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    df = text_frame()
    model, model_dir = train(TEXT_CONFIG, df, tmp_path_factory.mktemp("text"))
    return model, model_dir, df.iloc[:20].reset_index(drop=True)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Set, bag, timeseries and number inputs; set, vector and timeseries outputs."""
    df = mixed_frame()
    model, model_dir = train(MIXED_CONFIG, df, tmp_path_factory.mktemp("mixed"))
    return model, model_dir, tricky_rows(df)


def input_columns(model: LudwigModel) -> list[str]:
    return [f.proc_column for f in model.config_obj.input_features]


def as_outputs(names: list[str], values: list) -> dict[str, dict[str, np.ndarray]]:
    """Exported flat outputs named ``<feature>::<key>`` back into predict's ``{feature: {key: array}}``."""
    outputs: dict[str, dict[str, np.ndarray]] = {}
    for name, value in zip(names, values):
        feature, key = name.split("::")
        outputs.setdefault(feature, {})[key] = np.asarray(value)
    return outputs


def assert_same_predictions(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        a, e = actual[column].to_numpy(), expected[column].to_numpy()
        if e.dtype.kind == "f":
            np.testing.assert_allclose(a.astype(float), e, rtol=1e-5, atol=1e-5, err_msg=column)
        elif e.dtype == object and len(e) and isinstance(e[0], np.ndarray | list) and not _holds_strings(e):
            for x, y in zip(a, e):  # rows may differ in length (set probabilities)
                np.testing.assert_allclose(np.asarray(x, float), np.asarray(y, float), rtol=1e-5, atol=1e-5)
        elif e.dtype == object and len(e) and isinstance(e[0], np.ndarray | list):
            assert [list(x) for x in a] == [list(y) for y in e], column
        else:
            np.testing.assert_array_equal(a, e, err_msg=column)


def _holds_strings(cells: np.ndarray) -> bool:
    return any(len(cell) and isinstance(cell[0], str) for cell in cells)


def signature(folder: Path) -> dict:
    return json.loads((folder / "export_signature.json").read_text())


# ---------------------------------------------------------------------------------------------------------
# safetensors


@pytest.mark.parametrize("which", ["tabular", "text", "mixed"])
def test_safetensors_export_reloads_with_the_same_predictions(which, request, tmp_path):
    model, _, rows = request.getfixturevalue(which)
    model.export_model(str(tmp_path / "st"), format="safetensors")
    assert any(p.suffix == ".safetensors" for p in (tmp_path / "st").iterdir())
    reloaded = LudwigModel.load(str(tmp_path / "st"))
    assert_same_predictions(reloaded.predict(rows)[0], model.predict(rows)[0])


# ---------------------------------------------------------------------------------------------------------
# torch.export and ONNX


@pytest.mark.parametrize("which", ["tabular", "text", "mixed"])
def test_torch_export_program_matches_predict(which, request, tmp_path):
    model, _, rows = request.getfixturevalue(which)
    folder = tmp_path / "pt2"
    model.export_model(str(folder), format="torch_export")
    program = torch.export.load(str(folder / "model.pt2")).module()
    tensors = preprocessed(model, rows)
    sig = signature(folder)
    assert sig["inputs"] == input_columns(model)
    with torch.no_grad():
        values = program(*[tensors[c] for c in sig["inputs"]])
    # The batch axis is dynamic: the program was traced on 2 rows and runs on len(rows).
    assert all(len(v) == len(rows) for v in values)
    actual = model._postprocess(as_outputs(sig["outputs"], [v.numpy() for v in values]))
    assert_same_predictions(actual, model.predict(rows)[0])
    # Config and metadata travel with the program, for Python-side preprocessing.
    assert (folder / "training_set_metadata.json").exists() and (folder / "model_hyperparameters.json").exists()


@pytest.mark.parametrize("which", ["tabular", "text", "mixed"])
@pytest.mark.parametrize("dynamo", [True, False], ids=["torch_export_based", "torchscript_based"])
def test_onnx_model_runs_in_onnxruntime_and_matches_predict(which, dynamo, request, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    if dynamo:
        pytest.importorskip("onnxscript")
    model, _, rows = request.getfixturevalue(which)
    folder = tmp_path / "onnx"
    export_onnx(model, str(folder), dynamo=dynamo)
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == input_columns(model)
    tensors = preprocessed(model, rows)
    values = session.run(None, {name: tensors[name].numpy() for name in names})
    output_names = [o.name for o in session.get_outputs()]
    assert output_names == signature(folder)["outputs"]
    actual = model._postprocess(as_outputs(output_names, values))
    assert_same_predictions(actual, model.predict(rows)[0])


def test_explicit_sample_input_is_used(tabular, tmp_path):
    model, _, rows = tabular
    sample = preprocessed(model, rows.iloc[:3])
    model.export_model(str(tmp_path / "pt2"), format="torch_export", sample_input=sample)
    program = torch.export.load(str(tmp_path / "pt2" / "model.pt2")).module()
    tensors = preprocessed(model, rows)
    values = program(*[tensors[c] for c in input_columns(model)])
    assert len(values[0]) == len(rows)
    # A one-row sample still gives a program with a dynamic batch axis.
    model.export_model(str(tmp_path / "one"), format="torch_export", sample_input=preprocessed(model, rows.iloc[:1]))
    program = torch.export.load(str(tmp_path / "one" / "model.pt2")).module()
    assert len(program(*[tensors[c] for c in input_columns(model)])[0]) == len(rows)
    with pytest.raises(ValueError, match="sample_input lacks"):
        model.export_model(str(tmp_path / "bad"), format="onnx", sample_input={"nope": torch.zeros(2)})


def test_every_registered_format_is_offered_by_the_cli():
    from ludwig.model_export import EXPORT_FORMATS, _load_exporters, exporter_registry

    _load_exporters()
    assert sorted(EXPORT_FORMATS) == sorted(exporter_registry)


def test_unknown_export_format_is_a_clear_error(tabular, tmp_path):
    model, _, _ = tabular
    with pytest.raises(ValueError, match=r"unknown format 'onxx'.*Did you mean 'onnx'.*safetensors"):
        model.export_model(str(tmp_path / "x"), format="onxx")


def test_export_leaves_the_model_usable(tabular, tmp_path):
    model, _, rows = tabular
    before = model.predict(rows)[0]
    model.model.train()
    model.export_model(str(tmp_path / "pt2"), format="torch_export")
    assert model.model.training  # the export works on a copy
    assert_same_predictions(model.predict(rows)[0], before)


# ---------------------------------------------------------------------------------------------------------
# TorchScript


def test_torchscript_pipeline_predicts_from_raw_values(tabular, tmp_path):
    model, _, rows = tabular
    rows = rows.copy()
    rows["num_in"] = rows["num_in"].astype(object)
    rows.loc[0, "num_in"] = None  # missing: filled with the training fill value
    rows.loc[1, "cat_in"] = "never_seen"  # unseen: <UNK>
    rows.loc[2, "cat_in"] = None
    model.save_torchscript(str(tmp_path / "ts"))
    module = torch.jit.load(str(tmp_path / "ts" / "inference_module.pt"))
    out = module(raw_strings(rows, TABULAR_INPUTS))
    expected = model.predict(rows)[0]

    assert list(out["cat_out"]["predictions"]) == list(expected["cat_out_predictions"])
    np.testing.assert_allclose(
        out["cat_out"]["probabilities"].numpy(), np.stack(expected["cat_out_probabilities"]), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(out["cat_out"]["probability"].numpy(), expected["cat_out_probability"], rtol=1e-5)
    np.testing.assert_array_equal(out["bin_out"]["predictions"].numpy(), expected["bin_out_predictions"].to_numpy())
    np.testing.assert_allclose(
        out["bin_out"]["probabilities"].numpy(), np.stack(expected["bin_out_probabilities"]), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        out["num_out"]["predictions"].numpy(), expected["num_out_predictions"], rtol=1e-5, atol=1e-5
    )


def test_torchscript_binary_labels_come_back_as_strings(tmp_path):
    df = make_synthetic_frame(num_rows=80)
    df["bin_out"] = np.where(df["bin_out"].astype(bool), "yes_label", "no_label")
    df = df.rename(columns={"bin_out": "bin.out"})  # a name that is not a valid module key
    config = {**TABULAR_CONFIG, "output_features": [{"name": "bin.out", "type": "binary"}]}
    config["trainer"] = {"epochs": 1, "batch_size": 32}
    model, _ = train(config, df, tmp_path)
    rows = df.iloc[:10]
    out = model.to_torchscript()(raw_strings(rows, TABULAR_INPUTS))
    predictions = list(out["bin.out"]["predictions"])
    assert set(predictions) <= {"yes_label", "no_label"}
    assert predictions == list(model.predict(rows)[0]["bin.out_predictions"])


def test_torchscript_model_only_for_text(text, tmp_path):
    model, _, rows = text
    model.save_torchscript(str(tmp_path / "ts"), model_only=True)
    module = torch.jit.load(str(tmp_path / "ts" / "inference_module.pt"))
    tensors = preprocessed(model, rows)
    values = module(*[tensors[c] for c in input_columns(model)])
    names = [f"label::{key}" for key in ("predictions", "probabilities")]
    actual = model._postprocess(as_outputs(names, [v.numpy() for v in values]))
    assert_same_predictions(actual, model.predict(rows)[0])


@pytest.fixture(scope="module")
def unscriptable(tmp_path_factory):
    """A text model whose Hugging Face word-level tokenizer has no TorchScript form."""
    folder = tmp_path_factory.mktemp("unscriptable")
    tokenizer = word_level_tokenizer(folder / "word_level", WORDS + ["x", "y", "z"])
    config = {
        **TEXT_CONFIG,
        "input_features": [
            {
                **TEXT_CONFIG["input_features"][0],
                "preprocessing": {"tokenizer": "hf_tokenizer", "pretrained_model_name_or_path": tokenizer},
            }
        ],
    }
    model, model_dir = train(config, text_frame(), folder)
    return model, model_dir


# ---------------------------------------------------------------------------------------------------------
# CLI


def run_ludwig(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "ludwig", *args], capture_output=True, text=True, env=env, timeout=300)


def test_cli_export_model_and_torchscript(tabular, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model, model_dir, rows = tabular
    result = run_ludwig("export_model", "-m", str(model_dir), "-o", str(tmp_path / "onnx"), "-f", "onnx")
    assert result.returncode == 0, result.stderr
    session = ort.InferenceSession(str(tmp_path / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    tensors = preprocessed(model, rows)
    values = session.run(None, {i.name: tensors[i.name].numpy() for i in session.get_inputs()})
    actual = model._postprocess(as_outputs([o.name for o in session.get_outputs()], values))
    assert_same_predictions(actual, model.predict(rows)[0])

    result = run_ludwig("export_torchscript", "-m", str(model_dir), "-o", str(tmp_path / "ts"))
    assert result.returncode == 0, result.stderr
    module = torch.jit.load(str(tmp_path / "ts" / "inference_module.pt"))
    assert list(module(raw_strings(rows, TABULAR_INPUTS))["cat_out"]["predictions"]) == list(
        model.predict(rows)[0]["cat_out_predictions"]
    )

    result = run_ludwig("export_onnx", "-m", str(model_dir), "-o", str(tmp_path / "onnx_alias"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "onnx_alias" / "model.onnx").is_file()

    result = run_ludwig("export_model", "-m", str(model_dir), "-o", str(tmp_path / "x"), "-f", "pickle")
    assert result.returncode == 2 and "invalid choice: 'pickle'" in result.stderr


def test_cli_export_torchscript_error_names_the_feature(unscriptable, tmp_path):
    _, model_dir = unscriptable
    result = run_ludwig("export_torchscript", "-m", str(model_dir), "-o", str(tmp_path / "ts"))
    assert result.returncode == 1
    assert "'txt' (text)" in result.stderr and "model_only=True" in result.stderr
    result = run_ludwig("export_torchscript", "-m", str(model_dir), "-o", str(tmp_path / "ts"), "--model_only")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ts" / "inference_module.pt").exists()
