"""Training-loop overhead of ``LudwigModel.train`` against a hand-written PyTorch loop.

Both sides train the same model (same layers, same initial weights, Adam, global-norm gradient clipping,
BCE-with-logits loss) on the same preprocessed tensors, with the same batch size, epochs and per-epoch shuffle
(``randperm`` with a generator seeded ``seed + epoch``, then ``index_select``). The script prints samples/second
of each side and their ratio (ours / bare), then the import time of ``ludwig.api`` against ``torch``.

Run ``python benchmarks/train_overhead.py --help`` for the options; ``benchmarks/README.md`` explains the output.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import logging
import os
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ludwig.api import LudwigModel  # noqa: E402
from ludwig.callbacks import Callback  # noqa: E402

ADULT_DIR = ROOT.parent / "shared" / "datasets" / "adult_census"
SEED = 42
NUM_NUMBER = 10
CATEGORY_VOCABS = (8, 64, 500)
TARGET = "label"


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


def benchmark_config(
    input_features: list[dict], output_features: list[dict], batch_size: int, epochs: int, learning_rate: float
) -> dict:
    """A config where the trainer does exactly the work of the bare loop: no evaluation, fixed sizes."""
    return {
        "input_features": input_features,
        "output_features": output_features,
        "combiner": {"type": "concat", "num_fc_layers": 2, "output_size": 128},
        "trainer": {
            "batch_size": batch_size,
            "epochs": epochs,
            "learning_rate": learning_rate,
            "optimizer": {"type": "adam"},
            "gradient_clipping": {"clipglobalnorm": 0.5},
            "skip_all_evaluation": True,
            "should_shuffle": True,
        },
    }


SKIP_SAVE = {
    "skip_save_training_description": True,
    "skip_save_training_statistics": True,
    "skip_save_model": True,
    "skip_save_progress": True,
    "skip_save_log": True,
    "skip_save_processed_input": True,
}


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
    hidden = [combiner.output_size] * combiner.num_fc_layers
    bare = BareModel(inputs, hidden)
    # Same initial weights as Ludwig's run: LudwigModel.train seeds and builds the model exactly like this.
    ecd = LudwigModel.create_model(config, SEED, metadata)
    ours, theirs = list(ecd.parameters()), list(bare.parameters())
    if [p.shape for p in ours] != [p.shape for p in theirs]:
        raise SystemExit(f"Layer mismatch: ludwig {[p.shape for p in ours]} vs bare {[p.shape for p in theirs]}.")
    with torch.no_grad():
        for mine, source in zip(theirs, ours):
            mine.copy_(source)
    return bare, output.proc_column


def train_bare(
    model: nn.Module,
    tensors: dict[str, torch.Tensor],
    target: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    clip: float,
) -> float:
    """Train ``model`` in place; returns the seconds of the training loop."""
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=learning_rate, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.BCEWithLogitsLoss()
    size = len(tensors[target])
    model.train()
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(size, generator=torch.Generator().manual_seed(SEED + epoch))
        for first in range(0, size, batch_size):
            index = order[first : first + batch_size]
            batch = {k: v.index_select(0, index) for k, v in tensors.items()}
            loss = loss_fn(model(batch), batch[target].to(torch.float32))
            loss.backward()
            nn.utils.clip_grad_norm_(params, clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------------
# The Ludwig side


class LoopTimer(Callback):
    """Times the trainer loop (setup -> teardown) and optionally profiles it with cProfile."""

    def __init__(self, profile: bool = False):
        self.profiler = cProfile.Profile() if profile else None
        self.start = self.end = 0.0

    def on_trainer_train_setup(self, trainer, save_path, is_coordinator):
        self.start = time.perf_counter()
        if self.profiler is not None:
            self.profiler.enable()

    def on_trainer_train_teardown(self, trainer, progress_tracker, save_path, is_coordinator):
        if self.profiler is not None:
            self.profiler.disable()
        self.end = time.perf_counter()

    @property
    def seconds(self) -> float:
        return self.end - self.start


def train_ludwig(config: dict, df: pd.DataFrame, profile: bool = False) -> tuple[float, LoopTimer, LudwigModel, Any]:
    """``model.train`` on the raw rows; returns (end-to-end seconds, loop timer, model, results)."""
    timer = LoopTimer(profile)
    model = LudwigModel(copy.deepcopy(config), logging_level=logging.ERROR, callbacks=[timer])
    start = time.perf_counter()
    results = model.train(training_set=df, random_seed=SEED, **SKIP_SAVE)
    total = time.perf_counter() - start
    return total, timer, model, results


# ---------------------------------------------------------------------------------------------------------
# Import time


def import_seconds(statements: list[str], repeats: int) -> list[float]:
    """Median wall time of ``python -c statement`` in a fresh interpreter (startup included), for each statement.

    The statements take turns, so a burst of load on the machine hits them alike.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    times: list[list[float]] = [[] for _ in statements]
    for _ in range(repeats):
        for statement, seconds in zip(statements, times):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True, env=env, cwd=ROOT)
            seconds.append(time.perf_counter() - start)
    return [statistics.median(seconds) for seconds in times]


# ---------------------------------------------------------------------------------------------------------
# Main


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.seconds)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["synthetic", "adult"], default="synthetic")
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
    config = benchmark_config(input_features, output_features, args.batch_size, args.epochs, args.learning_rate)

    # Preprocess once; the bare loop trains on exactly these arrays.
    preprocessor = LudwigModel(copy.deepcopy(config), logging_level=logging.ERROR)
    preprocessed = preprocessor.preprocess(training_set=df, random_seed=SEED)
    columns = preprocessed.training_set.columns
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in columns.items()}
    initial_bare, target = bare_model_like(preprocessor, preprocessed.training_set_metadata)
    rows = len(preprocessed.training_set)
    samples = rows * args.epochs
    clip = preprocessor.config_obj.trainer.gradient_clipping.clipglobalnorm

    n_number = sum(f["type"] == "number" for f in input_features)
    n_category = sum(f["type"] == "category" for f in input_features)
    print(
        f"train_overhead: {data_name}, {rows} rows x {len(input_features)} inputs ({n_number} number, "
        f"{n_category} category), 1 binary output; {sum(p.numel() for p in initial_bare.parameters())} parameters"
    )
    print(
        f"batch_size {args.batch_size}, epochs {args.epochs}, learning_rate {args.learning_rate}, adam, "
        f"clipglobalnorm {clip}, torch threads {torch.get_num_threads()}, "
        f"{args.repeats} measured runs per side after 1 warm-up, interleaved"
    )

    bare_loop, ours_loop, ours_total = Timings(), Timings(), Timings()
    max_diff = None
    for run in range(args.repeats + 1):
        bare = copy.deepcopy(initial_bare)

        def run_bare(bare=bare):
            return train_bare(bare, tensors, target, args.epochs, args.batch_size, args.learning_rate, clip)

        if run % 2 == 0:
            bare_seconds = run_bare()
            total, timer, model, results = train_ludwig(config, df)
        else:
            total, timer, model, results = train_ludwig(config, df)
            bare_seconds = run_bare()
        if run == 0:
            # Same data and same work: Ludwig trained on the arrays the bare loop used, and ended at the
            # same weights.
            trained_on = results.preprocessed_data.training_set.columns
            if set(trained_on) != set(columns) or not all(np.array_equal(trained_on[k], columns[k]) for k in columns):
                raise SystemExit("Ludwig trained on different arrays than LudwigModel.preprocess returned.")
            max_diff = max(
                (a.detach() - b.detach()).abs().max().item()
                for a, b in zip(model.model.parameters(), bare.parameters())
            )
            continue
        bare_loop.seconds.append(bare_seconds)
        ours_loop.seconds.append(timer.seconds)
        ours_total.seconds.append(total)

    print()
    print(f"{'side':<34}{'median s':>10}{'samples/s':>13}{'best s':>9}   runs (s)")
    for name, timings in (
        ("bare PyTorch loop", bare_loop),
        ("ludwig trainer loop", ours_loop),
        ("ludwig model.train() end to end", ours_total),
    ):
        median = timings.median()
        runs = " ".join(f"{s:.3f}" for s in timings.seconds)
        print(f"{name:<34}{median:>10.3f}{samples / median:>13,.0f}{min(timings.seconds):>9.3f}   {runs}")
    print()
    print(f"max |weight difference| ludwig vs bare after training: {max_diff:.2e}")
    loop_ratio = bare_loop.median() / ours_loop.median()
    total_ratio = bare_loop.median() / ours_total.median()
    print(f"ratio (ludwig loop / bare loop): {loop_ratio:.2f}   (samples/s; target >= 0.80, stretch >= 0.95)")
    print(f"ratio (ludwig train() end to end / bare loop): {total_ratio:.2f}   (includes preprocessing the rows)")
    best_ratio = min(bare_loop.seconds) / min(ours_loop.seconds)
    print(f"ratio of best runs (ludwig loop / bare loop): {best_ratio:.2f}   (less sensitive to a busy machine)")

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
        print_profile(config, df, args.profile_top)
    return 0


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
