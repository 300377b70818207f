"""``ludwig preprocess``: preprocess a dataset once and cache the result for later training runs."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)


def preprocess_cli(
    preprocessing_config: dict | str,
    dataset: str | None = None,
    training_set: str | None = None,
    validation_set: str | None = None,
    test_set: str | None = None,
    training_set_metadata: str | None = None,
    data_format: str | None = None,
    random_seed: int = 42,
    gpus: list[int] | None = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
    callbacks: list | None = None,
    backend: str | None = None,
    logging_level: int = logging.INFO,
    **kwargs: Any,
) -> Any:
    """Preprocess the data as ``preprocessing_config`` says and write the cache next to the input files.

    Args:
        preprocessing_config: a full config (dict or YAML path); its features and ``preprocessing`` section decide
            how the data is preprocessed.

    Returns:
        ``PreprocessedDataset(training_set, validation_set, test_set, training_set_metadata)``.
    """
    from ludwig.api import LudwigModel

    if isinstance(preprocessing_config, str):
        preprocessing_config = cli_utils.load_yaml_file(preprocessing_config, "preprocessing config")
    model = LudwigModel(
        preprocessing_config,
        logging_level=logging_level,
        backend=backend,
        gpus=gpus,
        gpu_memory_limit=gpu_memory_limit,
        allow_parallel_threads=allow_parallel_threads,
        callbacks=callbacks,
    )
    preprocessed = model.preprocess(
        dataset=dataset,
        training_set=training_set,
        validation_set=validation_set,
        test_set=test_set,
        training_set_metadata=training_set_metadata,
        data_format=data_format,
        skip_save_processed_input=False,
        random_seed=random_seed,
    )
    splits = (
        ("training", preprocessed.training_set),
        ("validation", preprocessed.validation_set),
        ("test", preprocessed.test_set),
    )
    logger.info("Preprocessed rows: %s", ", ".join(f"{name} {len(data)}" for name, data in splits if data is not None))
    return preprocessed


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "preprocess",
        "Preprocess a dataset and cache the preprocessed data and its metadata next to the input file, "
        "so later train/experiment runs on the same data skip preprocessing.",
    )
    cli_utils.add_dataset_args(parser)
    group = parser.add_argument_group("preprocessing config")
    exclusive = group.add_mutually_exclusive_group(required=True)
    exclusive.add_argument(
        "-pc",
        "--preprocessing_config",
        help="path of the YAML config (features and preprocessing section) deciding how the data is preprocessed",
    )
    exclusive.add_argument(
        "-pcs", "--preprocessing_config_str", help="the preprocessing config as a YAML or JSON string"
    )
    cli_utils.add_random_seed_arg(parser)
    cli_utils.add_runtime_args(parser)
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(sys_argv)
    cli_utils.check_dataset_given(parser, args)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("preprocess", level):
        preprocess_cli(
            preprocessing_config=cli_utils.load_config(
                args.preprocessing_config, args.preprocessing_config_str, "preprocessing config"
            ),
            random_seed=args.random_seed,
            logging_level=level,
            **cli_utils.args_named(args, cli_utils.DATA_ARGS),
            **cli_utils.runtime_kwargs(args),
        )


if __name__ == "__main__":
    cli(sys.argv[1:])
