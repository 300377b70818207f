"""Argparse pieces and helpers shared by the ``ludwig <command>`` modules.

Everything here is cheap to import (no torch, no pandas), so ``ludwig <command> --help`` answers instantly: the
command modules import the API only inside the functions that run the command.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ludwig.constants import FILE_DATA_FORMATS
from ludwig.error import LudwigError
from ludwig.utils.logging_utils import set_ludwig_logging_level

logger = logging.getLogger("ludwig.cli")

LOGGING_LEVELS: dict[str, int] = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "notset": logging.NOTSET,
}

#: ``--data_format`` values a file on disk can have (the in-memory formats are for the Python API only).
DATA_FORMATS: tuple[str, ...] = FILE_DATA_FORMATS

BACKENDS: tuple[str, ...] = ("local", "ray", "dask")
SPLITS: tuple[str, ...] = ("training", "validation", "test", "full")


class CLIError(LudwigError):
    """A problem with what was given on the command line (a missing file, unreadable YAML, bad flags)."""


# ---------------------------------------------------------------------------------------------------------
# Parsers and flag groups.


class _HelpFormatter(argparse.HelpFormatter):
    """Shows ``(default: x)`` after the help of options whose default says something (not None, not a flag)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or action.nargs == 0 or action.default in (None, argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"


def make_parser(command: str, description: str) -> argparse.ArgumentParser:
    """The parser of ``ludwig <command>``."""
    return argparse.ArgumentParser(prog=f"ludwig {command}", description=description, formatter_class=_HelpFormatter)


def add_config_args(parser: argparse.ArgumentParser, required: bool = True, what: str = "model") -> None:
    """``-c/--config`` (a YAML file) or ``-cs/--config_str`` (inline YAML or JSON), exclusive."""
    group = parser.add_argument_group("config")
    exclusive = group.add_mutually_exclusive_group(required=required)
    exclusive.add_argument("-c", "--config", help=f"path of the YAML file holding the {what} config")
    exclusive.add_argument("-cs", "--config_str", help=f"the {what} config as a YAML or JSON string")


def add_dataset_args(parser: argparse.ArgumentParser, splits: bool = True, required: bool = False) -> None:
    """``--dataset`` (or ``--training_set``/``--validation_set``/``--test_set``), metadata and format."""
    group = parser.add_argument_group("data")
    group.add_argument(
        "--dataset",
        required=required,
        help="input data file; split into training, validation and test sets by the config's preprocessing.split"
        if splits
        else "input data file",
    )
    if splits:
        group.add_argument("--training_set", help="input data file of the training set")
        group.add_argument("--validation_set", help="input data file of the validation set")
        group.add_argument("--test_set", help="input data file of the test set")
        group.add_argument(
            "--training_set_metadata",
            help="training set metadata JSON (vocabularies, statistics) to reuse instead of computing it",
        )
    group.add_argument("--data_format", default="auto", choices=DATA_FORMATS, help="format of the input data")


def add_output_directory_arg(parser: argparse.ArgumentParser, default: str = "results") -> None:
    parser.add_argument("-od", "--output_directory", default=default, help="directory the results are written to")


def add_experiment_name_args(parser: argparse.ArgumentParser, experiment_name: str = "experiment") -> None:
    """``-en/--experiment_name`` and ``-mn/--model_name``, refused when they would leave the output directory."""
    parser.add_argument("-en", "--experiment_name", default=experiment_name, type=path_name, help="experiment name")
    parser.add_argument("-mn", "--model_name", default="run", type=path_name, help="name of the model")


def path_name(value: str) -> str:
    """Argparse type of a name joined to the output directory: one that stays inside it (``fs_utils``)."""
    from ludwig.utils.fs_utils import PATH_NAME_ALLOWED, path_name_problem

    problem = path_name_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(
            f"{value!r} would leave the output directory: {problem}. Allowed: {PATH_NAME_ALLOWED}."
        )
    return value


def add_train_args(parser: argparse.ArgumentParser) -> None:
    """Model load/resume paths (with ``--trust_remote_code``) and the ``skip_save_*`` flags of training."""
    parser.add_argument("-mlp", "--model_load_path", help="path of a trained model folder to start from (fine-tuning)")
    parser.add_argument(
        "-mrp", "--model_resume_path", help="path of a results folder whose training is resumed from its checkpoint"
    )
    add_trust_remote_code_arg(parser)
    group = parser.add_argument_group("outputs")
    group.add_argument(
        "-sspi",
        "--skip_save_processed_input",
        action="store_true",
        help="do not cache the preprocessed data next to the input file",
    )
    group.add_argument(
        "-sstd",
        "--skip_save_training_description",
        action="store_true",
        help="do not save description.json",
    )
    group.add_argument(
        "-ssts",
        "--skip_save_training_statistics",
        action="store_true",
        help="do not save training_statistics.json",
    )
    group.add_argument(
        "-ssm",
        "--skip_save_model",
        action="store_true",
        help="do not save the weights of the best model (the model folder then holds its initial weights)",
    )
    group.add_argument(
        "-ssp",
        "--skip_save_progress",
        action="store_true",
        help="do not save training checkpoints after each evaluation (training cannot be resumed)",
    )
    group.add_argument("-ssl", "--skip_save_log", action="store_true", help="do not save TensorBoard logs")


def add_prediction_output_args(parser: argparse.ArgumentParser) -> None:
    """``-ssuo`` and ``-sstp``: what predict, evaluate and experiment leave out of the output directory."""
    parser.add_argument(
        "-ssuo",
        "--skip_save_unprocessed_output",
        action="store_true",
        help="do not save the raw (unpostprocessed) model outputs",
    )
    parser.add_argument(
        "-sstp",
        "--skip_save_predictions",
        action="store_true",
        help="do not save the predictions (predictions.parquet and per-column CSVs)",
    )


def add_collect_args(parser: argparse.ArgumentParser) -> None:
    """``-scp`` and ``-scos``: what evaluation skips computing."""
    parser.add_argument(
        "-scp", "--skip_collect_predictions", action="store_true", help="do not collect the predictions"
    )
    parser.add_argument(
        "-scos",
        "--skip_collect_overall_stats",
        action="store_true",
        help="do not compute the overall statistics (confusion matrix, per-class stats, ...)",
    )


def add_model_path_arg(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``-m/--model_path`` and ``--trust_remote_code``, the opt-in to code its config points at."""
    parser.add_argument(
        "-m", "--model_path", required=required, help="path of the trained model folder (results/.../model)"
    )
    add_trust_remote_code_arg(parser)


def add_trust_remote_code_arg(parser: argparse.ArgumentParser) -> None:
    """``--trust_remote_code``: the opt-in of ``LudwigModel.load(..., trust_remote_code=True)``."""
    parser.add_argument(
        "--trust_remote_code",
        action="store_true",
        help="let a loaded model folder run code: the Hugging Face checkpoints its config names with "
        "pretrained_kwargs.trust_remote_code run their own modelling code. Only for folders you trust "
        "(docs/security.md)",
    )


def add_split_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-s", "--split", default="full", choices=SPLITS, help="which split of the dataset to use")


def add_batch_size_arg(parser: argparse.ArgumentParser, default: int | None = 128) -> None:
    parser.add_argument("-bs", "--batch_size", type=int, default=default, help="batch size")


def add_random_seed_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-rs", "--random_seed", type=int, default=42, help="seed of the random split, initialization and shuffling"
    )


def add_runtime_args(parser: argparse.ArgumentParser) -> None:
    """Where the work runs: ``-g``, ``-gml``, ``-dpt``, ``-b``."""
    group = parser.add_argument_group("runtime")
    group.add_argument("-g", "--gpus", nargs="+", type=int, help="indices of the GPUs to use")
    group.add_argument(
        "-gml",
        "--gpu_memory_limit",
        type=float,
        help="maximum GPU memory per process, as a fraction (<= 1) or in GiB",
    )
    group.add_argument(
        "-dpt",
        "--disable_parallel_threads",
        action="store_false",
        dest="allow_parallel_threads",
        help="disable multithreading in torch, for determinism",
    )
    group.add_argument("-b", "--backend", choices=BACKENDS, help="backend running preprocessing and training")


def add_logging_arg(parser: argparse.ArgumentParser, default: str = "info") -> None:
    parser.add_argument(
        "-l",
        "--logging_level",
        default=default,
        choices=list(LOGGING_LEVELS),
        help="level of the logs; 'debug' also shows the traceback of errors",
    )


def check_dataset_given(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error unless ``--dataset`` or ``--training_set`` was given."""
    if not args.dataset and not getattr(args, "training_set", None):
        parser.error("the data is missing: pass --dataset, or --training_set (with --validation_set, --test_set)")


DATA_ARGS = ("dataset", "training_set", "validation_set", "test_set", "training_set_metadata", "data_format")
TRAIN_SAVE_FLAGS = (
    "skip_save_training_description",
    "skip_save_training_statistics",
    "skip_save_model",
    "skip_save_progress",
    "skip_save_log",
    "skip_save_processed_input",
)
RUN_NAME_ARGS = ("experiment_name", "model_name", "output_directory", "random_seed")


def args_named(args: argparse.Namespace, *groups: Sequence[str]) -> dict[str, Any]:
    """The parsed values of the flags named in ``groups`` (e.g. ``DATA_ARGS``), keyed by their API argument name."""
    return {name: getattr(args, name) for group in groups for name in group}


def runtime_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``LudwigModel``/``LudwigModel.load`` taken from the runtime flags."""
    return {
        "gpus": args.gpus,
        "gpu_memory_limit": args.gpu_memory_limit,
        "allow_parallel_threads": args.allow_parallel_threads,
        "backend": args.backend,
    }


# ---------------------------------------------------------------------------------------------------------
# Configs.


def load_yaml_file(path: str, what: str = "config") -> dict[str, Any]:
    """Read a YAML (or JSON) file holding a mapping.

    Raises:
        CLIError: the file is missing, is not valid YAML or does not hold a mapping.
    """
    import yaml

    if not os.path.isfile(path):
        raise CLIError(f"The {what} file {path!r} does not exist.")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise CLIError(f"Cannot read the {what} file {path!r} as YAML: {describe_yaml_error(e)}") from None
    return _require_mapping(data, f"The {what} file {path!r}")


def load_yaml_string(text: str, what: str = "config") -> dict[str, Any]:
    """Parse an inline YAML or JSON string holding a mapping.

    Raises:
        CLIError: the string is not valid YAML or does not hold a mapping.
    """
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise CLIError(f"Cannot read the {what} string as YAML or JSON: {describe_yaml_error(e)}") from None
    return _require_mapping(data, f"The {what} string")


def load_config(config: str | None, config_str: str | None, what: str = "config") -> dict[str, Any] | None:
    """The config given by ``-c/--config`` or ``-cs/--config_str``; None when neither was given."""
    if config is not None:
        return load_yaml_file(config, what)
    if config_str is not None:
        return load_yaml_string(config_str, what)
    return None


def validate_config(config: dict[str, Any] | None, hyperopt: bool = False, training: bool = True) -> None:
    """Validate ``config`` (its ``hyperopt`` section when ``hyperopt``, what training needs when ``training``)
    before anything imports torch.

    Config validation needs neither torch nor pandas, so a bad config is reported in about the time
    ``ludwig --help`` takes, not after the seconds the model code takes to import.

    Raises:
        ConfigValidationError: listing every problem with its config path.
    """
    if config is None:
        return
    from ludwig.schema.model_config import ModelConfig

    model_config = ModelConfig.from_dict(config)
    if training:
        model_config.check_trainable()
    if hyperopt:
        from ludwig.hyperopt.parameters import validate_hyperopt

        validate_hyperopt(model_config)


def check_data_files(args: argparse.Namespace) -> None:
    """Refuse data paths that do not exist before the slow imports (in-memory data is for the Python API).

    Raises:
        CLIError: naming the flag and the missing path.
    """
    for name in ("dataset", "training_set", "validation_set", "test_set"):
        path = getattr(args, name, None)
        if isinstance(path, str) and "://" not in path and not os.path.exists(path):
            raise CLIError(f"--{name}: the file {path!r} does not exist.")


def check_model_folder(model_path: str, trust_remote_code: bool = False) -> None:
    """Check that ``model_path`` is a Ludwig model folder whose config is valid and runs no code unless trusted,
    before the slow imports.

    Raises:
        CLIError: the folder or its ``model_hyperparameters.json`` is missing or unreadable.
        UntrustedCodeError: the config would run code and ``trust_remote_code`` is not given.
        ConfigValidationError: the saved config is invalid.
    """
    from ludwig.globals import MODEL_HYPERPARAMETERS_FILE_NAME
    from ludwig.utils.trust import check_remote_code

    config_path = os.path.join(model_path, MODEL_HYPERPARAMETERS_FILE_NAME)
    if not os.path.isdir(model_path):
        raise CLIError(
            f"--model_path: {model_path!r} is not a Ludwig model folder: there is no such folder. Pass the 'model' "
            "folder of a training run (e.g. results/experiment_run/model)."
        )
    if not os.path.isfile(config_path):
        raise CLIError(
            f"--model_path: {model_path!r} is not a Ludwig model folder: {MODEL_HYPERPARAMETERS_FILE_NAME} is "
            "missing (pass the 'model' folder inside a results folder)."
        )
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise CLIError(f"--model_path: cannot read {config_path!r} as JSON: {e}.") from None
    check_remote_code(config, model_path, trust_remote_code)
    validate_config(_require_mapping(config, config_path), training=False)


def describe_yaml_error(error: Exception) -> str:
    """One line saying where (line, column, 1-based) and what the YAML problem is."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}" + (f" ({context})" if context else "") + "."


def _require_mapping(data: Any, source: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        found = "nothing" if data is None else f"a {type(data).__name__}"
        raise CLIError(f"{source} must hold a mapping (input_features, output_features, ...), found {found}.")
    return data


# ---------------------------------------------------------------------------------------------------------
# Logging, errors and files.


def setup_logging(level_name: str | int) -> int:
    """Set the level of the ``ludwig`` logger and give it a console handler (stderr) once; returns the level."""
    level = LOGGING_LEVELS[level_name] if isinstance(level_name, str) else int(level_name)
    set_ludwig_logging_level(level)
    return level


#: Errors the user can fix; they are reported in a few lines, without a traceback (except at debug level).
USER_ERRORS: tuple[type[BaseException], ...] = (LudwigError, ValueError, KeyError, FileNotFoundError)


@contextmanager
def handle_errors(command: str, logging_level: int | str = logging.INFO) -> Iterator[None]:
    """Report user errors raised in the block as ``ludwig <command>: error: ...`` and exit with status 1.

    At ``debug`` (or ``notset``) level the exception propagates with its traceback instead.
    """
    level = LOGGING_LEVELS[logging_level] if isinstance(logging_level, str) else logging_level
    try:
        yield
    except USER_ERRORS as e:
        if level <= logging.DEBUG:
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"ludwig {command}: error: {message}", file=sys.stderr)
        if not isinstance(e, LudwigError):  # Ludwig's own errors say all there is to say
            print("(run again with -l debug to see the traceback)", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"\nludwig {command}: interrupted", file=sys.stderr)
        sys.exit(130)


def save_json(path: str, data: Any) -> None:
    """Write ``data`` as indented JSON; numpy and torch values become lists/numbers, NaN and inf null."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(_jsonable(data), f, indent=2, allow_nan=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return _jsonable(value.tolist())
    return str(value)


def safe_filename(name: str) -> str:
    """``name`` with every character other than letters, digits, ``.``, ``_`` and ``-`` replaced by ``_``."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return cleaned.strip(".") or "_"


def call_on_cmdline(callbacks: Sequence[Any] | None, command: str, argv: Sequence[str]) -> None:
    """Tell each callback which command line started (``Callback.on_cmdline``)."""
    for callback in callbacks or ():
        callback.on_cmdline(command, *argv)
