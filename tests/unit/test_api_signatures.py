"""``LudwigModel``'s public methods against Ludwig 0.17's signatures, and the LLM-only and Hub methods.

The expected signatures were read from Ludwig 0.17's ``ludwig/api.py`` (``default_random_seed`` is 42,
``logging.ERROR`` 40, ``FULL`` ``"full"`` and ``TEST`` ``"test"``).
"""

from __future__ import annotations

import inspect
import os
import sys

import numpy as np
import pandas as pd
import pytest

from ludwig.api import LudwigModel
from ludwig.callbacks import Callback

_ = inspect.Parameter.empty
KWARGS = "**kwargs"

# method -> (is a staticmethod, [(parameter, default)]); ``_`` marks a parameter without a default.
LUDWIG_SIGNATURES: dict[str, tuple[bool, list[tuple[str, object]]]] = {
    "__init__": (
        False,
        [
            ("config", _),
            ("logging_level", 40),
            ("backend", None),
            ("gpus", None),
            ("gpu_memory_limit", None),
            ("allow_parallel_threads", True),
            ("callbacks", None),
        ],
    ),
    "train": (
        False,
        [
            ("dataset", None),
            ("training_set", None),
            ("validation_set", None),
            ("test_set", None),
            ("training_set_metadata", None),
            ("data_format", None),
            ("experiment_name", "api_experiment"),
            ("model_name", "run"),
            ("model_resume_path", None),
            ("skip_save_training_description", False),
            ("skip_save_training_statistics", False),
            ("skip_save_model", False),
            ("skip_save_progress", False),
            ("skip_save_log", False),
            ("skip_save_processed_input", False),
            ("output_directory", "results"),
            ("random_seed", 42),
            ("callbacks", None),
            (KWARGS, _),
        ],
    ),
    "train_online": (
        False,
        [("dataset", _), ("training_set_metadata", None), ("data_format", "auto"), ("random_seed", 42)],
    ),
    "save_dequantized_base_model": (False, [("save_path", _)]),
    "generate": (
        False,
        [("input_strings", _), ("generation_config", None), ("streaming", False), ("callbacks", None)],
    ),
    "predict": (
        False,
        [
            ("dataset", None),
            ("data_format", None),
            ("split", "full"),
            ("batch_size", 128),
            ("generation_config", None),
            ("skip_save_unprocessed_output", True),
            ("skip_save_predictions", True),
            ("output_directory", "results"),
            ("return_type", pd.DataFrame),
            ("callbacks", None),
            (KWARGS, _),
        ],
    ),
    "evaluate": (
        False,
        [
            ("dataset", None),
            ("data_format", None),
            ("split", "full"),
            ("batch_size", None),
            ("skip_save_unprocessed_output", True),
            ("skip_save_predictions", True),
            ("skip_save_eval_stats", True),
            ("collect_predictions", False),
            ("collect_overall_stats", False),
            ("output_directory", "results"),
            ("return_type", pd.DataFrame),
            (KWARGS, _),
        ],
    ),
    "forecast": (
        False,
        [
            ("dataset", _),
            ("data_format", None),
            ("horizon", 1),
            ("output_directory", None),
            ("output_format", "parquet"),
            ("callbacks", None),
        ],
    ),
    "experiment": (
        False,
        [
            ("dataset", None),
            ("training_set", None),
            ("validation_set", None),
            ("test_set", None),
            ("training_set_metadata", None),
            ("data_format", None),
            ("experiment_name", "experiment"),
            ("model_name", "run"),
            ("model_resume_path", None),
            ("eval_split", "test"),
            ("skip_save_training_description", False),
            ("skip_save_training_statistics", False),
            ("skip_save_model", False),
            ("skip_save_progress", False),
            ("skip_save_log", False),
            ("skip_save_processed_input", False),
            ("skip_save_unprocessed_output", False),
            ("skip_save_predictions", False),
            ("skip_save_eval_stats", False),
            ("skip_collect_predictions", False),
            ("skip_collect_overall_stats", False),
            ("output_directory", "results"),
            ("random_seed", 42),
            (KWARGS, _),
        ],
    ),
    "collect_weights": (False, [("tensor_names", None), (KWARGS, _)]),
    "collect_activations": (
        False,
        [
            ("layer_names", _),
            ("dataset", _),
            ("data_format", None),
            ("split", "full"),
            ("batch_size", 128),
            (KWARGS, _),
        ],
    ),
    "preprocess": (
        False,
        [
            ("dataset", None),
            ("training_set", None),
            ("validation_set", None),
            ("test_set", None),
            ("training_set_metadata", None),
            ("data_format", None),
            ("skip_save_processed_input", True),
            ("random_seed", 42),
            (KWARGS, _),
        ],
    ),
    "load": (
        True,
        [
            ("model_dir", _),
            ("logging_level", 40),
            ("backend", None),
            ("gpus", None),
            ("gpu_memory_limit", None),
            ("allow_parallel_threads", True),
            ("callbacks", None),
            ("from_checkpoint", False),
        ],
    ),
    "load_weights": (False, [("model_dir", _), ("from_checkpoint", False)]),
    "save": (False, [("save_path", _)]),
    "upload_to_hf_hub": (
        True,
        [
            ("repo_id", _),
            ("model_path", _),
            ("repo_type", "model"),
            ("private", False),
            ("commit_message", "Upload trained [Ludwig](https://ludwig.ai/latest/) model weights"),
            ("commit_description", None),
        ],
    ),
    "save_config": (False, [("save_path", _)]),
    "export_model": (False, [("save_path", _), ("format", "safetensors"), ("sample_input", None)]),
    "free_gpu_memory": (False, []),
    "create_model": (True, [("config_obj", _), ("random_seed", 42)]),
    "set_logging_level": (True, [("logging_level", _)]),
    "is_merge_and_unload_set": (False, []),
}

# What this clone adds, on purpose: trailing parameters with defaults (so Ludwig's calls still work) and methods.
EXTRA_PARAMETERS = {"load": [("trust_remote_code", False)]}  # the opt-in of docs/security.md
EXTRA_METHODS = {"to_torchscript", "save_torchscript"}


def parameters_of(name: str) -> tuple[bool, list[tuple[str, object]]]:
    is_static = isinstance(inspect.getattr_static(LudwigModel, name), staticmethod)
    found = []
    for parameter in inspect.signature(getattr(LudwigModel, name)).parameters.values():
        if parameter.name == "self":
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            found.append((KWARGS, _))
        else:
            found.append((parameter.name, parameter.default))
    return is_static, found


@pytest.mark.parametrize("name", sorted(LUDWIG_SIGNATURES))
def test_signature_matches_ludwig(name):
    assert hasattr(LudwigModel, name), f"LudwigModel.{name} is missing"
    expected_static, expected = LUDWIG_SIGNATURES[name]
    is_static, found = parameters_of(name)
    assert is_static == expected_static, f"{name}: staticmethod {is_static}, Ludwig {expected_static}"
    assert found == expected + EXTRA_PARAMETERS.get(name, []), name


def test_no_unexpected_public_methods():
    public = {
        name
        for name, value in vars(LudwigModel).items()
        if not name.startswith("_") and not isinstance(value, property)
    }
    assert public - set(LUDWIG_SIGNATURES) == EXTRA_METHODS
    assert isinstance(vars(LudwigModel)["config"], property)


CONFIG = {
    "input_features": [{"name": "x", "type": "number"}],
    "output_features": [{"name": "y", "type": "binary"}],
    "combiner": {"type": "concat"},
    "trainer": {"epochs": 1, "batch_size": 16},
}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=64)
    return pd.DataFrame({"x": x, "y": x > 0})


def test_generate_and_dequantize_are_llm_only():
    model = LudwigModel(CONFIG)
    with pytest.raises(ValueError, match=r"generate\(\) is supported for LLM models .*'ecd'"):
        model.generate("hello")
    with pytest.raises(ValueError, match="applies to LLM models .*quantization only.*'ecd'"):
        model.save_dequantized_base_model("out")


def test_create_model_needs_preprocessed_metadata(data):
    with pytest.raises(ValueError, match="training set metadata"):
        LudwigModel.create_model(CONFIG)
    model = LudwigModel(CONFIG)
    model.preprocess(data)
    built = LudwigModel.create_model(model.config_obj, random_seed=1)
    again = LudwigModel.create_model(model.config_obj, 1)
    assert type(built).__name__ == "ECD"
    for (name, a), (_, b) in zip(built.state_dict().items(), again.state_dict().items(), strict=True):
        assert a.equal(b), name
    assert "_ludwig_training_set_metadata" not in str(model.config)  # never reaches the saved config


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def on_train_start(self, model, config, config_fp):
        self.events.append("train_start")

    def on_train_end(self, output_directory):
        self.events.append("train_end")


def test_train_callbacks_are_for_that_call_only(data, tmp_path):
    own, per_call = Recorder(), Recorder()
    model = LudwigModel(CONFIG, callbacks=[own])
    model.train(data, output_directory=str(tmp_path), callbacks=[per_call], skip_save_processed_input=True)
    assert own.events == per_call.events == ["train_start", "train_end"]
    assert model.callbacks == [own]
    model.train(data, output_directory=str(tmp_path), skip_save_processed_input=True)
    assert per_call.events == ["train_start", "train_end"] and len(own.events) == 4
    with pytest.raises(TypeError, match="unexpected arguments"):
        model.predict(data, batchsize=4)


@pytest.fixture
def saved_run(data, tmp_path):
    model = LudwigModel(CONFIG)
    _, _, run_dir = model.train(data, output_directory=str(tmp_path), skip_save_processed_input=True)
    return run_dir


def test_upload_offline_writes_repo_folder_without_network(saved_run, monkeypatch):
    import huggingface_hub

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(huggingface_hub, "HfApi", no_network)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="offline.*hf_hub_repo"):
        LudwigModel.upload_to_hf_hub("someone/titanic", saved_run)
    repo = os.path.join(saved_run, "hf_hub_repo")
    assert sorted(os.listdir(repo)) == [
        "README.md",
        "ludwig_config.json",
        "model_hyperparameters.json",
        "model_weights.safetensors",
        "training_set_metadata.json",
    ]
    card = open(os.path.join(repo, "README.md")).read()
    assert card.startswith("---\nlibrary_name: ludwig\n") and "| `x` | number |" in card and "someone/titanic" in card
    assert LudwigModel.load(repo).predict(pd.DataFrame({"x": [1.0]}))[0].shape[0] == 1


def test_upload_errors(saved_run, monkeypatch):
    with pytest.raises(ValueError, match="namespace"):
        LudwigModel.upload_to_hf_hub("titanic", saved_run)
    with pytest.raises(ValueError, match="Can't find the model weights"):
        LudwigModel.upload_to_hf_hub("someone/titanic", os.path.dirname(saved_run))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(RuntimeError, match="needs the huggingface_hub package"):
        LudwigModel.upload_to_hf_hub("someone/titanic", os.path.join(saved_run, "model"))


def test_upload_pushes_the_repo_folder(saved_run, monkeypatch):
    import huggingface_hub

    calls = []

    class FakeApi:
        def create_repo(self, **kwargs):
            calls.append(("create_repo", kwargs))

        def upload_folder(self, **kwargs):
            calls.append(("upload_folder", kwargs))
            return "https://huggingface.co/someone/titanic/commit/1"

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    assert LudwigModel.upload_to_hf_hub("someone/titanic", saved_run, private=True, commit_description="d") is True
    created = {"repo_id": "someone/titanic", "repo_type": "model", "private": True, "exist_ok": True}
    assert calls[0] == ("create_repo", created)
    upload = calls[1][1]
    assert upload["folder_path"] == os.path.join(saved_run, "hf_hub_repo")
    assert upload["commit_message"].startswith("Upload trained") and upload["commit_description"] == "d"
