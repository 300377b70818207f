"""A command given a bad config, model folder or data path fails before torch is imported, naming the problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BAD_CONFIG = """
input_features:
  - name: age
    type: number
    encoder: {type: dense, num_layers: 1e308}
output_features:
  - name: survived
    type: binary
trainer:
  learning_rat: 0.1
"""

# Runs `ludwig <argv>` in a fresh interpreter, then reports whether torch (or pandas) had been imported.
PROBE = """
import json, sys
from ludwig.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "heavy": sorted(m for m in ("torch", "pandas") if m in sys.modules)}))
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "bad.yaml").write_text(BAD_CONFIG)
    (tmp_path / "data.csv").write_text("age,survived\n20,0\n30,1\n")
    model = tmp_path / "model"
    model.mkdir()
    (model / "model_hyperparameters.json").write_text(
        json.dumps(
            {"input_features": [{"name": "age", "type": "numbr"}], "output_features": [{"name": "s", "type": "binary"}]}
        )
    )
    return {"config": str(tmp_path / "bad.yaml"), "data": str(tmp_path / "data.csv"), "model": str(model)}


def _probe(argv: list[str], cwd: Path) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.parametrize("command", ["train", "experiment", "hyperopt", "render_config"])
def test_bad_config_is_reported_before_torch_loads(command, files, tmp_path):
    argv = [command, "-c", files["config"]]
    if command != "render_config":
        argv += ["--dataset", files["data"], "-od", str(tmp_path / "results")]
    result, stderr = _probe(argv, tmp_path)
    assert result == {"code": 1, "heavy": []}, stderr
    assert f"ludwig {command}: error: Invalid config: 2 problems found" in stderr
    assert "input_features[0].encoder.num_layers: Expected an integer, found string '1e308'." in stderr
    assert "trainer.learning_rat: Unknown parameter 'learning_rat'" in stderr
    assert "Did you mean 'learning_rate'?" in stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_bad_model_folder_is_reported_before_torch_loads(command, files, tmp_path):
    result, stderr = _probe([command, "--model_path", files["model"], "--dataset", files["data"]], tmp_path)
    assert result == {"code": 1, "heavy": []}, stderr
    assert "input_features[0].type: Unknown input feature type 'numbr'" in stderr

    result, stderr = _probe([command, "--model_path", str(tmp_path / "nowhere"), "--dataset", files["data"]], tmp_path)
    assert result == {"code": 1, "heavy": []}, stderr
    assert "--model_path: " in stderr and "is not a Ludwig model folder: there is no such folder" in stderr


def test_missing_dataset_is_reported_before_torch_loads(tmp_path):
    config = Path(__file__).resolve().parents[2] / "examples" / "titanic" / "config.yaml"
    result, stderr = _probe(["experiment", "-c", str(config), "--dataset", "missing.csv"], tmp_path)
    assert result == {"code": 1, "heavy": []}, stderr
    assert "--dataset: the file 'missing.csv' does not exist." in stderr


UNTRUSTED = {
    "input_features": [
        {
            "name": "review",
            "type": "text",
            "encoder": {
                "type": "auto_transformer",
                "pretrained_model_name_or_path": "/models/custom",
                "pretrained_kwargs": {"trust_remote_code": True},
            },
        }
    ],
    "output_features": [{"name": "label", "type": "binary"}],
}


@pytest.mark.parametrize(
    "argv",
    [
        ["predict", "--dataset", "data.csv"],
        ["evaluate", "--dataset", "data.csv"],
        ["serve"],
        ["export_model"],
        ["export_torchscript"],
        ["collect_weights", "-t", "x"],
        ["forecast", "--dataset", "data.csv"],
    ],
    ids=lambda argv: argv[0],
)
def test_model_folder_that_would_run_code_is_refused_before_torch_loads(argv, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model_hyperparameters.json").write_text(json.dumps(UNTRUSTED))
    (tmp_path / "data.csv").write_text("review,label\ngood,1\n")
    result, stderr = _probe([argv[0], "--model_path", str(model), *argv[1:]], tmp_path)
    assert result == {"code": 1, "heavy": []}, stderr
    assert "would run Python code" in stderr
    assert "input_features[0] (feature 'review'): encoder.pretrained_kwargs.trust_remote_code is True" in stderr
    assert "--trust_remote_code" in stderr
