"""``ludwig train``: train a model from a config and a dataset."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ludwig.utils import cli_utils

if TYPE_CHECKING:
    from ludwig.api import LudwigModel

logger = logging.getLogger(__name__)


def build_model(
    config: dict | str | None,
    model_load_path: str | None = None,
    model_resume_path: str | None = None,
    logging_level: int = logging.INFO,
    callbacks: list | None = None,
    trust_remote_code: bool = False,
    **runtime: Any,
) -> LudwigModel:
    """The model ``train``/``experiment`` start from.

    A trained model from ``model_load_path`` (fine-tuning), else a new model from ``config``; when resuming without
    a config, the config saved in the resumed results folder. A config read from a folder runs code it points at
    only with ``trust_remote_code`` (see ``LudwigModel.load``).

    Raises:
        CLIError: no config was given and none can be found.
    """
    from ludwig.api import LudwigModel
    from ludwig.globals import MODEL_FILE_NAME, MODEL_HYPERPARAMETERS_FILE_NAME

    if model_load_path is not None:
        if config is not None:
            logger.warning(
                "Starting from the model in %s: its own config is used, the given config is ignored.", model_load_path
            )
        return LudwigModel.load(
            model_load_path,
            logging_level=logging_level,
            callbacks=callbacks,
            trust_remote_code=trust_remote_code,
            **runtime,
        )
    if config is None and model_resume_path is not None:
        config = os.path.join(model_resume_path, MODEL_FILE_NAME, MODEL_HYPERPARAMETERS_FILE_NAME)
        if not os.path.isfile(config):
            raise cli_utils.CLIError(
                f"Cannot resume from {model_resume_path!r}: it holds no {MODEL_FILE_NAME}/"
                f"{MODEL_HYPERPARAMETERS_FILE_NAME}; pass the config with -c/--config."
            )
        from ludwig.utils.trust import check_remote_code

        config = cli_utils.load_yaml_file(config)
        check_remote_code(config, model_resume_path, trust_remote_code)
    if config is None:
        raise cli_utils.CLIError("A config is required: pass -c/--config or -cs/--config_str.")
    if isinstance(config, str):
        config = cli_utils.load_yaml_file(config)
    return LudwigModel(config, logging_level=logging_level, callbacks=callbacks, **runtime)


def train_cli(
    config: dict | str | None = None,
    dataset: str | None = None,
    training_set: str | None = None,
    validation_set: str | None = None,
    test_set: str | None = None,
    training_set_metadata: str | None = None,
    data_format: str | None = None,
    experiment_name: str = "experiment",
    model_name: str = "run",
    model_load_path: str | None = None,
    model_resume_path: str | None = None,
    skip_save_training_description: bool = False,
    skip_save_training_statistics: bool = False,
    skip_save_model: bool = False,
    skip_save_progress: bool = False,
    skip_save_log: bool = False,
    skip_save_processed_input: bool = False,
    output_directory: str = "results",
    gpus: list[int] | None = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
    callbacks: list | None = None,
    backend: str | None = None,
    random_seed: int = 42,
    logging_level: int = logging.INFO,
    trust_remote_code: bool = False,
    **kwargs: Any,
) -> LudwigModel:
    """Train a model and save the results folder ``<output_directory>/<experiment_name>_<model_name>[_N]``.

    Args:
        config: config dict or path of a YAML file; optional with ``model_load_path``/``model_resume_path``.
        dataset: data file split by the config; or ``training_set``/``validation_set``/``test_set``.
        model_load_path: trained model folder to start from instead of a new model.
        model_resume_path: results folder whose interrupted training is resumed.
        trust_remote_code: let the config of ``model_load_path`` (or of ``model_resume_path`` when no config is
            given) run the code it points at (see ``LudwigModel.load``).
        (the other arguments are those of ``LudwigModel`` and ``LudwigModel.train``.)

    Returns:
        The trained ``LudwigModel``.
    """
    model = build_model(
        config,
        model_load_path,
        model_resume_path,
        logging_level=logging_level,
        callbacks=callbacks,
        trust_remote_code=trust_remote_code,
        gpus=gpus,
        gpu_memory_limit=gpu_memory_limit,
        allow_parallel_threads=allow_parallel_threads,
        backend=backend,
    )
    model.train(
        dataset=dataset,
        training_set=training_set,
        validation_set=validation_set,
        test_set=test_set,
        training_set_metadata=training_set_metadata,
        data_format=data_format,
        experiment_name=experiment_name,
        model_name=model_name,
        model_resume_path=model_resume_path,
        skip_save_training_description=skip_save_training_description,
        skip_save_training_statistics=skip_save_training_statistics,
        skip_save_model=skip_save_model,
        skip_save_progress=skip_save_progress,
        skip_save_log=skip_save_log,
        skip_save_processed_input=skip_save_processed_input,
        output_directory=output_directory,
        random_seed=random_seed,
    )
    return model


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "train", "Train a model on a dataset and save it with its statistics in the output directory."
    )
    cli_utils.add_output_directory_arg(parser)
    cli_utils.add_experiment_name_args(parser)
    cli_utils.add_dataset_args(parser)
    cli_utils.add_config_args(parser, required=False)
    cli_utils.add_train_args(parser)
    cli_utils.add_random_seed_arg(parser)
    cli_utils.add_runtime_args(parser)
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(sys_argv)
    cli_utils.check_dataset_given(parser, args)
    if not (args.config or args.config_str or args.model_load_path or args.model_resume_path):
        parser.error("a config is required: pass -c/--config or -cs/--config_str")
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("train", level):
        config = cli_utils.load_config(args.config, args.config_str)
        cli_utils.validate_config(config)
        cli_utils.check_data_files(args)
        train_cli(
            config=config,
            model_load_path=args.model_load_path,
            model_resume_path=args.model_resume_path,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
            **cli_utils.args_named(args, cli_utils.DATA_ARGS, cli_utils.RUN_NAME_ARGS, cli_utils.TRAIN_SAVE_FLAGS),
            **cli_utils.runtime_kwargs(args),
        )


if __name__ == "__main__":
    cli(sys.argv[1:])
