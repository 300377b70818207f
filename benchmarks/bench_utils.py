"""Pieces shared by the benchmarks: our trainer loop against a hand-written PyTorch loop, and import timing.

Both sides of a comparison train the same layers from the same initial weights on the same preprocessed tensors,
with the same batch size, epochs, optimizer (Adam), global-norm gradient clipping and per-epoch shuffle
(``randperm`` with a generator seeded ``SEED + epoch``, then ``index_select``), so their final weights match.
"""

from __future__ import annotations

import copy
import cProfile
import logging
import os
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

SEED = 42

SKIP_SAVE = {
    "skip_save_training_description": True,
    "skip_save_training_statistics": True,
    "skip_save_model": True,
    "skip_save_progress": True,
    "skip_save_log": True,
    "skip_save_processed_input": True,
}


def loop_config(
    input_features: list[dict],
    output_features: list[dict],
    combiner: dict,
    batch_size: int,
    epochs: int,
    learning_rate: float,
) -> dict:
    """A config where the trainer does exactly the work of the bare loop: no evaluation, fixed sizes."""
    return {
        "input_features": input_features,
        "output_features": output_features,
        "combiner": combiner,
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


def copy_initial_weights(bare: nn.Module, config, metadata: dict) -> None:
    """Give ``bare`` the initial weights of the ECD model ``LudwigModel.train`` builds for ``config``.

    The parameters are matched in registration order, so ``bare`` must declare its layers in the order the ECD
    model does; a shape mismatch stops the benchmark.
    """
    ecd = LudwigModel._build_model(config, SEED, metadata)  # the metadata given, not a trained model's
    ours, theirs = list(ecd.parameters()), list(bare.parameters())
    if [p.shape for p in ours] != [p.shape for p in theirs]:
        raise SystemExit(f"Layer mismatch: ludwig {[p.shape for p in ours]} vs bare {[p.shape for p in theirs]}.")
    with torch.no_grad():
        for mine, source in zip(theirs, ours):
            mine.copy_(source)


def train_bare(
    model: nn.Module,
    tensors: dict[str, torch.Tensor],
    target: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    clip: float,
) -> float:
    """Train ``model`` (batch -> one logit per row, or ``(logits, extra loss)``) in place with BCE-with-logits;
    returns the loop's seconds."""
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
            output = model(batch)
            # A model may also return a term of its own for the loss (TabNet's sparsity penalty).
            logits, extra = output if isinstance(output, tuple) else (output, 0.0)
            loss = loss_fn(logits, batch[target].to(torch.float32)) + extra
            loss.backward()
            nn.utils.clip_grad_norm_(params, clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


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


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class LoopComparison:
    """Seconds of each measured run of both sides, and how far apart their final weights ended."""

    bare_loop: Timings = field(default_factory=Timings)
    ours_loop: Timings = field(default_factory=Timings)
    ours_total: Timings = field(default_factory=Timings)
    max_weight_difference: float = 0.0


def compare_loops(
    config: dict,
    df: pd.DataFrame,
    initial_bare: nn.Module,
    tensors: dict[str, torch.Tensor],
    columns: dict[str, np.ndarray],
    target: str,
    repeats: int,
) -> LoopComparison:
    """Run both sides ``repeats + 1`` times, interleaved (the order alternates), discarding the first run of each.

    The first run also checks that Ludwig trained on exactly ``columns`` and ended at the bare loop's weights.
    """
    trainer = config["trainer"]
    clip = trainer["gradient_clipping"]["clipglobalnorm"]
    comparison = LoopComparison()
    for run in range(repeats + 1):
        bare = copy.deepcopy(initial_bare)

        def run_bare(bare=bare):
            return train_bare(
                bare, tensors, target, trainer["epochs"], trainer["batch_size"], trainer["learning_rate"], clip
            )

        if run % 2 == 0:
            bare_seconds = run_bare()
            total, timer, model, results = train_ludwig(config, df)
        else:
            total, timer, model, results = train_ludwig(config, df)
            bare_seconds = run_bare()
        if run == 0:
            trained_on = results.preprocessed_data.training_set.columns
            if set(trained_on) != set(columns) or not all(np.array_equal(trained_on[k], columns[k]) for k in columns):
                raise SystemExit("Ludwig trained on different arrays than LudwigModel.preprocess returned.")
            comparison.max_weight_difference = max(
                (a.detach() - b.detach()).abs().max().item()
                for a, b in zip(model.model.parameters(), bare.parameters())
            )
            continue
        comparison.bare_loop.seconds.append(bare_seconds)
        comparison.ours_loop.seconds.append(timer.seconds)
        comparison.ours_total.seconds.append(total)
    return comparison


def print_loop_comparison(comparison: LoopComparison, samples: int) -> None:
    """The timing table, the weight check and the ratio lines (ours / bare, in samples per second)."""
    print()
    print(f"{'side':<34}{'median s':>10}{'samples/s':>13}{'best s':>9}   runs (s)")
    for name, timings in (
        ("bare PyTorch loop", comparison.bare_loop),
        ("ludwig trainer loop", comparison.ours_loop),
        ("ludwig model.train() end to end", comparison.ours_total),
    ):
        median = timings.median()
        runs = " ".join(f"{s:.3f}" for s in timings.seconds)
        print(f"{name:<34}{median:>10.3f}{samples / median:>13,.0f}{min(timings.seconds):>9.3f}   {runs}")
    print()
    print(f"max |weight difference| ludwig vs bare after training: {comparison.max_weight_difference:.2e}")
    bare, ours, total = comparison.bare_loop, comparison.ours_loop, comparison.ours_total
    print(
        f"ratio (ludwig loop / bare loop): {bare.median() / ours.median():.2f}   "
        "(samples/s; target >= 0.80, stretch >= 0.95)"
    )
    print(
        f"ratio (ludwig train() end to end / bare loop): {bare.median() / total.median():.2f}   "
        "(includes preprocessing the rows)"
    )
    print(
        f"ratio of best runs (ludwig loop / bare loop): {min(bare.seconds) / min(ours.seconds):.2f}   "
        "(less sensitive to a busy machine)"
    )


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
