"""``ludwig experiment``: train a model, then evaluate it; or k-fold cross-validate it with ``--k_fold``."""

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

KFOLD_TRAINING_STATISTICS_FILE_NAME = "kfold_training_statistics.json"
KFOLD_SPLIT_INDICES_FILE_NAME = "kfold_split_indices.json"


def experiment_cli(
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
    eval_split: str = "test",
    skip_save_training_description: bool = False,
    skip_save_training_statistics: bool = False,
    skip_save_model: bool = False,
    skip_save_progress: bool = False,
    skip_save_log: bool = False,
    skip_save_processed_input: bool = False,
    skip_save_unprocessed_output: bool = False,
    skip_save_predictions: bool = False,
    skip_save_eval_stats: bool = False,
    skip_collect_predictions: bool = False,
    skip_collect_overall_stats: bool = False,
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
) -> tuple[LudwigModel, dict, Any, Any, str]:
    """Train a model, evaluate it on ``eval_split`` and save everything in one results folder.

    Arguments are those of :func:`ludwig.train.train_cli` (``trust_remote_code`` included) plus the evaluation
    options of ``LudwigModel.experiment``.

    Returns:
        ``(model, eval_stats, train_stats, preprocessed_data, output_directory)``.
    """
    from ludwig.train import build_model

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
    eval_stats, train_stats, preprocessed_data, run_directory = model.experiment(
        dataset=dataset,
        training_set=training_set,
        validation_set=validation_set,
        test_set=test_set,
        training_set_metadata=training_set_metadata,
        data_format=data_format,
        experiment_name=experiment_name,
        model_name=model_name,
        model_resume_path=model_resume_path,
        eval_split=eval_split,
        skip_save_training_description=skip_save_training_description,
        skip_save_training_statistics=skip_save_training_statistics,
        skip_save_model=skip_save_model,
        skip_save_progress=skip_save_progress,
        skip_save_log=skip_save_log,
        skip_save_processed_input=skip_save_processed_input,
        skip_save_unprocessed_output=skip_save_unprocessed_output,
        skip_save_predictions=skip_save_predictions,
        skip_save_eval_stats=skip_save_eval_stats,
        skip_collect_predictions=skip_collect_predictions,
        skip_collect_overall_stats=skip_collect_overall_stats,
        output_directory=output_directory,
        random_seed=random_seed,
    )
    return model, eval_stats, train_stats, preprocessed_data, run_directory


def kfold_cross_validate_cli(
    k_fold: int,
    config: dict | str,
    dataset: str | None = None,
    data_format: str | None = None,
    output_directory: str = "results",
    random_seed: int = 42,
    skip_save_k_fold_split_indices: bool = False,
    logging_level: int = logging.INFO,
    **kwargs: Any,
) -> tuple[dict, dict]:
    """Cross-validate on ``k_fold`` folds of ``dataset`` and save the statistics in ``output_directory``.

    Writes ``kfold_training_statistics.json`` and, unless ``skip_save_k_fold_split_indices``,
    ``kfold_split_indices.json``. ``kwargs`` are passed to ``kfold_cross_validate`` (``skip_save_*``, runtime).

    Returns:
        ``(kfold_cv_stats, kfold_split_indices)``.
    """
    from ludwig.api import kfold_cross_validate

    if isinstance(config, str):
        config = cli_utils.load_yaml_file(config)
    known = {
        "skip_save_training_description",
        "skip_save_training_statistics",
        "skip_save_model",
        "skip_save_progress",
        "skip_save_log",
        "skip_save_processed_input",
        "skip_save_predictions",
        "skip_save_eval_stats",
        "skip_collect_predictions",
        "skip_collect_overall_stats",
        "gpus",
        "gpu_memory_limit",
        "allow_parallel_threads",
        "backend",
    }
    kfold_cv_stats, kfold_split_indices = kfold_cross_validate(
        k_fold,
        config,
        dataset=dataset,
        data_format=data_format,
        output_directory=output_directory,
        random_seed=random_seed,
        logging_level=logging_level,
        **{k: v for k, v in kwargs.items() if k in known},
    )
    statistics_path = os.path.join(output_directory, KFOLD_TRAINING_STATISTICS_FILE_NAME)
    cli_utils.save_json(statistics_path, kfold_cv_stats)
    logger.info("Saved k-fold statistics to %s", os.path.abspath(statistics_path))
    if not skip_save_k_fold_split_indices:
        indices_path = os.path.join(output_directory, KFOLD_SPLIT_INDICES_FILE_NAME)
        cli_utils.save_json(indices_path, kfold_split_indices)
        logger.info("Saved k-fold split indices to %s", os.path.abspath(indices_path))
    return kfold_cv_stats, kfold_split_indices


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "experiment",
        "Train a model, evaluate it on a held-out split and save the model, statistics and predictions; "
        "with --k_fold, cross-validate it instead.",
    )
    cli_utils.add_output_directory_arg(parser)
    cli_utils.add_experiment_name_args(parser)
    cli_utils.add_dataset_args(parser)
    parser.add_argument(
        "-es", "--eval_split", default="test", choices=cli_utils.SPLITS, help="the split evaluated after training"
    )
    cli_utils.add_config_args(parser, required=False)
    cli_utils.add_train_args(parser)
    cli_utils.add_prediction_output_args(parser)
    parser.add_argument(
        "-sstes", "-sses", "--skip_save_eval_stats", action="store_true", help="do not save test_statistics.json"
    )
    cli_utils.add_collect_args(parser)
    kfold = parser.add_argument_group("k-fold cross-validation")
    kfold.add_argument("-kf", "--k_fold", type=int, help="number of folds; runs k-fold cross-validation on --dataset")
    kfold.add_argument(
        "-skfsi",
        "--skip_save_k_fold_split_indices",
        action="store_true",
        help="do not save the row indices of each fold (kfold_split_indices.json)",
    )
    cli_utils.add_random_seed_arg(parser)
    cli_utils.add_runtime_args(parser)
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(sys_argv)
    cli_utils.check_dataset_given(parser, args)
    if args.k_fold is not None:
        _check_kfold_args(parser, args)
    elif not (args.config or args.config_str or args.model_load_path or args.model_resume_path):
        parser.error("a config is required: pass -c/--config or -cs/--config_str")
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("experiment", level):
        config = cli_utils.load_config(args.config, args.config_str)
        cli_utils.validate_config(config)
        cli_utils.check_data_files(args)
        save_flags = cli_utils.args_named(
            args,
            cli_utils.TRAIN_SAVE_FLAGS,
            ("skip_save_predictions", "skip_save_eval_stats", "skip_collect_predictions", "skip_collect_overall_stats"),
        )
        if args.k_fold is not None:
            kfold_cross_validate_cli(
                args.k_fold,
                config,
                dataset=args.dataset,
                data_format=args.data_format,
                output_directory=args.output_directory,
                random_seed=args.random_seed,
                skip_save_k_fold_split_indices=args.skip_save_k_fold_split_indices,
                logging_level=level,
                **save_flags,
                **cli_utils.runtime_kwargs(args),
            )
            return
        experiment_cli(
            config=config,
            model_load_path=args.model_load_path,
            model_resume_path=args.model_resume_path,
            eval_split=args.eval_split,
            skip_save_unprocessed_output=args.skip_save_unprocessed_output,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
            **cli_utils.args_named(args, cli_utils.DATA_ARGS, cli_utils.RUN_NAME_ARGS),
            **save_flags,
            **cli_utils.runtime_kwargs(args),
        )


def _check_kfold_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.k_fold < 2:
        parser.error(f"--k_fold must be at least 2, found {args.k_fold}")
    if not args.dataset or args.training_set or args.validation_set or args.test_set:
        parser.error("--k_fold splits --dataset into folds itself; pass --dataset only (no --training_set etc.)")
    if args.model_load_path or args.model_resume_path:
        parser.error("--k_fold trains a new model per fold; it cannot be combined with -mlp or -mrp")
    if not (args.config or args.config_str):
        parser.error("a config is required: pass -c/--config or -cs/--config_str")


if __name__ == "__main__":
    cli(sys.argv[1:])
