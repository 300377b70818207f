"""``ludwig forecast``: forecast the values that follow a dataset with a trained timeseries model."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)

FORECAST_FORMATS = ("parquet", "csv")


def forecast_cli(
    model_path: str,
    dataset: str | None = None,
    data_format: str | None = None,
    horizon: int = 1,
    output_directory: str | None = None,
    output_format: str = "parquet",
    callbacks: list | None = None,
    backend: str | None = None,
    logging_level: int = logging.INFO,
    **kwargs: Any,
) -> Any:
    """Load the model in ``model_path`` and forecast ``horizon`` steps past the last row of ``dataset``.

    ``kwargs`` go to ``LudwigModel.load`` (``gpus``, ..., ``trust_remote_code``).

    Returns:
        The forecast DataFrame (``horizon`` rows, one column per forecast output).
    """
    from ludwig.api import LudwigModel

    model = LudwigModel.load(model_path, logging_level=logging_level, backend=backend, callbacks=callbacks, **kwargs)
    return model.forecast(
        dataset=dataset,
        data_format=None if data_format == "auto" else data_format,
        horizon=horizon,
        output_directory=output_directory,
        output_format=output_format,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "forecast", "Forecast the values following the last row of a dataset with a trained timeseries model."
    )
    cli_utils.add_dataset_args(parser, splits=False, required=True)
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-n", "--horizon", type=int, default=1, help="number of future steps to forecast")
    cli_utils.add_output_directory_arg(parser)
    parser.add_argument(
        "-of", "--output_format", default="parquet", choices=FORECAST_FORMATS, help="file format of the forecast"
    )
    cli_utils.add_runtime_args(parser)
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(sys_argv)
    if args.horizon < 1:
        parser.error(f"argument -n/--horizon: must be >= 1, found {args.horizon}")
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("forecast", level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        forecast = forecast_cli(
            model_path=args.model_path,
            dataset=args.dataset,
            data_format=args.data_format,
            horizon=args.horizon,
            output_directory=args.output_directory,
            output_format=args.output_format,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
            **cli_utils.runtime_kwargs(args),
        )
        print(forecast.to_string())


if __name__ == "__main__":
    cli(sys.argv[1:])
