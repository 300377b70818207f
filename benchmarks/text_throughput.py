"""Text preprocessing and text-encoder training throughput, each against a plain baseline.

1. Tokenisation + vectorisation: the text feature's metadata (vocabulary) and id matrix for N synthetic sentences,
   against plain Python doing the same work (``str.split`` and a dict lookup per row, then a numpy matrix). Both
   build the same vocabulary and the same matrix; the script checks that they are equal.
2. Training: a text -> binary model (``embed`` encoder with a masked sum, one FC layer in the concat combiner)
   through ``LudwigModel.train`` against a hand-written PyTorch loop of the same layers on the same tensors
   (see ``bench_utils``); both end at the same weights.

Run ``python benchmarks/text_throughput.py --help`` for the options; ``benchmarks/README.md`` explains the output.
"""

from __future__ import annotations

import argparse
import copy
import logging
import statistics
import sys
import time

import numpy as np
import pandas as pd
import torch
from bench_utils import SEED, compare_loops, copy_initial_weights, loop_config, print_loop_comparison
from torch import nn

from ludwig.api import LudwigModel
from ludwig.constants import TEXT
from ludwig.features.feature_registries import base_type_registry, load_all_features
from ludwig.schema.model_config import ModelConfig

TEXT_COLUMN, TARGET = "review", "positive"
SPECIAL_SYMBOLS = ["<EOS>", "<SOS>", "<PAD>", "<UNK>"]
START, STOP, PAD, UNKNOWN = 1, 0, 2, 3


def synthetic_sentences(rows: int, vocab_size: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``rows`` sentences of 5-40 Zipf-distributed words, and a label that depends on a few of the words."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(vocab_size)])
    lengths = rng.integers(5, 41, size=rows)
    ranks = np.minimum(rng.zipf(1.3, size=int(lengths.sum())) - 1, vocab_size - 1)
    tokens = words[ranks]
    sentences = [" ".join(chunk) for chunk in np.split(tokens, np.cumsum(lengths)[:-1])]
    # Positive when the sentence holds more of the even-ranked "good" words w2, w4, w6 than of w3, w5, w7.
    score = np.zeros(rows)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for sign, good in ((1, (2, 4, 6)), (-1, (3, 5, 7))):
        hits = np.isin(ranks, good).astype(np.int64)
        score += sign * np.add.reduceat(hits, starts)
    labels = score + rng.normal(scale=0.5, size=rows) > 0
    return sentences, labels


def text_feature_config(max_sequence_length: int, most_common: int, embedding_size: int) -> dict:
    return {
        "name": TEXT_COLUMN,
        "type": TEXT,
        "preprocessing": {
            "tokenizer": "space",
            "lowercase": False,
            "max_sequence_length": max_sequence_length,
            "most_common": most_common,
        },
        "encoder": {"type": "embed", "embedding_size": embedding_size, "reduce_output": "sum"},
    }


# ---------------------------------------------------------------------------------------------------------
# 1. Tokenisation + vectorisation


def python_baseline(sentences: list[str], max_sequence_length: int, most_common: int) -> np.ndarray:
    """What a user would write by hand: split, count, build the vocabulary, then look every token up."""
    counts: dict[str, int] = {}
    token_lists = []
    for sentence in sentences:
        tokens = sentence.split()
        token_lists.append(tokens)
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    ordered = sorted(counts, key=lambda token: (-counts[token], token))[:most_common]
    str2idx = {token: i for i, token in enumerate(SPECIAL_SYMBOLS + ordered)}
    width = min(max_sequence_length, max(len(tokens) for tokens in token_lists) + 2)
    matrix = np.full((len(sentences), width), PAD, dtype=np.int32)
    for row, tokens in enumerate(token_lists):
        ids = [START] + [str2idx.get(token, UNKNOWN) for token in tokens] + [STOP]
        ids = ids[:width]
        matrix[row, : len(ids)] = ids
    return matrix


def ludwig_preprocessing(feature, sentences: pd.Series) -> np.ndarray:
    """The text feature's vocabulary from every row, then its id matrix: what training preprocessing does."""
    mixin = base_type_registry[TEXT]
    metadata = mixin.get_feature_meta(feature, sentences, True)
    return mixin.feature_data(feature, sentences, metadata)


def time_call(fn, repeats: int) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def benchmark_preprocessing(args: argparse.Namespace) -> None:
    sentences, _ = synthetic_sentences(args.rows, args.vocab_size)
    column = pd.Series(sentences, name=TEXT_COLUMN)
    config = ModelConfig.from_dict(
        {
            "input_features": [text_feature_config(args.max_sequence_length, args.most_common, 8)],
            "output_features": [{"name": TARGET, "type": "binary"}],
        }
    )
    load_all_features()
    feature = config.input_features[0]
    tokens = sum(len(s.split()) for s in sentences)
    print(
        f"text_throughput preprocessing: {args.rows:,} synthetic sentences, {tokens:,} tokens, "
        f"vocabulary {args.vocab_size:,} words, max_sequence_length {args.max_sequence_length}, "
        f"median of {args.repeats} runs each"
    )
    baseline_seconds, baseline = time_call(
        lambda: python_baseline(sentences, args.max_sequence_length, args.most_common), args.repeats
    )
    ours_seconds, ours = time_call(lambda: ludwig_preprocessing(feature, column), args.repeats)
    if not np.array_equal(baseline, ours):
        raise SystemExit("The baseline and Ludwig built different id matrices: they did not do the same work.")
    print()
    print(f"{'side':<44}{'median s':>10}{'rows/s':>13}")
    for name, seconds in (
        ("plain Python (str.split + dict per row)", baseline_seconds),
        ("ludwig text feature (vocabulary + matrix)", ours_seconds),
    ):
        median = statistics.median(seconds)
        print(f"{name:<44}{median:>10.3f}{args.rows / median:>13,.0f}")
    print("the two id matrices are identical")
    ratio = statistics.median(baseline_seconds) / statistics.median(ours_seconds)
    print(f"ratio (ludwig / plain Python): {ratio:.2f}   (rows/s; higher is better)")


# ---------------------------------------------------------------------------------------------------------
# 2. Encoder training


class BareTextModel(nn.Module):
    """Embedding, sum over the non-padding tokens, one Linear+ReLU layer, one logit."""

    def __init__(self, column: str, vocab_size: int, embedding_size: int, hidden_size: int):
        super().__init__()
        self.column = column
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.fc = nn.Sequential(nn.Linear(embedding_size, hidden_size), nn.ReLU())
        self.out = nn.Linear(hidden_size, 1)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        ids = batch[self.column].long()
        mask = (ids != PAD).unsqueeze(-1)
        summed = (self.embedding(ids) * mask).sum(dim=1)
        return self.out(self.fc(summed)).squeeze(-1)


def benchmark_training(args: argparse.Namespace) -> None:
    sentences, labels = synthetic_sentences(args.train_rows, args.vocab_size, seed=1)
    df = pd.DataFrame({TEXT_COLUMN: sentences, TARGET: labels})
    inputs = [text_feature_config(args.max_sequence_length, args.most_common, args.embedding_size)]
    outputs = [{"name": TARGET, "type": "binary"}]
    combiner = {"type": "concat", "num_fc_layers": 1, "output_size": args.hidden_size}
    config = loop_config(inputs, outputs, combiner, args.batch_size, args.epochs, args.learning_rate)

    preprocessor = LudwigModel(copy.deepcopy(config), logging_level=logging.ERROR)
    preprocessed = preprocessor.preprocess(training_set=df, random_seed=SEED)
    columns = preprocessed.training_set.columns
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in columns.items()}
    model_config = preprocessor.config_obj
    text, target = model_config.input_features[0], model_config.output_features[0]
    metadata = preprocessed.training_set_metadata
    bare = BareTextModel(text.proc_column, metadata[text.name]["vocab_size"], args.embedding_size, args.hidden_size)
    copy_initial_weights(bare, model_config, metadata)
    rows = len(preprocessed.training_set)
    width = metadata[text.name]["max_sequence_length"]
    print()
    print(
        f"text_throughput training: {rows:,} rows, text ({width} steps, vocabulary "
        f"{metadata[text.name]['vocab_size']:,}) -> embed {args.embedding_size} + sum -> FC {args.hidden_size} -> "
        f"binary; {sum(p.numel() for p in bare.parameters()):,} parameters"
    )
    print(
        f"batch_size {args.batch_size}, epochs {args.epochs}, learning_rate {args.learning_rate}, adam, "
        f"torch threads {torch.get_num_threads()}, {args.train_repeats} measured runs per side after 1 warm-up"
    )
    comparison = compare_loops(config, df, bare, tensors, columns, target.proc_column, args.train_repeats)
    print_loop_comparison(comparison, rows * args.epochs)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="sentences for the preprocessing benchmark")
    parser.add_argument("--vocab-size", type=int, default=20_000)
    parser.add_argument("--max-sequence-length", type=int, default=256)
    parser.add_argument("--most-common", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each preprocessing side")
    parser.add_argument("--train-rows", type=int, default=20_000, help="rows for the training benchmark")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=0.001)
    parser.add_argument("--embedding-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--train-repeats", type=int, default=3, help="measured training runs per side")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads for both sides")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5000 sentences, 2000 training rows")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeats, args.train_rows, args.epochs, args.train_repeats = 5000, 1, 2000, 1, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    benchmark_preprocessing(args)
    benchmark_training(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
