"""Read a raw dataset (a file path, a DataFrame or a dict of lists) into a pandas DataFrame.

``data_format`` takes the values Ludwig accepts (see :data:`DATA_FORMATS`); ``None`` or ``"auto"`` infer it
from the object or the file extension. HDF5 files are Ludwig's preprocessed cache and are not raw data, so
they are refused here and read by the preprocessing step instead.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ludwig.constants import FILE_DATA_FORMATS
from ludwig.data.checks import check_unique_column_names
from ludwig.error import DatasetError
from ludwig.utils.registry import did_you_mean

AUTO = "auto"
DATAFRAME = "dataframe"
DICT = "dict"
HDF5_FORMATS = ("hdf5", "h5")

#: Every accepted value of ``data_format``.
DATA_FORMATS: tuple[str, ...] = (DATAFRAME, "df", DICT, *FILE_DATA_FORMATS)

_IN_MEMORY_FORMATS = (DATAFRAME, "df", DICT)

# File extension (lower case) -> data format.
_EXTENSION_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
    ".feather": "feather",
    ".xlsx": "excel",
    ".xls": "excel",
    ".xlsm": "excel",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".fwf": "fwf",
    ".html": "html",
    ".orc": "orc",
    ".sas7bdat": "sas",
    ".xpt": "sas",
    ".sav": "spss",
    ".dta": "stata",
    ".hdf5": "hdf5",
    ".h5": "hdf5",
}

# Compression suffixes pandas handles by itself (``compression="infer"``), e.g. ``data.csv.gz``.
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst")

_CSV_FALLBACK_SEPARATORS = ("\t", ";", "|")


def infer_data_format(dataset: Any) -> str:
    """Infer the ``data_format`` of a dataset from its type or its file extension.

    Args:
        dataset: a pandas DataFrame, a dict of lists, or a path (``str`` or ``os.PathLike``).

    Returns:
        One of :data:`DATA_FORMATS` (never ``"auto"``).

    Raises:
        ValueError: the path's extension is not one Ludwig can read.
        TypeError: the dataset is none of the above.
    """
    if isinstance(dataset, pd.DataFrame):
        return DATAFRAME
    if isinstance(dataset, Mapping):
        return DICT
    path = _as_path(dataset)
    lowered = path.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)]
            break
    extension = os.path.splitext(lowered)[1]
    if extension in _EXTENSION_FORMATS:
        return _EXTENSION_FORMATS[extension]
    supported = ", ".join(sorted(_EXTENSION_FORMATS))
    raise ValueError(
        f"Cannot infer the data format of {path!r} from its extension {extension or '(none)'!r}. "
        f"Supported extensions: {supported} (optionally compressed: {', '.join(_COMPRESSION_SUFFIXES)}). "
        f"Pass data_format explicitly, one of {list(DATA_FORMATS)}."
    )


def load_dataset(dataset: Any, data_format: str | None = None) -> pd.DataFrame:
    """Load a raw dataset into a new DataFrame with a fresh ``RangeIndex``.

    Args:
        dataset: a path to a file, a pandas DataFrame (copied, never modified) or a dict of equal-length lists.
        data_format: one of :data:`DATA_FORMATS`; ``None`` or ``"auto"`` infer it.

    Returns:
        The data as a DataFrame indexed ``0..n-1``.

    Raises:
        ValueError: unknown ``data_format``, an HDF5 cache file, a file that cannot be parsed as its format or a
            dict whose lists differ in length.
        DatasetError: column names that repeat (a ``ValueError`` too).
        FileNotFoundError: the path does not exist.
        ImportError: the optional package reading this format is not installed.
        TypeError: the dataset is not a path, a DataFrame or a dict.
    """
    fmt = _normalize_format(data_format)
    if isinstance(dataset, pd.DataFrame | Mapping):
        # An in-memory object says what it is; a file format given with it is ignored.
        df = _from_memory(dataset)
        check_unique_column_names(df)
        return df
    path = _as_path(dataset)
    if fmt == AUTO:
        fmt = infer_data_format(path)
    if fmt in _IN_MEMORY_FORMATS:
        raise ValueError(
            f"data_format {fmt!r} expects an in-memory pandas DataFrame or dict, found the path {path!r}. "
            f"Use data_format 'auto' to infer the format from the file extension."
        )
    if fmt in HDF5_FORMATS:
        raise ValueError(
            f"Cannot load {path!r} as raw data: .hdf5/.h5 files are Ludwig's preprocessed cache (written with a "
            f".meta.json next to them) and are read by the preprocessing step together with their "
            f"training_set_metadata, not loaded as a raw dataset. Pass the original data file instead, or pass this "
            f"file as a training/validation/test set with its training_set_metadata."
        )
    _check_exists(path)
    df = _read_file(path, fmt)
    check_unique_column_names(df)
    return df.reset_index(drop=True)


def _normalize_format(data_format: str | None) -> str:
    if data_format is None:
        return AUTO
    if not isinstance(data_format, str):
        raise ValueError(f"data_format must be a string, found {type(data_format).__name__} {data_format!r}.")
    fmt = data_format.strip().lower()
    if fmt not in DATA_FORMATS:
        raise ValueError(
            f"Unknown data_format {data_format!r}; expected one of {list(DATA_FORMATS)}."
            f"{did_you_mean(fmt, DATA_FORMATS)}"
        )
    return fmt


def _as_path(dataset: Any) -> str:
    if isinstance(dataset, str | os.PathLike):
        return os.fspath(dataset)
    raise TypeError(
        "Expected a dataset given as a file path, a pandas DataFrame or a dict of lists, "
        f"found {type(dataset).__name__}."
    )


def _is_remote(path: str) -> bool:
    return "://" in path


def _check_exists(path: str) -> None:
    if not _is_remote(path) and not os.path.exists(path):
        raise FileNotFoundError(f"Dataset file not found: {path!r} (resolved to {os.path.abspath(path)!r}).")


def _from_memory(dataset: pd.DataFrame | Mapping) -> pd.DataFrame:
    if isinstance(dataset, pd.DataFrame):
        # reset_index returns a new frame: a deep copy without copy-on-write (pandas 2), a lazy copy with it
        # (pandas 3), so changing the result never changes the caller's frame.
        return dataset.reset_index(drop=True)
    lengths = {str(k): len(v) for k, v in dataset.items() if hasattr(v, "__len__") and not isinstance(v, str)}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"All columns of a dict dataset must have the same length, found lengths {lengths}.")
    return pd.DataFrame(dict(dataset)).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------
# File readers, one per format.


def _require(module: str, pip_name: str, fmt: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"Reading {fmt} files needs the '{pip_name}' package, which is not installed. "
            f"Install it with: pip install {pip_name}"
        )


def _sniff_csv_separator(path: str) -> str:
    """The separator of a ``.csv`` file: a comma unless the header has none but has a tab, ';' or '|'."""
    if _is_remote(path) or path.lower().endswith(_COMPRESSION_SUFFIXES):
        return ","
    with open(path, encoding="utf-8", errors="replace") as f:
        header = f.readline(65536)
    if "," in header:
        return ","
    for separator in _CSV_FALLBACK_SEPARATORS:
        if separator in header:
            return separator
    return ","


def _read_delimited(path: str, sep: str) -> pd.DataFrame:
    df = pd.read_csv(path, sep=sep)
    # pandas renames a repeated header "x" to "x.1": read the header as written when a name looks renamed.
    renamed = [c for c in df.columns if re.fullmatch(r".+\.[0-9]+", str(c)) and str(c).rsplit(".", 1)[0] in df.columns]
    if renamed:
        header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False)
        check_unique_column_names(pd.DataFrame(columns=header.iloc[0].tolist()))
    return df


def _read_csv(path: str) -> pd.DataFrame:
    return _read_delimited(path, _sniff_csv_separator(path))


def _read_tsv(path: str) -> pd.DataFrame:
    return _read_delimited(path, "\t")


def _read_json(path: str) -> pd.DataFrame:
    # dtype=False keeps JSON strings as strings: the default would turn "01234" into the integer 1234.
    return pd.read_json(path, dtype=False)


def _read_jsonl(path: str) -> pd.DataFrame:
    return pd.read_json(path, lines=True, dtype=False)


def _read_parquet(path: str) -> pd.DataFrame:
    _require("pyarrow", "pyarrow", "parquet")
    return pd.read_parquet(path)


def _read_feather(path: str) -> pd.DataFrame:
    _require("pyarrow", "pyarrow", "feather")
    return pd.read_feather(path)


def _read_orc(path: str) -> pd.DataFrame:
    _require("pyarrow", "pyarrow", "orc")
    return pd.read_orc(path)


def _read_excel(path: str) -> pd.DataFrame:
    if path.lower().endswith(".xls"):
        _require("xlrd", "xlrd", "excel (.xls)")
    else:
        _require("openpyxl", "openpyxl", "excel")
    return pd.read_excel(path)


def _read_html(path: str) -> pd.DataFrame:
    _require("lxml", "lxml", "html")
    tables = pd.read_html(path)
    return tables[0]


def _read_fwf(path: str) -> pd.DataFrame:
    return pd.read_fwf(path)


def _read_pickle(path: str) -> pd.DataFrame:
    # Unpickling runs code from the file: only load pickles you trust.
    return pd.read_pickle(path)


def _read_sas(path: str) -> pd.DataFrame:
    return pd.read_sas(path)


def _read_spss(path: str) -> pd.DataFrame:
    _require("pyreadstat", "pyreadstat", "spss")
    return pd.read_spss(path)


def _read_stata(path: str) -> pd.DataFrame:
    return pd.read_stata(path)


_READERS: dict[str, Callable[[str], pd.DataFrame]] = {
    "csv": _read_csv,
    "tsv": _read_tsv,
    "json": _read_json,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
    "feather": _read_feather,
    "orc": _read_orc,
    "excel": _read_excel,
    "html": _read_html,
    "fwf": _read_fwf,
    "pickle": _read_pickle,
    "sas": _read_sas,
    "spss": _read_spss,
    "stata": _read_stata,
}


def _read_file(path: str, fmt: str) -> pd.DataFrame:
    try:
        data = _READERS[fmt](path)
    except (ImportError, FileNotFoundError, DatasetError):
        raise
    except (ValueError, TypeError, OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise ValueError(f"Could not read {path!r} as {fmt}: {type(e).__name__}: {e}") from e
    return _ensure_frame(data, path, fmt)


def _ensure_frame(data: Any, path: str, fmt: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, Mapping):
        return _from_memory(data)
    raise ValueError(f"Reading {path!r} as {fmt} gave a {type(data).__name__}, expected a table (DataFrame).")
