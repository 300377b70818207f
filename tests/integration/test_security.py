"""A model folder from elsewhere is data, not code (docs/security.md).

A Hugging Face checkpoint with its own modelling code (``auto_map``) is trained with
``pretrained_kwargs.trust_remote_code: true``; its code appends to a marker file whenever it is imported. Loading the
saved model folder in a fresh process must refuse, without importing that code, unless the person loading opts in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("transformers")

from ludwig.error import UntrustedCodeError  # noqa: E402
from ludwig.utils.trust import check_remote_code, remote_code_settings  # noqa: E402
from tests.hf_models import REMOTE_CODE_MARKER_ENV, save_tiny_custom_code_model  # noqa: E402

ROWS = ["the movie was good", "the film was bad", "the plot was great", "the actors were awful"]


def _env(workspace: Path, marker: Path) -> dict[str, str]:
    # HF_MODULES_CACHE: where transformers copies the checkpoint's code to import it; kept inside the test folder.
    return dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        HF_MODULES_CACHE=str(workspace / "hf_modules"),
        **{REMOTE_CODE_MARKER_ENV: str(marker)},
    )


def _run(args: list[str], workspace: Path, marker: Path) -> subprocess.CompletedProcess:
    """Run ``args`` in a fresh interpreter, with no standard input (nothing can answer a prompt)."""
    return subprocess.run(
        args,
        cwd=workspace,
        env=_env(workspace, marker),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _python(code: str, workspace: Path, marker: Path) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-c", textwrap.dedent(code)], workspace, marker)


def _imported(marker: Path) -> list[str]:
    """The modules of the checkpoint's own code that were imported (as the marker file lists them)."""
    return marker.read_text().split() if marker.exists() else []


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("security")
    save_tiny_custom_code_model(str(folder / "custom_checkpoint"))
    frame = pd.DataFrame({"review": ROWS * 6, "sentiment": ["pos", "neg", "pos", "neg"] * 6})
    frame.to_csv(folder / "reviews.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def model_dir(workspace) -> Path:
    """Train (in a fresh process) with trust_remote_code set by the user's own config; the saved model folder."""
    marker = workspace / "train.marker"
    result = _python(
        f"""
        import logging
        from ludwig.api import LudwigModel

        config = {{
            "input_features": [{{
                "name": "review",
                "type": "text",
                "encoder": {{
                    "type": "auto_transformer",
                    "pretrained_model_name_or_path": {str(workspace / "custom_checkpoint")!r},
                    "pretrained_kwargs": {{"trust_remote_code": True}},
                }},
            }}],
            "output_features": [{{"name": "sentiment", "type": "category"}}],
            "trainer": {{"epochs": 1, "batch_size": 8}},
        }}
        results = LudwigModel(config, logging_level=logging.WARNING).train(
            dataset="reviews.csv", output_directory="results", skip_save_processed_input=True
        )
        print(results.output_directory)
        """,
        workspace,
        marker,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # The user asked for the code in their own config, so training ran it.
    assert any(name.endswith("modeling_custom") for name in _imported(marker)), _imported(marker)
    return workspace / result.stdout.strip().splitlines()[-1] / "model"


LOAD_AND_PREDICT = """
    import sys

    import pandas as pd

    from ludwig.api import LudwigModel
    from ludwig.error import UntrustedCodeError

    try:
        model = LudwigModel.load({model_dir!r}{options})
    except UntrustedCodeError as e:
        print(e)
        sys.exit(3)
    predictions, _ = model.predict(pd.DataFrame({{"review": {rows!r}}}))
    print("predicted", len(predictions), sorted(set(predictions["sentiment_predictions"])))
"""


def test_load_without_opt_in_refuses_and_runs_no_code(workspace, model_dir):
    marker = workspace / "load_refused.marker"
    result = _python(LOAD_AND_PREDICT.format(model_dir=str(model_dir), options="", rows=ROWS), workspace, marker)
    assert result.returncode == 3, result.stdout + result.stderr[-3000:]
    message = result.stdout
    assert "input_features[0] (feature 'review'): encoder.pretrained_kwargs.trust_remote_code is True" in message
    assert str(workspace / "custom_checkpoint") in message
    assert "trust_remote_code=True" in message and "--trust_remote_code" in message
    assert _imported(marker) == []


def test_load_with_opt_in_runs_the_code_and_predicts(workspace, model_dir):
    marker = workspace / "load_trusted.marker"
    code = LOAD_AND_PREDICT.format(model_dir=str(model_dir), options=", trust_remote_code=True", rows=ROWS)
    result = _python(code, workspace, marker)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"predicted {len(ROWS)}" in result.stdout
    assert any(name.endswith("modeling_custom") for name in _imported(marker))


def test_config_pointing_at_code_without_the_setting_runs_no_code(workspace, model_dir, tmp_path):
    # A folder whose config names the checkpoint but not trust_remote_code: transformers is told not to trust it
    # (trust_remote_code=False), so it neither imports the code nor asks on the terminal.
    tampered = tmp_path / "model"
    shutil.copytree(model_dir, tampered)
    config_path = tampered / "model_hyperparameters.json"
    config = json.loads(config_path.read_text())
    config["input_features"][0]["encoder"]["pretrained_kwargs"] = None
    config_path.write_text(json.dumps(config))
    marker = workspace / "tampered.marker"
    result = _python(LOAD_AND_PREDICT.format(model_dir=str(tampered), options="", rows=ROWS), workspace, marker)
    assert result.returncode not in (0, 3), result.stdout
    assert "contains custom code" in result.stderr
    assert "Do you wish to run the custom code" not in result.stdout + result.stderr
    assert _imported(marker) == []


def test_cli_predict_needs_trust_remote_code(workspace, model_dir):
    marker = workspace / "cli.marker"
    predict = [sys.executable, "-m", "ludwig", "predict", "--dataset", "reviews.csv", "-m", str(model_dir)]
    refused = _run([*predict, "-od", "refused"], workspace, marker)
    assert refused.returncode == 1, refused.stderr[-3000:]
    assert refused.stderr.startswith("ludwig predict: error: Loading the model folder")
    assert "encoder.pretrained_kwargs.trust_remote_code" in refused.stderr and "--trust_remote_code" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _imported(marker) == [] and not (workspace / "refused").exists()

    trusted = _run([*predict, "-od", "trusted", "--trust_remote_code"], workspace, marker)
    assert trusted.returncode == 0, trusted.stderr[-3000:]
    assert len(pd.read_parquet(workspace / "trusted" / "predictions.parquet")) == len(ROWS) * 6
    assert any(name.endswith("modeling_custom") for name in _imported(marker))


def test_every_command_loading_a_model_folder_refuses_without_the_flag(workspace, model_dir):
    """In this process: the commands' own functions (no subprocess), each refused before any code is imported."""
    from ludwig import collect, evaluate, export, forecast, predict, serve, serve_v2, train

    marker = workspace / "in_process.marker"
    os.environ[REMOTE_CODE_MARKER_ENV] = str(marker)
    try:
        folder = str(model_dir)
        calls = {
            "predict": lambda: predict.predict_cli(folder, dataset=str(workspace / "reviews.csv")),
            "evaluate": lambda: evaluate.evaluate_cli(folder, dataset=str(workspace / "reviews.csv")),
            "serve": lambda: serve.run_server(folder),
            "serve_v2": lambda: serve_v2.run_server(folder),
            "export_model": lambda: export.export_model_cli(folder, str(workspace / "exported")),
            "export_torchscript": lambda: export.export_torchscript_cli(folder, str(workspace / "ts")),
            "collect_weights": lambda: collect.collect_weights_cli(folder, ["x"]),
            "collect_summary": lambda: collect.print_model_summary(folder),
            "forecast": lambda: forecast.forecast_cli(folder, dataset=str(workspace / "reviews.csv")),
            "train --model_load_path": lambda: train.train_cli(None, model_load_path=folder),
            "train --model_resume_path": lambda: train.build_model(None, model_resume_path=str(model_dir.parent)),
        }
        for command, call in calls.items():
            with pytest.raises(UntrustedCodeError, match=r"pretrained_kwargs\.trust_remote_code"):
                call()
            assert _imported(marker) == [], command
    finally:
        del os.environ[REMOTE_CODE_MARKER_ENV]


@pytest.mark.parametrize(
    "module, function",
    [
        ("ludwig.predict", "cli"),
        ("ludwig.evaluate", "cli"),
        ("ludwig.train", "cli"),
        ("ludwig.experiment", "cli"),
        ("ludwig.forecast", "cli"),
        ("ludwig.serve", "cli"),
        ("ludwig.serve_v2", "cli"),
        ("ludwig.export", "cli_export_model"),
        ("ludwig.export", "cli_export_onnx"),
        ("ludwig.export", "cli_export_torchscript"),
        ("ludwig.export", "cli_export_mlflow"),
        ("ludwig.collect", "cli_collect_weights"),
        ("ludwig.collect", "cli_collect_activations"),
        ("ludwig.collect", "cli_collect_summary"),
    ],
)
def test_commands_loading_a_model_folder_offer_the_flag(module, function, capsys):
    import importlib

    with pytest.raises(SystemExit):
        getattr(importlib.import_module(module), function)(["--help"])
    assert "--trust_remote_code" in capsys.readouterr().out


def test_settings_are_found_anywhere_in_the_config():
    config = {
        "input_features": [
            {"name": "plain", "type": "text", "encoder": {"pretrained_kwargs": {"trust_remote_code": False}}},
            {
                "name": "title",
                "type": "text",
                "encoder": {"pretrained_model_name_or_path": "/m", "pretrained_kwargs": {"trust_remote_code": 1}},
            },
        ],
        "defaults": {"text": {"preprocessing": {"tokenizer_kwargs": {"trust_remote_code": "false"}}}},
    }
    assert remote_code_settings(config) == [
        "input_features[1] (feature 'title'): encoder.pretrained_kwargs.trust_remote_code is 1, "
        "for the checkpoint '/m'",
        # transformers treats any truthy value as an opt-in, the string "false" too
        "defaults.text.preprocessing.tokenizer_kwargs.trust_remote_code is 'false'",
    ]
    with pytest.raises(UntrustedCodeError) as error:
        check_remote_code(config, "some/model")
    assert len(error.value.settings) == 2
    check_remote_code(config, "some/model", trust_remote_code=True)
    check_remote_code({"input_features": [{"name": "x", "type": "number"}]}, "some/model")


# ---------------------------------------------------------------------------------------------------------
# Names that become paths stay inside the output directory.

ESCAPING_NAMES = ["../../x", "a/../../b", "..", "..\\..\\x", "/tmp/absolute", "\\\\server\\share", "C:\\x", "C:x"]
TINY_CONFIG = {
    "input_features": [{"name": "num_in", "type": "number"}],
    "output_features": [{"name": "bin_out", "type": "binary"}],
    "trainer": {"epochs": 1, "batch_size": 16},
}


@pytest.fixture
def tiny_frame(synthetic_frame) -> pd.DataFrame:
    return synthetic_frame(48)[["num_in", "bin_out"]]


@pytest.mark.parametrize("name", ESCAPING_NAMES)
@pytest.mark.parametrize("argument", ["experiment_name", "model_name"])
def test_train_refuses_names_leaving_the_output_directory(name, argument, tiny_frame, tmp_path):
    from ludwig.api import LudwigModel
    from ludwig.error import UnsafePathError

    model = LudwigModel(TINY_CONFIG)
    with pytest.raises(UnsafePathError, match=rf"^{argument}: .* would leave the output directory") as error:
        model.experiment(dataset=tiny_frame, output_directory=str(tmp_path / "results"), **{argument: name})
    assert error.value.argument == argument and error.value.value == name
    assert "Allowed: a relative name inside the output directory" in str(error.value)
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_names_with_subfolders_stay_inside(tiny_frame, tmp_path):
    from ludwig.api import LudwigModel

    results = LudwigModel(TINY_CONFIG).train(
        dataset=tiny_frame, experiment_name="team/exp", output_directory=str(tmp_path / "results")
    )
    assert Path(results.output_directory) == tmp_path / "results" / "team" / "exp_run"
    assert (tmp_path / "results" / "team" / "exp_run" / "model" / "model_weights.safetensors").is_file()


def test_hyperopt_refuses_an_experiment_name_leaving_the_output_directory(tiny_frame, tmp_path):
    from ludwig.error import UnsafePathError
    from ludwig.hyperopt.run import hyperopt

    config = {
        **TINY_CONFIG,
        "hyperopt": {
            "goal": "minimize",
            "metric": "loss",
            "output_feature": "bin_out",
            "parameters": {"trainer.learning_rate": {"space": "choice", "categories": [0.01, 0.1]}},
            "executor": {"type": "ray", "num_samples": 1},
        },
    }
    for argument in ("experiment_name", "model_name"):
        with pytest.raises(UnsafePathError, match=rf"^{argument}: '\.\./x' would leave"):
            hyperopt(config, dataset=tiny_frame, output_directory=str(tmp_path / "results"), **{argument: "../x"})
    assert list(tmp_path.iterdir()) == []


def test_prediction_files_named_after_features_stay_inside(tmp_path):
    from ludwig.error import UnsafePathError
    from ludwig.utils.results_io import save_prediction_outputs

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UnsafePathError, match=r"the prediction column '\.\./\.\./evil_predictions'"):
        save_prediction_outputs(pd.DataFrame({"ok_predictions": [1], "../../evil_predictions": [2]}), str(out))
    assert list(out.iterdir()) == [] and not (tmp_path.parent / "evil_predictions.csv").exists()
    save_prediction_outputs(pd.DataFrame({"price/usd_predictions": [1.5]}), str(out))  # a '/' stays inside
    assert (out / "price" / "usd_predictions.csv").read_text().strip() == "1.5"


@pytest.mark.parametrize(
    "command, flag, value",
    [
        ("train", "--experiment_name", "../../x"),
        ("experiment", "-mn", "/tmp/absolute"),
        ("hyperopt", "-en", "a/../../b"),
    ],
)
def test_cli_refuses_names_leaving_the_output_directory(command, flag, value, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ludwig", command, "-c", "config.yaml", "--dataset", "data.csv", flag, value],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    long_flag = "--model_name" if flag == "-mn" else "--experiment_name"
    assert f"ludwig {command}: error: argument " in result.stderr and long_flag in result.stderr
    assert f"{value!r} would leave the output directory" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_path_name_problems():
    from ludwig.utils.fs_utils import path_name_problem

    for name in ("experiment", "team/exp", "exp.v2", "..x", "x..", "~", "", "a b"):
        assert path_name_problem(name) is None, name
    assert path_name_problem("a/../b") == "it has a '..' part"
    assert path_name_problem("/abs") == "it is an absolute path"
    assert path_name_problem("C:x") == "it names a drive"
    assert path_name_problem("a\x00b") == "it holds a NUL character"
    assert path_name_problem(3) == "it is a int, not a string"


# ---------------------------------------------------------------------------------------------------------
# Resuming a search unpickles only from a folder a Ludwig search started.


class _TouchOnUnpickle:
    """Unpickling this creates ``path``: it stands for code a pickle can run."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return Path.touch, (self.path,)


def test_skopt_restore_reads_only_a_ludwig_run_folder(tmp_path):
    pytest.importorskip("ray")
    import ray.cloudpickle as pickle

    from ludwig.hyperopt.executors._ray_skopt import SkOptSearch
    from ludwig.hyperopt.run_folder import RUN_MARKER_FILE_NAME, mark_run_folder

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    ran = tmp_path / "code_ran"
    state = foreign / "searcher-state-x.pkl"
    state.write_bytes(pickle.dumps({"payload": _TouchOnUnpickle(ran)}))
    searcher = SkOptSearch(metric="loss", mode="min")
    with pytest.raises(UntrustedCodeError, match=rf"{RUN_MARKER_FILE_NAME} is missing"):
        searcher.restore(str(state))
    assert not ran.exists()

    own = tmp_path / "own"
    mark_run_folder(str(own), "ray")
    saved = SkOptSearch(metric="loss", mode="max", n_initial_points=3)
    saved.save(str(own / "searcher-state-y.pkl"))
    restored = SkOptSearch(metric="other", mode="min")
    restored.restore(str(own / "searcher-state-y.pkl"))
    assert restored.metric == "loss" and restored.mode == "max" and restored._options["n_initial_points"] == 3

    mark_run_folder(str(foreign), "optuna")  # a marker of another executor is not enough
    with pytest.raises(UntrustedCodeError):
        searcher.restore(str(state))
    assert not ran.exists()
