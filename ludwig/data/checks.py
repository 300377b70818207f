"""Checks of a dataset as a whole, for preprocessing to call.

Errors for data that cannot be preprocessed (duplicated column names, a column the config reads that is not there,
no training row left), each naming the columns at fault and what to do; warnings for data that preprocesses and
trains but cannot give a useful model (a handful of rows, an input that is always missing, a target with one
value). Per-value checks (numbers that cannot be read...) belong to the feature types: ``features/value_checks.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ludwig.constants import BINARY, CATEGORY, DROP_ROW
from ludwig.data.split import SPLIT_NAMES, TRAINING_SPLIT
from ludwig.error import DatasetError, InputDataError
from ludwig.utils.registry import did_you_mean

logger = logging.getLogger(__name__)

#: Datasets of at most this many rows are warned about: too few to learn from or to measure a model on.
TINY_DATASET_ROWS = 3

#: How many column names a message lists before it says how many more there are.
LISTED_COLUMNS = 50


def describe_columns(columns: Iterable) -> str:
    """The column names as a list for a message, cut after :data:`LISTED_COLUMNS` names."""
    names = [str(c) for c in columns]
    if len(names) <= LISTED_COLUMNS:
        return str(names)
    return f"{names[:LISTED_COLUMNS]} and {len(names) - LISTED_COLUMNS} more"


def _feature_label(feature) -> str:
    """'"name"' or, when the feature reads a column of another name, '"name" (column "column")'."""
    if feature.column == feature.name:
        return f'"{feature.name}"'
    return f'"{feature.name}" (column "{feature.column}")'


# ---------------------------------------------------------------------------------------------------------
# Errors


def check_unique_column_names(df: pd.DataFrame) -> None:
    """Refuse a dataset whose column names repeat: a name must select one column.

    Raises:
        DatasetError: naming each duplicated column and how many times it appears.
    """
    repeated = df.columns[df.columns.duplicated()]
    if len(repeated) == 0:
        return
    counts = df.columns.value_counts()
    described = ", ".join(f'"{name}" ({int(counts[name])} times)' for name in dict.fromkeys(repeated))
    raise DatasetError(
        f"The dataset has duplicated column names: {described}. Each column needs a unique name: rename or drop the "
        "duplicates (with pandas, df.loc[:, ~df.columns.duplicated()] keeps the first of each). "
        f"Columns are {describe_columns(df.columns)}."
    )


def missing_column_error(feature, columns: Sequence, where: str = "the dataset") -> InputDataError:
    """The error for a feature whose column is not in the data: names it and lists the columns there are."""
    names = [str(c) for c in columns]
    return InputDataError(
        feature.column,
        feature.type,
        f"not found in {where}; its columns are {describe_columns(names)}.{did_you_mean(feature.column, names)}",
    )


def check_columns_present(config, df: pd.DataFrame, where: str) -> None:
    """Refuse data that lacks a column the config's input or output features read.

    Args:
        config: the model config.
        df: the data.
        where: how messages name the data ("the training set", "the validation set"...).

    Raises:
        InputDataError: for the first feature whose column is missing.
    """
    for feature in config.input_features + config.output_features:
        if feature.column not in df.columns:
            raise missing_column_error(feature, list(df.columns), where)


def empty_training_split_error(config, split: np.ndarray, dropped: dict[str, np.ndarray]) -> DatasetError:
    """Why no training row is left, naming the split or the columns whose ``drop_row`` removed the rows.

    Args:
        config: the model config.
        split: the split code of every row, before rows were dropped.
        dropped: per feature name, the rows its ``drop_row`` (missing values or outliers) removes.
    """
    training = split == TRAINING_SPLIT
    rows = int(training.sum())
    if len(split) == 0:
        return DatasetError("The training split is empty: the dataset has no rows.")
    if rows == 0:
        sizes = ", ".join(f"{name} {int((split == code).sum())}" for code, name in enumerate(SPLIT_NAMES))
        return DatasetError(
            f"The training split is empty: the split puts none of the {len(split)} rows in training ({sizes}). "
            "Check preprocessing.split (its type, probabilities or split column)."
        )
    features = [f for f in config.input_features + config.output_features if f.name in dropped]
    outputs = {f.name for f in config.output_features}
    emptied = [f for f in features if dropped[f.name][training].all()]
    empty_outputs = [f for f in emptied if f.name in outputs]
    if empty_outputs:
        named = ", ".join(_feature_label(f) for f in empty_outputs)
        return DatasetError(
            f"The training split is empty: every row's target is missing in output column {named}, so all {rows} "
            "training rows were dropped (an output feature drops the rows whose target is missing: its "
            "missing_value_strategy is drop_row). Check that the output feature reads the column holding the "
            "targets and that the column has values (a number output counts values that are not numbers as "
            "missing), or fill the missing targets in."
        )
    if emptied:
        named = ", ".join(_feature_label(f) for f in emptied)
        return DatasetError(
            f"The training split is empty: input column {named} is missing in every row and its "
            f"missing_value_strategy is drop_row, so all {rows} training rows were dropped. Check the column, or "
            "set its preprocessing.missing_value_strategy to a fill strategy (fill_with_const, fill_with_mode...)."
        )
    counts = ", ".join(f"{_feature_label(f)} ({int(dropped[f.name][training].sum())} rows)" for f in features)
    return DatasetError(
        f"The training split is empty: each of the {rows} training rows has a missing value (or an outlier, with "
        f"outlier_strategy drop_row) in at least one of the columns that drop such rows: {counts}. Fill the missing "
        "values in, or set those features' missing_value_strategy to a fill strategy."
    )


# ---------------------------------------------------------------------------------------------------------
# Warnings


class _RecordingHandler(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def recorded_warnings() -> Iterator[list[str]]:
    """Collect the warnings logged under the ``ludwig`` logger meanwhile, as messages.

    Preprocessing records its warnings so that the cache can show them again when it is reused: a second run on
    unchanged data must warn like the first. Only warnings the ``ludwig`` logger's level lets through are seen.
    """
    messages: list[str] = []
    handler = _RecordingHandler(messages)
    logger_ = logging.getLogger("ludwig")
    logger_.addHandler(handler)
    try:
        yield messages
    finally:
        logger_.removeHandler(handler)


def warn_if_tiny(split: np.ndarray) -> None:
    """Warn when the rows left to train and evaluate on are so few that the run says nothing."""
    rows = len(split)
    if 0 < rows <= TINY_DATASET_ROWS:
        sizes = ", ".join(f"{name} {int((split == code).sum())}" for code, name in enumerate(SPLIT_NAMES))
        logger.warning(
            "The dataset has only %d row%s (%s): too few to learn from or to measure a model on, so the model and "
            "its metrics mean little. Check that the whole dataset was given.",
            rows,
            "" if rows == 1 else "s",
            sizes,
        )


def warn_if_all_missing(feature, column: pd.Series, training: np.ndarray, fill_value) -> None:
    """Warn when an input feature's column is missing in every training row: the feature carries no information.

    Args:
        feature: the input feature's config.
        column: its cast column (before missing values are filled), all rows.
        training: which rows are training rows.
        fill_value: the value missing entries are replaced with.
    """
    strategy = feature.preprocessing.missing_value_strategy
    if strategy == DROP_ROW:
        return  # every row is dropped, and empty_training_split_error says why
    missing = column.isna().to_numpy()
    rows = int(training.sum())
    if rows == 0 or int(missing.sum()) < rows or not missing[training].all():
        return
    logger.warning(
        "Input feature %s: the column is missing in all %d training rows, so every row gets the same value (%r, "
        "from missing_value_strategy %s) and the feature carries no information. Check that it reads the right "
        "column, or remove it from input_features.",
        _feature_label(feature),
        rows,
        fill_value,
        strategy,
    )


def warn_if_single_class(config, columns: dict[str, np.ndarray], training: np.ndarray, metadata: dict) -> None:
    """Warn about binary and category outputs whose training rows all hold the same value.

    Args:
        config: the model config.
        columns: the preprocessed arrays by ``proc_column``.
        training: indices of the training rows.
        metadata: the training set metadata, to name the value.
    """
    for feature in config.output_features:
        if feature.type not in (BINARY, CATEGORY) or len(training) == 0:
            continue
        values = np.unique(columns[feature.proc_column][training])
        if len(values) != 1:
            continue
        labels = metadata.get(feature.name, {}).get("bool2str" if feature.type == BINARY else "idx2str")
        value = labels[int(values[0])] if labels else str(bool(values[0]))  # standard booleans have no labels
        logger.warning(
            'Output feature %s (%s): all %d training rows have the same value "%s", so the model can only learn to '
            "predict it, and metrics that compare classes (roc_auc, precision, recall) mean nothing. Check the "
            "target column, or add rows of the other class%s.",
            _feature_label(feature),
            feature.type,
            len(training),
            value,
            "" if feature.type == BINARY else "es",
        )
