"""Load test of `ludwig serve` on loopback: 1, 8 and 32 concurrent clients x M requests to /predict for the Titanic
model.

Starts `ludwig serve` as a child process on a free 127.0.0.1 port and, for each client count in turn, sends
single-record form requests from that many threads (each with its own keep-alive connection), checks every answer
(status 200, the prediction columns, and the values against an in-process `model.predict` for the rows they were
computed for) and measures p50/p99 latency, throughput and the error count. It also times `LudwigModel.predict` on
one record in-process (the model time, without HTTP), the figure the design targets at under 5 ms. The figures are
printed as one table, with each run's throughput as a ratio of the single-client run's.

Usage:
    python benchmarks/serve_load.py                       # trains examples/titanic (its config), 1/8/32 clients x 200
    python benchmarks/serve_load.py --model_path results/experiment_run/model --clients 16 --duration 30
    python benchmarks/serve_load.py --clients 1,32 --requests 157   # 32 x 157 = 5,024 requests in the 32-client run
    python benchmarks/serve_load.py --quick               # smoke run: 1 epoch, 1, 2 and 32 clients x 20 requests
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "titanic"
MODEL_TARGET_MS = 5.0


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, nearest-rank."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def train_example(folder: Path, epochs: int | None) -> Path:
    """Train the Titanic example with its shipped config; returns the model folder."""
    import yaml

    from ludwig.api import LudwigModel

    config = yaml.safe_load((EXAMPLE / "config.yaml").read_text())
    if epochs is not None:
        config.setdefault("trainer", {})["epochs"] = epochs
    model = LudwigModel(config, logging_level=logging.ERROR)
    model.train(
        dataset=str(EXAMPLE / "titanic.csv"),
        output_directory=str(folder / "results"),
        skip_save_processed_input=True,
        skip_save_log=True,
        skip_save_progress=True,
    )
    model.save(str(folder / "model"))
    return folder / "model"


def load_records(model, num_records: int) -> tuple[list[dict[str, str]], list[float]]:
    """Form fields of the first Titanic rows (missing values as empty fields) and their in-process probability."""
    import pandas as pd

    columns = [feature.column for feature in model.config_obj.input_features]
    frame = pd.read_csv(EXAMPLE / "titanic.csv")[columns].head(num_records)
    records = [
        {column: "" if pd.isna(value) else str(value) for column, value in row.items()} for _, row in frame.iterrows()
    ]
    # The server parses the form strings; predict the same parsed values here.
    parsed = pd.DataFrame(records).replace("", None)
    for feature in model.config_obj.input_features:
        if feature.type == "number":
            parsed[feature.column] = parsed[feature.column].astype(float)
    predictions, _ = model.predict(parsed)
    output = model.config_obj.output_features[0].name
    return records, predictions[f"{output}_probability"].astype(float).tolist()


def model_only_ms(model, record: dict[str, str], repeats: int) -> list[float]:
    """Milliseconds of ``model.predict`` on one record, ``repeats`` times after a warm-up."""
    import pandas as pd

    frame = pd.DataFrame([record]).replace("", None)
    for feature in model.config_obj.input_features:
        if feature.type == "number":
            frame[feature.column] = frame[feature.column].astype(float)
    for _ in range(5):
        model.predict(frame)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(frame)
        times.append((time.perf_counter() - start) * 1000)
    return times


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model_path: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "ludwig", "serve", "-m", str(model_path), "-H", "127.0.0.1", "-p", str(port)]
    return subprocess.Popen(
        [*command, "-l", "warning"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def wait_until_up(process: subprocess.Popen, url: str, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            out, err = process.communicate()
            raise SystemExit(f"ludwig serve exited with {process.returncode}:\n{out}\n{err}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("ludwig serve did not start in time")
        time.sleep(0.1)


class LoadResult:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.errors: list[str] = []
        self.sent = 0
        self.lock = threading.Lock()


def run_clients(
    url: str,
    records: list[dict[str, str]],
    expected: list[float],
    output: str,
    clients: int,
    requests: int,
    duration: float | None,
) -> tuple[LoadResult, float]:
    """Send the requests; returns the result and the wall seconds of the whole load."""
    import httpx

    result = LoadResult()
    start_event = threading.Event()

    def client(worker: int) -> None:
        latencies, errors = [], []
        with httpx.Client(base_url=url, timeout=30) as http:
            http.get("/")  # open the keep-alive connection before the clock starts
            start_event.wait()
            end = time.monotonic() + duration if duration else None
            sent = 0
            while (end is None and sent < requests) or (end is not None and time.monotonic() < end):
                i = (worker * 7919 + sent) % len(records)
                sent += 1
                began = time.perf_counter()
                try:
                    response = http.post("/predict", data=records[i])
                except httpx.HTTPError as e:
                    errors.append(f"record {i}: {type(e).__name__}: {e}")
                    continue
                latencies.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    errors.append(f"record {i}: HTTP {response.status_code}: {response.text[:200]}")
                    continue
                probability = response.json().get(f"{output}_probability")
                if probability is None or abs(probability - expected[i]) > 1e-5:
                    errors.append(f"record {i}: probability {probability} != {expected[i]}")
        with result.lock:
            result.latencies_ms.extend(latencies)
            result.errors.extend(errors)
            result.sent += sent

    threads = [threading.Thread(target=client, args=(worker,)) for worker in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # every client connected
    began = time.perf_counter()
    start_event.set()
    for thread in threads:
        thread.join()
    return result, time.perf_counter() - began


def client_counts(text: str) -> list[int]:
    """``"1,8,32"`` -> ``[1, 8, 32]`` (the ``--clients`` flag)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected client counts like 1,8,32, found {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected positive client counts like 1,8,32, found {text!r}")
    return counts


def print_table(model_ms: list[float], threads: int, runs: list[tuple[int, LoadResult, float]]) -> None:
    """The figures of every run as one table; ``req/s x`` is a run's throughput over the single-client run's (the
    first run's when there was no single-client run)."""
    header = f"{'run':<34} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s x':>8}"
    print(header)
    print("-" * len(header))
    label = f"model.predict in-process ({threads} thr.)"
    model_rate = 1000 / statistics.mean(model_ms)
    model_p50, model_p99 = statistics.median(model_ms), percentile(model_ms, 99)
    print(f"{label:<34} {len(model_ms):>8} {0:>6} {model_rate:>8.1f} {model_p50:>8.2f} {model_p99:>8.2f}")
    rates = [len(result.latencies_ms) / seconds if seconds else 0.0 for _, result, seconds in runs]
    baseline = next((rate for (clients, _, _), rate in zip(runs, rates) if clients == 1), rates[0] if rates else 0)
    for (clients, result, _), rate in zip(runs, rates):
        latencies = result.latencies_ms or [math.nan]
        ratio = f"{rate / baseline:.2f}x" if baseline else "-"
        label = f"HTTP /predict, {clients} client{'s' if clients > 1 else ''}"
        print(
            f"{label:<34} {result.sent:>8} {len(result.errors):>6} {rate:>8.1f} {percentile(latencies, 50):>8.2f} "
            f"{percentile(latencies, 99):>8.2f} {ratio:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model_path", help="a trained Titanic model folder (default: train the example)")
    parser.add_argument(
        "--clients", type=client_counts, default=[1, 8, 32], help="concurrent clients of each run (default: 1,8,32)"
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per client")
    parser.add_argument("--duration", type=float, help="seconds of load per run instead of a number of requests")
    parser.add_argument("--epochs", type=int, help="epochs when training the example (default: its config)")
    parser.add_argument("--model-repeats", type=int, default=300, help="in-process single-record predicts timed")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the in-process model timing")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 epoch, 1, 2 and 32 clients x 20 requests")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.requests, args.duration, args.model_repeats = [1, 2, 32], 20, None, 30
        args.epochs = 1 if args.epochs is None else args.epochs

    import torch

    from ludwig.api import LudwigModel

    torch.set_num_threads(args.threads)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.model_path:
            model_path = Path(args.model_path)
        else:
            began = time.perf_counter()
            model_path = train_example(Path(tmp), args.epochs)
            print(f"trained examples/titanic in {time.perf_counter() - began:.1f} s")
        model = LudwigModel.load(str(model_path), logging_level=logging.ERROR)
        output = model.config_obj.output_features[0].name
        records, expected = load_records(model, 200)
        model_ms = model_only_ms(model, records[0], args.model_repeats)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = start_server(model_path, port)
        try:
            wait_until_up(process, url)
            load = f"{args.duration:.0f} s" if args.duration else f"{args.requests} requests each"
            for clients in args.clients:
                print(f"load: {clients} clients x {load} against POST {url}/predict", flush=True)
                result, seconds = run_clients(url, records, expected, output, clients, args.requests, args.duration)
                runs.append((clients, result, seconds))
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
    print()
    print_table(model_ms, args.threads, runs)
    errors = [error for _, result, _ in runs for error in result.errors]
    for error in errors[:5]:
        print(f"  {error}")
    print(f"server exit code after SIGINT: {process.returncode}")
    model_p50 = statistics.median(model_ms)
    verdict = "met" if not errors and model_p50 < MODEL_TARGET_MS else "NOT met"
    print(f"target (0 errors, model-only p50 < {MODEL_TARGET_MS:.0f} ms): {verdict}")


if __name__ == "__main__":
    main()
