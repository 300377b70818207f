"""The scripted inference pipeline (``save_torchscript``) against ``LudwigModel.predict`` on the Titanic model.

Both sides start from raw values: the scripted module takes the CSV's strings, ``predict`` the same rows as a
DataFrame. It prints the median latency of one record and the throughput on a batch of rows for each side, their
ratios, and checks that the two give the same predictions and probabilities.

Usage:
    python benchmarks/torchscript_inference.py            # trains examples/titanic (its config), 200 repeats
    python benchmarks/torchscript_inference.py --model_path results/experiment_run/model
    python benchmarks/torchscript_inference.py --quick    # smoke run: 1 epoch, 20 repeats
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_load import EXAMPLE, train_example  # noqa: E402


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of ``run()`` over ``repeats`` calls, after five warm-up calls."""
    for _ in range(5):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model_path", type=Path, help="a trained model folder (default: train examples/titanic)")
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per measurement")
    parser.add_argument("--batch", type=int, default=800, help="rows of the batch measurement")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: a single serving worker)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch, 20 repeats")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.batch = 20, 200

    import torch

    from ludwig.api import LudwigModel

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        model_path = args.model_path or train_example(Path(tmp), 1 if args.quick else None)
        model = LudwigModel.load(str(model_path))
        model.save_torchscript(str(Path(tmp) / "torchscript"))
        module = torch.jit.load(str(Path(tmp) / "torchscript" / "inference_module.pt"))

    columns = [feature.column for feature in model.config_obj.input_features]
    frame = pd.read_csv(EXAMPLE / "titanic.csv")[columns]
    frame = pd.concat([frame] * (args.batch // len(frame) + 1), ignore_index=True).head(args.batch)
    raw = {c: ["" if pd.isna(v) else str(v) for v in frame[c]] for c in columns}
    output = model.config_obj.output_features[0].name

    scripted = module(raw)[output]
    expected = model.predict(frame)[0]
    same_labels = list(np.asarray(scripted["predictions"])) == list(expected[f"{output}_predictions"])
    gap = float(np.abs(scripted["probability"].numpy() - expected[f"{output}_probability"].to_numpy()).max())
    print(f"{len(frame)} rows: same predictions: {same_labels}; max |probability difference|: {gap:.2e}")

    one_raw = {c: values[:1] for c, values in raw.items()}
    one_frame = frame.head(1)
    rows = [
        ("one record, TorchScript", median_ms(lambda: module(one_raw), args.repeats)),
        ("one record, predict", median_ms(lambda: model.predict(one_frame), args.repeats)),
        (f"{len(frame)} rows, TorchScript", median_ms(lambda: module(raw), max(3, args.repeats // 20))),
        (f"{len(frame)} rows, predict", median_ms(lambda: model.predict(frame), max(3, args.repeats // 20))),
    ]
    print(f"{'measurement':<28}{'median ms':>12}")
    for name, ms in rows:
        print(f"{name:<28}{ms:>12.3f}")
    print(f"ratio (TorchScript / predict), one record: {rows[0][1] / rows[1][1]:.3f}")
    print(f"ratio (TorchScript / predict), {len(frame)} rows: {rows[2][1] / rows[3][1]:.3f}")
    if not same_labels or gap > 1e-5:
        raise SystemExit("the scripted pipeline and predict disagree")


if __name__ == "__main__":
    main()
