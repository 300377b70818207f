"""The benchmarks run end to end and print their ratio lines (the values are not checked)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_quick(script: str) -> str:
    """The standard output of ``benchmarks/<script> --quick``, which must succeed."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_train_overhead_quick_prints_ratios():
    out = run_quick("train_overhead.py")
    number = r"\d+\.\d+"
    for label in (
        r"ratio \(ludwig loop / bare loop\)",
        r"ratio \(ludwig train\(\) end to end / bare loop\)",
        r"ratio \(import ludwig\.api / import torch\)",
    ):
        assert re.search(rf"^{label}: {number}", out, re.MULTILINE), f"missing {label!r} in:\n{out}"
    for side in ("bare PyTorch loop", "ludwig trainer loop", "ludwig model.train() end to end"):
        assert re.search(rf"^{re.escape(side)}\s+{number}\s+[\d,]+", out, re.MULTILINE), f"missing {side!r} row"
    # Both sides did the same work: they end at the same weights.
    diff = re.search(r"max \|weight difference\| ludwig vs bare after training: (\S+)", out)
    assert diff is not None and float(diff.group(1)) < 1e-4, out


def test_text_throughput_quick_prints_ratios():
    out = run_quick("text_throughput.py")
    assert "the two id matrices are identical" in out, out
    for label in (r"ratio \(ludwig / plain Python\)", r"ratio \(ludwig loop / bare loop\)"):
        assert re.search(rf"^{label}: \d+\.\d+", out, re.MULTILINE), f"missing {label!r} in:\n{out}"
    diff = re.search(r"max \|weight difference\| ludwig vs bare after training: (\S+)", out)
    assert diff is not None and float(diff.group(1)) < 1e-4, out


def test_serve_load_quick_prints_latency_and_no_errors():
    out = run_quick("serve_load.py")
    figures = r"\s+\d+\s+0\s+\d+\.\d+\s+\d+\.\d+\s+\d+\.\d+"  # requests, 0 errors, req/s, p50, p99
    assert re.search(rf"^model.predict in-process \(1 thr\.\){figures}$", out, re.MULTILINE), out
    for clients in ("1 client", "2 clients", "32 clients"):
        row = rf"^HTTP /predict, {clients}{figures}\s+\d+\.\d+x$"
        assert re.search(row, out, re.MULTILINE), f"no error-free row for {clients} in:\n{out}"
    assert "server exit code after SIGINT: 0" in out, out


def test_torchscript_inference_quick_agrees_with_predict_and_prints_ratios():
    out = run_quick("torchscript_inference.py")
    assert "same predictions: True" in out, out
    for label in (r"ratio \(TorchScript / predict\), one record", r"ratio \(TorchScript / predict\), \d+ rows"):
        assert re.search(rf"^{label}: \d+\.\d+", out, re.MULTILINE), f"missing {label!r} in:\n{out}"
