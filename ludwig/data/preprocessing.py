"""Raw data -> preprocessed tensors, for training and for prediction.

Training: load -> sample -> split -> clean each column (cast, outliers, missing values) -> metadata from the
training rows -> feature arrays for all rows -> class balancing of the training rows -> cache.
Prediction: the same cleaning and arrays with the metadata saved at training time, keeping every row in order.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ludwig.constants import (
    BFILL,
    BINARY,
    DROP_ROW,
    FFILL,
    FILL_WITH_CONST,
    FILL_WITH_FALSE,
    FILL_WITH_MEAN,
    FILL_WITH_MODE,
    FILL_WITH_TRUE,
    NUMBER,
    SPLIT,
)
from ludwig.data.cache import WARNINGS_KEY, DatasetCache, file_checksum, preprocessing_checksum, read_hdf5
from ludwig.data.checks import (
    check_columns_present,
    empty_training_split_error,
    missing_column_error,
    recorded_warnings,
    warn_if_all_missing,
    warn_if_single_class,
    warn_if_tiny,
)
from ludwig.data.dataset import Dataset
from ludwig.data.dataset_loader import infer_data_format, load_dataset
from ludwig.data.split import split_dataset
from ludwig.features.feature_registries import base_type_registry, load_all_features

logger = logging.getLogger(__name__)

TRAINING, VALIDATION, TEST = 0, 1, 2
SPLIT_NAMES = ("training", "validation", "test")
CACHEABLE_FORMATS = ("csv", "tsv", "json", "jsonl", "parquet", "feather", "excel", "pickle", "fwf", "html", "orc")


@dataclass
class PreprocessedSplits:
    training: Dataset
    validation: Dataset | None
    test: Dataset | None
    metadata: dict[str, Any]


# ---------------------------------------------------------------------------------------------------------
# Entry points


def preprocess_for_training(
    config,
    dataset=None,
    training_set=None,
    validation_set=None,
    test_set=None,
    training_set_metadata: dict | str | None = None,
    data_format: str | None = None,
    skip_save_processed_input: bool = False,
    random_seed: int = 42,
    callbacks: list | None = None,
) -> PreprocessedSplits:
    """Preprocess the data given to ``train``/``experiment``/``preprocess``, reusing the cache when valid."""
    load_all_features()
    callbacks = callbacks or []
    for callback in callbacks:
        callback.on_preprocess_start(config.to_dict())
    if dataset is None and training_set is None:
        raise ValueError("No data given: pass `dataset` or `training_set` (with optional validation/test sets).")

    cached = _load_preprocessed_files(
        dataset, training_set, validation_set, test_set, training_set_metadata, data_format
    )
    cache = None
    source_path = dataset if dataset is not None else training_set
    if cached is None and _is_cacheable(source_path, data_format) and validation_set is None and test_set is None:
        cache = DatasetCache(source_path, preprocessing_checksum(config, file_checksum(source_path), random_seed))
        cached = cache.load()
    if cached is not None:
        splits, metadata = cached
        result = PreprocessedSplits(splits["training"], splits.get("validation"), splits.get("test"), metadata)
    else:
        with recorded_warnings() as warnings:
            df, split = _load_for_training(
                config, dataset, training_set, validation_set, test_set, data_format, random_seed
            )
            result = _build_training_splits(config, df, split, random_seed)
        if cache is not None and not skip_save_processed_input:
            cache.save(
                {"training": result.training, "validation": result.validation, "test": result.test},
                result.metadata,
                warnings,
            )
    for callback in callbacks:
        callback.on_preprocess_end(result.training, result.validation, result.test, result.metadata)
    return result


def preprocess_for_prediction(
    config,
    dataset,
    training_set_metadata: dict[str, Any],
    data_format: str | None = None,
    split: str = "full",
    include_outputs: bool = True,
    random_seed: int = 42,
) -> tuple[Dataset, pd.DataFrame]:
    """Preprocess data for predict/evaluate with the training metadata; one row per input row, in order.

    Returns the dataset and the raw dataframe rows it was built from (after ``split`` selection).
    Output features are included when ``include_outputs`` and their columns are present; then the rows whose
    target is missing are left out (with a warning) for an output whose ``missing_value_strategy`` is
    ``drop_row``, as in training, so evaluation never scores a made-up target.
    """
    load_all_features()
    df = load_dataset(dataset, data_format)
    if isinstance(dataset, pd.DataFrame):
        df.index = dataset.index  # predictions keep the caller's index, so they can be joined back
    if split != "full":
        df = _select_split(config, df, split, random_seed)
    features = [(f, True) for f in config.input_features]
    if include_outputs:
        outputs = [f for f in config.output_features if f.column in df.columns]
        df = _drop_rows_without_targets(df, outputs, training_set_metadata)
        features += [(f, False) for f in outputs]
    columns = {}
    for feature, _ in features:
        metadata = training_set_metadata[feature.name]
        column = _clean_column_for_prediction(feature, _raw_column(df, feature), metadata)
        columns[feature.proc_column] = base_type_registry[feature.type].feature_data(feature, column, metadata)
    return Dataset(columns), df


# ---------------------------------------------------------------------------------------------------------
# Loading


def _is_cacheable(path: Any, data_format: str | None) -> bool:
    if not isinstance(path, str) or not os.path.isfile(path):
        return False
    fmt = data_format if data_format not in (None, "auto") else infer_data_format(path)
    return fmt in CACHEABLE_FORMATS


def _load_preprocessed_files(
    dataset, training_set, validation_set, test_set, training_set_metadata, data_format
) -> tuple[dict, dict] | None:
    """Read ``.hdf5`` files written by an earlier preprocessing, with their ``.meta.json``."""
    source = dataset if dataset is not None else training_set
    if not isinstance(source, str):
        return None
    fmt = data_format if data_format not in (None, "auto") else infer_data_format(source)
    if fmt not in ("hdf5", "h5"):
        return None
    metadata = training_set_metadata
    if metadata is None:
        meta_path = source.rsplit(".", 2)[0] + ".meta.json" if dataset is None else None
        if not meta_path or not os.path.exists(meta_path):
            raise ValueError(
                f"Preprocessed file {source} needs its metadata: pass training_set_metadata "
                "(the .meta.json written next to it)."
            )
        metadata = meta_path
    if isinstance(metadata, str):
        import json

        with open(metadata) as f:
            metadata = json.load(f)
    if isinstance(metadata, dict) and WARNINGS_KEY in metadata:
        metadata = dict(metadata)
        for message in metadata.pop(WARNINGS_KEY):
            logger.warning("%s", message)
    splits = {
        "training": read_hdf5(source),
        "validation": read_hdf5(validation_set) if isinstance(validation_set, str) else None,
        "test": read_hdf5(test_set) if isinstance(test_set, str) else None,
    }
    return splits, metadata


def _load_for_training(
    config, dataset, training_set, validation_set, test_set, data_format, random_seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows to preprocess and their split (0 training, 1 validation, 2 test)."""
    if dataset is not None:
        df = _sample(load_dataset(dataset, data_format), config.preprocessing, random_seed)
        return df, split_dataset(df, config.preprocessing.split, random_seed)
    frames, splits = [], []
    for code, part in ((TRAINING, training_set), (VALIDATION, validation_set), (TEST, test_set)):
        if part is None:
            continue
        frame = load_dataset(part, data_format)
        # Checked per set: concatenating would fill a column one set lacks with missing values, silently.
        check_columns_present(config, frame, f"the {SPLIT_NAMES[code]} set")
        if code == TRAINING:
            frame = _sample(frame, config.preprocessing, random_seed)
        frames.append(frame)
        splits.append(np.full(len(frame), code, dtype=np.int8))
    df = pd.concat(frames, ignore_index=True)
    return df, np.concatenate(splits)


def _sample(df: pd.DataFrame, preprocessing, random_seed: int) -> pd.DataFrame:
    if preprocessing.sample_size is not None:
        if preprocessing.sample_size > len(df):
            raise ValueError(
                f"preprocessing.sample_size {preprocessing.sample_size} is larger than the dataset ({len(df)} rows)."
            )
        return df.sample(n=preprocessing.sample_size, random_state=random_seed).sort_index().reset_index(drop=True)
    if preprocessing.sample_ratio < 1.0:
        return df.sample(frac=preprocessing.sample_ratio, random_state=random_seed).sort_index().reset_index(drop=True)
    return df


def _select_split(config, df: pd.DataFrame, split: str, random_seed: int) -> pd.DataFrame:
    if split not in SPLIT_NAMES:
        raise ValueError(f"split {split!r} is not allowed; expected one of ['full', *{list(SPLIT_NAMES)}].")
    assignment = split_dataset(df, config.preprocessing.split, random_seed)
    return df[assignment == SPLIT_NAMES.index(split)]


def _raw_column(df: pd.DataFrame, feature) -> pd.Series:
    if feature.column not in df.columns:
        raise missing_column_error(feature, list(df.columns))
    return df[feature.column]


# ---------------------------------------------------------------------------------------------------------
# Cleaning: casting, outliers and missing values


def _missing_fill_value(feature, column: pd.Series, training_mask: np.ndarray, strategy: str) -> Any:
    """The value that replaces missing entries, computed from the training rows."""
    training_values = column[training_mask].dropna()
    if strategy == FILL_WITH_CONST:
        return feature.preprocessing.fill_value
    if strategy == FILL_WITH_MEAN:
        return float(training_values.mean()) if len(training_values) else 0.0
    if strategy == FILL_WITH_FALSE:
        return False
    if strategy == FILL_WITH_TRUE:
        return True
    # fill_with_mode, and the fallback for bfill/ffill/drop_row at prediction time.
    if len(training_values) == 0:
        return feature.preprocessing.fill_value
    mode = training_values.mode().iloc[0]
    return mode.item() if hasattr(mode, "item") else mode


def _apply_strategy(column: pd.Series, strategy: str, fill_value: Any) -> pd.Series:
    if strategy in (BFILL, FFILL):
        filled = column.bfill() if strategy == BFILL else column.ffill()
        filled = filled.ffill() if strategy == BFILL else filled.bfill()
        return filled if not filled.isna().any() else _fill(filled, fill_value)
    return _fill(column, fill_value)


def _fill(column: pd.Series, value: Any) -> pd.Series:
    if value is None or not column.isna().any():
        return column
    if isinstance(value, bool) or (isinstance(value, str) and pd.api.types.is_numeric_dtype(column)):
        column = column.astype(object)
    return column.fillna(value)


def _outlier_bounds(feature, column: pd.Series, training_mask: np.ndarray) -> list[float] | None:
    """``[low, high]``: values outside are outliers (``outlier_threshold`` training stds from the mean)."""
    preprocessing = feature.preprocessing
    if feature.type != NUMBER or preprocessing.outlier_strategy is None:
        return None
    training_values = column[training_mask].dropna()
    mean, std = training_values.mean(), training_values.std()
    if not std or not np.isfinite(std):
        return None
    spread = preprocessing.outlier_threshold * std
    return [float(mean - spread), float(mean + spread)]


def _outside(column: pd.Series, bounds: list[float]) -> pd.Series:
    return (column < bounds[0]) | (column > bounds[1])


def _clean_columns(
    config, df: pd.DataFrame, split: np.ndarray
) -> tuple[dict[str, pd.Series], dict[str, np.ndarray], dict]:
    """Cast and fill every feature's column.

    Returns the columns; per feature with ``drop_row`` (missing values or outliers) the rows it drops; and per
    feature the values computed on the training rows (``computed_fill_value``, and for outliers
    ``computed_outlier_bounds`` / ``computed_outlier_fill_value``) that prediction reuses.
    """
    training_mask = split == TRAINING
    dropped: dict[str, np.ndarray] = {}
    cleaned: dict[str, pd.Series] = {}
    computed: dict[str, dict[str, Any]] = {}
    input_names = {f.name for f in config.input_features}
    for feature in config.input_features + config.output_features:
        drops = np.zeros(len(df), dtype=bool)
        column = base_type_registry[feature.type].cast_column(_raw_column(df, feature))
        values: dict[str, Any] = {}
        bounds = _outlier_bounds(feature, column, training_mask)
        if bounds is not None:
            outliers = _outside(column, bounds)
            strategy = feature.preprocessing.outlier_strategy
            column = column.mask(outliers)
            outlier_fill = _missing_fill_value(
                feature, column, training_mask, FILL_WITH_MODE if strategy == DROP_ROW else strategy
            )
            if strategy == DROP_ROW:
                drops |= outliers.to_numpy()
            else:
                column = _apply_strategy(column, strategy, outlier_fill)
            values.update(computed_outlier_bounds=bounds, computed_outlier_fill_value=_json_safe(outlier_fill))
        strategy = feature.preprocessing.missing_value_strategy
        fill_value = _missing_fill_value(feature, column, training_mask, strategy)
        if feature.name in input_names:
            warn_if_all_missing(feature, column, training_mask, fill_value)
        if strategy == DROP_ROW:
            drops |= column.isna().to_numpy()
        else:
            column = _apply_strategy(column, strategy, fill_value)
        if drops.any():
            dropped[feature.name] = drops
        cleaned[feature.name] = column
        computed[feature.name] = {"computed_fill_value": _json_safe(fill_value), **values}
    return cleaned, dropped, computed


def _drop_rows_without_targets(df: pd.DataFrame, outputs: list, training_set_metadata: dict[str, Any]) -> pd.DataFrame:
    """``df`` without the rows whose target is missing in a ``drop_row`` output column, saying how many."""
    missing = np.zeros(len(df), dtype=bool)
    columns = []
    for feature in outputs:
        strategy = training_set_metadata[feature.name].get("preprocessing", {}).get("missing_value_strategy")
        if strategy != DROP_ROW:
            continue
        absent = base_type_registry[feature.type].cast_column(df[feature.column]).isna().to_numpy()
        if absent.any():
            columns.append(f'"{feature.column}" ({int(absent.sum())})')
            missing |= absent
    if not missing.any():
        return df
    logger.warning(
        "Evaluating on %d of %d rows: the target is missing in the others (rows per column: %s), and the output "
        "features drop such rows (missing_value_strategy drop_row), as in training.",
        int((~missing).sum()),
        len(df),
        ", ".join(columns),
    )
    return df[~missing]


def _clean_column_for_prediction(feature, raw: pd.Series, metadata: dict[str, Any]) -> pd.Series:
    """Cast and fill one column with the values computed at training time; never drops a row."""
    column = base_type_registry[feature.type].cast_column(raw)
    preprocessing = metadata.get("preprocessing", {})
    bounds = preprocessing.get("computed_outlier_bounds")
    if bounds is not None:
        strategy = preprocessing.get("outlier_strategy")
        column = column.mask(_outside(column, bounds))
        column = _apply_strategy(
            column,
            FILL_WITH_MODE if strategy == DROP_ROW else strategy,
            preprocessing.get("computed_outlier_fill_value"),
        )
    strategy = preprocessing.get("missing_value_strategy", FILL_WITH_CONST)
    if strategy == DROP_ROW:
        strategy = FILL_WITH_MODE  # dropping would break one-output-row-per-input-row
    return _apply_strategy(column, strategy, preprocessing.get("computed_fill_value"))


# ---------------------------------------------------------------------------------------------------------
# Metadata and arrays


def _build_training_splits(config, df: pd.DataFrame, split: np.ndarray, random_seed: int) -> PreprocessedSplits:
    cleaned, dropped, computed = _clean_columns(config, df, split)
    keep = ~np.logical_or.reduce([np.zeros(len(df), dtype=bool), *dropped.values()])
    if not keep.all():
        logger.info("Dropped %d rows with missing values (drop_row).", int((~keep).sum()))
    if not (split[keep] == TRAINING).any():
        raise empty_training_split_error(config, split, dropped)
    split = split[keep]
    warn_if_tiny(split)
    metadata: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    input_names = {f.name for f in config.input_features}
    for feature in config.input_features + config.output_features:
        mixin = base_type_registry[feature.type]
        column = cleaned[feature.name][keep]  # keeps the dataset's row numbers, which errors name
        feature_meta = mixin.get_feature_meta(feature, column[split == TRAINING], feature.name in input_names)
        feature_meta["preprocessing"] = {**feature.preprocessing.to_dict(), **computed[feature.name]}
        metadata[feature.name] = feature_meta
        arrays[feature.proc_column] = mixin.feature_data(feature, column, feature_meta)
    warn_if_single_class(config, arrays, np.flatnonzero(split == TRAINING), metadata)
    dataset = Dataset(arrays)
    splits = {}
    for code, name in enumerate(SPLIT_NAMES):
        indices = np.flatnonzero(split == code)
        if code == TRAINING:
            indices = _balance_classes(config, dataset, indices, random_seed)
        splits[name] = dataset.subset(indices) if len(indices) else None
    return PreprocessedSplits(splits["training"], splits["validation"], splits["test"], metadata)


def _json_safe(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _balance_classes(config, dataset: Dataset, indices: np.ndarray, random_seed: int) -> np.ndarray:
    """Apply ``oversample_minority`` / ``undersample_majority`` to the training rows of a binary output."""
    preprocessing = config.preprocessing
    ratio = preprocessing.oversample_minority or preprocessing.undersample_majority
    if ratio is None:
        return indices
    target = config.output_features[0]
    if target.type != BINARY:
        raise ValueError(
            f"preprocessing class balancing needs a binary output feature; {target.name!r} is {target.type}."
        )
    labels = dataset.columns[target.proc_column][indices].astype(bool)
    positives, negatives = indices[labels], indices[~labels]
    minority, majority = (positives, negatives) if len(positives) < len(negatives) else (negatives, positives)
    rng = np.random.default_rng(random_seed)
    if preprocessing.oversample_minority is not None:
        wanted = int(round(ratio * len(majority)))
        if wanted > len(minority):
            minority = np.concatenate([minority, rng.choice(minority, wanted - len(minority), replace=True)])
    else:
        wanted = int(round(len(minority) / ratio))
        if wanted < len(majority):
            majority = rng.choice(majority, wanted, replace=False)
    return np.sort(np.concatenate([minority, majority]))


def split_column_name() -> str:
    return SPLIT
