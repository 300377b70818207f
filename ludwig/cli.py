"""``ludwig <command> [<args>]``: the command line entry point.

Only the module of the command that runs is imported, so ``ludwig --help`` and ``ludwig <command> --help`` never
load torch or pandas.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ludwig.globals import LUDWIG_VERSION

#: command -> (module, function taking the remaining argv, one-line description)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "train": ("ludwig.train", "cli", "Train a model from a config and a dataset"),
    "predict": ("ludwig.predict", "cli", "Predict with a trained model"),
    "forecast": ("ludwig.forecast", "cli", "Forecast the values following a dataset with a timeseries model"),
    "evaluate": ("ludwig.evaluate", "cli", "Evaluate a trained model on a dataset holding the targets"),
    "experiment": ("ludwig.experiment", "cli", "Train a model, then evaluate it on a held-out split"),
    "hyperopt": ("ludwig.hyperopt_cli", "cli", "Search hyperparameters: train and rank one model per sampled config"),
    "preprocess": ("ludwig.preprocess", "cli", "Preprocess a dataset and cache the result for later runs"),
    "render_config": ("ludwig.render_config", "cli", "Print a config with every default filled in"),
    "collect_summary": ("ludwig.collect", "cli_collect_summary", "Print the names of a model's layers and weights"),
    "collect_weights": ("ludwig.collect", "cli_collect_weights", "Save named weight tensors of a model as .npy files"),
    "collect_activations": (
        "ludwig.collect",
        "cli_collect_activations",
        "Save the outputs of named layers on a dataset as .npy files",
    ),
    "serve": ("ludwig.serve", "cli", "Serve a trained model over HTTP (REST /predict and /batch_predict)"),
    "export_model": (
        "ludwig.export",
        "cli_export_model",
        "Export a trained model as safetensors, a torch.export program or ONNX",
    ),
    "export_onnx": ("ludwig.export", "cli_export_onnx", "Export a trained model as ONNX (export_model -f onnx)"),
    "export_torchscript": ("ludwig.export", "cli_export_torchscript", "Save a trained model as TorchScript"),
    "export_mlflow": ("ludwig.export", "cli_export_mlflow", "Save a trained model as an MLflow model (needs mlflow)"),
    "export_schema": ("ludwig.export_schema", "cli", "Print the JSON Schema of Ludwig configs"),
    "check_install": ("ludwig.check_install", "cli", "Train a tiny model on synthetic data to check the install"),
    "synthesize_dataset": (
        "ludwig.data.dataset_synthesizer",
        "cli",
        "Write a synthetic CSV dataset for the given features",
    ),
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS) + 4
    lines = [f"    {name:<{width}}{description}" for name, (_, _, description) in COMMANDS.items()]
    return "\n".join(
        [
            "ludwig <command> [<args>]",
            "",
            "Available commands:",
            *lines,
            "",
            "Run 'ludwig <command> --help' for the options of a command.",
        ]
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ludwig",
        usage=_usage(),
        description=f"Ludwig v{LUDWIG_VERSION}: declarative deep learning.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", nargs="?", help="the command to run (see the list above)")
    parser.add_argument("-v", "--version", action="version", version=f"ludwig {LUDWIG_VERSION}")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``ludwig`` with ``argv`` (default: ``sys.argv[1:]``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv:
        parser.print_help(sys.stderr)
        sys.exit(2)
    if argv[0].startswith("-"):
        # --help, --version, or an option before any command.
        parser.parse_args(argv)
        parser.error("a command is required first")
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        from ludwig.utils.registry import did_you_mean

        hint = did_you_mean(command, COMMANDS)
        print(f"ludwig: error: unknown command {command!r}.{hint}", file=sys.stderr)
        print(f"Available commands: {', '.join(COMMANDS)}. Run 'ludwig --help' for details.", file=sys.stderr)
        sys.exit(2)
    module_name, function_name, _ = COMMANDS[command]
    entry_point = getattr(importlib.import_module(module_name), function_name)
    entry_point(rest)


if __name__ == "__main__":
    main()
