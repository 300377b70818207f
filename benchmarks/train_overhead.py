"""Training-loop overhead of ``LudwigModel.train`` against a hand-written PyTorch loop, per combiner.

Both sides train the same model (same layers, same initial weights, Adam, global-norm gradient clipping,
BCE-with-logits loss) on the same preprocessed tensors, with the same batch size, epochs and per-epoch shuffle
(``randperm`` with a generator seeded ``seed + epoch``, then ``index_select``). The script prints samples/second
of each side and their ratio (ours / bare), then the import time of ``ludwig.api`` against ``torch``.

Cases (``--combiners``): ``concat`` with two FC layers, where the bare side is a model written by hand;
``ft_transformer`` (Ludwig 0.17's default combiner) and ``tabnet``, where the bare side calls the very modules
Ludwig built (a fresh copy with the same initial weights) from a hand-written loop, so the ratio is the cost of
our trainer around the same math.

Run ``python benchmarks/train_overhead.py --help`` for the options; ``benchmarks/README.md`` explains the output.
"""

from __future__ import annotations

import argparse
import copy
import io
import logging
import pstats
import sys
from typing import Any

import numpy as np
import pandas as pd
import torch
from bench_utils import (
    ROOT,
    SEED,
    compare_loops,
    copy_initial_weights,
    import_seconds,
    loop_config,
    print_loop_comparison,
    train_ludwig,
)
from torch import nn

from ludwig.api import LudwigModel
from ludwig.models.ecd import COMBINER_LOSS, COMBINER_OUTPUTS

ADULT_DIR = ROOT.parent / "shared" / "datasets" / "adult_census"
NUM_NUMBER = 10
CATEGORY_VOCABS = (8, 64, 500)
TARGET = "label"
COMBINERS = {
    "concat": {"type": "concat", "num_fc_layers": 2, "output_size": 128},
    "ft_transformer": {"type": "ft_transformer"},
    "tabnet": {"type": "tabnet"},
}


# ---------------------------------------------------------------------------------------------------------
# Data and config


def synthetic_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` rows of 10 normal numbers and 3 categories (vocabularies 8, 64, 500) and a learnable label."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {f"num_{i}": rng.normal(size=rows) for i in range(NUM_NUMBER)}
    logit = sum(data[f"num_{i}"] * (0.5 - 0.1 * i) for i in range(NUM_NUMBER))
    for j, vocab in enumerate(CATEGORY_VOCABS):
        codes = rng.integers(0, vocab, size=rows)
        data[f"cat_{j}"] = np.char.add(f"c{j}_", codes.astype(str))
        logit = logit + np.sin(codes)
    data[TARGET] = np.where(logit + rng.normal(scale=0.5, size=rows) > 0, "yes", "no")
    return pd.DataFrame(data)


def synthetic_features() -> tuple[list[dict], list[dict]]:
    inputs = [{"name": f"num_{i}", "type": "number"} for i in range(NUM_NUMBER)]
    inputs += [{"name": f"cat_{j}", "type": "category"} for j in range(len(CATEGORY_VOCABS))]
    return inputs, [{"name": TARGET, "type": "binary"}]


def adult_frame_and_features() -> tuple[pd.DataFrame, list[dict], list[dict]]:
    import yaml

    csv, config_path = ADULT_DIR / "adult_census.csv", ADULT_DIR / "config.yaml"
    if not csv.exists():
        raise SystemExit(f"--dataset adult needs {csv}; it is missing.")
    with open(config_path) as f:
        config = yaml.safe_load(f)
    return pd.read_csv(csv), config["input_features"], config["output_features"]


# ---------------------------------------------------------------------------------------------------------
# The bare PyTorch side


class BareModel(nn.Module):
    """What a user would write by hand: embeddings per category, numbers as is, concat, FC stack, logit.

    Args:
        inputs: ``(kind, column, vocab_size, embedding_size)`` per input feature, in config order; ``kind`` is
            ``"number"`` or ``"category"``.
        hidden_sizes: output size of each fully connected layer (ReLU after each).
    """

    def __init__(self, inputs: list[tuple[str, str, int, int]], hidden_sizes: list[int]):
        super().__init__()
        self.inputs = [(kind, column) for kind, column, _, _ in inputs]
        self.embeddings = nn.ModuleDict(
            {column: nn.Embedding(vocab, size) for kind, column, vocab, size in inputs if kind == "category"}
        )
        size = sum(1 if kind == "number" else emb for kind, _, _, emb in inputs)
        layers: list[nn.Module] = []
        for hidden in hidden_sizes:
            layers += [nn.Linear(size, hidden), nn.ReLU()]
            size = hidden
        self.fc = nn.Sequential(*layers)
        self.out = nn.Linear(size, 1)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = [
            batch[column].unsqueeze(-1) if kind == "number" else self.embeddings[column](batch[column])
            for kind, column in self.inputs
        ]
        return self.out(self.fc(torch.cat(parts, dim=-1))).squeeze(-1)


class SameModules(nn.Module):
    """The ECD model Ludwig builds, called directly: batch -> (the output feature's logits, the combiner's own loss
    term while training, e.g. TabNet's sparsity penalty; 0 when it has none)."""

    def __init__(self, ecd: nn.Module, output_name: str):
        super().__init__()
        self.ecd = ecd
        self.output_name = output_name

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | float]:
        outputs = self.ecd(batch)
        extra = outputs[COMBINER_OUTPUTS][COMBINER_LOSS] if COMBINER_OUTPUTS in outputs else 0.0
        return outputs[self.output_name]["logits"], extra


def same_modules_like(ludwig_model: LudwigModel, metadata: dict) -> tuple[SameModules, str]:
    """A fresh copy of the ECD model ``LudwigModel.train`` builds (same seed, same initial weights)."""
    config = ludwig_model.config_obj
    (output,) = config.output_features
    return SameModules(LudwigModel._build_model(config, SEED, metadata), output.name), output.proc_column


def bare_model_like(ludwig_model: LudwigModel, metadata: dict) -> tuple[BareModel, str]:
    """A :class:`BareModel` with the layers and the initial weights of the ECD model Ludwig builds."""
    config = ludwig_model.config_obj
    inputs = []
    for feature in config.input_features:
        if feature.type == "number" and feature.encoder.type == "passthrough":
            inputs.append(("number", feature.proc_column, 0, 1))
        elif feature.type == "category" and feature.encoder.type == "dense" and not feature.encoder.dropout:
            vocab = metadata[feature.name]["vocab_size"]
            inputs.append(("category", feature.proc_column, vocab, min(feature.encoder.embedding_size, vocab)))
        else:
            raise SystemExit(
                f"The bare model mirrors number/passthrough and category/dense inputs, not {feature.type}."
            )
    (output,) = config.output_features
    if output.type != "binary" or output.decoder.num_fc_layers or output.decoder.fc_layers:
        raise SystemExit("The bare model mirrors a single binary output without decoder FC layers.")
    combiner = config.combiner
    if combiner.fc_layers or combiner.norm or combiner.dropout or combiner.activation != "relu" or combiner.residual:
        raise SystemExit("The bare model mirrors a concat combiner of plain Linear+ReLU layers.")
    bare = BareModel(inputs, [combiner.output_size] * combiner.num_fc_layers)
    copy_initial_weights(bare, config, metadata)
    return bare, output.proc_column


# ---------------------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["synthetic", "adult"], default="synthetic")
    parser.add_argument(
        "--combiners", nargs="+", choices=list(COMBINERS), default=list(COMBINERS), help="cases to run, in order"
    )
    parser.add_argument("--rows", type=int, default=50_000, help="rows of synthetic data")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=0.001)
    parser.add_argument("--repeats", type=int, default=5, help="measured runs per side (after one warm-up)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads for both sides (1 by default: steadier on a shared machine, and this model "
        "is too small to gain from more)",
    )
    parser.add_argument("--import-repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run: 4000 rows, 1 epoch, 1 measured run")
    parser.add_argument("--profile", action="store_true", help="cProfile one more trainer loop; print the top")
    parser.add_argument("--profile-top", type=int, default=30)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.epochs, args.repeats, args.import_repeats = 4000, 1, 1, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)

    if args.dataset == "adult":
        df, input_features, output_features = adult_frame_and_features()
        data_name = "adult_census"
    else:
        df = synthetic_frame(args.rows)
        input_features, output_features = synthetic_features()
        data_name = "synthetic"
    for name in args.combiners:
        run_case(name, df, input_features, output_features, data_name, args)

    torch_import, ludwig_import, startup = import_seconds(
        ["import torch", "import ludwig.api", "pass"], args.import_repeats
    )
    print()
    print(
        f"import time (fresh interpreter, median of {args.import_repeats}): torch {torch_import:.2f} s, "
        f"ludwig.api {ludwig_import:.2f} s, bare interpreter {startup:.2f} s"
    )
    print(f"ratio (import ludwig.api / import torch): {ludwig_import / torch_import:.2f}   (target <= 1.30)")
    net = (ludwig_import - startup) / max(torch_import - startup, 1e-9)
    print(f"ratio net of interpreter startup: {net:.2f}")

    if args.profile:
        config = loop_config(
            input_features, output_features, COMBINERS[args.combiners[0]], args.batch_size, 1, args.learning_rate
        )
        print_profile(config, df, args.profile_top)
    return 0


def run_case(
    name: str,
    df: pd.DataFrame,
    input_features: list[dict],
    output_features: list[dict],
    data_name: str,
    args: argparse.Namespace,
) -> None:
    """Time our trainer against the bare loop on one combiner and print the comparison."""
    config = loop_config(
        input_features, output_features, COMBINERS[name], args.batch_size, args.epochs, args.learning_rate
    )
    # Preprocess once; the bare loop trains on exactly these arrays.
    preprocessor = LudwigModel(copy.deepcopy(config), logging_level=logging.ERROR)
    preprocessed = preprocessor.preprocess(training_set=df, random_seed=SEED)
    columns = preprocessed.training_set.columns
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in columns.items()}
    like = bare_model_like if name == "concat" else same_modules_like
    initial_bare, target = like(preprocessor, preprocessed.training_set_metadata)
    rows = len(preprocessed.training_set)
    clip = preprocessor.config_obj.trainer.gradient_clipping.clipglobalnorm
    n_number = sum(f["type"] == "number" for f in input_features)
    n_category = sum(f["type"] == "category" for f in input_features)
    print(
        f"\n== combiner {name} ==\ntrain_overhead: {data_name}, {rows} rows x {len(input_features)} inputs "
        f"({n_number} number, {n_category} category), 1 binary output; "
        f"{sum(p.numel() for p in initial_bare.parameters())} parameters"
    )
    print(
        f"batch_size {args.batch_size}, epochs {args.epochs}, learning_rate {args.learning_rate}, adam, "
        f"clipglobalnorm {clip}, torch threads {torch.get_num_threads()}, "
        f"{args.repeats} measured runs per side after 1 warm-up, interleaved"
    )
    comparison = compare_loops(config, df, initial_bare, tensors, columns, target, args.repeats)
    print_loop_comparison(comparison, rows * args.epochs)


def print_profile(config: dict, df: pd.DataFrame, top: int) -> None:
    """cProfile one trainer loop (setup -> teardown only) and print the heaviest functions."""
    _, timer, _, _ = train_ludwig(config, df, profile=True)
    for sort in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(timer.profiler, stream=out).sort_stats(sort).print_stats(top)
        print(f"\n==== cProfile of one ludwig trainer loop ({timer.seconds:.3f} s under the profiler), by {sort} ====")
        print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
