"""The command line every Ludwig server shares: its flags, the check for the server packages, and ``run_cli``.

Cheap to import (argparse and ``ludwig.utils.cli_utils`` only), so ``ludwig serve --help`` answers instantly.
"""

import argparse
import sys
from collections.abc import Callable, Sequence

from ludwig.serving.bodies import DEFAULT_MAX_PAYLOAD_BYTES
from ludwig.serving.predictor import DEFAULT_PREDICTION_TIMEOUT_S
from ludwig.utils import cli_utils

DEFAULT_DESCRIPTION = "Serve a trained model over HTTP (REST endpoints /predict, /batch_predict)."


def build_parser(command: str = "serve", description: str = "") -> argparse.ArgumentParser:
    """The parser of ``ludwig serve`` (and of the other servers, which take the same flags)."""
    parser = cli_utils.make_parser(command, description or DEFAULT_DESCRIPTION)
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-p", "--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("-H", "--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument("-ao", "--allowed_origins", nargs="*", default=None, help="origins allowed by CORS (e.g. '*')")
    parser.add_argument(
        "-t",
        "--prediction_timeout",
        type=float,
        default=DEFAULT_PREDICTION_TIMEOUT_S,
        help="seconds a prediction may take before the request answers 504",
    )
    parser.add_argument(
        "--max_payload_mb",
        type=float,
        default=DEFAULT_MAX_PAYLOAD_BYTES / (1024 * 1024),
        help="largest request body accepted, in MiB (larger ones answer 413)",
    )
    cli_utils.add_logging_arg(parser)
    return parser


def require_server_packages(command: str = "serve") -> None:
    """Exit with status 1 and the install command when fastapi or uvicorn is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        print(f"ludwig {command}: error: {e}. Install the server extra: pip install 'ludwig[serve]'", file=sys.stderr)
        sys.exit(1)


def run_cli(
    sys_argv: Sequence[str],
    run_server: Callable[..., None],
    command: str = "serve",
    description: str = "",
    prog: str | None = None,
) -> None:
    """Parse the server flags in ``sys_argv`` and call ``run_server(model_path, host=..., port=..., ...)`` with them.

    Args:
        sys_argv: the arguments after the command name.
        run_server: the server's ``run_server``, taking the model path and the keywords ``host``, ``port``,
            ``allowed_origins``, ``prediction_timeout``, ``max_payload_bytes``, ``logging_level`` and
            ``trust_remote_code`` (the opt-in of ``LudwigModel.load``).
        command: the command named in usage and error messages (``ludwig <command>: error: ...``).
        description: the description of ``--help`` (``DEFAULT_DESCRIPTION`` when empty).
        prog: the program name of ``--help`` when it is not ``ludwig <command>``.

    Missing server packages and user errors exit with status 1 and a one-line error.
    """
    parser = build_parser(command, description)
    if prog is not None:
        parser.prog = prog
    args = parser.parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors(command, level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        require_server_packages(command)
        run_server(
            args.model_path,
            host=args.host,
            port=args.port,
            allowed_origins=args.allowed_origins,
            prediction_timeout=args.prediction_timeout,
            max_payload_bytes=int(args.max_payload_mb * 1024 * 1024),
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
        )
