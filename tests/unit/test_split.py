"""Tests of the split configs (ludwig.schema.split) and splitters (ludwig.data.split)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from marshmallow import ValidationError

from ludwig.data.split import SPLIT_NAMES, split_dataset, splitter_registry
from ludwig.error import ConfigValidationError, InputDataError
from ludwig.schema.split import (
    DateTimeSplitConfig,
    FixedSplitConfig,
    HashSplitConfig,
    RandomSplitConfig,
    SplitField,
    StratifySplitConfig,
    split_config_registry,
)
from ludwig.schema.utils import BaseConfig, flatten_errors

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class PreprocessingSection(BaseConfig):
    """A section holding only the split, as the global preprocessing config does."""

    split: BaseConfig = SplitField()


def sizes(splits: np.ndarray) -> list[int]:
    return np.bincount(splits, minlength=3).tolist()


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n)})


# ---------------------------------------------------------------------------------------------------------
# Schema.


def test_split_names():
    assert SPLIT_NAMES == ("training", "validation", "test")


def test_registries_have_the_same_types():
    assert sorted(split_config_registry) == ["datetime", "fixed", "hash", "random", "stratify"]
    assert sorted(splitter_registry) == sorted(split_config_registry)


def test_default_split_is_random():
    section = PreprocessingSection.from_dict({})
    assert isinstance(section.split, RandomSplitConfig)
    assert section.to_dict() == {"split": {"type": "random", "probabilities": [0.7, 0.1, 0.2]}}


def test_defaults_of_each_type():
    assert FixedSplitConfig.from_dict({}).to_dict() == {"type": "fixed", "column": "split"}
    assert StratifySplitConfig.from_dict({}).to_dict() == {
        "type": "stratify",
        "column": None,
        "probabilities": [0.7, 0.1, 0.2],
    }
    assert DateTimeSplitConfig.from_dict({}).to_dict() == {
        "type": "datetime",
        "column": None,
        "probabilities": [0.7, 0.1, 0.2],
        "datetime_format": None,
    }
    assert HashSplitConfig.from_dict({"column": "id"}).column == "id"


def test_default_probabilities_are_not_shared():
    first = RandomSplitConfig.from_dict({})
    first.probabilities[0] = 0.0
    assert RandomSplitConfig.from_dict({}).probabilities == [0.7, 0.1, 0.2]


def test_section_selects_class_by_type():
    section = PreprocessingSection.from_dict({"split": {"type": "datetime", "column": "d", "datetime_format": "%Y"}})
    assert isinstance(section.split, DateTimeSplitConfig)
    assert section.split.datetime_format == "%Y"
    assert isinstance(PreprocessingSection.from_dict({"split": "fixed"}).split, FixedSplitConfig)


def _split_errors(split: object) -> list[str]:
    with pytest.raises(ValidationError) as info:
        PreprocessingSection.from_dict({"split": split})
    return flatten_errors(info.value.messages)


@pytest.mark.parametrize(
    "probabilities, shown",
    [
        ([0.5, 0.5, 0.5], "sums to 1.5"),
        ([0.8, 0.2], "found 2 values"),
        ([0.7, 0.1, 0.1, 0.1], "found 4 values"),
        ([1.2, -0.1, -0.1], "negative"),
        (["a", 0.5, 0.5], "non-numeric"),
        ([True, False, False], "non-numeric"),
        (0.7, "found float 0.7"),
    ],
)
def test_bad_probabilities_are_reported_with_value(probabilities, shown: str):
    for split_type in ("random", "stratify", "datetime", "hash"):
        errors = _split_errors({"type": split_type, "probabilities": probabilities})
        assert len(errors) == 1
        assert errors[0].startswith("split.probabilities: ")
        assert shown in errors[0]
        assert repr(probabilities) in errors[0]


def test_probabilities_tolerate_rounding():
    config = RandomSplitConfig.from_dict({"probabilities": [0.6, 0.2, 0.2000001 - 1e-7]})
    assert config.probabilities == pytest.approx([0.6, 0.2, 0.2])
    assert RandomSplitConfig.from_dict({"probabilities": (1, 0, 0)}).probabilities == [1.0, 0.0, 0.0]


def test_unknown_type_lists_types_and_suggests():
    errors = _split_errors({"type": "randm"})
    assert len(errors) == 1
    assert errors[0].startswith("split.type: Unknown split type 'randm'")
    assert "'stratify'" in errors[0] and "Did you mean 'random'?" in errors[0]


def test_unknown_key_is_reported():
    errors = _split_errors({"type": "fixed", "probabilities": [0.7, 0.1, 0.2]})
    assert any(e.startswith("split.probabilities: Unknown parameter 'probabilities'") for e in errors)


def test_type_is_protected():
    with pytest.raises(ValidationError) as info:
        RandomSplitConfig.from_dict({"type": "hash"})
    assert "type: Value 'hash' is not allowed" in flatten_errors(info.value.messages)[0]


def test_column_must_be_a_string():
    errors = _split_errors({"type": "hash", "column": 3})
    assert errors == ["split.column: Expected a string, found int 3."]


def test_split_dataset_reports_config_errors_with_path():
    with pytest.raises(ConfigValidationError, match=r"preprocessing\.split\.probabilities: .*sums to 1\.5"):
        split_dataset(frame(10), {"type": "random", "probabilities": [0.5, 0.5, 0.5]}, 42)
    with pytest.raises(ConfigValidationError, match=r"preprocessing\.split\.type: Unknown split type 'hsh'"):
        split_dataset(frame(10), {"type": "hsh"}, 42)


# ---------------------------------------------------------------------------------------------------------
# Random.


@pytest.mark.parametrize(
    "n, probabilities, expected",
    [
        (1000, [0.7, 0.1, 0.2], [700, 100, 200]),
        # Ludwig 0.17 moves training rows into a validation or test split of fewer than 3 rows.
        (10, [0.7, 0.1, 0.2], [4, 3, 3]),
        (5, [0.7, 0.1, 0.2], [2, 0, 3]),
        (20, [0.55, 0.15, 0.3], [11, 3, 6]),
        (100, [0.8, 0.0, 0.2], [80, 0, 20]),
        (7, [1.0, 0.0, 0.0], [7, 0, 0]),
        (9, [1 / 3, 1 / 3, 1 / 3], [3, 3, 3]),
        (0, [0.7, 0.1, 0.2], [0, 0, 0]),
    ],
)
def test_random_split_sizes(n: int, probabilities: list[float], expected: list[int]):
    splits = split_dataset(frame(n), {"type": "random", "probabilities": probabilities}, 42)
    assert splits.dtype == np.int8
    assert splits.shape == (n,)
    assert sizes(splits) == expected


def test_random_split_is_deterministic_and_seeded():
    df = frame(500)
    first = split_dataset(df, None, 7)
    np.testing.assert_array_equal(first, split_dataset(df, RandomSplitConfig.from_dict({}), 7))
    np.testing.assert_array_equal(first, split_dataset(df, {"type": "random"}, 7))
    other = split_dataset(df, None, 8)
    assert sizes(other) == sizes(first) == [350, 50, 100]
    assert not np.array_equal(first, other)


def test_random_split_does_not_depend_on_index():
    df = frame(100)
    shifted = df.set_index(pd.Index(np.arange(100) * 3 + 5))
    np.testing.assert_array_equal(split_dataset(df, None, 1), split_dataset(shifted, None, 1))


# ---------------------------------------------------------------------------------------------------------
# Fixed.


def test_fixed_split_reads_numbers_strings_and_words():
    df = pd.DataFrame(
        {
            "split": [0, 1, 2, "0", "1", "2", "train", "Training", " validation ", "VAL", "test", "1.0"],
        },
        dtype=object,
    )
    splits = split_dataset(df, {"type": "fixed"}, 42)
    assert splits.dtype == np.int8
    assert splits.tolist() == [0, 1, 2, 0, 1, 2, 0, 0, 1, 1, 2, 1]


@pytest.mark.parametrize(
    "values",
    [[0, 2, 1, 0], [0.0, 2.0, 1.0, 0.0], ["0", "2", "1", "0"], ["train", "test", "validation", "training"]],
)
def test_fixed_split_column_dtypes(values):
    df = pd.DataFrame({"fold": values, "x": range(4)})
    splits = split_dataset(df, {"type": "fixed", "column": "fold"}, 0)
    assert splits.tolist() == [0, 2, 1, 0]


def test_fixed_split_ignores_seed():
    df = pd.DataFrame({"split": [0, 1, 2] * 5})
    np.testing.assert_array_equal(split_dataset(df, {"type": "fixed"}, 1), split_dataset(df, {"type": "fixed"}, 2))


@pytest.mark.parametrize(
    "values, shown",
    [
        ([0, 1, 5, 3, 5], "[5, 3]"),
        (["train", "dev", "test", "holdout"], "['dev', 'holdout']"),
        ([0.0, 1.0, np.nan], "[nan]"),
        ([True, False, True], "[True, False]"),
    ],
)
def test_fixed_split_bad_values_are_named(values, shown: str):
    df = pd.DataFrame({"split": values})
    with pytest.raises(InputDataError) as info:
        split_dataset(df, {"type": "fixed"}, 42)
    assert info.value.column_name == "split"
    assert str(info.value).startswith('Column "split" as split feature: ')
    assert shown in str(info.value)


def test_fixed_split_missing_column_lists_columns():
    df = pd.DataFrame({"x": [1], "Split": [0]})
    with pytest.raises(InputDataError) as info:
        split_dataset(df, {"type": "fixed"}, 42)
    message = str(info.value)
    assert info.value.column_name == "split"
    assert "not found" in message and "['x', 'Split']" in message and "Did you mean 'Split'?" in message


# ---------------------------------------------------------------------------------------------------------
# Stratify.


def stratify_frame(seed: int = 0) -> pd.DataFrame:
    labels = np.array(["a"] * 500 + ["b"] * 300 + ["c"] * 200)
    return pd.DataFrame({"label": np.random.default_rng(seed).permutation(labels), "x": np.arange(1000)})


def test_stratify_keeps_class_ratios():
    df = stratify_frame()
    splits = split_dataset(df, {"type": "stratify", "column": "label"}, 42)
    assert sizes(splits) == [700, 100, 200]
    for label, count in (("a", 500), ("b", 300), ("c", 200)):
        in_class = splits[(df["label"] == label).to_numpy()]
        assert sizes(in_class) == [round(0.7 * count), round(0.1 * count), round(0.2 * count)]


def test_stratify_with_missing_values_and_custom_probabilities():
    df = pd.DataFrame({"label": [None] * 10 + ["x"] * 20})
    splits = split_dataset(df, {"type": "stratify", "column": "label", "probabilities": [0.5, 0.5, 0.0]}, 3)
    assert sizes(splits[:10]) == [5, 5, 0]
    assert sizes(splits[10:]) == [10, 10, 0]


def test_stratify_is_deterministic_and_seeded():
    df = stratify_frame()
    config = {"type": "stratify", "column": "label"}
    first = split_dataset(df, config, 1)
    np.testing.assert_array_equal(first, split_dataset(df, config, 1))
    assert not np.array_equal(first, split_dataset(df, config, 2))


def test_stratify_needs_a_column():
    with pytest.raises(ConfigValidationError, match=r"preprocessing\.split\.column: .*'stratify' needs a column"):
        split_dataset(stratify_frame(), {"type": "stratify"}, 42)


def test_stratify_missing_column():
    with pytest.raises(InputDataError, match=r'Column "lable" .*not found.*Did you mean \'label\''):
        split_dataset(stratify_frame(), {"type": "stratify", "column": "lable"}, 42)


# ---------------------------------------------------------------------------------------------------------
# Datetime.


def test_datetime_split_is_chronological():
    dates = pd.date_range("2020-01-01", periods=100, freq="D")
    order = np.random.default_rng(0).permutation(100)
    df = pd.DataFrame({"when": dates[order].strftime("%Y-%m-%d"), "x": order})
    splits = split_dataset(df, {"type": "datetime", "column": "when"}, 42)
    assert sizes(splits) == [70, 10, 20]
    parsed = pd.to_datetime(df["when"])
    train, validation, test = (parsed[splits == i] for i in range(3))
    assert train.max() < validation.min()
    assert validation.max() < test.min()
    # The seed does not matter.
    np.testing.assert_array_equal(splits, split_dataset(df, {"type": "datetime", "column": "when"}, 7))


def test_datetime_split_ties_keep_row_order():
    df = pd.DataFrame({"when": ["2021-05-05"] * 10})
    splits = split_dataset(df, {"type": "datetime", "column": "when"}, 42)
    assert splits.tolist() == [0] * 7 + [1] + [2] * 2


def test_datetime_split_with_format():
    df = pd.DataFrame({"when": ["03/01/2020", "01/01/2020", "02/01/2020", "04/01/2020"]})  # day first
    config = {"type": "datetime", "column": "when", "probabilities": [0.5, 0.25, 0.25], "datetime_format": "%d/%m/%Y"}
    assert split_dataset(df, config, 42).tolist() == [1, 0, 0, 2]


def test_datetime_split_mixed_formats_and_timezones():
    df = pd.DataFrame(
        {"when": ["2020-01-04", "January 2, 2020", "2020-01-03T00:00:00+05:00", "2020/01/01", "2020-01-05"]}
    )
    config = {"type": "datetime", "column": "when", "probabilities": [0.6, 0.2, 0.2]}
    # Chronological: 01-01, 01-02, 01-03 (+05:00 is still 01-02 UTC evening), 01-04, 01-05.
    assert split_dataset(df, config, 42).tolist() == [1, 0, 0, 0, 2]


def test_datetime_split_accepts_datetime_dtype():
    df = pd.DataFrame({"when": pd.to_datetime(["2022-03-01", "2021-01-01", "2023-01-01", "2020-01-01"])})
    config = {"type": "datetime", "column": "when", "probabilities": [0.5, 0.25, 0.25]}
    assert split_dataset(df, config, 42).tolist() == [1, 0, 2, 0]


def test_datetime_split_puts_missing_dates_last():
    df = pd.DataFrame({"when": [None, "2020-01-02", "2020-01-01", None]})
    config = {"type": "datetime", "column": "when", "probabilities": [0.5, 0.0, 0.5]}
    assert split_dataset(df, config, 42).tolist() == [2, 0, 0, 2]


def test_datetime_split_unparseable_values_are_named():
    df = pd.DataFrame({"when": ["2020-01-01", "not a date", "2020-01-03", "31/31/2020", "not a date"]})
    with pytest.raises(InputDataError) as info:
        split_dataset(df, {"type": "datetime", "column": "when"}, 42)
    message = str(info.value)
    assert message.startswith('Column "when" as split feature: ')
    assert "3 value(s)" in message and "['not a date', '31/31/2020']" in message


def test_datetime_split_values_not_matching_format_are_named():
    df = pd.DataFrame({"when": ["2020-01-01", "2020-01-02"]})
    config = {"type": "datetime", "column": "when", "datetime_format": "%d/%m/%Y"}
    with pytest.raises(InputDataError, match=r"'2020-01-01', '2020-01-02'.*format '%d/%m/%Y'"):
        split_dataset(df, config, 42)


def test_datetime_split_needs_a_column():
    with pytest.raises(ConfigValidationError, match=r"'datetime' needs a column"):
        split_dataset(frame(3), {"type": "datetime"}, 42)


# ---------------------------------------------------------------------------------------------------------
# Hash.


def hash_frame(n: int = 10000) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"user-{i}" for i in range(n)], "x": np.arange(n)})


def test_hash_split_proportions_and_seed_independence():
    df = hash_frame()
    splits = split_dataset(df, {"type": "hash", "column": "id"}, 1)
    counts = np.bincount(splits, minlength=3) / len(df)
    np.testing.assert_allclose(counts, [0.7, 0.1, 0.2], atol=0.02)
    np.testing.assert_array_equal(splits, split_dataset(df, {"type": "hash", "column": "id"}, 2))


def test_hash_split_does_not_depend_on_row_order():
    df = hash_frame(2000)
    splits = split_dataset(df, {"type": "hash", "column": "id"}, 42)
    order = np.random.default_rng(0).permutation(len(df))
    shuffled = df.iloc[order].reset_index(drop=True)
    shuffled_splits = split_dataset(shuffled, {"type": "hash", "column": "id"}, 42)
    np.testing.assert_array_equal(shuffled_splits, splits[order])
    # A subset keeps the same assignment too.
    np.testing.assert_array_equal(split_dataset(df.iloc[:100], {"type": "hash", "column": "id"}, 0), splits[:100])


def test_hash_split_same_key_same_split():
    df = pd.DataFrame({"id": [1, 2, 3] * 50})
    splits = split_dataset(df, {"type": "hash", "column": "id"}, 42)
    assert all(len(set(splits[df["id"].to_numpy() == key])) == 1 for key in (1, 2, 3))


def test_hash_split_extreme_probabilities():
    df = hash_frame(500)
    assert sizes(split_dataset(df, {"type": "hash", "column": "id", "probabilities": [1, 0, 0]}, 0)) == [500, 0, 0]
    assert sizes(split_dataset(df, {"type": "hash", "column": "id", "probabilities": [0, 0, 1]}, 0)) == [0, 0, 500]


def test_hash_split_handles_missing_values():
    df = pd.DataFrame({"id": ["a", None, "b", None, np.nan]})
    splits = split_dataset(df, {"type": "hash", "column": "id"}, 0)
    assert splits[1] == splits[3] == splits[4]


_HASH_SCRIPT = """
import pandas as pd
from ludwig.data.split import split_dataset
df = pd.DataFrame({"id": [f"user-{i}" for i in range(300)]})
print("".join(map(str, split_dataset(df, {"type": "hash", "column": "id"}, 0).tolist())))
"""


def test_hash_split_is_stable_across_processes():
    expected = "".join(map(str, split_dataset(hash_frame(300), {"type": "hash", "column": "id"}, 0).tolist()))
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO_ROOT)}
        result = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(result.stdout.strip())
    assert outputs == {expected}


def test_hash_split_golden_values():
    # Pinned so that a change of hash function (which would move rows between sets) is noticed.
    df = pd.DataFrame({"id": [f"user-{i}" for i in range(20)]})
    splits = split_dataset(df, {"type": "hash", "column": "id"}, 0)
    assert "".join(map(str, splits.tolist())) == GOLDEN_HASH_SPLITS


GOLDEN_HASH_SPLITS = "20200221000020200000"


def test_hash_split_needs_a_column():
    with pytest.raises(ConfigValidationError, match=r"'hash' needs a column"):
        split_dataset(hash_frame(5), {"type": "hash"}, 42)


def test_hash_split_missing_column():
    with pytest.raises(InputDataError, match=r"not found.*\['id', 'x'\]"):
        split_dataset(hash_frame(5), {"type": "hash", "column": "key"}, 42)


def test_random_split_matches_ludwig_rows():
    """The same seed puts the same rows in each split as Ludwig 0.17 (``df.sample(frac=1, random_state=seed)``,
    cut at ``ceil(0.7 n)`` and ``+ floor(0.1 n)``)."""
    df = frame(891)
    shuffled = df.sample(frac=1, random_state=42).index.to_numpy()
    splits = split_dataset(df, None, 42)
    assert (splits[shuffled[:624]] == 0).all()
    assert (splits[shuffled[624:713]] == 1).all()
    assert (splits[shuffled[713:]] == 2).all()
