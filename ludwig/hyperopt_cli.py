"""``ludwig hyperopt``: search the hyperparameters listed in the config's ``hyperopt`` section."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ludwig.utils import cli_utils

if TYPE_CHECKING:
    from ludwig.hyperopt.results import HyperoptResults


def hyperopt_cli(
    config: dict | str,
    dataset: str | None = None,
    training_set: str | None = None,
    validation_set: str | None = None,
    test_set: str | None = None,
    training_set_metadata: str | None = None,
    data_format: str | None = None,
    experiment_name: str = "hyperopt",
    model_name: str = "run",
    resume: bool | None = None,
    skip_save_training_description: bool = False,
    skip_save_training_statistics: bool = False,
    skip_save_model: bool = False,
    skip_save_progress: bool = False,
    skip_save_log: bool = False,
    skip_save_processed_input: bool = True,
    skip_save_unprocessed_output: bool = False,
    skip_save_predictions: bool = False,
    skip_save_eval_stats: bool = False,
    skip_save_hyperopt_statistics: bool = False,
    output_directory: str = "results",
    gpus: list[int] | None = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
    callbacks: list | None = None,
    backend: str | None = None,
    random_seed: int = 42,
    hyperopt_log_verbosity: int = 3,
    logging_level: int = logging.INFO,
    **kwargs: Any,
) -> HyperoptResults:
    """Run ``ludwig.hyperopt.run.hyperopt`` with a config dict or the path of a YAML file.

    The arguments are those of :func:`ludwig.hyperopt.run.hyperopt`; results go to
    ``<output_directory>/<experiment_name>/``.
    """
    from ludwig.hyperopt.run import hyperopt

    if isinstance(config, str):
        config = cli_utils.load_yaml_file(config)
    return hyperopt(
        config,
        dataset=dataset,
        training_set=training_set,
        validation_set=validation_set,
        test_set=test_set,
        training_set_metadata=training_set_metadata,
        data_format=data_format,
        experiment_name=experiment_name,
        model_name=model_name,
        resume=resume,
        skip_save_training_description=skip_save_training_description,
        skip_save_training_statistics=skip_save_training_statistics,
        skip_save_model=skip_save_model,
        skip_save_progress=skip_save_progress,
        skip_save_log=skip_save_log,
        skip_save_processed_input=skip_save_processed_input,
        skip_save_unprocessed_output=skip_save_unprocessed_output,
        skip_save_predictions=skip_save_predictions,
        skip_save_eval_stats=skip_save_eval_stats,
        skip_save_hyperopt_statistics=skip_save_hyperopt_statistics,
        output_directory=output_directory,
        gpus=gpus,
        gpu_memory_limit=gpu_memory_limit,
        allow_parallel_threads=allow_parallel_threads,
        callbacks=callbacks,
        backend=backend,
        random_seed=random_seed,
        hyperopt_log_verbosity=hyperopt_log_verbosity,
        logging_level=logging_level,
        **kwargs,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "hyperopt",
        "Search the hyperparameters listed in the config's hyperopt section: train one model per sampled set of "
        "values and rank them.",
    )
    cli_utils.add_output_directory_arg(parser)
    cli_utils.add_experiment_name_args(parser, experiment_name="hyperopt")
    cli_utils.add_dataset_args(parser)
    cli_utils.add_config_args(parser)
    cli_utils.add_train_args(parser)
    group = parser.add_argument_group("hyperopt")
    group.add_argument(
        "-sshs",
        "--skip_save_hyperopt_statistics",
        action="store_true",
        help="do not save hyperopt_statistics.json",
    )
    group.add_argument(
        "-hlv",
        "--hyperopt_log_verbosity",
        type=int,
        default=3,
        choices=[0, 1, 2, 3],
        help="verbosity of the executor's progress reports: 0 silent, 1 results only, 2 and 3 more detail",
    )
    group.add_argument(
        "--resume",
        action="store_true",
        default=None,
        help="continue a search interrupted in <output_directory>/<experiment_name>",
    )
    cli_utils.add_random_seed_arg(parser)
    cli_utils.add_runtime_args(parser)
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(sys_argv)
    cli_utils.check_dataset_given(parser, args)
    if args.model_load_path or args.model_resume_path:
        parser.error("-mlp/--model_load_path and -mrp/--model_resume_path do not apply to hyperopt; use --resume")
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("hyperopt", level):
        config = cli_utils.load_config(args.config, args.config_str)
        cli_utils.validate_config(config, hyperopt=True)
        cli_utils.check_data_files(args)
        hyperopt_cli(
            config=config,
            resume=args.resume,
            skip_save_hyperopt_statistics=args.skip_save_hyperopt_statistics,
            hyperopt_log_verbosity=args.hyperopt_log_verbosity,
            logging_level=level,
            **cli_utils.args_named(args, cli_utils.DATA_ARGS, cli_utils.RUN_NAME_ARGS, cli_utils.TRAIN_SAVE_FLAGS),
            **cli_utils.runtime_kwargs(args),
        )


if __name__ == "__main__":
    cli(sys.argv[1:])
