"""``ludwig check_install``: train, save, load and predict with a tiny model on synthetic data."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from ludwig.utils import cli_utils

NUM_ROWS = 200

CHECK_CONFIG: dict[str, Any] = {
    "input_features": [
        {"name": "x_number", "type": "number"},
        {"name": "x_category", "type": "category"},
    ],
    "output_features": [{"name": "y", "type": "binary"}],
    "trainer": {"epochs": 2, "batch_size": 32},
}


def synthetic_dataset(num_rows: int = NUM_ROWS, seed: int = 42) -> Any:
    """A small DataFrame where ``y`` depends on ``x_number`` and ``x_category``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    x_number = rng.normal(size=num_rows)
    x_category = rng.choice(["red", "green", "blue"], size=num_rows)
    y = (x_number + (x_category == "red") * 1.0 + rng.normal(scale=0.3, size=num_rows)) > 0.5
    return pd.DataFrame({"x_number": x_number, "x_category": x_category, "y": y})


def check_install(logging_level: int = logging.WARNING, **kwargs: Any) -> None:
    """Train a tiny model on synthetic data in a temporary folder, reload it and predict.

    Raises:
        RuntimeError: the reloaded model does not predict one row per input row.
    """
    import torch

    from ludwig.api import LudwigModel
    from ludwig.globals import LUDWIG_VERSION, MODEL_FILE_NAME

    print(f"Ludwig {LUDWIG_VERSION}, torch {torch.__version__}, Python {platform.python_version()}")
    data = synthetic_dataset()
    with tempfile.TemporaryDirectory(prefix="ludwig_check_install_") as directory:
        model = LudwigModel(CHECK_CONFIG, logging_level=logging_level)
        results = model.train(
            dataset=data,
            output_directory=directory,
            experiment_name="check_install",
            skip_save_processed_input=True,
            skip_save_log=True,
        )
        loaded = LudwigModel.load(os.path.join(results.output_directory, MODEL_FILE_NAME), logging_level=logging_level)
        predictions, _ = loaded.predict(dataset=data.head(10))
        if len(predictions) != 10:
            raise RuntimeError(f"The reloaded model predicted {len(predictions)} rows for 10 input rows.")
    print("OK: ludwig trained, saved, reloaded and predicted with a tiny model.")


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "check_install", "Train a tiny model on synthetic data in a temporary folder to check the installation."
    )
    cli_utils.add_logging_arg(parser, default="warning")
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    args = build_parser().parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    try:
        check_install(logging_level=level)
    except Exception as e:
        if level <= logging.DEBUG:
            raise
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        print("(run again with -l debug to see the traceback)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cli(sys.argv[1:])
