"""``ludwig render_config``: print a config with every default filled in (what a model would be trained with)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)


def render_config(config: dict | str, output: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Upgrade and validate ``config``, fill every default and write it as YAML to ``output`` (stdout if None).

    Raises:
        ConfigValidationError: listing every problem of the config with its path.

    Returns:
        The rendered config.
    """
    import yaml

    from ludwig.schema.model_config import ModelConfig

    if isinstance(config, str):
        config = cli_utils.load_yaml_file(config)
    rendered = ModelConfig.from_dict(config).to_dict()
    text = yaml.safe_dump(rendered, sort_keys=False, default_flow_style=False)
    if output is None:
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        logger.info("Saved the rendered config to %s", output)
    return rendered


def build_parser() -> argparse.ArgumentParser:
    parser = cli_utils.make_parser(
        "render_config",
        "Validate a config and print it with every default filled in, as YAML.",
    )
    cli_utils.add_config_args(parser, required=True)
    parser.add_argument("-o", "--output", help="file to write the rendered config to (default: print it)")
    cli_utils.add_logging_arg(parser)
    return parser


def cli(sys_argv: Sequence[str]) -> None:
    args = build_parser().parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("render_config", level):
        render_config(cli_utils.load_config(args.config, args.config_str), output=args.output)


if __name__ == "__main__":
    cli(sys.argv[1:])
