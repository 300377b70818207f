"""Synthetic datasets for tests and demos: ``build_synthetic_dataset`` and ``ludwig synthesize_dataset``.

Each feature is a dict with a ``name``, a ``type`` and optional generation parameters (``vocab_size``, ``max_len``,
``min``, ``max``, ``prob``, ``vector_size``, ``datetime_format``...). As in Ludwig, the parameters are read from the
feature's ``decoder`` dict, else its ``encoder`` dict (created empty when neither exists), and the vocabulary drawn
for category, set, bag, sequence and text features is stored there as ``idx2str`` / ``vocab_size``. Here a parameter
missing from that dict is also looked up at the top level of the feature.

Image and audio features write one file per row under ``outdir`` (PNG images need Pillow; WAV audio uses the
standard library) and put the file's path in the row.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ludwig.constants import (
    AUDIO,
    BAG,
    BINARY,
    CATEGORY,
    CATEGORY_DISTRIBUTION,
    DATE,
    DECODER,
    ENCODER,
    H3,
    IMAGE,
    INPUT_FEATURES,
    NAME,
    NUMBER,
    OUTPUT_FEATURES,
    PREPROCESSING,
    SEQUENCE,
    SET,
    TEXT,
    TIMESERIES,
    TYPE,
    VECTOR,
)

letters = string.ascii_letters

#: strptime format -> the ``str.format`` template the generator fills (y, Y, m, d, H, M, S).
DATETIME_FORMATS: dict[str, str] = {}
for _order in ("mdY", "mdy", "dmY", "dmy", "ymd", "Ymd", "ydm", "Ydm"):
    for _sep in ("-", "/"):
        _date = _sep.join(f"%{c}" for c in _order)
        _template = _sep.join("{Y:04d}" if c == "Y" else f"{{{c}:02d}}" for c in _order)
        DATETIME_FORMATS[_date] = _template
        DATETIME_FORMATS[f"{_date} %H:%M:%S"] = f"{_template} {{H:02d}}:{{M:02d}}:{{S:02d}}"
del _order, _sep, _date, _template

DEFAULT_FEATURES_YAML = (
    "[{name: text_1, type: text, vocab_size: 20, max_len: 20}, {name: text_2, type: text, vocab_size: 20, max_len: 20},"
    " {name: category_1, type: category, vocab_size: 10}, {name: category_2, type: category, vocab_size: 15},"
    " {name: number_1, type: number}, {name: number_2, type: number},"
    " {name: binary_1, type: binary}, {name: binary_2, type: binary},"
    " {name: set_1, type: set, vocab_size: 20, max_len: 20}, {name: set_2, type: set, vocab_size: 20, max_len: 20},"
    " {name: bag_1, type: bag, vocab_size: 20, max_len: 10}, {name: bag_2, type: bag, vocab_size: 20, max_len: 10},"
    " {name: sequence_1, type: sequence, vocab_size: 20, max_len: 20},"
    " {name: sequence_2, type: sequence, vocab_size: 20, max_len: 20},"
    " {name: timeseries_1, type: timeseries, max_len: 20}, {name: timeseries_2, type: timeseries, max_len: 20},"
    " {name: date_1, type: date}, {name: date_2, type: date}, {name: h3_1, type: h3}, {name: h3_2, type: h3},"
    " {name: vector_1, type: vector}, {name: vector_2, type: vector}]"
)


def _params(feature: dict) -> dict:
    """The feature's decoder dict, else its encoder dict (created empty when it has neither)."""
    if DECODER in feature:
        return feature[DECODER]
    if ENCODER not in feature:
        feature[ENCODER] = {}
    return feature[ENCODER]


def _get(feature: dict, key: str, default: Any) -> Any:
    params = _params(feature)
    if key in params:
        return params[key]
    return feature.get(key, default)


def _preprocessing_or_feature(feature: dict, key: str, default: Any) -> Any:
    preprocessing = feature.get(PREPROCESSING)
    if isinstance(preprocessing, dict) and key in preprocessing:
        return preprocessing[key]
    return _get(feature, key, default)


def generate_string(length: int) -> str:
    """A random string of ASCII letters.

    Args:
        length: The number of letters.

    Returns:
        The string.
    """
    return "".join(random.choice(letters) for _ in range(length))


def build_vocab(size: int) -> list[str]:
    """``size`` distinct random words of 2 to 10 letters.

    Args:
        size: The number of words.

    Returns:
        The words.
    """
    vocab: list[str] = []
    seen: set[str] = set()
    while len(vocab) < size:
        word = generate_string(random.randint(2, 10))
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    return vocab


def return_none(feature: dict) -> None:
    """The parameter builder of types that need no vocabulary."""
    return None


def assign_vocab(feature: dict) -> None:
    """Draw a vocabulary of ``vocab_size`` words (10 by default) into the feature's ``idx2str``.

    Args:
        feature: The feature dict (changed in place).
    """
    params = _params(feature)
    params["idx2str"] = build_vocab(_get(feature, "vocab_size", 10))
    params["vocab_size"] = len(params["idx2str"])


parameters_builders_registry: dict[str, Callable[[dict], None]] = {
    CATEGORY: assign_vocab,
    TEXT: assign_vocab,
    NUMBER: return_none,
    BINARY: return_none,
    SET: assign_vocab,
    BAG: assign_vocab,
    SEQUENCE: assign_vocab,
    TIMESERIES: return_none,
    IMAGE: return_none,
    AUDIO: return_none,
    DATE: return_none,
    H3: return_none,
    VECTOR: return_none,
    CATEGORY_DISTRIBUTION: return_none,
}


def _lookup(registry: dict[str, Any], feature: dict) -> Any:
    feature_type = feature.get(TYPE)
    if feature_type not in registry:
        raise ValueError(
            f"Feature {feature.get(NAME)!r} has type {feature_type!r}, which cannot be synthesized; "
            f"supported types: {', '.join(sorted(registry))}"
        )
    return registry[feature_type]


def build_feature_parameters(features: list[dict]) -> dict[str, Any]:
    """Run each feature's parameter builder (vocabularies for the token types).

    Args:
        features: The feature dicts (changed in place).

    Returns:
        Feature name -> what its builder returned (None).
    """
    return {feature[NAME]: _lookup(parameters_builders_registry, feature)(feature) for feature in features}


def build_synthetic_dataset(dataset_size: int, features: list[dict], outdir: str | None = None) -> Iterator[list]:
    """Generate a synthetic dataset row by row: the header first, then ``dataset_size`` rows.

    Args:
        dataset_size: The number of data rows.
        features: One dict per feature with ``name``, ``type`` and optional generation parameters, e.g.
            ``{name: text_1, type: text, vocab_size: 20, max_len: 20}``. The dicts get their drawn vocabulary
            (see the module docstring).
        outdir: Where image and audio files are written (the system temporary directory by default).

    Yields:
        The list of feature names, then one list of values per row.

    Raises:
        ValueError: When a feature's type cannot be synthesized.
    """
    if outdir is None:
        outdir = tempfile.gettempdir()
    build_feature_parameters(features)
    yield [feature[NAME] for feature in features]
    for _ in range(dataset_size):
        yield generate_datapoint(features=features, outdir=outdir)


def build_synthetic_dataset_df(dataset_size: int, config: dict) -> Any:
    """A synthetic pandas DataFrame for the input and output features of a model config.

    Args:
        dataset_size: The number of rows.
        config: A config dict with ``input_features`` and ``output_features`` (output features get an empty
            ``decoder`` dict when they have none, and the drawn vocabularies are stored in the config).

    Returns:
        The DataFrame, one column per feature.
    """
    import pandas as pd

    for feature in config[OUTPUT_FEATURES]:
        feature.setdefault(DECODER, {})
    rows = list(build_synthetic_dataset(dataset_size, config[INPUT_FEATURES] + config[OUTPUT_FEATURES]))
    return pd.DataFrame(rows[1:], columns=rows[0])


def generate_datapoint(features: list[dict], outdir: str) -> list:
    """One synthetic row: a value per feature (``cycle: true`` category/binary features cycle their values).

    Args:
        features: The feature dicts, after :func:`build_feature_parameters`.
        outdir: Where image and audio files are written.

    Returns:
        The row's values, in feature order.
    """
    row = []
    for feature in features:
        if feature.get("cycle") is True and feature[TYPE] in cyclers_registry:
            row.append(cyclers_registry[feature[TYPE]](feature))
        else:
            row.append(_lookup(generators_registry, feature)(feature=feature, outdir=outdir))
    return row


def generate_category(feature: dict, outdir: str | None = None) -> str:
    """A random word of the feature's vocabulary."""
    return random.choice(_params(feature)["idx2str"])


def generate_number(feature: dict, outdir: str | None = None) -> float:
    """A uniform random number between the feature's ``min`` (0) and ``max`` (1)."""
    return random.uniform(feature.get("min", 0), feature.get("max", 1))


def generate_binary(feature: dict, outdir: str | None = None) -> Any:
    """True with probability ``prob`` (0.5); with ``bool2str`` the matching string of that pair instead."""
    choices = feature.get("bool2str", [False, True])
    return choices[1] if random.random() < feature.get("prob", 0.5) else choices[0]


def generate_sequence(feature: dict, outdir: str | None = None) -> str:
    """``max_len`` (10) words of the vocabulary joined by spaces; with ``min_len`` the length varies."""
    length = _get(feature, "max_len", 10)
    min_len = _get(feature, "min_len", None)
    if min_len is not None:
        length = random.randint(min_len, length)
    vocab = _params(feature)["idx2str"]
    return " ".join(random.choice(vocab) for _ in range(length))


def generate_set(feature: dict, outdir: str | None = None) -> str:
    """Up to ``max_len`` (3) distinct words of the vocabulary joined by spaces."""
    vocab = _params(feature)["idx2str"]
    picked = {random.choice(vocab) for _ in range(random.randint(0, _get(feature, "max_len", 3)))}
    return " ".join(sorted(picked))


def generate_bag(feature: dict, outdir: str | None = None) -> str:
    """Up to ``max_len`` (3) words of the vocabulary, repeats allowed, joined by spaces."""
    vocab = _params(feature)["idx2str"]
    return " ".join(random.choice(vocab) for _ in range(random.randint(0, _get(feature, "max_len", 3))))


def generate_text(feature: dict, outdir: str | None = None) -> str:
    """80% to 100% of ``max_len`` (10) words of the vocabulary joined by spaces."""
    length = _get(feature, "max_len", 10)
    vocab = _params(feature)["idx2str"]
    return " ".join(random.choice(vocab) for _ in range(random.randint(length - int(length * 0.2), length)))


def generate_timeseries(feature: dict, max_len: int = 10, outdir: str | None = None) -> str:
    """``max_len - 2`` to ``max_len`` uniform numbers in [``min``, ``max``] (0, 1) joined by spaces."""
    max_len = _get(feature, "max_len", max_len)
    low, high = _get(feature, "min", 0), _get(feature, "max", 1)
    return " ".join(str(random.uniform(low, high)) for _ in range(random.randint(max(max_len - 2, 1), max_len)))


def _destination(feature: dict, outdir: str | None) -> str:
    folder = feature.get("destination_folder", outdir) or tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    return folder


def generate_audio(feature: dict, outdir: str | None = None) -> str:
    """Write a random 16 kHz mono 16-bit WAV file and return its path.

    Its length is ``audio_file_length_limit_in_s`` from the feature's preprocessing (2 s) or the feature (1 s).
    """
    import math
    import wave

    preprocessing = feature.get(PREPROCESSING)
    if isinstance(preprocessing, dict):
        seconds = preprocessing.get("audio_file_length_limit_in_s", 2)
    else:
        seconds = feature.get("audio_file_length_limit_in_s", 1)
    rate = 16000
    samples = bytearray()
    for i in range(int(seconds * rate)):
        value = math.sin(i / 100 * 2 * math.pi) * 2 * (random.random() - 0.5)
        samples += int(max(-1.0, min(1.0, value)) * 32767).to_bytes(2, "little", signed=True)
    path = os.path.join(_destination(feature, outdir), uuid.uuid4().hex[:10].upper() + ".wav")
    try:
        with wave.open(path, "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(rate)
            f.writeframes(bytes(samples))
    except OSError as e:
        raise OSError(f"Unable to save audio to disk: {e}") from e
    return path


def generate_image(feature: dict, outdir: str | None = None, save_as_numpy: bool = False) -> str:
    """Write a random image and return its path: a PNG (needs Pillow) or, with ``save_as_numpy``, a ``.npy`` array.

    Height, width and channels come from the feature's preprocessing, else its encoder (28, 28, 1). The array is
    ``(channels, width, height)`` uint8, as Ludwig writes it.
    """
    import numpy as np

    save_as_numpy = feature.get("save_as_numpy", save_as_numpy)
    source = feature[PREPROCESSING] if isinstance(feature.get(PREPROCESSING), dict) else _params(feature)
    height, width = source.get("height", 28), source.get("width", 28)
    num_channels = source.get("num_channels", 1)
    if width <= 0 or height <= 0 or num_channels < 1:
        raise ValueError("Invalid arguments for generating images")
    pixels = np.random.randint(0, 255, size=(num_channels, width, height), dtype=np.uint8)
    path = os.path.join(_destination(feature, outdir), uuid.uuid4().hex[:10].upper() + ".png")
    try:
        if save_as_numpy:
            with open(path, "wb") as f:
                np.save(f, pixels)
            return path
        try:
            from PIL import Image
        except ImportError as e:
            raise ImportError(
                "Synthesizing image features as PNG needs Pillow, which is not installed: pip install pillow "
                "(or set save_as_numpy: true on the feature)"
            ) from e
        # PNG rows are the array's last-but-one axis: (C, W, H) -> (W, H, C), as torchvision's write_png reads it.
        image = pixels.transpose(1, 2, 0)
        Image.fromarray(image[:, :, 0] if num_channels == 1 else image).save(path, format="PNG")
    except OSError as e:
        raise OSError(f"Unable to save images to disk: {e}") from e
    return path


def generate_datetime(feature: dict, outdir: str | None = None) -> str:
    """A random date time written in the feature's ``datetime_format`` (top level or preprocessing).

    Without one the first format, ``%m-%d-%Y``, is used.
    """
    fmt = feature.get("datetime_format")
    if fmt is None and isinstance(feature.get(PREPROCESSING), dict):
        fmt = feature[PREPROCESSING].get("datetime_format")
    if fmt is None:
        fmt = next(iter(DATETIME_FORMATS))
    if fmt not in DATETIME_FORMATS:
        raise ValueError(f"Unsupported datetime_format {fmt!r}; supported: {', '.join(DATETIME_FORMATS)}")
    return DATETIME_FORMATS[fmt].format(
        y=random.randint(1, 99),
        Y=random.randint(1, 9999),
        m=random.randint(1, 12),
        d=random.randint(1, 28),
        H=random.randint(1, 12),
        M=random.randint(1, 59),
        S=random.randint(1, 59),
    )


def components_to_h3(components: dict) -> int:
    """Pack H3 fields (``mode``, ``edge``, ``resolution``, ``base_cell``, ``cells``) into a 64-bit H3 index.

    Digits past the resolution are set to 7, as H3 stores them.

    Args:
        components: The fields; ``cells`` lists one digit per resolution.

    Returns:
        The H3 index.
    """
    index = (components["mode"] << 59) | (components["edge"] << 56)
    index |= (components["resolution"] << 52) | (components["base_cell"] << 45)
    cells = list(components["cells"])
    for position in range(15):
        digit = cells[position] if position < len(cells) else 7
        index |= digit << (3 * (14 - position))
    return index


def generate_h3(feature: dict, outdir: str | None = None) -> int:
    """A random valid H3 cell index (mode 1, resolution 0..15, base cell 0..121, digits 0..6)."""
    resolution = random.randint(0, 15)
    return components_to_h3(
        {
            "mode": 1,
            "edge": 0,
            "resolution": resolution,
            "base_cell": random.randint(0, 121),
            "cells": [random.randint(0, 6) for _ in range(resolution)],
        }
    )


def generate_vector(feature: dict, outdir: str | None = None) -> str:
    """``vector_size`` (10) random numbers in [0, 100) joined by spaces."""
    size = _preprocessing_or_feature(feature, "vector_size", 10)
    return " ".join(str(100 * random.random()) for _ in range(size))


def generate_category_distribution(feature: dict, outdir: str | None = None) -> str:
    """Random probabilities summing to 1, one per word of ``preprocessing.vocab`` (3 by default), space joined."""
    preprocessing = feature.get(PREPROCESSING) or {}
    weights = [random.random() for _ in preprocessing.get("vocab", ["a", "b", "c"])]
    total = sum(weights) or 1.0
    return " ".join(str(w / total) for w in weights)


generators_registry: dict[str, Callable[..., Any]] = {
    BINARY: generate_binary,
    NUMBER: generate_number,
    CATEGORY: generate_category,
    SET: generate_set,
    BAG: generate_bag,
    SEQUENCE: generate_sequence,
    TEXT: generate_text,
    TIMESERIES: generate_timeseries,
    IMAGE: generate_image,
    AUDIO: generate_audio,
    H3: generate_h3,
    DATE: generate_datetime,
    VECTOR: generate_vector,
    CATEGORY_DISTRIBUTION: generate_category_distribution,
}

category_cycle = 0
binary_cycle = False


def cycle_category(feature: dict) -> str:
    """The next word of the feature's vocabulary, cycling (shared across features, as in Ludwig)."""
    global category_cycle
    vocab = _params(feature)["idx2str"]
    if category_cycle >= len(vocab):
        category_cycle = 0
    value = vocab[category_cycle]
    category_cycle += 1
    return value


def cycle_binary(feature: dict) -> bool:
    """False, True, False, True... (shared across features, as in Ludwig)."""
    global binary_cycle
    binary_cycle = not binary_cycle
    return not binary_cycle


cyclers_registry: dict[str, Callable[[dict], Any]] = {CATEGORY: cycle_category, BINARY: cycle_binary}


def cli_synthesize_dataset(dataset_size: int, features: list[dict], output_path: str, **kwargs: Any) -> None:
    """Write a synthetic dataset to a CSV file.

    Args:
        dataset_size: The number of rows.
        features: The feature dicts (see :func:`build_synthetic_dataset`).
        output_path: The CSV file to write.
        **kwargs: Ignored (other command line arguments).

    Raises:
        ValueError: When a parameter is missing.
    """
    if dataset_size is None or features is None or output_path is None:
        raise ValueError("Missing one or more required parameters: '--dataset_size', '--features' or '--output_path'")
    from ludwig.utils.data_utils import save_csv

    directory = os.path.dirname(os.path.abspath(output_path))
    os.makedirs(directory, exist_ok=True)
    save_csv(output_path, build_synthetic_dataset(dataset_size, features, outdir=directory))


def _yaml_features(text: str) -> list[dict]:
    import yaml

    try:
        features = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise argparse.ArgumentTypeError(f"not valid YAML: {e}") from e
    if not isinstance(features, list) or not all(isinstance(f, dict) and NAME in f and TYPE in f for f in features):
        raise argparse.ArgumentTypeError("expected a YAML list of features, each a mapping with a name and a type")
    return features


def cli(sys_argv: list[str]) -> None:
    """``ludwig synthesize_dataset``: write a synthetic CSV dataset.

    Args:
        sys_argv: The command line arguments after the command name.
    """
    parser = argparse.ArgumentParser(
        description="This script generates a synthetic dataset.",
        prog="ludwig synthesize_dataset",
        usage="%(prog)s [options]",
    )
    parser.add_argument("-od", "--output_path", type=str, help="output CSV file path")
    parser.add_argument("-d", "--dataset_size", help="size of the dataset", type=int, default=100)
    parser.add_argument(
        "-f",
        "--features",
        default=DEFAULT_FEATURES_YAML,
        type=_yaml_features,
        help="list of features to generate in YAML format. Provide a list containing one dictionary for each "
        "feature, each dictionary must include a name, a type and can include some generation parameters "
        "depending on the type",
    )
    args = parser.parse_args(sys_argv)
    if args.output_path is None:
        parser.error("the following arguments are required: -od/--output_path")
    if isinstance(args.features, str):  # the default is parsed by argparse only when it is a string; keep sure
        args.features = _yaml_features(args.features)
    cli_synthesize_dataset(**vars(args))
    print(f"Wrote {args.dataset_size} rows to {args.output_path}", file=sys.stderr)


if __name__ == "__main__":
    cli(sys.argv[1:])
