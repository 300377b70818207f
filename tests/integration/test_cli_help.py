"""The ``ludwig`` command line without training: help, version, dispatch, render_config and export_schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ludwig.cli import COMMANDS
from ludwig.globals import LUDWIG_VERSION

REPO_ROOT = Path(__file__).resolve().parents[2]

LATER_COMMANDS = ["visualize", "datasets", "init_config"]

TINY_CONFIG = {
    "input_features": [{"name": "x", "type": "number"}, {"name": "c", "type": "category"}],
    "output_features": [{"name": "y", "type": "binary"}],
}


def run_ludwig(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m ludwig <args>`` with this checkout importable, wherever the test runs."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "ludwig", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


# ---------------------------------------------------------------------------------------------------------
# Dispatch, help and version.


@pytest.mark.parametrize("command", list(COMMANDS))
def test_command_help(command):
    result = run_ludwig(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: ludwig {command}" in result.stdout


def test_top_level_help_lists_commands_with_descriptions():
    result = run_ludwig("--help")
    assert result.returncode == 0, result.stderr
    for command, (_, _, description) in COMMANDS.items():
        assert command in result.stdout
        assert description in result.stdout
    listed = result.stdout.split("Available commands:")[1]
    for command in LATER_COMMANDS:
        assert f" {command} " not in listed


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(flag):
    result = run_ludwig(flag)
    assert result.returncode == 0, result.stderr
    assert LUDWIG_VERSION in result.stdout


def test_help_imports_no_torch_or_pandas():
    code = """
import sys
from ludwig import cli
for argv in (["--help"], *([command, "--help"] for command in cli.COMMANDS)):
    try:
        cli.main(argv)
    except SystemExit as e:
        assert e.code == 0, (argv, e.code)
heavy = sorted(m for m in ("torch", "pandas", "numpy") if m in sys.modules)
assert not heavy, heavy
print("light")
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "light" in result.stdout


def test_unknown_command_lists_commands():
    result = run_ludwig("trian")
    assert result.returncode != 0
    assert "unknown command 'trian'" in result.stderr
    assert "Did you mean 'train'?" in result.stderr
    for command in COMMANDS:
        assert command in result.stderr


def test_no_command_prints_usage_and_fails():
    result = run_ludwig()
    assert result.returncode != 0
    assert "Available commands:" in result.stderr


def test_missing_required_flags_is_a_usage_error():
    result = run_ludwig("predict", "--dataset", "data.csv")
    assert result.returncode == 2
    assert "-m/--model_path" in result.stderr


# ---------------------------------------------------------------------------------------------------------
# render_config


def test_render_config_fills_defaults(tmp_path):
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(TINY_CONFIG))
    result = run_ludwig("render_config", "-c", str(config_path))
    assert result.returncode == 0, result.stderr
    assert "trainer:" in result.stdout
    rendered = yaml.safe_load(result.stdout)
    assert rendered["trainer"]["epochs"] == 100
    assert rendered["trainer"]["optimizer"]["type"] == "adam"
    assert rendered["combiner"]["type"] == "concat"
    assert rendered["input_features"][1]["encoder"]["type"] == "dense"
    assert rendered["output_features"][0]["loss"]["type"] == "binary_weighted_cross_entropy"


def test_render_config_from_string_to_file(tmp_path):
    output = tmp_path / "rendered.yaml"
    result = run_ludwig("render_config", "-cs", json.dumps(TINY_CONFIG), "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(output.read_text())["preprocessing"]["split"]["type"] == "random"


def test_render_config_invalid_config_names_the_path(tmp_path):
    config = {**TINY_CONFIG, "trainer": {"epochs": -1, "optimizer": {"type": "adm"}}}
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    result = run_ludwig("render_config", "-c", str(config_path))
    assert result.returncode == 1
    assert "trainer.epochs" in result.stderr
    assert "trainer.optimizer.type" in result.stderr
    assert "Did you mean 'adam'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_render_config_bad_yaml(tmp_path):
    config_path = tmp_path / "config.yaml"
    config_path.write_text("input_features:\n  - name: a\n   type: number\n")
    result = run_ludwig("render_config", "-c", str(config_path))
    assert result.returncode == 1
    assert "as YAML" in result.stderr and "line 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_render_config_missing_file_and_non_mapping(tmp_path):
    missing = run_ludwig("render_config", "-c", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr
    not_a_mapping = run_ludwig("render_config", "-cs", "[1, 2]")
    assert not_a_mapping.returncode == 1
    assert "must hold a mapping" in not_a_mapping.stderr


def test_debug_level_shows_the_traceback():
    result = run_ludwig("render_config", "-cs", '{"input_features": []}', "-l", "debug")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "ConfigValidationError" in result.stderr


# ---------------------------------------------------------------------------------------------------------
# export_schema


@pytest.mark.parametrize("extra", [[], ["--full"], ["--model-type", "combined"]])
def test_export_schema_validates_like_the_config_schema(extra):
    jsonschema = pytest.importorskip("jsonschema")
    from ludwig.schema.model_config import ModelConfig

    result = run_ludwig("export_schema", *extra)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    config = {
        **TINY_CONFIG,
        "trainer": {"epochs": 3, "optimizer": {"type": "sgd", "momentum": 0.9}},
        "combiner": {"type": "concat", "num_fc_layers": 1},
    }
    config["input_features"] = [
        *config["input_features"],
        {"name": "s", "type": "category", "encoder": {"type": "sparse"}},
    ]
    assert not list(validator.iter_errors(config))
    assert not list(validator.iter_errors(ModelConfig.from_dict(config).to_dict()))

    invalid = [
        {**TINY_CONFIG, "trainer": {"epochs": 0}},
        {**TINY_CONFIG, "trainer": {"epoch": 1}},
        {**TINY_CONFIG, "trainer": {"optimizer": {"type": "adam", "momentum": 0.9}}},
        {**TINY_CONFIG, "input_features": [{"name": "x", "type": "number", "encoder": {"type": "nope"}}]},
        {**TINY_CONFIG, "input_features": [{"name": "x", "type": "numbr"}]},
        {**TINY_CONFIG, "input_features": [{"type": "number"}]},
        {"input_features": TINY_CONFIG["input_features"]},
    ]
    for bad in invalid:
        assert list(validator.iter_errors(bad)), bad


def test_export_schema_describes_fields(tmp_path):
    output = tmp_path / "schema.json"
    result = run_ludwig("export_schema", "-o", str(output))
    assert result.returncode == 0, result.stderr
    schema = json.loads(output.read_text())
    assert schema["required"] == ["input_features", "output_features"]
    trainer = schema["$defs"]["ECDTrainerConfig"]["properties"]
    assert trainer["epochs"]["default"] == 100
    assert trainer["epochs"]["minimum"] == 1
    assert trainer["epochs"]["description"]


def test_export_schema_unknown_model_type():
    result = run_ludwig("export_schema", "--model-type", "llm")
    assert result.returncode == 1
    assert "llm" in result.stderr and "ecd" in result.stderr


def test_cli_data_formats_are_accepted_by_the_loader():
    from ludwig.data.dataset_loader import DATA_FORMATS
    from ludwig.utils.cli_utils import DATA_FORMATS as CLI_DATA_FORMATS

    assert set(CLI_DATA_FORMATS) <= set(DATA_FORMATS)
