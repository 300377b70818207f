"""End-to-end cost of `ludwig experiment` on the bundled Titanic example: wall time, peak memory, CLI startup.

Ludwig itself is not installed here, so its figures are the reference measurements quoted in the project brief
(same machine class): about 18 s to import `ludwig.api`, 35-60 s for `ludwig experiment` on a 1k-row table and
1.2 GB peak memory. Ratios below are ours / that reference.

Usage: python benchmarks/end_to_end.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "titanic"
LUDWIG_EXPERIMENT_SECONDS = (35.0, 60.0)
LUDWIG_PEAK_MB = 1200.0


def run_child(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak_kb, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ludwig = [sys.executable, "-m", "ludwig"]
    help_times, experiment_times, peaks = [], [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            shutil.copy(EXAMPLE / "config.yaml", work)
            shutil.copy(EXAMPLE / "titanic.csv", work)
            help_times.append(run_child([*ludwig, "--help"], work)[0])
            seconds, peak = run_child(
                [*ludwig, "experiment", "--config", "config.yaml", "--dataset", "titanic.csv"], work
            )
            experiment_times.append(seconds)
            peaks.append(peak)
    experiment = statistics.median(experiment_times)
    peak = max(peaks)
    low, high = LUDWIG_EXPERIMENT_SECONDS
    print(f"ludwig --help: median {statistics.median(help_times):.2f} s")
    print(f"ludwig experiment (titanic, 891 rows): median {experiment:.1f} s over {args.repeats} runs")
    print(
        f"ratio (ours / Ludwig 0.17 experiment time): {experiment / high:.2f}-{experiment / low:.2f}   (target <= 0.25)"
    )
    print(f"peak memory: {peak:.0f} MB; ratio (ours / Ludwig 0.17 peak): {peak / LUDWIG_PEAK_MB:.2f}   (target < 0.50)")


if __name__ == "__main__":
    main()
