"""Readers, writers and small data helpers under the names Ludwig's ``ludwig.utils.data_utils`` gives them.

The table readers take ``(data_fp, df_lib=pandas, **kwargs)`` like Ludwig's and return a pandas DataFrame; where
``ludwig.data.dataset_loader`` already has a reader for a format (with its checks and clear errors about missing
optional packages) and no pandas options are passed, that reader is used. Pickle files are refused: unpickling runs
code from the file.

pandas, numpy, h5py and yaml are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import base64
import collections.abc
import csv
import dataclasses
import hashlib
import json
import os
import random
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from ludwig.constants import PREPROCESSING, SPLIT

DATASET_SPLIT_URL = "dataset_{}_fp"
DATA_PROCESSED_CACHE_DIR = "data_processed_cache_dir"
DATA_TRAIN_PARQUET_FP = "data_train_parquet_fp"
DATA_VALIDATION_PARQUET_FP = "data_validation_parquet_fp"
DATA_TEST_PARQUET_FP = "data_test_parquet_fp"
HDF5_COLUMNS_KEY = "columns"

DICT_FORMATS = {"dict", "dictionary", dict}
CSV_FORMATS = {"csv"}
TSV_FORMATS = {"tsv"}
JSON_FORMATS = {"json"}
JSONL_FORMATS = {"jsonl"}
EXCEL_FORMATS = {"excel"}
PARQUET_FORMATS = {"parquet"}
PICKLE_FORMATS = {"pickle"}
FEATHER_FORMATS = {"feather"}
FWF_FORMATS = {"fwf"}
HTML_FORMATS = {"html"}
ORC_FORMATS = {"orc"}
SAS_FORMATS = {"sas"}
SPSS_FORMATS = {"spss"}
STATA_FORMATS = {"stata"}
HDF5_FORMATS = {"hdf5", "h5"}

_PICKLE_REFUSAL = (
    "Reading pickle files is not supported: unpickling executes arbitrary code stored in the file. "
    "Convert the data to parquet, feather or csv and read that instead."
)


def _pandas(df_lib: Any = None) -> Any:
    if df_lib is not None:
        return df_lib
    import pandas as pd

    return pd


def _loader() -> Any:
    from ludwig.data import dataset_loader

    return dataset_loader


def _plain_local(data_fp: Any, df_lib: Any, kwargs: Mapping[str, Any]) -> bool:
    """Whether the repo's own reader applies: a local path, pandas, and no pandas options to honour."""
    if kwargs or not isinstance(data_fp, str | os.PathLike):
        return False
    import pandas as pd

    return df_lib is None or df_lib is pd


# ---------------------------------------------------------------------------------------------------------
# Paths


def get_parquet_filename(n: int) -> str:
    """The file name of parquet partition ``n``, zero padded so that lexical order is partition order.

    Args:
        n: The partition number.

    Returns:
        A name such as ``part.00000003.parquet``.
    """
    return f"part.{n:08d}.parquet"


def get_split_path(dataset_fp: str) -> str:
    """The path of the split file Ludwig saves next to a dataset: ``<stem>.split.parquet``.

    Args:
        dataset_fp: The dataset's path.

    Returns:
        The dataset's path with its extension replaced by ``.split.parquet``.
    """
    return os.path.splitext(dataset_fp)[0] + ".split.parquet"


def get_abs_path(src_path: str | None, file_path: str) -> str:
    """Join a relative ``file_path`` onto ``src_path``; remote URLs (``s3://``...) are returned unchanged.

    Args:
        src_path: The directory relative paths are taken from, or None.
        file_path: The path to resolve.

    Returns:
        The resolved path.
    """
    if "://" in str(file_path) or src_path is None:
        return file_path
    return os.path.join(src_path, file_path)


def replace_file_extension(file_path: str | None, extension: str) -> str | None:
    """The same path with another extension: ``("a.csv", "json")`` -> ``"a.json"``.

    Args:
        file_path: The original path, or None.
        extension: The new extension, with or without its dot.

    Returns:
        The new path, or None when ``file_path`` is None.
    """
    if file_path is None:
        return None
    extension = extension.strip().removeprefix(".")
    return os.path.splitext(file_path)[0] + "." + extension


def file_exists_with_diff_extension(file_path: str | None, extension: str) -> bool:
    """Whether the file with ``extension`` in place of ``file_path``'s extension exists (True for None).

    Args:
        file_path: The original path, or None.
        extension: The extension to look for.

    Returns:
        True when ``file_path`` is None or the other file exists.
    """
    return file_path is None or os.path.isfile(replace_file_extension(file_path, extension))


def get_path_size(start_path: str, regex_accept: str | None = None, regex_reject: str | None = None) -> int:
    """The total size in bytes of the files under ``start_path`` (links skipped), optionally filtered by name.

    Args:
        start_path: The directory to walk.
        regex_accept: When given, only file names matching it count.
        regex_reject: When given, file names matching it do not count.

    Returns:
        The size in bytes.
    """
    accept = re.compile(regex_accept) if regex_accept else None
    reject = re.compile(regex_reject) if regex_reject else None
    total = 0
    for dirpath, _, filenames in os.walk(start_path):
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            if os.path.islink(path):
                continue
            if accept is not None and not accept.match(filename):
                continue
            if reject is not None and reject.match(filename):
                continue
            total += os.path.getsize(path)
    return total


def is_model_dir(path: str) -> bool:
    """Whether ``path`` is a saved Ludwig model directory (hyperparameters, training set metadata and weights).

    Args:
        path: The directory to check.

    Returns:
        True for a model directory.
    """
    from ludwig.globals import MODEL_HYPERPARAMETERS_FILE_NAME, MODEL_WEIGHTS_FILE_NAME, TRAIN_SET_METADATA_FILE_NAME

    if not os.path.isdir(path):
        return False
    needed = (MODEL_HYPERPARAMETERS_FILE_NAME, TRAIN_SET_METADATA_FILE_NAME)
    if not all(os.path.isfile(os.path.join(path, name)) for name in needed):
        return False
    return any(name.startswith(MODEL_WEIGHTS_FILE_NAME) for name in os.listdir(path))


# ---------------------------------------------------------------------------------------------------------
# Table readers


def read_xsv(
    data_fp: str,
    df_lib: Any = None,
    separator: str = ",",
    header: int | None = 0,
    nrows: int | None = None,
    skiprows: int | None = None,
    dtype: Any = object,
    **kwargs: Any,
) -> Any:
    """Read a delimited text file; the delimiter is sniffed among ``,``, tab and ``|``, else ``separator``.

    Like Ludwig, every column is read as ``dtype=object`` by default (no type inference); a file pandas cannot
    parse is read again with ``\\`` as the escape character.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        separator: The delimiter when sniffing cannot tell.
        header: The header row, or None for no header.
        nrows: How many rows to read (all by default).
        skiprows: How many rows to skip first.
        dtype: The column dtype; None lets pandas infer types.
        **kwargs: Passed on to ``read_csv``.

    Returns:
        The table as a DataFrame.
    """
    pd = _pandas(df_lib)
    if os.path.isfile(data_fp):
        with open(data_fp, encoding="utf-8", errors="replace") as f:
            sample = f.read(100 * 1024)
        try:
            separator = csv.Sniffer().sniff(sample, delimiters=[",", "\t", "|"]).delimiter
        except csv.Error:
            pass
    options = dict(sep=separator, header=header, skiprows=skiprows, dtype=dtype, **kwargs)
    if nrows is not None:
        options["nrows"] = nrows
    try:
        return pd.read_csv(data_fp, **options)
    except Exception as e:  # pandas.errors.ParserError, without importing pandas at module level
        if type(e).__name__ != "ParserError":
            raise
        return pd.read_csv(data_fp, escapechar="\\", **options)


def read_csv(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read a CSV file (see :func:`read_xsv`; the separator is sniffed, columns are read as text).

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to :func:`read_xsv`.

    Returns:
        The table as a DataFrame.
    """
    return read_xsv(data_fp, df_lib, separator=",", **kwargs)


def read_tsv(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read a tab separated file (see :func:`read_xsv`).

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to :func:`read_xsv`.

    Returns:
        The table as a DataFrame.
    """
    return read_xsv(data_fp, df_lib, separator="\t", **kwargs)


def read_json(data_fp: str, df_lib: Any = None, normalize: bool = False, **kwargs: Any) -> Any:
    """Read a JSON table; with ``normalize`` the records are flattened with ``json_normalize``.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        normalize: Flatten nested records into dotted columns.
        **kwargs: Passed on to ``read_json`` (``nrows`` is dropped: it needs JSON lines).

    Returns:
        The table as a DataFrame.
    """
    kwargs.pop("nrows", None)
    if normalize:
        return _pandas(df_lib).json_normalize(load_json(data_fp))
    if _plain_local(data_fp, df_lib, kwargs):
        return _loader()._read_json(os.fspath(data_fp))
    return _pandas(df_lib).read_json(data_fp, **kwargs)


def read_jsonl(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read a JSON lines file, one record a line.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to ``read_json``.

    Returns:
        The table as a DataFrame.
    """
    if _plain_local(data_fp, df_lib, kwargs):
        return _loader()._read_jsonl(os.fspath(data_fp))
    return _pandas(df_lib).read_json(data_fp, lines=True, **kwargs)


def read_excel(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read an Excel workbook's first sheet (``xlrd`` for ``.xls``, ``openpyxl`` otherwise).

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to ``read_excel``.

    Returns:
        The table as a DataFrame.
    """
    if _plain_local(data_fp, df_lib, kwargs):
        return _loader()._read_excel(os.fspath(data_fp))
    engine = "xlrd" if os.path.splitext(str(data_fp))[1] == ".xls" else "openpyxl"
    return _pandas(df_lib).read_excel(data_fp, engine=engine, **kwargs)


def read_parquet(data_fp: str, df_lib: Any = None, nrows: int | None = None, **kwargs: Any) -> Any:
    """Read a parquet file or directory; ``nrows`` reads only the first rows.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        nrows: How many rows to read (all by default).
        **kwargs: Passed on to ``read_parquet``.

    Returns:
        The table as a DataFrame.
    """
    if nrows is not None:
        import pyarrow.parquet as pq

        return pq.ParquetDataset(data_fp).fragments[0].head(nrows).to_pandas()
    if _plain_local(data_fp, df_lib, kwargs):
        return _loader()._read_parquet(os.fspath(data_fp))
    return _pandas(df_lib).read_parquet(data_fp, **kwargs)


def read_pickle(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Refuse to read a pickle file: unpickling runs code stored in the file.

    Args:
        data_fp: The file's path.
        df_lib: Unused.
        **kwargs: Unused.

    Raises:
        ValueError: Always.
    """
    raise ValueError(f"{data_fp!r}: {_PICKLE_REFUSAL}")


def read_fwf(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read a fixed-width formatted text file.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to ``read_fwf``.

    Returns:
        The table as a DataFrame.
    """
    return _pandas(df_lib).read_fwf(data_fp, **kwargs)


def read_feather(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read a feather (Arrow IPC) file.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Ignored (``nrows`` is not supported for feather, as in Ludwig).

    Returns:
        The table as a DataFrame.
    """
    if _plain_local(data_fp, df_lib, {}):
        return _loader()._read_feather(os.fspath(data_fp))
    return _pandas(df_lib).read_feather(data_fp)


def read_html(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read the first table of an HTML file, or of an HTML string when ``data_fp`` is not a file.

    Args:
        data_fp: The file's path, or HTML text.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Ignored.

    Returns:
        The first table as a DataFrame.
    """
    from io import StringIO

    source: Any = data_fp
    if isinstance(data_fp, str) and not os.path.isfile(data_fp):
        source = StringIO(data_fp)
    return _pandas(df_lib).read_html(source)[0]


def read_orc(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read an ORC file.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to ``read_orc`` (``nrows`` is dropped).

    Returns:
        The table as a DataFrame.
    """
    kwargs.pop("nrows", None)
    if _plain_local(data_fp, df_lib, kwargs):
        return _loader()._read_orc(os.fspath(data_fp))
    return _pandas(df_lib).read_orc(data_fp, **kwargs)


def _read_chunked(read_fn: Any, data_fp: str, kwargs: dict[str, Any]) -> Any:
    nrows = kwargs.pop("nrows", None)
    if nrows is None:
        return read_fn(data_fp, **kwargs)
    result = read_fn(data_fp, chunksize=nrows, **kwargs)
    if isinstance(result, Iterator):
        try:
            return next(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    return result


def read_sas(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read a SAS file (``.sas7bdat`` or ``.xpt``); ``nrows`` reads only the first rows.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to ``read_sas``.

    Returns:
        The table as a DataFrame.
    """
    return _read_chunked(_pandas(df_lib).read_sas, data_fp, kwargs)


def read_spss(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read an SPSS ``.sav`` file (needs ``pyreadstat``).

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Ignored.

    Returns:
        The table as a DataFrame.
    """
    if _plain_local(data_fp, df_lib, {}):
        return _loader()._read_spss(os.fspath(data_fp))
    return _pandas(df_lib).read_spss(data_fp)


def read_stata(data_fp: str, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read a Stata ``.dta`` file; ``nrows`` reads only the first rows.

    Args:
        data_fp: The file's path.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to ``read_stata``.

    Returns:
        The table as a DataFrame.
    """
    return _read_chunked(_pandas(df_lib).read_stata, data_fp, kwargs)


def read_hdf5(data_fp: str, df_lib: Any = None, **_kwargs: Any) -> Any:
    """Read an HDF5 file written by :func:`save_hdf5`, dropping the ``_<suffix>`` Ludwig adds to column names.

    Args:
        data_fp: The file's path.
        df_lib: Unused (the result is a pandas DataFrame).
        **_kwargs: Ignored.

    Returns:
        The table as a DataFrame.
    """
    return load_hdf5(data_fp, clean_cols=True)


def figure_data_format_dataset(dataset: Any) -> Any:
    """The format of one dataset: ``pandas.DataFrame`` or ``dict`` (the types) for in-memory data, else a name.

    Args:
        dataset: A DataFrame, a dict of columns, or a path.

    Returns:
        ``pandas.DataFrame``, ``dict``, or a format name such as ``"csv"``.

    Raises:
        ValueError: When the format cannot be told.
    """
    import pandas as pd

    if isinstance(dataset, pd.DataFrame):
        return pd.DataFrame
    if isinstance(dataset, dict):
        return dict
    if isinstance(dataset, str | os.PathLike):
        text = os.fspath(dataset).strip()
        if text.startswith("ludwig://"):
            return "ludwig"
        if text.startswith("hf://"):
            return "hf"
        lower = text.lower()
        for suffix in (".gz", ".bz2", ".zip", ".xz", ".zst"):
            lower = lower.removesuffix(suffix)
        extension = os.path.splitext(lower)[1]
        known = dict(_loader()._EXTENSION_FORMATS)
        known.update({".xlsb": "excel", ".odf": "excel", ".ods": "excel", ".odt": "excel"})
        known.update({".sas": "sas", ".spss": "spss", ".stata": "stata", ".txt": "csv"})
        if extension in known:
            return known[extension]
        raise ValueError(f"Dataset path string {text} does not contain a valid extension")
    raise ValueError(f"Cannot figure out the format of dataset {dataset!r}")


def figure_data_format(
    dataset: Any = None, training_set: Any = None, validation_set: Any = None, test_set: Any = None
) -> Any:
    """The format shared by ``dataset``, or by the training/validation/test sets (which must agree).

    Args:
        dataset: The whole dataset, or None.
        training_set: The training set, used when ``dataset`` is None.
        validation_set: The validation set, or None.
        test_set: The test set, or None.

    Returns:
        The format, as :func:`figure_data_format_dataset` gives it.

    Raises:
        ValueError: When neither ``dataset`` nor ``training_set`` is given, or the sets' formats differ.
    """
    if dataset is not None:
        return figure_data_format_dataset(dataset)
    if training_set is None:
        raise ValueError("At least one between dataset and training_set must be not None")
    named = [("Training", training_set), ("Validation", validation_set), ("Test", test_set)]
    formats = [(name, figure_data_format_dataset(data)) for name, data in named if data is not None]
    if len({fmt for _, fmt in formats}) > 1:
        detail = ", ".join(f"{name}: {fmt}" for name, fmt in formats)
        raise ValueError(f"Datasets have different formats. {detail}")
    return formats[0][1]


data_reader_registry: dict[str, Any] = {
    **dict.fromkeys(CSV_FORMATS, read_csv),
    **dict.fromkeys(TSV_FORMATS, read_tsv),
    **dict.fromkeys(JSON_FORMATS, read_json),
    **dict.fromkeys(JSONL_FORMATS, read_jsonl),
    **dict.fromkeys(EXCEL_FORMATS, read_excel),
    **dict.fromkeys(PARQUET_FORMATS, read_parquet),
    **dict.fromkeys(PICKLE_FORMATS, read_pickle),
    **dict.fromkeys(FWF_FORMATS, read_fwf),
    **dict.fromkeys(FEATHER_FORMATS, read_feather),
    **dict.fromkeys(HTML_FORMATS, read_html),
    **dict.fromkeys(ORC_FORMATS, read_orc),
    **dict.fromkeys(SAS_FORMATS, read_sas),
    **dict.fromkeys(SPSS_FORMATS, read_spss),
    **dict.fromkeys(STATA_FORMATS, read_stata),
    **dict.fromkeys(HDF5_FORMATS, read_hdf5),
}


def read_fname(fname: str, data_format: str | None = None, df_lib: Any = None, **kwargs: Any) -> Any:
    """Read ``fname`` with the reader of ``data_format`` (inferred from the extension when None).

    Args:
        fname: The file's path.
        data_format: The format name, or None.
        df_lib: The DataFrame library (pandas by default).
        **kwargs: Passed on to the reader.

    Returns:
        The table as a DataFrame.
    """
    data_format = data_format or figure_data_format_dataset(fname)
    if data_format not in data_reader_registry:
        raise ValueError(f"{data_format} format is not supported; supported: {sorted(data_reader_registry)}")
    return data_reader_registry[data_format](fname, df_lib, **kwargs)


def load_dataset(dataset: Any, data_format: str | None = None, df_lib: Any = None) -> Any:
    """Load a dataset given as a DataFrame, a dict of columns or a path (the format inferred when not given).

    Args:
        dataset: The dataset.
        data_format: The format name, or None / ``"auto"``.
        df_lib: The DataFrame library (pandas by default).

    Returns:
        The dataset as a DataFrame.
    """
    import pandas as pd

    if not data_format or data_format == "auto":
        data_format = figure_data_format(dataset)
    if data_format in ("dataframe", "df", pd.DataFrame):
        return dataset
    if data_format in DICT_FORMATS:
        return pd.DataFrame(dataset)
    if data_format in data_reader_registry:
        return data_reader_registry[data_format](dataset, df_lib)
    raise ValueError(f"{data_format} format is not supported")


def csv_contains_column(data_fp: str, column_name: str) -> bool:
    """Whether the CSV file's header has ``column_name`` (only the header is read).

    Args:
        data_fp: The file's path.
        column_name: The column to look for.

    Returns:
        True when the column exists.
    """
    return column_name in read_csv(data_fp, nrows=0)


# ---------------------------------------------------------------------------------------------------------
# Writers and plain-file helpers


def load_csv(data_fp: str) -> list[list[str]]:
    """Read a CSV file as a list of rows, each a list of strings (no pandas).

    Args:
        data_fp: The file's path.

    Returns:
        The rows, header included.
    """
    with open(data_fp, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def save_csv(data_fp: str, data: Iterable[Any]) -> None:
    """Write rows to a CSV file; a row that is a scalar or a string becomes a one-cell row.

    Args:
        data_fp: The file's path.
        data: The rows.
    """
    with open(data_fp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        for row in data:
            if isinstance(row, str) or not isinstance(row, collections.abc.Iterable):
                row = [row]
            writer.writerow(row)


def load_yaml(yaml_fp: str) -> Any:
    """Read a YAML file with ``yaml.safe_load``.

    Args:
        yaml_fp: The file's path.

    Returns:
        The parsed document.
    """
    import yaml

    with open(yaml_fp, encoding="utf-8") as f:
        return yaml.safe_load(f)


def save_yaml(yaml_fp: str, data: Any) -> None:
    """Write ``data`` to a YAML file (keys in insertion order).

    Args:
        yaml_fp: The file's path.
        data: Plain Python data (numpy values are converted).
    """
    import yaml

    with open(yaml_fp, "w", encoding="utf-8") as f:
        yaml.safe_dump(numpy_to_python(data), f, sort_keys=False)


def load_config_from_str(config: str) -> Any:
    """Parse a config given as a YAML/JSON string, or as the path of a YAML file.

    Args:
        config: The config text, or a path.

    Returns:
        The parsed config.
    """
    import yaml

    parsed = yaml.safe_load(config)
    if isinstance(parsed, str):
        with open(parsed, encoding="utf-8") as f:
            parsed = yaml.safe_load(f)
    return parsed


def load_json(data_fp: str) -> Any:
    """Read a JSON file.

    Args:
        data_fp: The file's path.

    Returns:
        The parsed document.
    """
    with open(data_fp, encoding="utf-8") as f:
        return json.load(f)


def save_json(data_fp: str, data: Any, sort_keys: bool = True, indent: int = 4) -> None:
    """Write ``data`` as JSON, converting numpy values, sets, tuples and dataclasses (see :class:`NumpyEncoder`).

    Args:
        data_fp: The file's path.
        data: The data.
        sort_keys: Sort the keys of objects.
        indent: The indentation.
    """
    with open(data_fp, "w", encoding="utf-8") as f:
        json.dump(data, f, cls=NumpyEncoder, sort_keys=sort_keys, indent=indent)


class NumpyEncoder(json.JSONEncoder):
    """A JSON encoder that also writes numpy scalars and arrays, sets, tuples, dataclasses and ``to_dict`` objects."""

    def default(self, o: Any) -> Any:
        """Convert ``o`` to something JSON can write.

        Args:
            o: The object json could not write by itself.

        Returns:
            A JSON-serializable equivalent.
        """
        if isinstance(o, set | tuple):
            return list(o)
        module = type(o).__module__
        if module == "numpy":
            import numpy as np

            if isinstance(o, np.bool_):
                return bool(o)
            if isinstance(o, np.integer):
                return int(o)
            if isinstance(o, np.floating):
                return float(o)
            if isinstance(o, np.ndarray):
                return o.tolist()
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        if hasattr(o, "to_dict"):
            return o.to_dict()
        return super().default(o)


def numpy_to_python(obj: Any) -> Any:
    """Convert numpy scalars and arrays inside ``obj`` (recursively) to plain Python values.

    Args:
        obj: The object.

    Returns:
        The same structure with numpy values replaced; tuples and sets become lists.
    """
    if type(obj).__module__ == "numpy":
        return obj.tolist() if hasattr(obj, "tolist") else obj
    if isinstance(obj, dict):
        return {k: numpy_to_python(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [numpy_to_python(v) for v in obj]
    return obj


def normalize_numpy(obj: Any) -> Any:
    """Convert a numpy scalar or array (or a list of them) to plain Python values.

    Args:
        obj: The object.

    Returns:
        The converted value.
    """
    if isinstance(obj, list):
        return [normalize_numpy(v) for v in obj]
    if type(obj).__module__ == "numpy" and hasattr(obj, "tolist"):
        return obj.tolist()
    return obj


def to_json_dict(d: Any) -> Any:
    """Round-trip ``d`` through JSON (with :class:`NumpyEncoder`) so that it holds only JSON types.

    Args:
        d: The data.

    Returns:
        The JSON-ready copy.
    """
    return json.loads(json.dumps(d, cls=NumpyEncoder))


def hash_dict(d: dict, max_length: int | None = 6) -> bytes:
    """A short, stable hash of a dict (keys sorted; values must have a stable order, so avoid sets).

    Args:
        d: The dict.
        max_length: How many characters to keep (None keeps all).

    Returns:
        The URL-safe base64 digest, truncated to ``max_length``.
    """
    text = json.dumps(d, cls=NumpyEncoder, sort_keys=True, ensure_ascii=True)
    digest = hashlib.md5(text.encode()).digest()
    return base64.b64encode(digest, altchars=b"__")[:max_length]


def chunk_dict(data: dict, chunk_size: int = 100) -> Iterator[dict]:
    """Split a dict into dicts of at most ``chunk_size`` items.

    Args:
        data: The dict.
        chunk_size: The largest chunk.

    Yields:
        The chunks, in order.
    """
    it = iter(data)
    for _ in range(0, len(data), chunk_size):
        yield {k: data[k] for k in islice(it, chunk_size)}


def flatten_dict(d: Mapping, parent_key: str = "", sep: str = ".") -> dict[str, Any]:
    """Flatten nested dicts and lists into one dict with dotted keys (list items keyed by index).

    Args:
        d: The nested mapping.
        parent_key: The prefix of every key.
        sep: The separator between key parts.

    Returns:
        The flat dict.
    """
    items: dict[str, Any] = {}
    for key, value in d.items():
        full_key = f"{parent_key}{sep}{key}" if parent_key else key
        if isinstance(value, collections.abc.MutableMapping):
            items.update(flatten_dict(value, full_key, sep=sep))
        elif isinstance(value, list):
            items.update(flatten_dict({str(i): v for i, v in enumerate(value)}, full_key, sep=sep))
        else:
            items[full_key] = value
    return items


def load_object(object_fp: str) -> Any:
    """Refuse to load a pickled object: unpickling runs code stored in the file.

    Args:
        object_fp: The file's path.

    Raises:
        ValueError: Always.
    """
    raise ValueError(f"{object_fp!r}: {_PICKLE_REFUSAL}")


def load_array(data_fp: str, dtype: type = float) -> Any:
    """Read a text file with one number a line into a 1-D numpy array.

    Args:
        data_fp: The file's path.
        dtype: The type each line is converted with.

    Returns:
        The array.
    """
    import numpy as np

    with open(data_fp, encoding="utf-8") as f:
        return np.array([dtype(line.strip()) for line in f if line.strip()])


def load_matrix(data_fp: str, dtype: type = float) -> Any:
    """Read a text file of whitespace separated numbers, one row a line, into a (squeezed) numpy array.

    Args:
        data_fp: The file's path.
        dtype: The type each value is converted with.

    Returns:
        The array.
    """
    import numpy as np

    with open(data_fp, encoding="utf-8") as f:
        rows = [[dtype(v) for v in line.split()] for line in f if line.strip()]
    return np.squeeze(np.array(rows))


def save_array(data_fp: str, array: Any) -> None:
    """Write every element of an array, one a line (the inverse of :func:`load_array`).

    Args:
        data_fp: The file's path.
        array: The array (any shape; it is written flattened).
    """
    import numpy as np

    with open(data_fp, "w", encoding="utf-8") as f:
        for value in np.nditer(np.asarray(array)):
            f.write(f"{value}\n")


def to_numpy_dataset(df: Any, backend: Any = None) -> dict[str, Any]:
    """A dict of numpy arrays, one per column; rows holding arrays are stacked into one array.

    Args:
        df: A DataFrame, or a dict of columns (values are made numpy arrays).
        backend: Unused; kept for Ludwig's signature.

    Returns:
        Column name -> numpy array.
    """
    import numpy as np

    if isinstance(df, dict):
        return {k: v if isinstance(v, np.ndarray) else np.array(v) for k, v in df.items()}
    dataset = {}
    for column in df.columns:
        values = df[column].to_numpy()
        dataset[column] = np.stack(values) if len(values) else np.array([])
    return dataset


def from_numpy_dataset(dataset: Mapping[str, Any]) -> Any:
    """A DataFrame from a dict of numpy arrays; arrays with more than one dimension give one array per row.

    Args:
        dataset: Column name -> array.

    Returns:
        The DataFrame.
    """
    import numpy as np
    import pandas as pd

    columns = {}
    for key, value in dataset.items():
        value = np.asarray(value)
        columns[key] = list(value) if value.ndim > 1 else value
    if not columns:
        return pd.DataFrame(columns=pd.Index([], dtype="object"))
    return pd.DataFrame(columns)


def save_hdf5(data_fp: str, data: Any) -> None:
    """Write a DataFrame to HDF5 the way Ludwig does: one dataset per column plus a ``columns`` dataset of names.

    Text columns are written as UTF-8 byte strings.

    Args:
        data_fp: The file's path.
        data: The DataFrame.
    """
    import h5py
    import numpy as np

    numpy_dataset = to_numpy_dataset(data)
    with h5py.File(data_fp, "w") as f:
        f.create_dataset(HDF5_COLUMNS_KEY, data=np.array([str(c) for c in data.columns], dtype="S"))
        for column in data.columns:
            values = numpy_dataset[column]
            if values.dtype.kind in ("O", "U"):
                values = np.array([str(v).encode("utf-8") for v in values], dtype=h5py.string_dtype())
            f.create_dataset(str(column), data=values)


def load_hdf5(data_fp: str, clean_cols: bool = False) -> Any:
    """Read an HDF5 file written by :func:`save_hdf5` back into a DataFrame.

    Args:
        data_fp: The file's path.
        clean_cols: Drop the last ``_<suffix>`` of every column name (Ludwig's processed columns).

    Returns:
        The DataFrame.
    """
    import h5py

    with h5py.File(data_fp, "r") as f:
        columns = [name.decode("utf-8") for name in f[HDF5_COLUMNS_KEY][()].tolist()]
        dataset = {}
        for column in columns:
            values = f[column][()]
            if values.dtype.kind in ("O", "S"):
                values = values.astype(object)
                values[:] = [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
            dataset[column.rsplit("_", 1)[0] if clean_cols else column] = values
    return from_numpy_dataset(dataset)


# ---------------------------------------------------------------------------------------------------------
# Splitting and shuffling


def split_data(split: float, data: list) -> tuple[list, list]:
    """Shuffle ``data`` in place and cut it into the first ``split`` fraction and the rest.

    Args:
        split: The fraction of the first part.
        data: The list.

    Returns:
        The two parts.
    """
    length = int(round(split * len(data)))
    random.shuffle(data)
    return data[:length], data[length:]


def split_by_slices(slices: list[Any], n: int, probabilities: list[float]) -> list[Any]:
    """Cut ``slices`` into consecutive parts of ``int(p * n)`` items for each probability ``p``.

    Args:
        slices: The items.
        n: The total count the probabilities are taken of.
        probabilities: The fraction of each part.

    Returns:
        The parts.
    """
    parts = []
    start = 0
    for p in probabilities:
        end = start + int(p * n)
        parts.append(slices[start:end])
        start = end
    return parts


def shuffle_unison_inplace(list_of_lists: list[Any], random_state: Any = None) -> list[Any] | None:
    """Shuffle several equally long arrays with one permutation.

    Args:
        list_of_lists: The numpy arrays.
        random_state: A ``numpy.random.RandomState`` (the global one by default).

    Returns:
        The shuffled arrays, or None for an empty list.

    Raises:
        ValueError: When the arrays differ in length.
    """
    import numpy as np

    if not list_of_lists:
        return None
    lengths = [len(a) for a in list_of_lists]
    if len(set(lengths)) > 1:
        raise ValueError(f"All lists must have the same length for unison shuffling, got lengths: {lengths}.")
    permutation = (random_state or np.random).permutation(lengths[0])
    return [a[permutation] for a in list_of_lists]


def shuffle_dict_unison_inplace(np_dict: dict[str, Any], random_state: Any = None) -> dict[str, Any]:
    """Shuffle every array of a dict with one permutation.

    Args:
        np_dict: Name -> numpy array, all equally long.
        random_state: A ``numpy.random.RandomState`` (the global one by default).

    Returns:
        Name -> shuffled array.
    """
    shuffled = shuffle_unison_inplace(list(np_dict.values()), random_state) or []
    return dict(zip(np_dict.keys(), shuffled, strict=True))


def split_dataset(dataset: Any, split: str, value_to_split: int = 0) -> Any:
    """The rows of ``dataset`` whose ``split`` column equals ``value_to_split``.

    Args:
        dataset: The DataFrame.
        split: The split column's name.
        value_to_split: 0 training, 1 validation, 2 test.

    Returns:
        The selected rows.
    """
    return dataset[dataset[split] == value_to_split]


def split_dataset_ttv(dataset: Any, split: str = SPLIT) -> tuple[Any, Any, Any]:
    """Cut a DataFrame by its split column (0 training, 1 validation, 2 test).

    As in Ludwig, the result is ordered ``(training, test, validation)``; a split with no rows is None.

    Args:
        dataset: The DataFrame (its split column is cast to int in place).
        split: The split column's name.

    Returns:
        ``(training_set, test_set, validation_set)``.
    """
    if dataset[split].dtype != int:
        dataset[split] = dataset[split].astype(int)
    present = set(dataset[split].drop_duplicates().tolist())
    training_set = split_dataset(dataset, split, 0) if 0 in present else None
    validation_set = split_dataset(dataset, split, 1) if 1 in present else None
    test_set = split_dataset(dataset, split, 2) if 2 in present else None
    return training_set, test_set, validation_set


def generate_kfold_splits(data_df: Any, num_folds: int, random_state: int | None) -> Iterator[tuple[Any, Any, int]]:
    """Shuffled k-fold splits of a DataFrame's rows.

    Args:
        data_df: The DataFrame.
        num_folds: The number of folds (at least 2).
        random_state: The seed.

    Yields:
        ``(train_indices, test_indices, fold_number)``, fold numbers counted from 1.
    """
    import numpy as np

    if num_folds < 2:
        raise ValueError(f"num_folds must be at least 2, got {num_folds}")
    n = len(data_df)
    permutation = np.random.RandomState(random_state).permutation(n)
    folds = np.array_split(permutation, num_folds)
    for fold_num, test_indices in enumerate(folds, start=1):
        train_indices = np.concatenate([f for i, f in enumerate(folds, start=1) if i != fold_num])
        yield np.sort(train_indices), np.sort(test_indices), fold_num


# ---------------------------------------------------------------------------------------------------------
# Labels, columns and configs


def collapse_rare_labels(labels: Any, labels_limit: int) -> Any:
    """Clip integer labels at ``labels_limit`` (in place), so every rarer label shares one id.

    Args:
        labels: A numpy array of label ids.
        labels_limit: The largest id kept; 0 or less keeps all.

    Returns:
        The labels.
    """
    if labels_limit > 0:
        labels[labels >= labels_limit] = labels_limit
    return labels


def class_counts(dataset: Mapping[str, Any], labels_field: str) -> list[int]:
    """How often each integer label occurs in ``dataset[labels_field]``.

    Args:
        dataset: A mapping of columns to numpy arrays.
        labels_field: The column.

    Returns:
        The counts, indexed by label.
    """
    import numpy as np

    return np.bincount(np.asarray(dataset[labels_field]).flatten()).tolist()


def load_from_file(file_name: str, field: str | None = None, dtype: type = int, ground_truth_split: int = 2) -> Any:
    """Load experiment data (predictions, probabilities, ground truth) from ``.npy``, ``.csv``, HDF5 or text.

    Args:
        file_name: The file's path.
        field: For HDF5 ground truth, the column to take.
        dtype: The type of values in a text matrix.
        ground_truth_split: For HDF5 ground truth, the split kept (2 is test).

    Returns:
        The data as a numpy array.
    """
    import numpy as np

    if file_name.endswith(".hdf5") and field is not None:
        dataset = load_hdf5(file_name)
        return dataset[field][dataset[SPLIT] == ground_truth_split].values
    if file_name.endswith(".npy"):
        return np.load(file_name, allow_pickle=False)
    if file_name.endswith(".csv"):
        return read_csv(file_name, header=None).values
    return load_matrix(file_name, dtype)


def add_sequence_feature_column(df: Any, col_name: str, seq_length: int) -> None:
    """Add ``<col_name>_feature``: for each row, the ``seq_length`` preceding values joined by spaces.

    The first ``seq_length`` rows, which have no full history, are back-filled.

    Args:
        df: The DataFrame (changed in place).
        col_name: The column holding the sequential values.
        seq_length: How many preceding values each row gets.
    """
    import logging

    import numpy as np

    logger = logging.getLogger(__name__)
    if col_name not in df.columns:
        logger.error(f"{col_name} column does not exist")
        return
    new_col = f"{col_name}_feature"
    if new_col in df.columns:
        logger.warning(f"{new_col} column already exists, values will be overridden")
    values = np.array(df[col_name])
    history: list[Any] = [None] * seq_length
    history += [" ".join(str(v) for v in values[i - seq_length : i]) for i in range(seq_length, len(df))]
    df[new_col] = history
    df[new_col] = df[new_col].bfill()


def override_in_memory_flag(input_features: list[dict], override_value: bool) -> int:
    """Set ``preprocessing.in_memory`` to ``override_value`` on every feature that has it.

    Args:
        input_features: Feature configs (changed in place).
        override_value: The new value.

    Returns:
        How many features were changed.
    """
    count = 0
    for feature in input_features:
        preprocessing = feature.get(PREPROCESSING)
        if isinstance(preprocessing, dict) and "in_memory" in preprocessing:
            preprocessing["in_memory"] = override_value
            count += 1
    return count


_NDARRAY_PREFIX = "__ndarray__"


def ndarray2string(parm_array: Any) -> str:
    """Encode a numpy array as Ludwig's ``__ndarray__<json list>`` string.

    Args:
        parm_array: The array.

    Returns:
        The encoded string.

    Raises:
        ValueError: When ``parm_array`` is not a numpy array.
    """
    import numpy as np

    if not isinstance(parm_array, np.ndarray):
        raise ValueError(f"Argument must be numpy.ndarray. Instead argument found to be {type(parm_array)}")
    return _NDARRAY_PREFIX + json.dumps(parm_array.tolist())


def string2ndarray(parm_string: str) -> Any:
    """Decode a string made by :func:`ndarray2string`.

    Args:
        parm_string: The encoded string.

    Returns:
        The numpy array.

    Raises:
        ValueError: When the string is not in that format.
    """
    import numpy as np

    if not is_ludwig_ndarray_string(parm_string):
        raise ValueError("Argument must be Ludwig custom string format for numpy.ndarray")
    return np.array(json.loads(parm_string[len(_NDARRAY_PREFIX) :]))


def is_ludwig_ndarray_string(parm_string: Any) -> bool:
    """Whether ``parm_string`` is a string made by :func:`ndarray2string`.

    Args:
        parm_string: Any value.

    Returns:
        True for an encoded array.
    """
    return isinstance(parm_string, str) and parm_string.startswith(_NDARRAY_PREFIX)


def get_sanitized_feature_name(feature_name: str) -> str:
    """Replace brackets, braces, dots, colons and quotes in a name with ``_``.

    Args:
        feature_name: The name.

    Returns:
        The sanitized name.
    """
    return re.sub(r"[(){}.:\"'\[\]]", "_", feature_name)


def sanitize_column_names(df: Any) -> Any:
    """Rename a DataFrame's columns with :func:`get_sanitized_feature_name`.

    Args:
        df: The DataFrame.

    Returns:
        A renamed copy.
    """
    return df.rename(columns={c: get_sanitized_feature_name(str(c)) for c in df.columns})


def load_pretrained_embeddings(embeddings_path: str, vocab: list[str]) -> Any:
    """An embedding matrix for ``vocab`` from a GloVe file; unknown words get the mean vector plus small noise.

    Args:
        embeddings_path: The GloVe text file.
        vocab: The words, in row order.

    Returns:
        A ``(len(vocab), embedding_size)`` numpy array.
    """
    import numpy as np

    embeddings, size = load_glove(embeddings_path, return_embedding_size=True)
    known = [embeddings[w] for w in vocab if w in embeddings]
    if not known:
        raise ValueError(f"None of the {len(vocab)} vocabulary words is in {embeddings_path!r}")
    mean = sum(known) / len(known)
    rows = [embeddings[w] if w in embeddings else mean + np.random.uniform(-0.01, 0.01, size) for w in vocab]
    return np.stack(rows)


def load_glove(file_path: str, return_embedding_size: bool = False) -> Any:
    """Read a GloVe text file: a word and its vector on each line (malformed lines are skipped with a warning).

    Args:
        file_path: The file's path.
        return_embedding_size: Also return the vector size (taken from the first line).

    Returns:
        Word -> numpy vector, or ``(that dict, embedding_size)``.
    """
    import logging

    import numpy as np

    logger = logging.getLogger(__name__)
    embeddings: dict[str, Any] = {}
    size = 0
    with open(file_path, encoding="utf-8") as f:
        for line_number, line in enumerate(f):
            parts = line.split()
            if not parts:
                continue
            if not size:
                size = len(parts) - 1
            if len(parts) != size + 1:
                logger.warning(f"Line {line_number} in the GloVe file {file_path} is malformed, skipping it")
                continue
            try:
                embeddings[parts[0]] = np.array([float(v) for v in parts[1:]])
            except ValueError:
                logger.warning(f"Line {line_number} in the GloVe file {file_path} is malformed, skipping it")
    if return_embedding_size:
        return embeddings, size
    return embeddings


def clear_data_cache() -> None:
    """Clear cached data objects (kept for Ludwig compatibility: GloVe files are not cached here)."""
