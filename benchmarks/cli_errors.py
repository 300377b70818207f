"""How fast a command with a bad config fails, against ``ludwig --help``.

A config error must be printed before torch loads, in about the time ``ludwig --help`` takes (target: at most
3x). For each command the script writes an input that the command refuses (a config with a misspelled key, a
model folder whose saved config is invalid, a dataset path that does not exist), runs the command and
``ludwig --help`` alternately in fresh interpreters, checks each bad run exited 1 with the expected message, and
prints the medians and their ratio.

    python benchmarks/cli_errors.py              # 7 runs of each command
    python benchmarks/cli_errors.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0

BAD_CONFIG = """
input_features:
  - name: age
    type: number
    encoder: {type: dense, num_layers: 1e308}
output_features:
  - name: survived
    type: binary
trainer:
  epochs: 2
  learning_rat: 0.1
"""


def _write_inputs(folder: Path) -> dict[str, list[str]]:
    """The bad command lines, by label, with their files written into ``folder``."""
    config = folder / "bad.yaml"
    config.write_text(BAD_CONFIG)
    data = folder / "data.csv"
    data.write_text("age,survived\n20,0\n30,1\n")
    model = folder / "model"
    model.mkdir()
    (model / "model_hyperparameters.json").write_text(
        json.dumps({"input_features": [{"name": "age", "type": "numbr"}], "output_features": []})
    )
    out = str(folder / "results")
    return {
        "train": ["train", "-c", str(config), "--dataset", str(data), "-od", out],
        "experiment": ["experiment", "-c", str(config), "--dataset", str(data), "-od", out],
        "hyperopt": ["hyperopt", "-c", str(config), "--dataset", str(data), "-od", out],
        "render_config": ["render_config", "-c", str(config)],
        "predict (bad model folder)": ["predict", "--model_path", str(model), "--dataset", str(data), "-od", out],
        "evaluate (missing dataset)": ["evaluate", "--model_path", str(model), "--dataset", "missing.csv"],
    }


# As on an installed package, modules load from their cached bytecode (the warm-up runs write it): a session
# with PYTHONDONTWRITEBYTECODE set would otherwise compile every module from source on every run.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(argv: list[str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ludwig.cli", *argv], cwd=cwd, env=_ENV, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - start, done.returncode, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs of each command (after one warm-up run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        commands = _write_inputs(folder)
        env_note = f"{os.cpu_count()} cores, python {sys.version.split()[0]}"
        print(f"cli_errors: {args.repeats} runs of each command after a warm-up, alternating with ludwig --help")
        print(f"({env_note})\n")
        _run(["--help"], folder)
        help_times: list[float] = []
        rows = []
        for label, argv in commands.items():
            _run(argv, folder)
            times = []
            for _ in range(args.repeats):
                help_times.append(_run(["--help"], folder)[0])
                seconds, code, stderr = _run(argv, folder)
                if code != 1 or "error:" not in stderr:
                    raise SystemExit(f"{label}: expected exit 1 with an error message, got {code}:\n{stderr}")
                times.append(seconds)
            rows.append((label, statistics.median(times), stderr.strip().splitlines()[0]))
        help_median = statistics.median(help_times)
        print(f"{'command':<30}{'median s':>10}{'/ --help':>10}   first line of the error")
        print(f"{'ludwig --help':<30}{help_median:>10.3f}{1.0:>10.2f}")
        worst = 0.0
        for label, median, first_line in rows:
            ratio = median / help_median
            worst = max(worst, ratio)
            print(f"{label:<30}{median:>10.3f}{ratio:>10.2f}   {first_line[:70]}")
        verdict = "met" if worst <= TARGET_RATIO else "NOT met"
        print(f"\nworst ratio (bad input / ludwig --help): {worst:.2f}  (target <= {TARGET_RATIO:.0f}: {verdict})")


if __name__ == "__main__":
    main()
