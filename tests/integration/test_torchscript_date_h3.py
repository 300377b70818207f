"""TorchScript export of date and h3 inputs: the scripted preprocessors give exactly the tensors of Python
preprocessing (dtype, shape, values), on tricky values and through whole exported models."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.data.preprocessing import _clean_column_for_prediction
from ludwig.features.date_feature import DateFeatureMixin
from ludwig.features.h3_feature import H3FeatureMixin
from ludwig.model_export.torchscript.base import Unscriptable, preprocessor_registry
from ludwig.model_export.torchscript.date_strptime import StrptimeReader
from ludwig.schema.model_config import ModelConfig
from ludwig.utils.h3_utils import h3_components, invalid_h3_reasons
from ludwig.utils.registry import import_submodules

from .torchscript_utils import assert_scripted_inputs_match, assert_scripted_outputs_match, raw_strings, train

import_submodules("ludwig.model_export.torchscript")


def input_feature(feature_type: str, **section):
    config = ModelConfig.from_dict(
        {
            "input_features": [{"name": "x", "type": feature_type, **section}],
            "output_features": [{"name": "y", "type": "number"}],
        }
    )
    return config.input_features[0]


def training_metadata(feature, mixin, training: list) -> dict:
    """The feature's metadata as training computes it (fill_with_const: the fill is fill_value)."""
    column = pd.Series(training, dtype=object)
    metadata = mixin.get_feature_meta(feature, column, True)
    metadata["preprocessing"] = {
        **feature.preprocessing.to_dict(),
        "computed_fill_value": feature.preprocessing.fill_value,
    }
    return metadata


def assert_matches_python(feature, mixin, metadata: dict, values: list) -> None:
    """The scripted preprocessor of ``feature`` on ``values`` == Python prediction preprocessing (None and "" are
    missing values: "" is how the scripted module takes them)."""
    module = torch.jit.script(preprocessor_registry[feature.type](feature, metadata))
    raw = pd.Series([None if v == "" else v for v in values], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.from_numpy(
            mixin.feature_data(feature, _clean_column_for_prediction(feature, raw, metadata), metadata)
        )
    actual = module(["" if v is None else v for v in values])
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    mismatched = [
        (values[i], actual[i].tolist(), expected[i].tolist())
        for i in range(len(values))
        if not torch.equal(actual[i], expected[i])
    ]
    assert not mismatched, mismatched


# ---------------------------------------------------------------------------------------------------------
# Dates, preprocessors scripted directly

EXPLICIT_FORMATS = {
    "iso_seconds": (
        "%Y-%m-%d %H:%M:%S",
        "2000-01-01 00:00:00",
        [
            "2020-02-29 23:59:59",
            "2019-12-31 23:59:59",
            "2020-01-01 00:00:00",
            "2000-02-29 12:00:00",
            "1900-02-28 00:00:00",
            "2100-03-01 00:00:00",
            "1969-12-31 23:59:59",
            "1970-01-01 00:00:00",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2020-1-5 7:08:09",
            "  2021-03-04 05:06:07 ",
            "2020-12-31 23:59:60",
            "2020-01-01 10:60:00",
            "2021-02-29 00:00:00",
            "2021-03-04",
            "2021-03-04T05:06:07",
            None,
            "",
        ],
    ),
    "twelve_hour_clock": (
        "%m/%d/%Y %I:%M %p",
        "01/01/2000 12:00 AM",
        [
            "12/31/2020 12:00 AM",
            "12/31/2020 12:00 PM",
            "1/1/2021 12:30 am",
            "02/29/2024 11:59 pm",
            "7/4/1999 1:05 PM",
            "07/04/1999 01:05   AM",
            "13/01/2020 01:00 PM",
            "12/31/2020 13:00 PM",
            None,
        ],
    ),
    "month_and_day_names_and_one_offset": (
        "%a, %d %b %Y %H:%M:%S %z",
        "Sat, 01 Jan 2000 00:00:00 +0000",
        [
            "Mon, 05 MAR 2018 10:00:00 +0100",
            "tue, 06 mar 2018 23:30:00 +01:00",
            "Fri, 31 Dec 1999 23:59:59 +0100",
            "Sun, 29 Feb 2004 00:00:00 +0100",
            "Mon, 30 Feb 2004 00:00:00 +0100",
        ],
    ),
    "full_names": (
        "%A %d %B %Y",
        "Saturday 01 January 2000",
        ["Wednesday 31 december 2014", "monday 1 SEPTEMBER 2014", "Friday 32 May 2014"],
    ),
    "fractions_and_several_offsets_to_utc": (
        "%Y-%m-%dT%H:%M:%S.%f%z",
        "2000-01-01T00:00:00.0Z",
        [
            "2020-01-01T00:30:00.5+01:00",
            "2020-12-31T23:59:59.999999-05:30",
            "2019-12-31T23:00:00.123456789Z",
            "2024-02-28T22:00:00.1+0230",
            "2020-01-01T00:00:00.1+05:30:45",
            "2020-01-01T00:00:00+01:00",
            # Read by pandas' ISO parser only: 1-digit offset hours, more than 9 fractional digits.
            "2020-01-01T00:00:00.5+5",
            "2020-01-01T00:00:00.1234567890123+01",
            "2020-01-01T00:00:00.25",
        ],
    ),
    "nanoseconds_outside_iso": (
        "%d.%m.%Y %H:%M:%S.%f",
        "01.01.2000 00:00:00.0",
        [
            "31.12.2020 23:59:59.123456789",
            "31.12.2020 23:59:59.1234567890",
            "31.12.2020 23:59:59.",
            "12.4.2262 0:0:0.1",
            "1.1.1677 0:0:0",
        ],
    ),
    "negative_offsets_outside_iso": (
        "%d/%m/%Y %H:%M%z",
        "01/01/2000 00:00Z",
        ["31/12/2020 23:30-0500", "01/01/2021 00:30+01:00", "01/01/2021 00:30-00:45", "01/01/2021 00:30+0530:00"],
    ),
    "literals_and_two_digit_years": (
        "Date: %d/%m/%y (%H%%)",
        "Date: 01/01/00 (00%)",
        [
            "Date: 05/03/68 (10%)",
            "Date: 05/03/69 (23%)",
            "date: 5/3/00 (0%)",
            "Date:   05/03/99 (07%)",
            "Date: 05/03/99 (07)",
        ],
    ),
    "day_of_year": ("%Y%j", "2000001", ["2020366", "2021365", "2024060", "2021366", "2021000"]),
    "alternatives_in_regex_order": ("%m%d", "0101", ["1231", "1232", "111", "0229", "229", "1 1"]),
    "zone_names": (
        "%Y-%m-%d %H:%M:%S %Z",
        "2000-01-01 00:00:00 UTC",
        [
            "2020-06-01 12:00:00 UTC",
            "2020-06-01 12:00:00 Etc/GMT+5",
            "2020-06-01 12:00:00 GMT",
            "2020-06-01 12:00:00 Nowhere",
        ],
    ),
}


@pytest.mark.parametrize("case", list(EXPLICIT_FORMATS))
def test_explicit_datetime_format_matches_python(case):
    fmt, fill, values = EXPLICIT_FORMATS[case]
    # fill_value is a date: values the format does not read take it (in Python as in the script).
    feature = input_feature("date", preprocessing={"datetime_format": fmt, "fill_value": fill})
    metadata = training_metadata(feature, DateFeatureMixin, [fill])
    assert_matches_python(feature, DateFeatureMixin, metadata, values)


RANDOM_FORMATS = ["%Y-%m-%d %H:%M:%S.%f%z", "%d/%m/%y %I:%M:%S %p", "%a %d %B %Y, %H.%M", "%Y%m%d%H%M%S"]


@pytest.mark.parametrize("fmt", RANDOM_FORMATS)
def test_random_and_damaged_values_match_python(fmt):
    rng = np.random.default_rng(0)
    values = []
    for _ in range(150):
        stamp = pd.Timestamp(int(rng.integers(-62_000_000_000, 253_000_000_000)), unit="s") + pd.Timedelta(
            microseconds=int(rng.integers(0, 10**6))
        )
        text = stamp.strftime(fmt.replace("%z", "")) + (
            str(rng.choice(["+05:30", "-0800", "Z", "+01"])) if "%z" in fmt else ""
        )
        damage = rng.integers(0, 6)
        position = int(rng.integers(0, len(text)))
        if damage == 1:  # a character dropped
            text = text[:position] + text[position + 1 :]
        elif damage == 2:  # a character inserted
            text = text[:position] + str(rng.choice(list("07 :-./+aZ"))) + text[position:]
        elif damage == 3:  # no zero padding
            text = re.sub(r"(?<!\d)0(\d)", r"\1", text)
        elif damage == 4:
            text = text.upper() if position % 2 else text.lower()
        values.append(text)
    fill = pd.Timestamp("2000-01-01").strftime(fmt.replace("%z", "Z"))
    feature = input_feature("date", preprocessing={"datetime_format": fmt, "fill_value": fill})
    metadata = training_metadata(feature, DateFeatureMixin, [fill])
    for start in range(0, len(values), 50):  # batches: timezone handling depends on the batch
        assert_matches_python(feature, DateFeatureMixin, metadata, values[start : start + 50])


def test_recorded_datetime_format():
    def recorded(values) -> tuple:
        feature = input_feature("date", preprocessing={"fill_value": "2000-01-01"})
        column = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
        metadata = DateFeatureMixin.get_feature_meta(feature, column, True)
        return metadata["inferred_datetime_format"], metadata["inferred_datetime_format_guessed"]

    assert recorded(["2020-01-01 10:00:00", "2020-01-02"]) == ("%Y-%m-%d %H:%M:%S", True)
    assert recorded([None, " 31/12/2020", "01/02/2020"]) == ("%d/%m/%Y", True)
    assert recorded(["1/2/2020 1:05 PM", "12/31/2020 12:00 AM"]) == ("%m/%d/%Y %I:%M %p", False)
    # The day-first layout reads "1/2/2020 1:05 PM" too, but not as Python does (2 January): not recorded.
    assert recorded(["13/2/2020 1:05 PM", "1/2/2020 1:05 PM"]) == (None, False)
    assert recorded(["next tuesday"]) == (None, False)
    assert recorded(pd.Series(pd.to_datetime(["2020-01-01"]))) == (None, False)  # datetimes, not strings
    explicit = input_feature("date", preprocessing={"datetime_format": "%Y"})
    assert DateFeatureMixin.get_feature_meta(explicit, pd.Series(["2020"]), True)["inferred_datetime_format"] is None


INFERRED_FORMATS = {
    # id: (training values, prediction values); the format is inferred from the training values and recorded.
    "iso": (
        ["2020-01-01 10:00:00", "2021-06-30 23:59:59"],
        [
            "2020-02-29 00:00:00",
            "2020-01-02",
            "2020-01-02T03:04:05.678",
            "2020-01-02 03:04",
            "2020-01-02 03:04:05+05:30",
            "2020/01/02 03:04:05",
            "2020-1-2 3:04:05",
            "20200102",
            "2020-01-02 03:04:05.",
            "2020-01-02 03:60:00",
            "2020-01-02 24:00:00",
            "",
            None,
            "  ",
        ],
    ),
    "iso_offsets_in_two_passes": (
        ["2020-01-01T10:00:00+01:00"],
        # The values following the format share one offset (wall clock); the others (ISO reader) mix offsets: UTC.
        ["2020-01-01T10:00:00+01:00", "2020-06-01T10:00:00+01:00", "2020-01-01 10:00:00+05:00", "2020-01-01 10:00:00Z"],
    ),
    "iso_naive_and_aware_in_one_pass": (
        ["2020-01-01 10:00:00"],
        ["2020-01-01 10:00:00", "2020-01-01 10:00+05:00", "2020-01-01 10:00"],
    ),
    "twelve_hour_clock_pandas_cannot_guess": (
        ["1/2/2020 1:05 PM", "12/31/2020 12:00 AM"],
        ["1/2/2020 1:05 PM", "12/31/2020 12:00 AM", "12/31/2020 12:00 pm", "2020-12-31 13:00:00", None],
    ),
    "day_first": (["31/12/2020", "01/02/2020"], ["13/01/2021", "01/02/2021", "2021-01-01"]),
    "month_names": (["March 5, 2020"], ["December 25, 1999", "february 29, 2020", "2020-03-05"]),
}


@pytest.mark.parametrize("case", list(INFERRED_FORMATS))
def test_inferred_datetime_format_matches_python(case):
    training, values = INFERRED_FORMATS[case]
    feature = input_feature("date", preprocessing={"fill_value": "1999-09-09"})
    metadata = training_metadata(feature, DateFeatureMixin, training)
    assert metadata["inferred_datetime_format"] is not None
    assert_matches_python(feature, DateFeatureMixin, metadata, values)


def test_model_without_recorded_format_reads_iso_dates():
    feature = input_feature("date", preprocessing={"fill_value": "2000-01-01"})
    metadata = training_metadata(feature, DateFeatureMixin, ["2020-01-01"])
    del metadata["inferred_datetime_format"], metadata["inferred_datetime_format_guessed"]  # as saved before
    values = ["2020-01-01", "2020-01-01T10:11:12.5", "2020-01-01 10:11:12+05:00", "2020-01-01 10:11Z", None, "junk"]
    assert_matches_python(feature, DateFeatureMixin, metadata, values)


def test_missing_values_take_the_training_fill():
    feature = input_feature(
        "date", preprocessing={"missing_value_strategy": "fill_with_const", "fill_value": "2001-02-03"}
    )
    metadata = training_metadata(feature, DateFeatureMixin, ["2020-01-01"])
    assert_matches_python(feature, DateFeatureMixin, metadata, [None, "", "2020-05-06", "not a date"])
    empty = input_feature("date")
    metadata = training_metadata(empty, DateFeatureMixin, ["2020-01-01"])
    assert_matches_python(empty, DateFeatureMixin, metadata, [None, "", " ", "2020-05-06"])


def test_unreadable_date_is_an_error_naming_feature_row_and_value():
    feature = input_feature("date")
    module = torch.jit.script(
        preprocessor_registry["date"](feature, training_metadata(feature, DateFeatureMixin, ["2020-01-01"]))
    )
    with pytest.raises(
        torch.jit.Error, match=r"ValueError: date feature 'x': row 1: cannot parse 'the day after tomorrow'"
    ):
        module(["2020-01-02", "the day after tomorrow"])
    explicit = input_feature("date", preprocessing={"datetime_format": "%d.%m.%Y"})
    module = torch.jit.script(
        preprocessor_registry["date"](explicit, training_metadata(explicit, DateFeatureMixin, ["01.01.2020"]))
    )
    with pytest.raises(torch.jit.Error, match=r"'2020-01-02'.*does not follow datetime_format '%d.%m.%Y'"):
        module(["2020-01-02"])


@pytest.mark.parametrize("fmt", ["%Y-%W-%w", "%c", "%Y %"])
def test_unsupported_strptime_code_is_unscriptable(fmt):
    with pytest.raises(Unscriptable, match=r"datetime_format .* uses %"):
        StrptimeReader(fmt, "preprocessing.datetime_format")


# ---------------------------------------------------------------------------------------------------------
# H3, preprocessor scripted directly


def h3_index(mode: int, edge: int, resolution: int, base_cell: int, digits: list[int]) -> int:
    value = (mode << 59) | (edge << 56) | (resolution << 52) | (base_cell << 45)
    for position in range(15):
        value |= (digits[position] if position < resolution else 7) << (3 * (14 - position))
    return value


DIGITS = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1]
H3_VALUES = [
    str(h3_index(1, 0, 0, 0, DIGITS)),  # resolution 0
    str(h3_index(1, 0, 15, 121, DIGITS)),  # resolution 15, last base cell
    f"{h3_index(1, 0, 9, 20, DIGITS):x}",  # hexadecimal
    f"{h3_index(1, 0, 9, 20, DIGITS):#X}",
    f"+0x_{h3_index(1, 0, 9, 20, DIGITS):_x}",  # as int(text, 16) reads it
    str(h3_index(2, 1, 9, 20, DIGITS)),  # directed edges 1 and 6
    f"{h3_index(2, 6, 5, 7, DIGITS):x}",
    f"  00{h3_index(1, 0, 3, 64, DIGITS)} ",
    None,
    "",
]


def test_h3_indices_match_python():
    feature = input_feature("h3")
    assert_matches_python(feature, H3FeatureMixin, training_metadata(feature, H3FeatureMixin, [1]), H3_VALUES)
    hexadecimal = input_feature("h3", preprocessing={"fill_value": 0x8A2A1072B59FFFF})
    assert_matches_python(
        hexadecimal, H3FeatureMixin, training_metadata(hexadecimal, H3FeatureMixin, [1]), [None, "8a2a1072b59ffff"]
    )


INVALID_H3 = [
    h3_index(1, 0, 2, 5, [3, 7]),
    h3_index(1, 0, 2, 5, [3, 4]) & ~7,
    h3_index(1, 0, 2, 125, [3, 4]),
    h3_index(3, 0, 2, 5, [3, 4]),
    h3_index(1, 2, 2, 5, [3, 4]),
    h3_index(2, 0, 2, 5, [3, 4]),
    h3_index(2, 7, 2, 5, [3, 4]),
]


@pytest.mark.parametrize("index", INVALID_H3)
def test_invalid_h3_index_error_gives_python_reason(index):
    feature = input_feature("h3")
    module = torch.jit.script(preprocessor_registry["h3"](feature, training_metadata(feature, H3FeatureMixin, [1])))
    values = np.array([index], dtype=np.uint64)
    reason = invalid_h3_reasons(values, h3_components(values))[0]
    assert reason
    message = (
        rf"ValueError: h3 feature 'x': row 1: {index} \(hex {index:x}\) is not a valid H3 index: {re.escape(reason)}"
    )
    with pytest.raises(torch.jit.Error, match=message):
        module([H3_VALUES[0], str(index)])


@pytest.mark.parametrize(
    "value", ["6.2e17", "12 34", "0x", "-0x8", "9223372036854775808", "8000000000000000", "1__2", "hello"]
)
def test_unreadable_h3_value_is_an_error_as_in_python(value):
    feature = input_feature("h3")
    module = torch.jit.script(preprocessor_registry["h3"](feature, training_metadata(feature, H3FeatureMixin, [1])))
    with pytest.raises(torch.jit.Error, match=r"ValueError: h3 feature 'x': row 0: .*is not (an|a valid) H3 index"):
        module([value])
    with pytest.raises(ValueError, match="H3 index"):
        H3FeatureMixin.feature_data(feature, pd.Series([value], dtype=object), {})


# ---------------------------------------------------------------------------------------------------------
# Whole models

H3_CELLS = [h3_index(1, 0, r, b, DIGITS) for r in (0, 5, 15) for b in (3, 70, 121)]


def frame(dates: list[str], seed: int = 0, rows: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    when = rng.choice(dates, rows)
    cells = rng.choice(np.array(H3_CELLS, dtype=np.int64), rows)
    return pd.DataFrame(
        {
            "when": when,
            "cell": [f"{c:x}" if i % 2 else str(c) for i, c in enumerate(cells)],
            "flag": rng.random(rows) < 0.5,
            "kind": rng.choice(["a", "b", "c"], rows),
        }
    )


DATE_COLUMNS = {
    # id: (date preprocessing, date strings)
    "explicit_format": (
        {"datetime_format": "%d/%m/%Y %H:%M"},
        ["31/12/2020 23:59", "29/02/2024 00:00", "01/01/2021 12:30"],
    ),
    "inferred_iso": ({}, ["2020-12-31 23:59:59", "2024-02-29 00:00:00", "2021-01-01 12:30:00"]),
    "inferred_twelve_hour_clock": ({}, ["12/31/2020 11:59 PM", "2/29/2024 12:00 AM", "1/1/2021 12:30 PM"]),
}


@pytest.mark.parametrize("case", list(DATE_COLUMNS))
def test_exported_model_matches_python(tmp_path, case):
    preprocessing, dates = DATE_COLUMNS[case]
    config = {
        "input_features": [
            {"name": "when", "type": "date", "preprocessing": preprocessing},
            {"name": "cell", "type": "h3"},
        ],
        "output_features": [{"name": "flag", "type": "binary"}, {"name": "kind", "type": "category"}],
        "trainer": {"epochs": 1, "batch_size": 32},
    }
    model, _ = train(config, frame(dates), tmp_path)
    module = model.to_torchscript()

    rows = frame(dates, seed=1, rows=12).astype(object)
    rows.loc[0, "when"] = None
    rows.loc[1, "cell"] = None
    assert_scripted_inputs_match(module, model, rows)
    predictions, _ = model.predict(dataset=rows)
    assert_scripted_outputs_match(module(raw_strings(rows, ["when", "cell"])), predictions, model)

    if case == "inferred_iso":
        model.save_torchscript(str(tmp_path / "exported"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            loaded = torch.jit.load(str(tmp_path / "exported" / "inference_module.pt"))
        assert_scripted_outputs_match(loaded(raw_strings(rows, ["when", "cell"])), predictions, model)
        with pytest.raises(torch.jit.Error, match=r"ValueError: h3 feature 'cell': row 0: 'hello' is not an H3 index"):
            loaded({"when": ["2020-01-01 00:00:00"], "cell": ["hello"]})


def test_unsupported_datetime_format_names_feature_and_model_only(tmp_path):
    config = {
        "input_features": [{"name": "when", "type": "date", "preprocessing": {"datetime_format": "%Y-%U-%w"}}],
        "output_features": [{"name": "flag", "type": "binary"}],
        "trainer": {"epochs": 1, "batch_size": 32},
    }
    model, _ = train(config, frame(["2020-05-3", "2021-01-1", "2019-30-0"]), tmp_path)
    with pytest.raises(ValueError, match=r"(?s)'when' \(date\).*%U.*model_only=True"):
        model.to_torchscript()
