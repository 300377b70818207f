"""``ludwig export_model``, ``export_onnx``, ``export_torchscript`` and ``export_mlflow``: write a trained model for
deployment.

``export_model -f safetensors|torch_export|onnx`` (``export_onnx``: ``-f onnx``) calls ``LudwigModel.export_model``;
``export_torchscript`` calls ``LudwigModel.save_torchscript``; ``export_mlflow`` (needs ``pip install mlflow`` or
``mlflow-skinny``) saves the model folder as an MLflow model (``ludwig.mlflow_model``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from ludwig.model_export import EXPORT_FORMATS  # torch-free: the exporters are imported on use
from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)


def _load_model(model_path: str, kwargs: dict[str, Any]):
    """``LudwigModel.load`` with the ``logging_level`` and ``trust_remote_code`` of an export command's kwargs."""
    from ludwig.api import LudwigModel

    return LudwigModel.load(
        model_path,
        logging_level=kwargs.get("logging_level", logging.INFO),
        trust_remote_code=kwargs.get("trust_remote_code", False),
    )


def export_model_cli(
    model_path: str, output_path: str = "exported_model", format: str = "safetensors", **kwargs: Any
) -> None:
    """Export the model folder ``model_path`` to ``output_path`` in ``format``.

    ``kwargs`` may hold ``logging_level`` and ``trust_remote_code`` (the opt-in of ``LudwigModel.load``).
    """
    model = _load_model(model_path, kwargs)
    model.export_model(output_path, format=format)
    logger.info("Exported %s as %s to %s", model_path, format, os.path.abspath(output_path))


def export_torchscript_cli(
    model_path: str,
    output_path: str = "torchscript",
    model_only: bool = False,
    device: str | None = None,
    **kwargs: Any,
) -> None:
    """Save the model folder ``model_path`` as TorchScript (``inference_module.pt``) in ``output_path``.

    ``kwargs`` may hold ``logging_level`` and ``trust_remote_code`` (the opt-in of ``LudwigModel.load``).
    """
    model = _load_model(model_path, kwargs)
    model.save_torchscript(output_path, model_only=model_only, device=device)
    logger.info("Saved TorchScript of %s to %s", model_path, os.path.abspath(output_path))


def export_mlflow_cli(
    model_path: str, output_path: str = "mlflow", registered_model_name: str | None = None, **kwargs: Any
) -> str:
    """Save the model folder ``model_path`` as an MLflow model in ``output_path``; returns its path.

    With ``registered_model_name`` the model is also logged to the MLflow tracking server of
    ``MLFLOW_TRACKING_URI`` (MLflow's default: ``sqlite:///mlflow.db`` in the working directory) and registered
    under that name.
    """
    from ludwig import mlflow_model

    mlflow = mlflow_model.require_mlflow()
    _load_model(model_path, kwargs)  # fail early on a bad folder
    mlflow_model.save_model(model_path, output_path)
    logger.info("Saved MLflow model of %s to %s", model_path, os.path.abspath(output_path))
    if registered_model_name:
        from mlflow.exceptions import MlflowException

        tracking_uri = mlflow.get_tracking_uri()
        try:
            info = mlflow_model.log_model(model_path, registered_model_name)
        except (MlflowException, ImportError, OSError) as e:  # unknown or unreachable store, or a package missing
            reason = str(e).strip().rstrip(".")
            raise ValueError(
                f"Could not register the model as {registered_model_name!r} with the MLflow tracking URI "
                f"{tracking_uri!r}: {reason}. The MLflow model itself was saved to {output_path}. "
                "Set MLFLOW_TRACKING_URI to a reachable tracking server or to a local store such as sqlite:///mlflow.db."
            ) from None
        logger.info(
            "Registered %s as %r version %s at %s",
            model_path,
            registered_model_name,
            info.registered_model_version,
            tracking_uri,
        )
    return output_path


def _cli_export(command: str, description: str, sys_argv: Sequence[str], format: str | None = None) -> None:
    """``export_model`` (``format`` None: chosen with ``-f``) or a command fixed to one format."""
    parser = cli_utils.make_parser(command, description)
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-o", "--output_path", default="exported_model", help="folder to write the export into")
    if format is None:
        parser.add_argument("-f", "--format", default="safetensors", choices=EXPORT_FORMATS, help="export format")
    cli_utils.add_logging_arg(parser)
    args = parser.parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors(command, level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        export_model_cli(
            args.model_path,
            args.output_path,
            format or args.format,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
        )


def cli_export_model(sys_argv: Sequence[str]) -> None:
    _cli_export(
        "export_model", "Export a trained model as safetensors, a torch.export program (.pt2) or ONNX.", sys_argv
    )


def cli_export_onnx(sys_argv: Sequence[str]) -> None:
    _cli_export("export_onnx", "Export a trained model as ONNX (the same as export_model -f onnx).", sys_argv, "onnx")


def cli_export_torchscript(sys_argv: Sequence[str]) -> None:
    parser = cli_utils.make_parser(
        "export_torchscript",
        "Save a trained model as TorchScript; with preprocessing and postprocessing unless --model_only.",
    )
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-o", "--output_path", default="torchscript", help="folder to write the module into")
    parser.add_argument(
        "--model_only", action="store_true", help="export only the model core (preprocessed tensors in)"
    )
    parser.add_argument("-d", "--device", default=None, help="device to trace the model core on (default cpu)")
    cli_utils.add_logging_arg(parser)
    args = parser.parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("export_torchscript", level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        export_torchscript_cli(
            args.model_path,
            args.output_path,
            args.model_only,
            args.device,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
        )


def cli_export_mlflow(sys_argv: Sequence[str]) -> None:
    parser = cli_utils.make_parser("export_mlflow", "Save a trained model as an MLflow model (needs mlflow).")
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-o", "--output_path", default="mlflow", help="folder to write the MLflow model into")
    parser.add_argument("-rmn", "--registered_model_name", default=None, help="also register the model under this name")
    cli_utils.add_logging_arg(parser)
    args = parser.parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("export_mlflow", level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        export_mlflow_cli(
            args.model_path,
            args.output_path,
            args.registered_model_name,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
        )
