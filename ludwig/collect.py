"""``ludwig collect_weights``, ``collect_activations`` and ``collect_summary``: look inside a trained model.

``collect_summary`` lists the layer and weight names that ``collect_activations`` (``-lyr``) and
``collect_weights`` (``-t``) take.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ludwig.utils import cli_utils

logger = logging.getLogger(__name__)


def _load_model(model_path: str, logging_level: int, **runtime: Any):
    from ludwig.api import LudwigModel

    return LudwigModel.load(model_path, logging_level=logging_level, **runtime)


def save_arrays(named_arrays: Iterable[tuple[str, Any]], output_directory: str) -> list[str]:
    """Save each ``(name, array or tensor)`` as ``<output_directory>/<safe name>.npy``; returns the paths."""
    import numpy as np

    os.makedirs(output_directory, exist_ok=True)
    paths: list[str] = []
    used: set[str] = set()
    for name, value in named_arrays:
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        stem = cli_utils.safe_filename(name)
        unique, suffix = stem, 1
        while unique in used:
            unique, suffix = f"{stem}_{suffix}", suffix + 1
        used.add(unique)
        path = os.path.join(output_directory, f"{unique}.npy")
        np.save(path, np.asarray(value))
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------------------
# collect_weights


def collect_weights_cli(
    model_path: str,
    tensors: list[str],
    output_directory: str = "results",
    allow_parallel_threads: bool = True,
    logging_level: int = logging.INFO,
    trust_remote_code: bool = False,
    **kwargs: Any,
) -> list[str]:
    """Save the named weight tensors of the model in ``model_path`` as one ``.npy`` file each.

    ``trust_remote_code`` is the opt-in of ``LudwigModel.load`` to code the model's config points at.

    Returns:
        The paths of the saved files, in the order of ``tensors``.
    """
    model = _load_model(
        model_path,
        logging_level,
        allow_parallel_threads=allow_parallel_threads,
        trust_remote_code=trust_remote_code,
    )
    paths = save_arrays(model.collect_weights(tensors), output_directory)
    logger.info("Saved %d tensor(s) to %s", len(paths), os.path.abspath(output_directory))
    return paths


collect_weights = collect_weights_cli


def cli_collect_weights(sys_argv: Sequence[str]) -> None:
    parser = cli_utils.make_parser(
        "collect_weights",
        "Save named weight tensors of a trained model as .npy files (see collect_summary for the names).",
    )
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-t", "--tensors", nargs="+", required=True, help="names of the tensors to collect")
    cli_utils.add_output_directory_arg(parser)
    parser.add_argument(
        "-dpt",
        "--disable_parallel_threads",
        action="store_false",
        dest="allow_parallel_threads",
        help="disable multithreading in torch",
    )
    cli_utils.add_logging_arg(parser)
    args = parser.parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("collect_weights", level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        collect_weights_cli(
            args.model_path,
            args.tensors,
            output_directory=args.output_directory,
            allow_parallel_threads=args.allow_parallel_threads,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
        )


# ---------------------------------------------------------------------------------------------------------
# collect_activations


def collect_activations_cli(
    model_path: str,
    layers: list[str],
    dataset: str,
    data_format: str | None = None,
    split: str = "full",
    batch_size: int = 128,
    output_directory: str = "results",
    gpus: list[int] | None = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
    callbacks: list | None = None,
    backend: str | None = None,
    logging_level: int = logging.INFO,
    trust_remote_code: bool = False,
    **kwargs: Any,
) -> list[str]:
    """Run ``dataset`` through the model in ``model_path`` and save the outputs of ``layers``, one ``.npy`` each.

    ``trust_remote_code`` is the opt-in of ``LudwigModel.load`` to code the model's config points at.

    Returns:
        The paths of the saved files, in the order of ``layers``.
    """
    model = _load_model(
        model_path,
        logging_level,
        gpus=gpus,
        gpu_memory_limit=gpu_memory_limit,
        allow_parallel_threads=allow_parallel_threads,
        callbacks=callbacks,
        backend=backend,
        trust_remote_code=trust_remote_code,
    )
    activations = model.collect_activations(
        layers, dataset, data_format=data_format, split=split, batch_size=batch_size
    )
    paths = save_arrays(activations, output_directory)
    logger.info("Saved %d activation array(s) to %s", len(paths), os.path.abspath(output_directory))
    return paths


collect_activations = collect_activations_cli


def cli_collect_activations(sys_argv: Sequence[str]) -> None:
    parser = cli_utils.make_parser(
        "collect_activations",
        "Run a dataset through a trained model and save the outputs of named layers as .npy files "
        "(see collect_summary for the names).",
    )
    cli_utils.add_dataset_args(parser, splits=False, required=True)
    cli_utils.add_split_arg(parser)
    cli_utils.add_model_path_arg(parser)
    parser.add_argument("-lyr", "--layers", nargs="+", required=True, help="names of the layers to collect")
    cli_utils.add_output_directory_arg(parser)
    cli_utils.add_batch_size_arg(parser)
    cli_utils.add_runtime_args(parser)
    cli_utils.add_logging_arg(parser)
    args = parser.parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("collect_activations", level):
        cli_utils.check_model_folder(args.model_path, args.trust_remote_code)
        collect_activations_cli(
            args.model_path,
            args.layers,
            args.dataset,
            data_format=args.data_format,
            split=args.split,
            batch_size=args.batch_size,
            output_directory=args.output_directory,
            logging_level=level,
            trust_remote_code=args.trust_remote_code,
            **cli_utils.runtime_kwargs(args),
        )


# ---------------------------------------------------------------------------------------------------------
# collect_summary


def model_summary(module: Any) -> str:
    """The layers (``named_modules``) and weights (``named_parameters``) of a torch module, as tables."""
    from tabulate import tabulate

    layers = [[name, type(child).__name__] for name, child in module.named_modules() if name]
    parameters = []
    total = trainable = 0
    for name, parameter in module.named_parameters():
        count = parameter.numel()
        total += count
        trainable += count if parameter.requires_grad else 0
        parameters.append([name, "x".join(str(s) for s in parameter.shape) or "scalar", count])
    return "\n".join(
        [
            "Layers (names for collect_activations -lyr):",
            tabulate(layers, headers=["name", "type"], tablefmt="simple"),
            "",
            "Weights (names for collect_weights -t):",
            tabulate(parameters, headers=["name", "shape", "size"], tablefmt="simple"),
            "",
            f"Total parameters: {total:,} ({trainable:,} trainable)",
        ]
    )


def print_model_summary(
    model_path: str | None = None,
    pretrained_model: str | None = None,
    logging_level: int = logging.INFO,
    trust_remote_code: bool = False,
    **kwargs: Any,
) -> None:
    """Print the layer and weight names of the model in ``model_path`` or of a Hugging Face ``pretrained_model``.

    ``trust_remote_code`` lets the model folder's config, or the pretrained model, run its own modelling code.
    """
    if model_path is not None:
        model = _load_model(model_path, logging_level, trust_remote_code=trust_remote_code)
        print(model_summary(model.model))
        return
    if pretrained_model is None:
        raise cli_utils.CLIError("Pass the model to summarize: -m/--model_path or -pm/--pretrained_model.")
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise cli_utils.CLIError(
            "Summarizing a pretrained model needs the optional 'transformers' package: pip install 'ludwig[text]'."
        ) from None
    from ludwig.utils.hf_utils import load_pretrained_model

    print(model_summary(load_pretrained_model(pretrained_model, trust_remote_code=trust_remote_code)))


def cli_collect_summary(sys_argv: Sequence[str]) -> None:
    parser = cli_utils.make_parser(
        "collect_summary",
        "Print the names of the layers and weights of a trained model, to use with collect_activations "
        "and collect_weights.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("-m", "--model_path", help="path of the trained model folder (results/.../model)")
    source.add_argument(
        "-pm", "--pretrained_model", help="name of a Hugging Face pretrained model (needs transformers)"
    )
    cli_utils.add_trust_remote_code_arg(parser)
    cli_utils.add_logging_arg(parser)
    args = parser.parse_args(sys_argv)
    level = cli_utils.setup_logging(args.logging_level)
    with cli_utils.handle_errors("collect_summary", level):
        print_model_summary(
            args.model_path, args.pretrained_model, logging_level=level, trust_remote_code=args.trust_remote_code
        )


if __name__ == "__main__":
    commands = {
        "collect_weights": cli_collect_weights,
        "collect_activations": cli_collect_activations,
        "collect_summary": cli_collect_summary,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python -m ludwig.collect {{{','.join(commands)}}} [<args>]")
    commands[sys.argv[1]](sys.argv[2:])
