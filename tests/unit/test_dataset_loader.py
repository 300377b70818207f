"""Tests of ludwig.data.dataset_loader: every writable format round-trips, and errors say what is wrong."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ludwig.data.dataset_loader import DATA_FORMATS, infer_data_format, load_dataset


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": [1, 2, 3, 4],
            "ratio": [0.5, 1.25, -3.0, 10.0],
            "name": ["alpha", "beta", "gamma", "delta"],
        }
    )


def _write_fwf(df: pd.DataFrame, path: Path) -> None:
    path.write_text(df.to_string(index=False) + "\n")


# format name -> (file name, writer)
WRITERS = {
    "csv": ("data.csv", lambda df, p: df.to_csv(p, index=False)),
    "csv.gz": ("data.csv.gz", lambda df, p: df.to_csv(p, index=False)),
    "tsv": ("data.tsv", lambda df, p: df.to_csv(p, sep="\t", index=False)),
    "json": ("data.json", lambda df, p: df.to_json(p)),
    "json_records": ("data.json", lambda df, p: df.to_json(p, orient="records")),
    "jsonl": ("data.jsonl", lambda df, p: df.to_json(p, orient="records", lines=True)),
    "parquet": ("data.parquet", lambda df, p: df.to_parquet(p, index=False)),
    "feather": ("data.feather", lambda df, p: df.to_feather(p)),
    "orc": ("data.orc", lambda df, p: df.to_orc(p, index=False)),
    "excel": ("data.xlsx", lambda df, p: df.to_excel(p, index=False)),
    "pickle": ("data.pkl", lambda df, p: df.to_pickle(p)),
    "html": ("data.html", lambda df, p: df.to_html(p, index=False)),
    "fwf": ("data.fwf", _write_fwf),
    "stata": ("data.dta", lambda df, p: df.to_stata(p, write_index=False)),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_round_trip_every_writable_format(tmp_path: Path, df: pd.DataFrame, name: str):
    file_name, write = WRITERS[name]
    path = tmp_path / file_name
    write(df, path)

    loaded = load_dataset(str(path))

    assert isinstance(loaded.index, pd.RangeIndex)
    assert list(loaded.columns) == list(df.columns)
    pd.testing.assert_frame_equal(loaded, df, check_dtype=False)


@pytest.mark.parametrize("name", ["csv", "parquet", "jsonl"])
def test_explicit_format_matches_inferred(tmp_path: Path, df: pd.DataFrame, name: str):
    file_name, write = WRITERS[name]
    path = tmp_path / file_name
    write(df, path)
    pd.testing.assert_frame_equal(load_dataset(path, name), load_dataset(path, "auto"))
    pd.testing.assert_frame_equal(load_dataset(path, name.upper()), load_dataset(path))


def test_explicit_format_overrides_extension(tmp_path: Path, df: pd.DataFrame):
    path = tmp_path / "data.txt"
    df.to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_dataset(path, "csv"), df, check_dtype=False)


def test_csv_with_semicolons_is_sniffed(tmp_path: Path, df: pd.DataFrame):
    path = tmp_path / "data.csv"
    df.to_csv(path, sep=";", index=False)
    pd.testing.assert_frame_equal(load_dataset(path), df, check_dtype=False)


def test_csv_keeps_quoted_commas(tmp_path: Path):
    original = pd.DataFrame({"text": ["a, b", "c"], "y": [1, 2]})
    path = tmp_path / "data.csv"
    original.to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_dataset(path), original, check_dtype=False)


def test_json_keeps_numeric_looking_strings(tmp_path: Path):
    path = tmp_path / "data.json"
    path.write_text('[{"zip": "01234", "n": 1}, {"zip": "98765", "n": 2}]')
    loaded = load_dataset(path)
    assert loaded["zip"].tolist() == ["01234", "98765"]
    assert loaded["n"].tolist() == [1, 2]


def test_dataframe_input_is_copied_with_fresh_index(df: pd.DataFrame):
    original = df.set_index(pd.Index([10, 20, 30, 40]))
    before = original.copy()

    loaded = load_dataset(original)
    loaded.loc[0, "number"] = 999
    loaded["extra"] = 1

    assert isinstance(loaded.index, pd.RangeIndex)
    assert loaded.index.tolist() == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(original, before)


@pytest.mark.parametrize("data_format", [None, "auto", "dataframe", "df"])
def test_dataframe_input_formats(df: pd.DataFrame, data_format):
    pd.testing.assert_frame_equal(load_dataset(df, data_format), df)


def test_dict_input(df: pd.DataFrame):
    data = {column: df[column].tolist() for column in df.columns}
    for data_format in (None, "auto", "dict"):
        pd.testing.assert_frame_equal(load_dataset(data, data_format), df)
    assert data["number"] == [1, 2, 3, 4]


def test_dict_of_unequal_lists_names_lengths():
    with pytest.raises(ValueError, match=r"same length.*'a': 2.*'b': 3"):
        load_dataset({"a": [1, 2], "b": [1, 2, 3]})


EXTENSIONS = {
    "a.csv": "csv",
    "a.csv.gz": "csv",
    "a.tsv": "tsv",
    "a.json": "json",
    "a.jsonl": "jsonl",
    "a.parquet": "parquet",
    "a.feather": "feather",
    "a.xlsx": "excel",
    "a.xls": "excel",
    "a.pkl": "pickle",
    "a.pickle": "pickle",
    "a.fwf": "fwf",
    "a.html": "html",
    "a.orc": "orc",
    "a.sas7bdat": "sas",
    "a.sav": "spss",
    "a.dta": "stata",
    "a.hdf5": "hdf5",
    "a.h5": "hdf5",
    "dir.v2/A.CSV": "csv",
}


@pytest.mark.parametrize("path, expected", sorted(EXTENSIONS.items()))
def test_infer_data_format_from_extension(path: str, expected: str):
    assert infer_data_format(path) == expected
    assert infer_data_format(Path(path)) == expected
    assert expected in DATA_FORMATS


def test_infer_data_format_of_objects(df: pd.DataFrame):
    assert infer_data_format(df) == "dataframe"
    assert infer_data_format({"a": [1]}) == "dict"


def test_data_formats_constant_lists_spec_values():
    for name in (
        "auto",
        "csv",
        "tsv",
        "json",
        "jsonl",
        "excel",
        "parquet",
        "pickle",
        "feather",
        "fwf",
        "html",
        "orc",
        "sas",
        "spss",
        "stata",
        "hdf5",
        "h5",
        "dict",
        "dataframe",
    ):
        assert name in DATA_FORMATS


def test_unknown_extension_names_path_and_formats(tmp_path: Path):
    path = tmp_path / "data.xyz"
    path.write_text("a\n1\n")
    with pytest.raises(ValueError, match=r"data\.xyz") as info:
        load_dataset(path)
    assert ".parquet" in str(info.value) and ".csv" in str(info.value)
    with pytest.raises(ValueError, match=r"no_extension"):
        infer_data_format("no_extension")


def test_unknown_format_suggests_closest(tmp_path: Path, df: pd.DataFrame):
    path = tmp_path / "data.parquet"
    df.to_parquet(path)
    with pytest.raises(ValueError, match=r"Unknown data_format 'parqet'.*Did you mean 'parquet'") as info:
        load_dataset(path, "parqet")
    assert "'feather'" in str(info.value)


@pytest.mark.parametrize("file_name, data_format", [("data.hdf5", None), ("data.h5", "auto"), ("data.bin", "h5")])
def test_hdf5_is_refused_as_raw_data(tmp_path: Path, file_name: str, data_format):
    path = tmp_path / file_name
    path.write_bytes(b"\x89HDF\r\n")
    with pytest.raises(ValueError, match=r"preprocess"):
        load_dataset(path, data_format)


def test_missing_file_names_path(tmp_path: Path):
    path = tmp_path / "nowhere" / "data.csv"
    with pytest.raises(FileNotFoundError, match=r"nowhere.*data\.csv"):
        load_dataset(path)


def test_unparseable_file_names_path_and_format(tmp_path: Path):
    path = tmp_path / "broken.parquet"
    path.write_text("this is not parquet")
    with pytest.raises(ValueError, match=r"broken\.parquet.*parquet"):
        load_dataset(path)


def test_in_memory_format_with_a_path_is_refused(tmp_path: Path, df: pd.DataFrame):
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"'dataframe' expects"):
        load_dataset(path, "dataframe")


def test_unsupported_dataset_type():
    with pytest.raises(TypeError, match="list"):
        load_dataset([1, 2, 3])


@pytest.mark.skipif(importlib.util.find_spec("pyreadstat") is not None, reason="pyreadstat is installed")
def test_missing_optional_package_is_named(tmp_path: Path):
    path = tmp_path / "data.sav"
    path.write_bytes(b"$FL2")
    with pytest.raises(ImportError, match=r"pip install pyreadstat"):
        load_dataset(path)


def test_loaded_frame_has_fresh_range_index_for_files(tmp_path: Path):
    original = pd.DataFrame({"x": np.arange(5)}, index=[5, 4, 3, 2, 1])
    path = tmp_path / "data.pkl"
    original.to_pickle(path)
    loaded = load_dataset(path)
    assert loaded.index.equals(pd.RangeIndex(5))
    assert loaded["x"].tolist() == [0, 1, 2, 3, 4]
