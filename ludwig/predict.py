"""``ludwig predict``: predict with a trained model and save the predictions."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)


def predict_cli(
    model_path: str,
    dataset: str | None = None,
    data_format: str | None = None,
    split: str = "full",
    batch_size: int = 128,
    skip_save_unprocessed_output: bool = False,
    skip_save_predictions: bool = False,
    output_directory: str = "results",
    gpus: list[int] | None = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
    callbacks: list | None = None,
    backend: str | None = None,
    logging_level: int = logging.INFO,
    trust_remote_code: bool = False,
    **kwargs: Any,
) -> Any:
    """Load the model in ``model_path``, predict ``dataset`` and save the predictions in ``output_directory``.

    ``trust_remote_code`` is the opt-in of ``LudwigModel.load`` to code the model's config points at.

    Returns:
        The predictions DataFrame (one row per input row, in input order).
    """
    from ludwig.api import LudwigModel

    model = LudwigModel.load(
        model_path,
        logging_level=logging_level,
        backend=backend,
        gpus=gpus,
        gpu_memory_limit=gpu_memory_limit,
        allow_parallel_threads=allow_parallel_threads,
        callbacks=callbacks,
        trust_remote_code=trust_remote_code,
    )
    predictions, _ = model.predict(
        dataset=dataset,
        data_format=data_format,
        split=split,
        batch_size=batch_size,
        skip_save_unprocessed_output=skip_save_unprocessed_output,
        skip_save_predictions=skip_save_predictions,
        output_directory=output_directory,
    )
    return predictions


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "predict", "Predict every row of a dataset with a trained model and save the predictions."
    )
    cli_utils.add_dataset_args(parser, splits=False, required=True)
    cli_utils.add_split_arg(parser)
    cli_utils.add_model_path_arg(parser)
    cli_utils.add_output_directory_arg(parser)
    cli_utils.add_prediction_output_args(parser)
    cli_utils.add_batch_size_arg(parser)
    cli_utils.add_runtime_args(parser)
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    args = build_parser().parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("predict", level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        cli_utils.check_data_files(args)
        predict_cli(
            model_path=args.model_path,
            dataset=args.dataset,
            data_format=args.data_format,
            split=args.split,
            batch_size=args.batch_size,
            skip_save_unprocessed_output=args.skip_save_unprocessed_output,
            skip_save_predictions=args.skip_save_predictions,
            output_directory=args.output_directory,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
            **cli_utils.runtime_kwargs(args),
        )


if __name__ == "__main__":
    cli(sys.argv[1:])
